// Shared by the scripts that run ONNX Runtime through onnxruntime-node (tests/zoo/ort_run.js,
// tests/ops_ort/ort_batch.js, bench/ort_bench.js): finding and loading onnxruntime-node, the .npy reader/writer,
// output file naming and the fatal-error exit.
//
// onnxruntime-node is loaded by absolute path from $QINFER_ORT_NODE, else <cache>/npm/node_modules/onnxruntime-node
// where <cache> is the script's --cache DIR (what the build passes: CMake's QINFER_TEST_CACHE, through every
// Python runner), else $QINFER_CACHE, else <repo>/.cache (tools/install-deps.sh installs it there).
'use strict';
const fs = require('fs');
const path = require('path');

// A die(msg) for one script: "PROG: msg" on stderr, exit status 1.
function makeDie(prog) {
  return (msg) => {
    process.stderr.write(`${prog}: ${msg}\n`);
    process.exit(1);
  };
}

// cache: the --cache DIR a script was given (null: none).
function ortDir(cache = null) {
  if (process.env.QINFER_ORT_NODE) return path.resolve(process.env.QINFER_ORT_NODE);
  let dir = path.resolve(__dirname, '..', '..', '.cache');
  if (cache) dir = path.resolve(cache);
  else if (process.env.QINFER_CACHE) dir = path.resolve(process.env.QINFER_CACHE);
  return path.join(dir, 'npm', 'node_modules', 'onnxruntime-node');
}

// Loads onnxruntime-node from ortDir(cache): { ort, version, dir }; die(msg) when it cannot.
function loadOrt(die, cache = null) {
  const dir = ortDir(cache);
  let ort;
  try {
    ort = require(dir);
  } catch (e) {
    die(`cannot load onnxruntime-node from ${dir} (run tools/install-deps.sh): ${e.message}`);
  }
  const version = require(path.join(dir, 'package.json')).version;
  return { ort, version, dir };
}

// InferenceSession options: CPU execution provider, `threads` intra-op threads, sequential, optimization `opt`.
function sessionOptions(threads, opt) {
  return {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: opt,
    executionProviders: ['cpu'],
  };
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
// onnxruntime type -> TypedArray holding its values
const ORT_TYPED = {};
for (const [d, [t, Arr]] of Object.entries(NPY_TYPES)) {
  ORT_TO_DESCR[t] = d;
  ORT_TYPED[t] = Arr;
}

function throwError(msg) {
  throw new Error(msg);
}

// A .npy file -> { type (onnxruntime's name), shape, data (an aligned TypedArray copy) }. A file it cannot read
// calls fail(msg) (default: throws an Error).
function readNpy(file, fail = throwError) {
  const buf = fs.readFileSync(file);
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== '\x93NUMPY') fail(`${file}: not a .npy file`);
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const hstart = major === 1 ? 10 : 12;
  const header = buf.toString(major >= 3 ? 'utf8' : 'latin1', hstart, hstart + hlen);
  const descr = /'descr':\s*'([^']+)'/.exec(header);
  const fortran = /'fortran_order':\s*(True|False)/.exec(header);
  const shapeM = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shapeM) fail(`${file}: bad header ${header}`);
  if (fortran[1] === 'True') fail(`${file}: fortran_order arrays are not supported`);
  let d = descr[1];
  if (d === '<b1' || d === '|?' || d === '?') d = '|b1';
  if (d === '<i1') d = '|i1';
  if (d === '<u1') d = '|u1';
  if (!NPY_TYPES[d]) fail(`${file}: unsupported dtype ${d}`);
  const shape = shapeM[1].split(',').map((s) => s.trim()).filter((s) => s.length).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const [type, Arr] = NPY_TYPES[d];
  const off = hstart + hlen;
  const nbytes = count * Arr.BYTES_PER_ELEMENT;
  if (buf.length - off < nbytes) fail(`${file}: truncated`);
  const ab = new ArrayBuffer(nbytes);
  new Uint8Array(ab).set(buf.subarray(off, off + nbytes));
  return { type, shape, data: new Arr(ab) };
}

// Writes a .npy file (format 1.0, C order) of an onnxruntime tensor's type, dims and data; a type .npy cannot
// hold calls fail(msg) (default: throws an Error).
function writeNpy(file, type, shape, data, fail = throwError) {
  const descr = ORT_TO_DESCR[type];
  if (!descr) fail(`cannot write output of type ${type} to ${file}`);
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

// An output's file stem: characters outside [A-Za-z0-9._-] -> '_'.
function sanitize(name) {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}

// Writes every output of a run as <dir>/<sanitized name>.npy; returns [{ name, file, type, shape }] in the
// session's output order. fail as for writeNpy.
function writeOutputs(session, results, dir, fail = throwError) {
  fs.mkdirSync(dir, { recursive: true });
  const outputs = [];
  for (const name of session.outputNames) {
    const t = results[name];
    const file = sanitize(name) + '.npy';
    writeNpy(path.join(dir, file), t.type, t.dims, t.data, fail);
    outputs.push({ name, file, type: t.type, shape: Array.from(t.dims) });
  }
  return outputs;
}

module.exports = {
  makeDie, ortDir, loadOrt, sessionOptions, NPY_TYPES, ORT_TYPED, readNpy, writeNpy, sanitize, writeOutputs,
};
