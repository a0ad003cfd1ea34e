// A verifier process for the receipt concurrency and restart tests
// (tests/node/receipts-concurrency.test.mjs). Usage:
//   node receipt-worker.mjs STORE.json OPS.json
// STORE: {"kind":"sqlite","filename":…} or {"kind":"redis","url":…,"prefix":…}.
// OPS: a list run in order, each answered by one JSON line on stdout:
//   {"newNonce": visitorId}            -> {nonce, secret}
//   {"verify": [receipts], "concurrency": n} -> {increases: {nonce: sum}, errors: {code: n}}
//   {"total": visitorId}               -> {total}
//   {"barrier": true}                  -> {ready: true}, then waits for a line on stdin
// Amounts are decimal strings. The process exits when the ops are done.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { loadPackage } from './receipts.mjs';

const [storeSpec, ops] = process.argv.slice(2).map((f) => JSON.parse(readFileSync(f, 'utf8')));
const pkg = await loadPackage(`node-user-receipt-worker-${process.pid}`);
const store = storeSpec.kind === 'sqlite'
  ? new pkg.SqliteStore({ filename: storeSpec.filename })
  : new pkg.RedisStore({ url: storeSpec.url, prefix: storeSpec.prefix });
const verifier = new pkg.ReceiptVerifier({ store });
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const say = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);

for (const op of ops) {
  if (op.newNonce) {
    const { nonce, secret } = await verifier.newNonce(op.newNonce);
    say({ nonce, secret });
  } else if (op.verify) {
    const increases = {};
    const errors = {};
    let next = 0;
    const lane = async () => {
      while (next < op.verify.length) {
        const receipt = op.verify[next++];
        try {
          const r = await verifier.verify(receipt);
          increases[r.nonce] = String(BigInt(increases[r.nonce] ?? 0) + r.increase);
        } catch (e) {
          errors[e.code ?? e.message] = (errors[e.code ?? e.message] ?? 0) + 1;
        }
      }
    };
    await Promise.all(Array.from({ length: op.concurrency ?? 1 }, lane));
    say({ increases, errors });
  } else if (op.total) {
    say({ total: String(await verifier.total(op.total)) });
  } else if (op.barrier) {
    await store.getNonce('AAAAAAAAAAAAAAAAAAAAAA=='); // connected and ready
    say({ ready: true });
    await lines.next();
  }
}
await store.close();
process.exit(0);
