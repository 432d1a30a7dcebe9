// Runs an ONNX model with ONNX Runtime (CPU) on .npy inputs and writes each
// output as OUTPUT_DIR/<name>.npy: the reference tern-run is compared with.
//
//   node run-ort.mjs model.onnx OUTPUT_DIR name=input.npy ... [--threads N]
//                    [--benchmark N]

import fs from "node:fs";
import path from "node:path";
import ort from "onnxruntime-node";

const DTYPES = {
  "<f4": ["float32", Float32Array, 4],
  "<f8": ["float64", Float64Array, 8],
  "<i8": ["int64", BigInt64Array, 8],
  "<i4": ["int32", Int32Array, 4],
  "|b1": ["bool", Uint8Array, 1],
};

function readNpy(file) {
  const bytes = fs.readFileSync(file);
  if (bytes.toString("latin1", 1, 6) !== "NUMPY") throw new Error(`${file}: not a .npy file`);
  const major = bytes[6];
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = bytes.toString("latin1", start, start + headerLength);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1]
    .split(",").map((s) => s.trim()).filter((s) => s).map(Number);
  const [type, Ctor, size] = DTYPES[descr] ?? [];
  if (!type) throw new Error(`${file}: unsupported dtype ${descr}`);
  const data = bytes.subarray(start + headerLength);
  const copy = new Uint8Array(data.length);
  copy.set(data);
  return new ort.Tensor(type, new Ctor(copy.buffer, 0, data.length / size), shape);
}

function writeNpy(file, tensor) {
  const entry = Object.entries(DTYPES).find(([, v]) => v[0] === tensor.type);
  if (!entry) throw new Error(`cannot write ${tensor.type} output`);
  const dims = tensor.dims.length === 1 ? `${tensor.dims[0]},` : tensor.dims.join(", ");
  let header = `{'descr': '${entry[0]}', 'fortran_order': False, 'shape': (${dims}), }`;
  header += " ".repeat((64 - ((10 + header.length + 1) % 64)) % 64) + "\n";
  const prefix = Buffer.alloc(10);
  prefix.write("\x93NUMPY", 0, "latin1");
  prefix[6] = 1;
  prefix[7] = 0;
  prefix.writeUInt16LE(header.length, 8);
  const data = Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
  fs.writeFileSync(file, Buffer.concat([prefix, Buffer.from(header, "latin1"), data]));
}

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
