#!/usr/bin/env node
// Generates the demo's and the tests' media once, locally, with Debian's ffmpeg: a
// 24-second test pattern (testsrc2, 320x180, 24 fps) with a tone, VP9 + Opus in
// fragmented MP4, cut into an init segment and one-second fragments for Media Source
// Extensions:
//
//   .cache/media/init.mp4      ftyp + moov (the codecs; no media)
//   .cache/media/<n>.m4s       moof + mdat of second n, n = 0 .. 23
//   .cache/media/media.json    { version, mimeType, seconds, segments: [bytes, ...] }
//
// Idempotent: quick and silent when media.json already names this version and every
// file is there. Nothing it writes is committed (.cache is gitignored).
//
//   node scripts/make-media.mjs [--out DIR]
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outArg = process.argv.indexOf('--out');
const out = outArg > 0 ? path.resolve(process.argv[outArg + 1]) : path.join(root, '.cache/media');

const SECONDS = 24;
const FPS = 24;
// Bump when the recipe changes, so existing copies are made again.
const VERSION = 1;
const MIME_TYPE = 'video/mp4; codecs="vp09.00.10.08, opus"';

function ready() {
  try {
    const m = JSON.parse(readFileSync(path.join(out, 'media.json'), 'utf8'));
    return m.version === VERSION && existsSync(path.join(out, 'init.mp4')) &&
      m.segments.length === SECONDS && m.segments.every((_, n) => existsSync(path.join(out, `${n}.m4s`)));
  } catch {
    return false;
  }
}
if (ready()) process.exit(0);

mkdirSync(path.dirname(out), { recursive: true });
const work = mkdtempSync(`${out}.tmp-`);
chmodSync(work, 0o755);
try {
  const file = path.join(work, 'all.mp4');
  try {
    execFileSync('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-nostdin', '-y',
      '-f', 'lavfi', '-i', `testsrc2=size=320x180:rate=${FPS}:duration=${SECONDS}`,
      '-f', 'lavfi', '-i', `sine=frequency=440:beep_factor=2:sample_rate=48000:duration=${SECONDS}`,
      // A keyframe every second, so each fragment starts one and plays on its own.
      '-c:v', 'libvpx-vp9', '-b:v', '120k', '-deadline', 'realtime', '-cpu-used', '8', '-row-mt', '1',
      '-g', String(FPS), '-keyint_min', String(FPS), '-pix_fmt', 'yuv420p',
      '-c:a', 'libopus', '-b:a', '48k',
      '-f', 'mp4', '-movflags', 'frag_keyframe+empty_moov+default_base_moof', file,
    ], { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (err) {
    console.error(`make-media: ffmpeg failed (${err.code === 'ENOENT' ? 'not installed: run scripts/setup.sh' : err.message})`);
    process.exit(1);
  }

  // Top-level MP4 boxes: ftyp moov (moof mdat)* [mfra].
  const bytes = readFileSync(file);
  const boxes = [];
  for (let at = 0; at < bytes.length;) {
    const size = bytes.readUInt32BE(at);
    if (size < 8 || at + size > bytes.length) throw new Error(`make-media: bad MP4 box at ${at}`);
    boxes.push({ type: bytes.toString('latin1', at + 4, at + 8), start: at, end: at + size });
    at += size;
  }
  const moofs = boxes.filter((b) => b.type === 'moof');
  if (moofs.length !== SECONDS) throw new Error(`make-media: expected ${SECONDS} fragments, ffmpeg wrote ${moofs.length}`);
  writeFileSync(path.join(work, 'init.mp4'), bytes.subarray(0, moofs[0].start));
  const segments = moofs.map((moof, n) => {
    const mdat = boxes[boxes.indexOf(moof) + 1];
    if (mdat?.type !== 'mdat') throw new Error(`make-media: fragment ${n} has no mdat`);
    const seg = bytes.subarray(moof.start, mdat.end);
    writeFileSync(path.join(work, `${n}.m4s`), seg);
    return seg.length;
  });
  rmSync(file);
  writeFileSync(path.join(work, 'media.json'), `${JSON.stringify({ version: VERSION, mimeType: MIME_TYPE, seconds: SECONDS, segments }, null, 2)}\n`);
  rmSync(out, { recursive: true, force: true });
  renameSync(work, out);
  const total = segments.reduce((a, b) => a + b, 0);
  console.error(`make-media: ${SECONDS} one-second segments (${(total / 1024).toFixed(0)} KB) in ${path.relative(root, out) || out}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
