// The npm package in Node.js, used as a Node user would: `import ... from 'ilp-stream-web'`
// (resolved through pkg/package.json's `exports`), `await init()` without arguments and no
// bundler, paying through the reference stack (network/stack.mjs) that
// `make node` starts with `scripts/with-services.mjs --stack` (ILP_TEST_STACK_* variables).
//
// Node 20 has no global WebSocket: there the `ws` package's class is the `WebSocket` option,
// and without one start() rejects with `btp-connect-failed`. The last test pays with no option
// at all in a Node that has a global WebSocket (22+, or 20 with --experimental-websocket).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import WebSocket from 'ws';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// A user's project: its node_modules/ilp-stream-web is the built package.
const user = path.join(root, 'target/node-user');
const nodeMajor = Number(process.versions.node.split('.')[0]);

const btp = process.env.ILP_TEST_STACK_BTP_URL;
const http = process.env.ILP_TEST_STACK_HTTP_URL;
const auth = { authorization: `Bearer ${process.env.ILP_TEST_STACK_CONTROL_TOKEN}` };
const receiver = process.env.ILP_TEST_STACK_PAYMENT_POINTER_URL;

let init;
let PaymentStream;

async function control(route, body) {
  const res = await fetch(`${http}/control/${route}`, body === undefined ? { headers: auth } : {
    method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, `${route}: HTTP ${res.status}`);
  return res.json();
}

/** Runs `fn` with no global WebSocket, as on Node 20 without flags. */
async function withoutGlobalWebSocket(fn) {
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'WebSocket');
  delete globalThis.WebSocket;
  try {
    return await fn();
  } finally {
    if (saved) Object.defineProperty(globalThis, 'WebSocket', saved);
  }
}

before(async () => {
  assert.ok(btp && http && receiver, 'run through `make node` (the reference stack sets ILP_TEST_STACK_*)');
  await rm(user, { recursive: true, force: true });
  await mkdir(path.join(user, 'node_modules'), { recursive: true });
  await symlink(path.join(root, 'pkg'), path.join(user, 'node_modules/ilp-stream-web'), 'dir');
  await writeFile(path.join(user, 'package.json'), '{ "type": "module", "private": true }\n');
  await writeFile(path.join(user, 'package.mjs'), "export { default, PaymentStream } from 'ilp-stream-web';\n");
  ({ default: init, PaymentStream } = await import(pathToFileURL(path.join(user, 'package.mjs'))));
  await init(); // no argument: the .wasm beside the glue, read from disk
});

test('pays 5000 with ws as the WebSocket option; the receiver got totalDelivered', async () => {
  await control('reset', {});
  const s = new PaymentStream({ btp, receiver, amountPerSecond: '0', WebSocket });
  const stops = [];
  s.addEventListener('stop', (e) => stops.push(e.detail));
  await s.start();
  assert.equal(s.state, 'streaming');
  const result = await s.pay('5000');
  assert.deepEqual(result, { sent: '5000', delivered: result.delivered, inDoubt: '0' });
  await s.stop();
  assert.equal(s.state, 'stopped');
  assert.equal(s.totalSent, '5000');
  assert.equal(s.totalInDoubt, '0');
  const totals = await control('totals');
  assert.equal(String(totals.totalReceived), s.totalDelivered, 'receiver total = totalDelivered');
  assert.ok(BigInt(s.totalDelivered) > 0n, 'something was delivered');
  assert.equal(result.delivered, s.totalDelivered);
  assert.equal(stops.length, 1);
  assert.equal(stops[0].reason, 'stopped');
  assert.equal(stops[0].totalDelivered, s.totalDelivered);
});

test('no WebSocket option and no global WebSocket: start() rejects with btp-connect-failed', async () => {
  await withoutGlobalWebSocket(async () => {
    const s = new PaymentStream({ btp, receiver, amountPerSecond: '0' });
    const states = [];
    const errors = [];
    s.addEventListener('statechange', (e) => states.push(e.detail.state));
    s.addEventListener('error', (e) => errors.push(e.detail));
    await assert.rejects(s.start(), (err) => {
      assert.equal(err.name, 'PaymentStreamError');
      assert.equal(err.code, 'btp-connect-failed');
      assert.match(err.message, /no global WebSocket/);
      assert.match(err.message, /`WebSocket` option/);
      assert.match(err.message, /Node\.js before 22/);
      assert.match(err.message, /import WebSocket from 'ws'/);
      return true;
    });
    assert.equal(s.state, 'failed');
    assert.deepEqual(states, ['connecting', 'failed']);
    assert.deepEqual(errors.map((e) => e.code), ['btp-connect-failed']);
  });
});

test('a WebSocket option that is not a constructor is an invalid-option naming it', () => {
  for (const value of [42, 'ws', {}, () => {}, async function f() {}]) {
    assert.throws(
      () => new PaymentStream({ btp, receiver, amountPerSecond: '0', WebSocket: value }),
      (err) => err.code === 'invalid-option' && /option `WebSocket` must be a WebSocket constructor/.test(err.message),
      String(value),
    );
  }
});

test('pays with the global WebSocket and no option (Node 22+, or 20 with --experimental-websocket)', async () => {
  await control('reset', {});
  // The README's Node.js lines, in a process of their own.
  const script = path.join(user, 'global.mjs');
  await writeFile(script, `import init, { PaymentStream } from 'ilp-stream-web';
await init();
const s = new PaymentStream({ btp: process.env.ILP_TEST_STACK_BTP_URL, receiver: process.env.ILP_TEST_STACK_PAYMENT_POINTER_URL, amountPerSecond: '0' });
await s.start();
const result = await s.pay('5000');
await s.stop();
console.log(JSON.stringify({ result, totalDelivered: s.totalDelivered, global: typeof WebSocket }));
`);
  const flags = nodeMajor < 22 ? ['--experimental-websocket', '--no-warnings'] : [];
  const { stdout } = await promisify(execFile)(process.execPath, [...flags, script], { cwd: user, timeout: 30_000 });
  const out = JSON.parse(stdout.trim().split('\n').pop());
  assert.equal(out.global, 'function');
  assert.equal(out.result.sent, '5000');
  assert.equal(out.result.inDoubt, '0');
  const totals = await control('totals');
  assert.equal(String(totals.totalReceived), out.totalDelivered);
});
