#!/usr/bin/env node
// ONNX Runtime's embeddings for `qinfer eval-verify`'s test: runs MODEL (one float input, output 0 the embedding)
// once per .npy input file, in the order given, and writes OUT.npy as float32 [files, dim] plus OUT.json with
// ONNX Runtime's version.
//
//   node tests/verify/ort_embed.js MODEL OUT.npy FILE.npy... [--cache DIR]
'use strict';
const fs = require('fs');
const path = require('path');
const { makeDie, loadOrt, sessionOptions, readNpy, writeNpy } = require(
  path.join(__dirname, '..', 'common', 'ort_common.js'),
);

const die = makeDie('ort_embed');

async function main() {
  const args = process.argv.slice(2);
  let cache = null;
  const pos = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--cache') cache = args[++i];
    else pos.push(args[i]);
  }
  if (pos.length < 3) die('usage: ort_embed.js MODEL OUT.npy FILE.npy... [--cache DIR]');
  const [model, out, ...files] = pos;
  const { ort, version } = loadOrt(die, cache);
  const session = await ort.InferenceSession.create(model, sessionOptions(1, 'all'));
  const input = session.inputNames[0];
  const output = session.outputNames[0];
  let all = null;
  let dim = 0;
  for (let k = 0; k < files.length; k++) {
    const t = readNpy(files[k], die);
    if (t.type !== 'float32') die(`${files[k]}: float32 needed`);
    const res = await session.run({ [input]: new ort.Tensor('float32', t.data, t.shape) });
    const e = res[output].data;
    if (!all) {
      dim = e.length;
      all = new Float32Array(dim * files.length);
    }
    if (e.length !== dim) die(`${files[k]}: ${e.length} values, the first file gave ${dim}`);
    all.set(e, k * dim);
  }
  writeNpy(out, 'float32', [files.length, dim], all, die);
  fs.writeFileSync(out.replace(/\.npy$/, '') + '.json', JSON.stringify({ onnxruntime: version, input, output }));
}

main().catch((e) => die(e.stack || String(e)));
