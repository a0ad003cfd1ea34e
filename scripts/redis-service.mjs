#!/usr/bin/env node
// A throwaway redis-server for the tests (scripts/with-services.mjs --redis):
// loopback only, on a free port, no persistence, in a temporary folder removed
// on exit. Prints one JSON line {"ready":true,"url":"redis://127.0.0.1:PORT"}
// once the server answers PING; SIGINT/SIGTERM stop the server, then this script.
// redis-server is Debian's package (scripts/setup.sh installs it).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const READY_TIMEOUT_MS = 20_000;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function ping(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let reply = '';
    socket.setTimeout(1000, () => socket.destroy());
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => {
      reply += d;
      if (reply.includes('\r\n')) socket.end();
    });
    socket.on('close', () => resolve(reply.startsWith('+PONG')));
    socket.on('error', () => {});
  });
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'ilp-redis-'));
const port = await freePort();
const server = spawn('redis-server', [
  '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
  '--dir', dir, '--loglevel', 'warning',
], { stdio: ['ignore', 'ignore', 'inherit'] });

let stopping = false;
const stop = (code) => {
  if (stopping) return;
  stopping = true;
  const done = () => { rmSync(dir, { recursive: true, force: true }); process.exit(code); };
  if (server.exitCode !== null || server.signalCode !== null) return done();
  server.once('exit', done);
  server.kill('SIGTERM');
  setTimeout(() => server.kill('SIGKILL'), 2000).unref();
};
server.on('error', (e) => { console.error(`redis-service: ${e.message} (is redis-server installed?)`); stop(1); });
server.on('exit', (code) => { if (!stopping) { console.error(`redis-service: redis-server exited (${code})`); stop(1); } });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => stop(0));

const deadline = Date.now() + READY_TIMEOUT_MS;
while (!(await ping(port))) {
  if (Date.now() > deadline) { console.error('redis-service: no PONG in time'); stop(1); }
  await new Promise((r) => setTimeout(r, 50));
}
console.log(JSON.stringify({ ready: true, url: `redis://127.0.0.1:${port}` }));
