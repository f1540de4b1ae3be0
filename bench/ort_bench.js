#!/usr/bin/env node
// Times ONNX Runtime (onnxruntime-node, CPU execution provider) on one model, the way `qinfer bench` times qinfer:
// one session (its creation timed on its own), inputs from .npy files or random, warm-up runs, then timed runs;
// prints one JSON object.
//
//   node bench/ort_bench.js MODEL [--threads N] [--input NAME=FILE.npy]... [--shape NAME=1x3x224x224]...
//                           [--dim SYM=VALUE]... [--warmup N] [--runs N] [--opt LEVEL] [--cache DIR]
//
// Session: intraOpNumThreads N (default 1), interOpNumThreads 1, sequential execution, graph optimizations 'all'
// (--opt: disabled, basic, extended, all). Inputs: --input reads a .npy file (little-endian, C order, float32 /
// float64 / int8 / uint8 / int32 / int64); else --shape fixes the input's shape; else its declared shape with
// symbolic dims from --dim, else 1. Random float inputs are uniform in [-1, 1) (fixed seed), others 0.
// Each run is timed with process.hrtime around `await session.run(feeds)` (so it includes the binding's output
// allocation, as any caller of ORT pays it).
// onnxruntime-node is loaded by absolute path from $QINFER_ORT_NODE, else <cache>/npm/node_modules/... with <cache>
// from --cache DIR (the build's test cache, passed by every runner), else $QINFER_CACHE, else <repo>/.cache.
'use strict';
const fs = require('fs');
const path = require('path');
const { makeDie, loadOrt, sessionOptions, ORT_TYPED, readNpy } = require(
  path.join(__dirname, '..', 'tests', 'common', 'ort_common.js'),
);

const die = makeDie('ort_bench');

function parseCount(flag, text, min) {
  const v = Number(text);
  if (!Number.isInteger(v) || v < min) die(`${flag} needs an integer >= ${min}, got '${text}'`);
  return v;
}

function parseArgs(argv) {
  const a = { model: null, threads: 1, warmup: 3, runs: 20, opt: 'all', cache: null, shapes: {}, dims: {}, files: {} };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value = null;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    if (eq > 0) [arg, value] = [arg.slice(0, eq), arg.slice(eq + 1)];
    const next = () => {
      if (value !== null) return value;
      if (i + 1 >= argv.length) die(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === '--threads') a.threads = parseCount(arg, next(), 1);
    else if (arg === '--warmup') a.warmup = parseCount(arg, next(), 0);
    else if (arg === '--runs') a.runs = parseCount(arg, next(), 1);
    else if (arg === '--opt') a.opt = next();
    else if (arg === '--cache') a.cache = next();
    else if (arg === '--input') {
      const v = next();
      const k = v.lastIndexOf('=');
      if (k <= 0) die(`--input wants NAME=FILE.npy, got '${v}'`);
      a.files[v.slice(0, k)] = v.slice(k + 1);
    } else if (arg === '--shape' || arg === '--dim') {
      const v = next();
      const k = v.lastIndexOf('=');
      if (k <= 0) die(`${arg} wants NAME=VALUE, got '${v}'`);
      if (arg === '--shape') {
        const dims = v.slice(k + 1).split('x').map(Number);
        if (dims.some((d) => !Number.isInteger(d) || d < 0)) die(`bad shape in --shape ${v} (e.g. 1x3x224x224)`);
        a.shapes[v.slice(0, k)] = dims;
      } else a.dims[v.slice(0, k)] = parseCount(arg, v.slice(k + 1), 0);
    } else if (arg === '-h' || arg === '--help') {
      process.stdout.write(fs.readFileSync(__filename, 'utf8').split('\n').slice(1, 17).join('\n') + '\n');
      process.exit(0);
    } else if (arg.startsWith('-')) die(`unknown option ${arg}`);
    else if (a.model === null) a.model = arg;
    else die(`unexpected argument ${arg}`);
  }
  if (!a.model) die('usage: ort_bench.js MODEL [--threads N] [--shape NAME=AxBxC]... [--warmup N] [--runs N]');
  return a;
}

// xorshift32, fixed seed: the same inputs every time.
function fillRandom(arr) {
  let s = 0x9e3779b9;
  for (let i = 0; i < arr.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    arr[i] = ((s >>> 0) / 4294967296) * 2 - 1;
  }
  return arr;
}

function makeFeeds(ort, session, a) {
  const feeds = {};
  const shapes = {};
  for (const name of Object.keys(a.files))
    if (!session.inputNames.includes(name)) die(`model has no input ${name} (its inputs: ${session.inputNames})`);
  for (let i = 0; i < session.inputNames.length; i++) {
    const name = session.inputNames[i];
    if (a.files[name]) {
      const { type, shape, data } = readNpy(a.files[name], die);
      feeds[name] = new ort.Tensor(type, data, shape);
      shapes[name] = shape;
      continue;
    }
    const meta = (session.inputMetadata || [])[i] || {};
    let shape = a.shapes[name];
    if (!shape) {
      if (!meta.isTensor || !Array.isArray(meta.shape)) die(`input ${name}: give its shape with --shape ${name}=...`);
      shape = meta.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : (a.dims[d] !== undefined ? a.dims[d] : 1)));
    }
    const type = meta.type || 'float32';
    const Arr = ORT_TYPED[type];
    if (!Arr) die(`input ${name}: cannot make values of type ${type}`);
    const n = shape.reduce((x, y) => x * y, 1);
    const data = new Arr(n);
    if (type === 'float32' || type === 'float64') fillRandom(data);
    feeds[name] = new ort.Tensor(type, data, shape);
    shapes[name] = shape;
  }
  return [feeds, shapes];
}

function stats(times) {
  const t = times.slice().sort((x, y) => x - y);
  const n = t.length;
  const median = n % 2 ? t[(n - 1) / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
  const p90 = t[Math.max(1, Math.ceil(0.9 * n)) - 1];
  return { median_ms: median, min_ms: t[0], mean_ms: t.reduce((x, y) => x + y, 0) / n, p90_ms: p90, max_ms: t[n - 1] };
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const { ort, version } = loadOrt(die, a.cache);

  let t0 = nowMs();
  const session = await ort.InferenceSession.create(a.model, sessionOptions(a.threads, a.opt));
  const createMs = nowMs() - t0;
  const [feeds, shapes] = makeFeeds(ort, session, a);
  for (let w = 0; w < a.warmup; w++) await session.run(feeds);
  const times = [];
  for (let r = 0; r < a.runs; r++) {
    t0 = nowMs();
    await session.run(feeds);
    times.push(nowMs() - t0);
  }
  const out = {
    model: a.model, ort_version: version, threads: a.threads, opt: a.opt, inputs: shapes,
    session_create_ms: createMs, warmup: a.warmup, runs: a.runs, ...stats(times),
    rss_kb: Math.round(process.memoryUsage().rss / 1024),
  };
  process.stdout.write(JSON.stringify(out) + '\n');
  if (typeof session.release === 'function') await session.release();
}

main().catch((e) => die(e && e.stack ? e.stack : String(e)));
