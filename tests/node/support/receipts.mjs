// Shared by the receipt tests: the built package imported by name as a user's
// project does (target/node-user-receipts/node_modules/ilp-stream-web -> pkg/), a
// receipt maker written independently of the SDK (node:crypto HMAC over the RFC 39
// layout), and the stores under test.
import crypto from 'node:crypto';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * Imports `ilp-stream-web`, `ilp-stream-web/stores/sqlite` and `…/stores/redis` by name
 * from a user project in `target/<dir>` and runs `init()`.
 */
export async function loadPackage(dir = 'node-user-receipts') {
  const user = path.join(root, 'target', dir);
  await rm(user, { recursive: true, force: true });
  await mkdir(path.join(user, 'node_modules'), { recursive: true });
  await symlink(path.join(root, 'pkg'), path.join(user, 'node_modules/ilp-stream-web'), 'dir');
  await writeFile(path.join(user, 'package.json'), '{ "type": "module", "private": true }\n');
  await writeFile(path.join(user, 'package.mjs'), [
    "export * from 'ilp-stream-web';",
    "export { default } from 'ilp-stream-web';",
    "export { SqliteStore } from 'ilp-stream-web/stores/sqlite';",
    "export { RedisStore } from 'ilp-stream-web/stores/redis';",
    '',
  ].join('\n'));
  const mod = await import(pathToFileURL(path.join(user, 'package.mjs')));
  await mod.default();
  return mod;
}

/** An RFC 39 receipt, base64: version 1, nonce, stream id, total (u64 BE), HMAC-SHA256. */
export function makeReceipt(nonceB64, secretB64, total, streamId = 1) {
  const b = Buffer.alloc(58);
  b[0] = 1;
  Buffer.from(nonceB64, 'base64').copy(b, 1);
  b[17] = streamId;
  b.writeBigUInt64BE(BigInt(total), 18);
  crypto.createHmac('sha256', Buffer.from(secretB64, 'base64')).update(b.subarray(0, 26)).digest().copy(b, 26);
  return b.toString('base64');
}

/** A fresh temporary folder (removed by the caller). */
export async function tempDir(name) {
  const dir = path.join(os.tmpdir(), `${name}-${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** A unique Redis key prefix, so tests sharing the server never see each other's keys. */
export const redisPrefix = (what) => `test:${what}:${crypto.randomBytes(6).toString('hex')}:`;

/** The Redis server `make node` starts (scripts/with-services.mjs --redis). */
export const redisUrl = process.env.ILP_TEST_REDIS_URL;
