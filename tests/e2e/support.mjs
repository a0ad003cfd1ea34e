// What the Playwright end-to-end tests share: headless Chromium as root on this
// machine, the demo server started and read from its ready lines, and child
// processes stopped cleanly. Not a test file itself (node --test skips it).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Debian's Chromium, headless, with the flags this machine needs as root (and `extraArgs`). */
export function launchChromium (extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run', ...extraArgs]
  });
}

/** Media elements may play() without a user gesture (the media tests press play from script). */
export const AUTOPLAY = '--autoplay-policy=no-user-gesture-required';

/**
 * Starts www/server.mjs (on a free port unless `port` is given, with `env` added); resolves
 * `{ server, base, stackControl, control, output }` (its stdout and stderr lines) once it has printed the page URL and the
 * network's control URL. The network's control token is made here and handed to the server
 * in its environment (the server never prints it); `control(route, body?)` calls the control
 * API with it and resolves `{ status, body }`.
 */
export function startDemoServer (timeoutMs = 30_000, { port = 0, env = {} } = {}) {
  const token = randomBytes(32).toString('base64url');
  // A state folder of its own unless the test gives one (DEMO_STATE_DIR in `env`).
  const stateDir = env.DEMO_STATE_DIR ?? mkdtempSync(path.join(os.tmpdir(), 'demo-state-'));
  const server = spawn(process.execPath, [path.join(root, 'www/server.mjs')], {
    cwd: root,
    env: { ...process.env, PORT: String(port), ILP_STACK_CONTROL_TOKEN: token, DEMO_STATE_DIR: stateDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  });
  process.on('exit', () => {
    try { server.kill('SIGKILL'); } catch {}
    if (!env.DEMO_STATE_DIR) rmSync(stateDir, { recursive: true, force: true });
  });
  // Everything the server (and its network) writes, for tests that check the logs.
  const output = [];
  createInterface({ input: server.stderr }).on('line', (line) => { output.push(line); process.stderr.write(`${line}\n`); });
  return new Promise((resolve, reject) => {
    let base;
    let stackControl;
    const timer = setTimeout(() => reject(new Error('www/server.mjs did not print its URL in time')), timeoutMs);
    server.once('exit', (code, sig) => { clearTimeout(timer); reject(new Error(`www/server.mjs exited early (${sig ?? code})`)); });
    createInterface({ input: server.stdout }).on('line', (line) => {
      output.push(line);
      const url = /open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(line);
      const ctl = /control (http:\/\/127\.0\.0\.1:\d+\/control\/)/.exec(line);
      if (url) base = url[1];
      if (ctl) stackControl = ctl[1];
      if (base && stackControl) {
        clearTimeout(timer);
        const control = async (route, body) => {
          const res = await fetch(stackControl + route, body === undefined
            ? { headers: { authorization: `Bearer ${token}` } }
            : { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
          return { status: res.status, body: await res.json().catch(() => ({})) };
        };
        resolve({ server, base, stackControl, control, output, controlToken: token, stateDir });
      }
    });
  });
}

/**
 * Starts the local network alone (network/stack.mjs, serving this checkout so test pages
 * and pkg/ share its origin); resolves `{ stack, info, control }`: the child, its ready
 * line, and `control(route, body?)`, which calls the control API with the run's token,
 * asserts a 200 and resolves the JSON.
 */
export async function startStack () {
  const stack = spawn(process.execPath, [path.join(root, 'network/stack.mjs'), '--serve-dir', root], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit']
  });
  process.on('exit', () => { try { stack.kill('SIGKILL'); } catch {} });
  const info = await new Promise((resolve, reject) => {
    stack.once('exit', (code) => reject(new Error(`network/stack.mjs exited early (${code})`)));
    createInterface({ input: stack.stdout }).once('line', (line) => resolve(JSON.parse(line)));
  });
  const control = async (route, body) => {
    const auth = { authorization: `Bearer ${info.controlToken}` };
    const res = await fetch(`${info.httpUrl}/control/${route}`, body === undefined
      ? { headers: auth }
      : { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (res.status !== 200) throw new Error(`control ${route}: HTTP ${res.status}`);
    return res.json();
  };
  return { stack, info, control };
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `read()` (a BigInt total) until it stops moving (packets in flight settled); returns it. */
export async function settled (read, what) {
  let prev = await read();
  for (let i = 0; i < 30; i++) {
    await sleep(400);
    const cur = await read();
    if (cur === prev) return cur;
    prev = cur;
  }
  throw new Error(`${what} never settled`);
}

/**
 * Polls `fn()` every 100 ms until it is truthy; after `ms`, throws naming `what` and what
 * `describe()` (optional, e.g. the page's state) says.
 */
export async function waitFor (fn, what, ms, describe = async () => null) {
  const t0 = Date.now();
  for (;;) {
    if (await fn()) return;
    if (Date.now() - t0 > ms) {
      const seen = await describe().catch(() => null);
      throw new Error(`timed out waiting for ${what}; seen: ${JSON.stringify(seen)}`);
    }
    await sleep(100);
  }
}

/** A free TCP port on 127.0.0.1 (to restart a server on the same origin). */
export async function freePort () {
  const srv = net.createServer();
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** The value of the demo's visit cookie in a Playwright browser context. */
export async function visitCookie (context) {
  const c = (await context.cookies()).find((x) => x.name === '__Host-demo_visit');
  if (!c) throw new Error('the page has no visit cookie');
  return c.value;
}

/** Stops `child` with SIGTERM and waits for it to exit (nothing if it already has). */
export async function stopChild (child) {
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}
