// Runs an ONNX model with ONNX Runtime (CPU) on .npy inputs and writes each
// output as OUTPUT_DIR/<name>.npy: the reference tern-run is compared with.
//
//   node run-ort.mjs model.onnx OUTPUT_DIR name=input.npy ... [--threads N]
//                    [--benchmark N]

import fs from "node:fs";
import path from "node:path";
import ort from "onnxruntime-node";
import { readNpy, writeNpy } from "./npy.mjs";

const args = process.argv.slice(2);
let threads = 1;
let benchmark = 0;
const positional = [];
for (let i = 0; i < args.length; ++i) {
  if (args[i] === "--threads") threads = Number(args[++i]);
  else if (args[i] === "--benchmark") benchmark = Number(args[++i]);
  else positional.push(args[i]);
}
const [model, outputDir, ...inputSpecs] = positional;
if (!model || !outputDir) {
  console.error("usage: node run-ort.mjs model.onnx OUTPUT_DIR name=x.npy ... [--threads N] [--benchmark N]");
  process.exit(2);
}
const feeds = {};
for (const spec of inputSpecs) {
  const at = spec.indexOf("=");
  feeds[spec.slice(0, at)] = readNpy(spec.slice(at + 1));
}
const session = await ort.InferenceSession.create(model, {
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  executionProviders: ["cpu"],
});
const outputs = await session.run(feeds);
fs.mkdirSync(outputDir, { recursive: true });
for (const [name, tensor] of Object.entries(outputs)) {
  const file = path.join(outputDir, `${name.replaceAll("/", "_")}.npy`);
  writeNpy(file, tensor);
  console.log(`wrote ${file} ${tensor.type} (${tensor.dims.join(", ")})`);
}
if (benchmark > 0) {
  const ms = [];
  for (let i = 0; i < benchmark; ++i) {
    const start = process.hrtime.bigint();
    await session.run(feeds);
    ms.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  ms.sort((a, b) => a - b);
  const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
  console.log(`latency over ${benchmark} runs: min ${ms[0].toFixed(3)} ms, median ${ms[Math.floor(ms.length / 2)].toFixed(3)} ms, mean ${mean.toFixed(3)} ms, max ${ms[ms.length - 1].toFixed(3)} ms`);
}
