#!/usr/bin/env node
// Runs an ONNX model with ONNX Runtime (onnxruntime-node, CPU, one thread) on .npy inputs and writes every output
// as <output-dir>/<name>.npy (characters outside [A-Za-z0-9._-] -> '_'), plus <output-dir>/ort.json with the
// ORT version, the shapes/dtypes and the run time. The reference side of the zoo parity tests.
//
//   node tests/zoo/ort_run.js MODEL --output-dir DIR [--input NAME=FILE.npy]... [--threads N] [--opt LEVEL]
//                             [--cache DIR]
//
// onnxruntime-node is loaded by absolute path from $QINFER_ORT_NODE, else <cache>/npm/node_modules/... with <cache>
// from --cache DIR (the build's test cache, passed by every runner), else $QINFER_CACHE, else <repo>/.cache.
'use strict';
const fs = require('fs');
const path = require('path');
const { makeDie, loadOrt, sessionOptions, readNpy, writeOutputs } = require(
  path.join(__dirname, '..', 'common', 'ort_common.js'),
);

const die = makeDie('ort_run');

// ---------------------------------------------------------------- main
async function main() {
  const argv = process.argv.slice(2);
  let model = null;
  let outDir = null;
  let threads = 1;
  let opt = 'all';
  let cache = null;
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
    else if (a === '--cache') cache = next();
    else if (a === '-h' || a === '--help') {
      process.stdout.write(fs.readFileSync(__filename, 'utf8').split('\n').slice(1, 11).join('\n') + '\n');
      return;
    } else if (a.startsWith('-')) die(`unknown option ${a}`);
    else if (model === null) model = a;
    else die(`unexpected argument ${a}`);
  }
  if (!model || !outDir) die('usage: ort_run.js MODEL --output-dir DIR [--input NAME=FILE.npy]... [--threads N] [--cache DIR]');

  const { ort, version } = loadOrt(die, cache);

  const session = await ort.InferenceSession.create(model, sessionOptions(threads, opt));
  const feeds = {};
  const given = new Set();
  for (const [name, file] of inputs) {
    if (!session.inputNames.includes(name)) die(`model has no input ${name} (inputs: ${session.inputNames.join(', ')})`);
    const a = readNpy(file, die);
    feeds[name] = new ort.Tensor(a.type, a.type === 'bool' ? Uint8Array.from(a.data) : a.data, a.shape);
    given.add(name);
  }
  for (const n of session.inputNames) if (!given.has(n)) die(`no value for input ${n}`);

  const t0 = process.hrtime.bigint();
  const results = await session.run(feeds);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;

  const meta = { ort_version: version, model: path.resolve(model), threads, opt, run_ms: ms, outputs: {} };
  for (const o of writeOutputs(session, results, outDir, die))
    meta.outputs[o.name] = { file: o.file, type: o.type, shape: o.shape };
  fs.writeFileSync(path.join(outDir, 'ort.json'), JSON.stringify(meta, null, 1) + '\n');
  if (typeof session.release === 'function') await session.release();
}

main().catch((e) => die(e && e.stack ? e.stack : String(e)));
