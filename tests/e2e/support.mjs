// What the Playwright end-to-end tests share: headless Chromium as root on this
// machine, the demo server started and read from its ready lines, and child
// processes stopped cleanly. Not a test file itself (node --test skips it).
import { spawn } from 'node:child_process';
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
 * Starts www/server.mjs on a free port; resolves `{ server, base, stackControl }` once it
 * has printed the page URL and the network's control URL.
 */
export function startDemoServer (timeoutMs = 30_000) {
  const server = spawn(process.execPath, [path.join(root, 'www/server.mjs')], {
    cwd: root,
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit']
  });
  process.on('exit', () => { try { server.kill('SIGKILL'); } catch {} });
  return new Promise((resolve, reject) => {
    let base;
    let stackControl;
    const timer = setTimeout(() => reject(new Error('www/server.mjs did not print its URL in time')), timeoutMs);
    server.once('exit', (code, sig) => { clearTimeout(timer); reject(new Error(`www/server.mjs exited early (${sig ?? code})`)); });
    createInterface({ input: server.stdout }).on('line', (line) => {
      const url = /open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(line);
      const control = /control (http:\/\/127\.0\.0\.1:\d+\/control\/)/.exec(line);
      if (url) base = url[1];
      if (control) stackControl = control[1];
      if (base && stackControl) { clearTimeout(timer); resolve({ server, base, stackControl }); }
    });
  });
}

/** Stops `child` with SIGTERM and waits for it to exit (nothing if it already has). */
export async function stopChild (child) {
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}
