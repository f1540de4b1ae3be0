#!/usr/bin/env node
// Runs many small ONNX models with ONNX Runtime (onnxruntime-node, CPU EP, one thread) in one process, the
// reference side of tests/ops_ort/run_ops_ort.py. Mirrors tests/zoo/ort_run.js (same .npy reader/writer, same
// output file naming, same way of finding onnxruntime-node), batched because a node start-up costs ~0.3 s.
//
//   node tests/ops_ort/ort_batch.js JOBS.json RESULTS.json [--opt LEVEL]
//
// JOBS.json: [{"name": ..., "model": FILE, "inputs": {NAME: FILE.npy}, "outdir": DIR}, ...]. Each job's outputs
// are written as DIR/<name>.npy (characters outside [A-Za-z0-9._-] -> '_'). RESULTS.json gets, per job name,
// {"ok": true, "outputs": [{"name", "file", "type", "shape"}]} or {"ok": false, "stage": "create"|"run",
// "error": MESSAGE}: a model ORT refuses is a result, not a crash of the batch.
// onnxruntime-node is loaded by absolute path from $QINFER_ORT_NODE, else $QINFER_CACHE/npm/node_modules/...,
// else <repo>/.cache/npm/node_modules/onnxruntime-node (tools/install-deps.sh installs it there).
'use strict';
const fs = require('fs');
const path = require('path');

function die(msg) {
  process.stderr.write(`ort_batch: ${msg}\n`);
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
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const hstart = major === 1 ? 10 : 12;
  const header = buf.toString(major >= 3 ? 'utf8' : 'latin1', hstart, hstart + hlen);
  const descr = /'descr':\s*'([^']+)'/.exec(header);
  const fortran = /'fortran_order':\s*(True|False)/.exec(header);
  const shapeM = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shapeM) throw new Error(`${file}: bad header ${header}`);
  if (fortran[1] === 'True') throw new Error(`${file}: fortran_order arrays are not supported`);
  let d = descr[1];
  if (d === '<b1' || d === '|?' || d === '?') d = '|b1';
  if (d === '<i1') d = '|i1';
  if (d === '<u1') d = '|u1';
  if (!NPY_TYPES[d]) throw new Error(`${file}: unsupported dtype ${d}`);
  const shape = shapeM[1].split(',').map((s) => s.trim()).filter((s) => s.length).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const [type, Arr] = NPY_TYPES[d];
  const off = hstart + hlen;
  const nbytes = count * Arr.BYTES_PER_ELEMENT;
  if (buf.length - off < nbytes) throw new Error(`${file}: truncated`);
  const ab = new ArrayBuffer(nbytes);
  new Uint8Array(ab).set(buf.subarray(off, off + nbytes));
  return { type, shape, data: new Arr(ab) };
}

function writeNpy(file, type, shape, data) {
  const descr = ORT_TO_DESCR[type];
  if (!descr) throw new Error(`cannot write output of type ${type} to ${file}`);
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

function message(e) {
  return String(e && e.message ? e.message : e).split('\n')[0];
}

// ---------------------------------------------------------------- main
async function main() {
  const argv = process.argv.slice(2);
  let opt = 'disabled';
  const pos = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--opt' && i + 1 < argv.length) opt = argv[++i];
    else if (argv[i].startsWith('-')) die(`unknown option ${argv[i]}`);
    else pos.push(argv[i]);
  }
  if (pos.length !== 2) die('usage: ort_batch.js JOBS.json RESULTS.json [--opt LEVEL]');
  const jobs = JSON.parse(fs.readFileSync(pos[0], 'utf8'));

  const dir = ortDir();
  let ort;
  try {
    ort = require(dir);
  } catch (e) {
    die(`cannot load onnxruntime-node from ${dir} (run tools/install-deps.sh): ${e.message}`);
  }
  const version = require(path.join(dir, 'package.json')).version;
  const results = { ort_version: version, opt, cases: {} };

  for (const job of jobs) {
    let session;
    try {
      session = await ort.InferenceSession.create(job.model, {
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: opt,
        executionProviders: ['cpu'],
        logSeverityLevel: 3,
      });
    } catch (e) {
      results.cases[job.name] = { ok: false, stage: 'create', error: message(e) };
      continue;
    }
    try {
      const feeds = {};
      for (const [name, file] of Object.entries(job.inputs)) {
        const a = readNpy(file);
        feeds[name] = new ort.Tensor(a.type, a.data, a.shape);
      }
      const out = await session.run(feeds);
      fs.mkdirSync(job.outdir, { recursive: true });
      const outputs = [];
      for (const name of session.outputNames) {
        const t = out[name];
        const file = sanitize(name) + '.npy';
        writeNpy(path.join(job.outdir, file), t.type, t.dims, t.data);
        outputs.push({ name, file, type: t.type, shape: Array.from(t.dims) });
      }
      results.cases[job.name] = { ok: true, outputs };
    } catch (e) {
      results.cases[job.name] = { ok: false, stage: 'run', error: message(e) };
    }
    if (typeof session.release === 'function') await session.release();
  }
  fs.writeFileSync(pos[1], JSON.stringify(results, null, 1) + '\n');
}

main().catch((e) => die(e && e.stack ? e.stack : String(e)));
