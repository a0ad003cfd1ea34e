#!/usr/bin/env node
// Runs a command with helper services around it, then stops them.
//
//   node scripts/with-services.mjs [--echo] [--stack[="ARGS"]] -- COMMAND [ARGS...]
//
// Each service is a Node script that prints one JSON line {"ready":true,...}
// once it is listening; nothing here sleeps for a fixed time. Every field of
// that line is passed to COMMAND as ILP_TEST_<SERVICE>_<FIELD> (camelCase
// turned into SNAKE_CASE), e.g. ILP_TEST_ECHO_URL, ILP_TEST_STACK_BTP_URL,
// ILP_TEST_STACK_CONTROL_TOKEN (the stack's control API token; its value is not echoed).
// The exit code is COMMAND's; services are stopped on every path out.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const scripts = {
  echo: 'tests/interop/echo-server.mjs',
  stack: 'network/stack.mjs',
  redis: 'scripts/redis-service.mjs',
};
const READY_TIMEOUT_MS = 60_000;

const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
if (dash < 1 || dash === argv.length - 1) {
  console.error('usage: with-services.mjs --SERVICE[=ARGS]... -- COMMAND [ARGS...]');
  process.exit(2);
}
const wanted = argv.slice(0, dash).map((spec) => {
  const m = /^--([a-z]+)(?:=(.*))?$/.exec(spec);
  if (!m || !scripts[m[1]]) {
    console.error(`unknown service ${spec}; known: ${Object.keys(scripts).join(', ')}`);
    process.exit(2);
  }
  return { name: m[1], args: m[2] ? m[2].split(/\s+/).filter(Boolean) : [] };
});
const command = argv.slice(dash + 1);

const children = [];
const stopAll = () => {
  for (const child of children) {
    if (child.exitCode === null) {
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
    }
  }
};
process.on('exit', stopAll);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { stopAll(); process.exit(130); });

const envName = (service, key) =>
  `ILP_TEST_${service}_${key.replace(/([a-z0-9])([A-Z])/g, '$1_$2')}`.toUpperCase();

function start({ name, args }) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, scripts[name]), ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true, // own process group, so its children stop with it
    });
    children.push(child);
    const timer = setTimeout(() => reject(new Error(`${name}: not ready after ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    child.on('exit', (code) => reject(new Error(`${name} exited early (code ${code})`)));
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      let msg;
      try { msg = JSON.parse(line); } catch { process.stderr.write(`[${name}] ${line}\n`); return; }
      if (!msg || msg.ready !== true) { process.stderr.write(`[${name}] ${line}\n`); return; }
      clearTimeout(timer);
      const env = {};
      for (const [key, value] of Object.entries(msg)) {
        if (key !== 'ready') env[envName(name, key)] = String(value);
      }
      resolve(env);
    });
  });
}

let env = {};
try {
  for (const service of wanted) Object.assign(env, await start(service));
} catch (err) {
  console.error(`with-services: ${err.message}`);
  stopAll();
  process.exit(1);
}
// The control token is for COMMAND only: never echoed.
for (const [k, v] of Object.entries(env)) console.error(`with-services: ${k}=${/TOKEN$/.test(k) ? '(hidden)' : v}`);
const run = spawn(command[0], command.slice(1), { stdio: 'inherit', env: { ...process.env, ...env } });
run.on('exit', (code, signal) => {
  stopAll();
  process.exit(code ?? (signal ? 1 : 0));
});
