#!/usr/bin/env node
// Runs many small ONNX models with ONNX Runtime (onnxruntime-node, CPU EP, one thread) in one process, the
// reference side of tests/ops_ort/run_ops_ort.py. Shares tests/common/ort_common.js with tests/zoo/ort_run.js (.npy
// reader/writer, output file naming, finding onnxruntime-node), batched because a node start-up costs ~0.3 s.
//
//   node tests/ops_ort/ort_batch.js JOBS.json RESULTS.json [--opt LEVEL] [--cache DIR]
//
// JOBS.json: [{"name": ..., "model": FILE, "inputs": {NAME: FILE.npy}, "outdir": DIR}, ...]. Each job's outputs
// are written as DIR/<name>.npy (characters outside [A-Za-z0-9._-] -> '_'). RESULTS.json gets, per job name,
// {"ok": true, "outputs": [{"name", "file", "type", "shape"}]} or {"ok": false, "stage": "create"|"run",
// "error": MESSAGE}: a model ORT refuses is a result, not a crash of the batch.
// onnxruntime-node is loaded by absolute path from $QINFER_ORT_NODE, else <cache>/npm/node_modules/... with <cache>
// from --cache DIR (the build's test cache, passed by every runner), else $QINFER_CACHE, else <repo>/.cache.
'use strict';
const fs = require('fs');
const path = require('path');
const { makeDie, loadOrt, sessionOptions, readNpy, writeOutputs } = require(
  path.join(__dirname, '..', 'common', 'ort_common.js'),
);

const die = makeDie('ort_batch');

function message(e) {
  return String(e && e.message ? e.message : e).split('\n')[0];
}

// ---------------------------------------------------------------- main
async function main() {
  const argv = process.argv.slice(2);
  let opt = 'disabled';
  let cache = null;
  const pos = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--opt' && i + 1 < argv.length) opt = argv[++i];
    else if (argv[i] === '--cache' && i + 1 < argv.length) cache = argv[++i];
    else if (argv[i].startsWith('-')) die(`unknown option ${argv[i]}`);
    else pos.push(argv[i]);
  }
  if (pos.length !== 2) die('usage: ort_batch.js JOBS.json RESULTS.json [--opt LEVEL] [--cache DIR]');
  const jobs = JSON.parse(fs.readFileSync(pos[0], 'utf8'));

  const { ort, version } = loadOrt(die, cache);
  const results = { ort_version: version, opt, cases: {} };

  for (const job of jobs) {
    let session;
    try {
      session = await ort.InferenceSession.create(job.model, { ...sessionOptions(1, opt), logSeverityLevel: 3 });
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
      const outputs = writeOutputs(session, out, job.outdir);
      results.cases[job.name] = { ok: true, outputs };
    } catch (e) {
      results.cases[job.name] = { ok: false, stage: 'run', error: message(e) };
    }
    if (typeof session.release === 'function') await session.release();
  }
  fs.writeFileSync(pos[1], JSON.stringify(results, null, 1) + '\n');
}

main().catch((e) => die(e && e.stack ? e.stack : String(e)));
