#!/usr/bin/env node
// Finishes the npm package that wasm-pack wrote to pkg/: optimises the wasm
// with wasm-opt (npm's binaryen, newer than Debian's), minifies the JS glue
// (whitespace, comments and syntax only: every name stays as wasm-bindgen
// wrote it; the documentation stays in the .d.ts) and prints the sizes a page
// pays for. `make build` runs it after `wasm-pack build`.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, statSync, renameSync } from 'node:fs';
import { transformSync } from 'esbuild';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';
import path from 'node:path';

const pkg = 'pkg';
const wasm = path.join(pkg, 'ilp_stream_web_bg.wasm');
const glue = path.join(pkg, 'ilp_stream_web.js');

// Features rustc emits for wasm32 that wasm-opt must be told about.
const features = [
  '--enable-bulk-memory', '--enable-nontrapping-float-to-int', '--enable-sign-ext',
  '--enable-mutable-globals', '--enable-reference-types', '--enable-multivalue',
];
const before = statSync(wasm).size;
execFileSync('wasm-opt', ['-Oz', ...features, '--strip-debug', '--strip-producers', wasm, '-o', `${wasm}.opt`], { stdio: 'inherit' });
renameSync(`${wasm}.opt`, wasm);

const glueBefore = statSync(glue).size;
const { code } = transformSync(readFileSync(glue, 'utf8'), {
  loader: 'js', format: 'esm', target: 'es2020',
  minifyWhitespace: true, minifySyntax: true, minifyIdentifiers: false, legalComments: 'none',
});
writeFileSync(glue, code);

const sizes = (file) => {
  const bytes = readFileSync(file);
  return {
    raw: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
};
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const rows = { [path.basename(wasm)]: sizes(wasm), [path.basename(glue)]: sizes(glue) };
console.log(`wasm-opt -Oz: ${kb(before)} -> ${kb(rows[path.basename(wasm)].raw)}`);
console.log(`glue minified: ${kb(glueBefore)} -> ${kb(rows[path.basename(glue)].raw)}`);
console.log('file                      raw        gzip      brotli');
for (const [name, s] of Object.entries(rows)) {
  console.log(`${name.padEnd(24)} ${kb(s.raw).padStart(9)} ${kb(s.gzip).padStart(10)} ${kb(s.brotli).padStart(10)}`);
}
const total = Object.values(rows).reduce((a, s) => a + s.gzip, 0);
console.log(`total gzip: ${kb(total)}`);
