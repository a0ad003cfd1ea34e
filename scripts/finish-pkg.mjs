#!/usr/bin/env node
// Finishes the npm package that wasm-pack wrote to pkg/: optimises the wasm
// with wasm-opt (npm's binaryen, newer than Debian's), minifies the JS glue
// (whitespace, comments and syntax only: every name stays as wasm-bindgen
// wrote it; the documentation stays in the .d.ts) and prints the sizes a page
// pays for. `make build` runs it (scripts/build-pkg.sh) after `wasm-pack build`,
// with the toolchain it built with as the argument (stable or nightly), which
// it prints last and keeps in target/pkg-toolchain.txt for the benchmarks.
//
// It also makes the package work in Node.js without a bundler: `await init()`
// with no argument fetches the .wasm beside the glue by URL, and Node's fetch()
// cannot read file: URLs, so there the glue reads the bytes from disk instead
// (browsers never take that branch), and package.json gets an `exports` map.
//
// And it adds Web Monetization: js/monetize.js (monetize() and MonetizationEvent,
// built on PaymentStream) is copied to pkg/monetize.js and re-exported from the
// package entry; js/monetize.d.ts is appended to the package's declarations.
//
// And the publisher's half of receipts: js/receipts.js (ReceiptVerifier,
// MemoryStore, spspWithReceipts) the same way, and the Node.js-only stores
// js/stores/{sqlite,redis}.js as their own entry points (ilp-stream-web/stores/…,
// with their .d.ts), whose client libraries are optional peer dependencies, so a
// browser bundle of the package entry never pulls them.
//
// And media playback: js/media.js (MediaBinding) is copied to pkg/media.js, the
// entry installs its `attachMedia` on PaymentStream.prototype (at the end of the
// glue, where the class exists: media.js cannot import it without a cycle), and
// js/media.d.ts (merged with the class's declaration) is appended as well.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, statSync, renameSync, copyFileSync } from 'node:fs';
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
// core::fmt in the wasm, counted by the function names wasm-bindgen left in
// the name section (demangled; v0 names keep the crate hash: core[…]::fmt) (wasm-opt --strip-debug drops them below). The nightly
// build has none (no panic text, no Debug, errors written without fmt), and a
// change that brings it back fails the nightly build here; the stable build's
// panic machinery formats, so there it is only printed.
const toolchain = process.argv[2] ?? 'stable';
const fmtNames = functionNames(readFileSync(wasm))?.filter((n) => /\bcore(\[[0-9a-f]+\])?::fmt::/.test(n));
if (fmtNames === undefined) {
  console.log('core::fmt: not checked (no name section in the wasm)');
  if (toolchain === 'nightly') throw new Error('finish-pkg: the nightly wasm has no name section to check core::fmt against');
} else {
  console.log(`core::fmt: ${fmtNames.length} function${fmtNames.length === 1 ? '' : 's'}`);
  if (toolchain === 'nightly' && fmtNames.length > 0) {
    throw new Error(`finish-pkg: core::fmt is back in the nightly wasm (${fmtNames.length} functions, e.g. ${fmtNames.slice(0, 5).join(', ')}); twiggy paths on a names-kept build says who calls it`);
  }
}
execFileSync('wasm-opt', ['-Oz', ...features, '--strip-debug', '--strip-producers', wasm, '-o', `${wasm}.opt`], { stdio: 'inherit' });
renameSync(`${wasm}.opt`, wasm);

const glueBefore = statSync(glue).size;
const { code } = transformSync(readFileSync(glue, 'utf8'), {
  loader: 'js', format: 'esm', target: 'es2020',
  minifyWhitespace: true, minifySyntax: true, minifyIdentifiers: false, legalComments: 'none',
});
const media = 'import{attachMedia as __wbg_attach_media}from"./media.js";' +
  'Object.defineProperty(PaymentStream.prototype,"attachMedia",{value:__wbg_attach_media,writable:true,configurable:true});' +
  'export{MediaBinding}from"./media.js";';
writeFileSync(glue, `${nodeInit(code)}export{monetize,MonetizationEvent}from"./monetize.js";\n`
  + 'export{ReceiptVerifier,ReceiptError,MemoryStore,spspWithReceipts,DEFAULT_RECEIPT_TTL_MS}from"./receipts.js";\n'
  + `${media}\n`);
const minifyJs = (from, to) => writeFileSync(path.join(pkg, to), transformSync(readFileSync(from, 'utf8'), {
  loader: 'js', format: 'esm', target: 'es2022',
  minifyWhitespace: true, minifySyntax: true, minifyIdentifiers: false, legalComments: 'none',
}).code);
for (const name of ['monetize.js', 'media.js', 'receipts.js']) minifyJs(`js/${name}`, name);
mkdirSync(path.join(pkg, 'stores'), { recursive: true });
for (const store of ['sqlite', 'redis']) {
  minifyJs(`js/stores/${store}.js`, `stores/${store}.js`);
  copyFileSync(`js/stores/${store}.d.ts`, path.join(pkg, `stores/${store}.d.ts`));
}
const dts = path.join(pkg, 'ilp_stream_web.d.ts');
const extraDts = ['monetize', 'media', 'receipts'].map((n) => readFileSync(`js/${n}.d.ts`, 'utf8').trimEnd()).join('\n\n');
writeFileSync(dts, `${readFileSync(dts, 'utf8').trimEnd()}\n\n${extraDts}\n`);

