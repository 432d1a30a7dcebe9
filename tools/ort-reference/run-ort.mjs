// Runs an ONNX model with ONNX Runtime (CPU) on .npy inputs and writes each
// output as OUTPUT_DIR/<name>.npy: the reference tern-run is compared with.
//
//   node run-ort.mjs model.onnx OUTPUT_DIR name=input.npy ... [--threads N]
//                    [--benchmark N]
//   node run-ort.mjs model.onnx OUTPUT_DIR --sets DIR [--threads N]
//
// With --sets, every subfolder S of DIR is one set of inputs (S/name.npy,
// the layout of tern's calibration sets), run in one session; its outputs
// go to OUTPUT_DIR/S/. Inputs of different shapes (lines of different
// widths, say) need no new session each.

import fs from "node:fs";
import path from "node:path";
import ort from "onnxruntime-node";
import { readNpy, writeNpy } from "./npy.mjs";

const args = process.argv.slice(2);
let threads = 1;
let benchmark = 0;
let sets = null;
const positional = [];
for (let i = 0; i < args.length; ++i) {
  if (args[i] === "--threads") threads = Number(args[++i]);
  else if (args[i] === "--benchmark") benchmark = Number(args[++i]);
  else if (args[i] === "--sets") sets = args[++i];
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
function writeOutputs(outputs, dir) {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, tensor] of Object.entries(outputs)) {
    const file = path.join(dir, `${name.replaceAll("/", "_")}.npy`);
    writeNpy(file, tensor);
    console.log(`wrote ${file} ${tensor.type} (${tensor.dims.join(", ")})`);
  }
}
if (sets !== null) {
  if (!fs.existsSync(sets) || !fs.statSync(sets).isDirectory()) {
    console.error(`run-ort: --sets ${sets}: not a folder`);
    process.exit(1);
  }
  const names = fs.readdirSync(sets, { withFileTypes: true })
    .filter((e) => e.isDirectory()).map((e) => e.name).sort();
  if (names.length === 0) {
    console.error(`run-ort: ${sets} has no input sets (subfolders)`);
    process.exit(1);
  }
  for (const set of names) {
    const setFeeds = {};
    for (const file of fs.readdirSync(path.join(sets, set)).sort())
      if (file.endsWith(".npy"))
        setFeeds[file.slice(0, -4)] = readNpy(path.join(sets, set, file));
    writeOutputs(await session.run(setFeeds), path.join(outputDir, set));
  }
  process.exit(0);
}
writeOutputs(await session.run(feeds), outputDir);
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
