#!/usr/bin/env node
// Runs an ONNX model with ONNX Runtime (onnxruntime-node, CPU, one thread) on .npy inputs and writes every output
// as <output-dir>/<name>.npy (characters outside [A-Za-z0-9._-] -> '_'), plus <output-dir>/ort.json with the
// ORT version, the shapes/dtypes and the run time. The reference side of the zoo parity tests.
//
//   node tests/zoo/ort_run.js MODEL --output-dir DIR [--input NAME=FILE.npy]... [--threads N] [--opt LEVEL]
//
// onnxruntime-node is loaded by absolute path from $QINFER_ORT_NODE, else $QINFER_CACHE/npm/node_modules/...,
// else <repo>/.cache/npm/node_modules/onnxruntime-node (tools/install-deps.sh installs it there).
'use strict';
const fs = require('fs');
const path = require('path');

function die(msg) {
  process.stderr.write(`ort_run: ${msg}\n`);
  process.exit(1);
}

function ortDir() {
  if (process.env.QINFER_ORT_NODE) return path.resolve(process.env.QINFER_ORT_NODE);
  const cache = process.env.QINFER_CACHE
    ? path.resolve(process.env.QINFER_CACHE)
    : path.resolve(__dirname, '..', '..', '.cache');
  return path.join(cache, 'npm', 'node_modules', 'onnxruntime-node');
}

// ---------------------------------------------------------------- .npy (format versions 1.0 - 3.0)
// dtype descr <-> [onnxruntime type, TypedArray]
const NPY_TYPES = {
  '<f4': ['float32', Float32Array],
  '<f8': ['float64', Float64Array],
  '<i8': ['int64', BigInt64Array],
  '<u8': ['uint64', BigUint64Array],
  '<i4': ['int32', Int32Array],
  '<u4': ['uint32', Uint32Array],
  '<i2': ['int16', Int16Array],
  '<u2': ['uint16', Uint16Array],
  '|i1': ['int8', Int8Array],
  '|u1': ['uint8', Uint8Array],
  '|b1': ['bool', Uint8Array],
  '<f2': ['float16', Uint16Array],
};
const ORT_TO_DESCR = {};
for (const [d, [t]] of Object.entries(NPY_TYPES)) ORT_TO_DESCR[t] = d;

function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== '\x93NUMPY') die(`${file}: not a .npy file`);
  const major = buf[6];
  let hlen, hstart;
  if (major === 1) {
    hlen = buf.readUInt16LE(8);
    hstart = 10;
  } else {
    hlen = buf.readUInt32LE(8);
    hstart = 12;
  }
  const header = buf.toString(major >= 3 ? 'utf8' : 'latin1', hstart, hstart + hlen);
  const descr = /'descr':\s*'([^']+)'/.exec(header);
  const fortran = /'fortran_order':\s*(True|False)/.exec(header);
  const shapeM = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shapeM) die(`${file}: bad header ${header}`);
  if (fortran[1] === 'True') die(`${file}: fortran_order arrays are not supported`);
  let d = descr[1];
  if (d === '<b1' || d === '|?' || d === '?') d = '|b1';
  if (d === '<i1') d = '|i1';
  if (d === '<u1') d = '|u1';
  if (!NPY_TYPES[d]) die(`${file}: unsupported dtype ${d}`);
  const shape = shapeM[1].split(',').map((s) => s.trim()).filter((s) => s.length).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const [type, Arr] = NPY_TYPES[d];
  const off = hstart + hlen;
  const nbytes = count * Arr.BYTES_PER_ELEMENT;
  if (buf.length - off < nbytes) die(`${file}: truncated`);
  // copy into an aligned buffer
  const ab = new ArrayBuffer(nbytes);
  new Uint8Array(ab).set(buf.subarray(off, off + nbytes));
  let data = new Arr(ab);
  if (type === 'bool') data = new Uint8Array(ab);
  return { type, shape, data };
}

function writeNpy(file, type, shape, data) {
  const descr = ORT_TO_DESCR[type];
  if (!descr) die(`cannot write output of type ${type} to ${file}`);
  const shp = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shp}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  let bytes;
  if (type === 'bool') bytes = Buffer.from(Uint8Array.from(data, (v) => (v ? 1 : 0)));
  else bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(header, 'latin1'), bytes]));
}

function sanitize(name) {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}

// ---------------------------------------------------------------- main
async function main() {
  const argv = process.argv.slice(2);
  let model = null;
  let outDir = null;
  let threads = 1;
  let opt = 'all';
  const inputs = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) die(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--input') {
      const v = next();
      const eq = v.lastIndexOf('=');
      if (eq <= 0) die(`--input wants NAME=FILE, got ${v}`);
      inputs.push([v.slice(0, eq), v.slice(eq + 1)]);
    } else if (a === '--output-dir') outDir = next();
    else if (a === '--threads') threads = Number(next());
    else if (a === '--opt') opt = next();
    else if (a === '-h' || a === '--help') {
      process.stdout.write(fs.readFileSync(__filename, 'utf8').split('\n').slice(1, 9).join('\n') + '\n');
      return;
    } else if (a.startsWith('-')) die(`unknown option ${a}`);
    else if (model === null) model = a;
    else die(`unexpected argument ${a}`);
  }
  if (!model || !outDir) die('usage: ort_run.js MODEL --output-dir DIR [--input NAME=FILE.npy]... [--threads N]');

  const dir = ortDir();
  let ort;
  try {
    ort = require(dir);
  } catch (e) {
    die(`cannot load onnxruntime-node from ${dir} (run tools/install-deps.sh): ${e.message}`);
  }
  const version = require(path.join(dir, 'package.json')).version;

  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: opt,
    executionProviders: ['cpu'],
  });
  const feeds = {};
  const given = new Set();
  for (const [name, file] of inputs) {
    if (!session.inputNames.includes(name)) die(`model has no input ${name} (inputs: ${session.inputNames.join(', ')})`);
    const a = readNpy(file);
    feeds[name] = new ort.Tensor(a.type, a.type === 'bool' ? Uint8Array.from(a.data) : a.data, a.shape);
    given.add(name);
  }
  for (const n of session.inputNames) if (!given.has(n)) die(`no value for input ${n}`);

  const t0 = process.hrtime.bigint();
  const results = await session.run(feeds);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;

  fs.mkdirSync(outDir, { recursive: true });
  const meta = { ort_version: version, model: path.resolve(model), threads, opt, run_ms: ms, outputs: {} };
  for (const name of session.outputNames) {
    const t = results[name];
    const file = sanitize(name) + '.npy';
    writeNpy(path.join(outDir, file), t.type, t.dims, t.data);
    meta.outputs[name] = { file, type: t.type, shape: Array.from(t.dims) };
  }
  fs.writeFileSync(path.join(outDir, 'ort.json'), JSON.stringify(meta, null, 1) + '\n');
  if (typeof session.release === 'function') await session.release();
}

main().catch((e) => die(e && e.stack ? e.stack : String(e)));