// In Node.js (and only there: `process.versions.node`), a file: URL is read
// with fs/promises. `process.getBuiltinModule` (Node 20.16+, 22.3+) needs no
// import; older Node 20 imports it by a computed name with the bundlers'
// ignore comments, so no bundler tries to pack `fs` into a browser build.
// Added after minifying, which would drop those comments.
function nodeInit(js) {
  const call = 'module_or_path=fetch(module_or_path)';
  if (js.split(call).length !== 2) {
    throw new Error(`finish-pkg: expected one \`${call}\` in ${glue} (wasm-bindgen's init changed?)`);
  }
  const helper = `
function __wbg_node_file(source){
// Node.js: fetch() cannot read file: URLs, so the .wasm is read from disk.
const proc=globalThis.process;
if(typeof proc?.versions?.node!=="string")return null;
let url;
try{url=new URL(source)}catch{return null}
if(url.protocol!=="file:")return null;
const fs=typeof proc.getBuiltinModule==="function"?Promise.resolve(proc.getBuiltinModule("node:fs/promises")):import(/* webpackIgnore: true */ /* @vite-ignore */ ["node:fs","promises"].join("/"));
return fs.then((fs)=>fs.readFile(url))}
`;
  return js.replace(call, 'module_or_path=__wbg_node_file(module_or_path)??fetch(module_or_path)') + helper;
}

// Node's ESM resolution for `import ... from 'ilp-stream-web'` (wasm-pack
// writes `main` and `type: module`; `exports` also lets bundlers and Node
// reach the .wasm by name).
const manifestPath = path.join(pkg, 'package.json');
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
for (const file of ['monetize.js', 'media.js', 'receipts.js', 'stores/']) {
  if (!manifest.files.includes(file)) manifest.files.push(file);
}
manifest.exports = {
  '.': { types: './ilp_stream_web.d.ts', default: './ilp_stream_web.js' },
  './stores/sqlite': { types: './stores/sqlite.d.ts', default: './stores/sqlite.js' },
  './stores/redis': { types: './stores/redis.d.ts', default: './stores/redis.js' },
  './ilp_stream_web_bg.wasm': './ilp_stream_web_bg.wasm',
  './package.json': './package.json',
};
// The stores' client libraries, at the versions the tests use (root package.json).
const dev = JSON.parse(readFileSync('package.json', 'utf8')).devDependencies;
manifest.peerDependencies = { 'better-sqlite3': `^${dev['better-sqlite3']}`, redis: `^${dev.redis}` };
manifest.peerDependenciesMeta = { 'better-sqlite3': { optional: true }, redis: { optional: true } };
writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);

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
for (const name of ['monetize.js', 'media.js', 'receipts.js']) rows[name] = sizes(path.join(pkg, name));
console.log(`wasm-opt -Oz: ${kb(before)} -> ${kb(rows[path.basename(wasm)].raw)}`);
console.log(`glue minified: ${kb(glueBefore)} -> ${kb(rows[path.basename(glue)].raw)}`);
console.log('file                      raw        gzip      brotli');
for (const [name, s] of Object.entries(rows)) {
  console.log(`${name.padEnd(24)} ${kb(s.raw).padStart(9)} ${kb(s.gzip).padStart(10)} ${kb(s.brotli).padStart(10)}`);
}
const total = Object.values(rows).reduce((a, s) => a + s.gzip, 0);
console.log(`total gzip: ${kb(total)}`);
mkdirSync('target', { recursive: true });
writeFileSync('target/pkg-toolchain.txt', `${toolchain}\n`);
console.log(toolchain === 'nightly'
  ? 'built with: nightly (build-std, immediate-abort panics; WASM_TOOLCHAIN=stable for the stable build)'
  : 'built with: stable');

// The function names in a wasm module's "name" custom section (subsection 1),
// or undefined when it has none.
function functionNames(bytes) {
  let at = 8;
  const leb = () => {
    let n = 0; let shift = 0; let b;
    do { b = bytes[at++]; n += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
    return n;
  };
  const str = () => { const len = leb(); const s = bytes.subarray(at, at + len).toString('utf8'); at += len; return s; };
  while (at < bytes.length) {
    const id = bytes[at++];
    const size = leb();
    const end = at + size;
    if (id === 0 && str() === 'name') {
      while (at < end) {
        const sub = bytes[at++];
        const subEnd = leb() + at;
        if (sub === 1) {
          const names = [];
          for (let count = leb(); count > 0; count--) { leb(); names.push(str()); }
          return names;
        }
        at = subEnd;
      }
      return undefined;
    }
    at = end;
  }
  return undefined;
}
