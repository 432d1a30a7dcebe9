// .npy files as ONNX Runtime tensors, for run-ort.mjs and generate-ort.mjs.

import fs from "node:fs";
import ort from "onnxruntime-node";

const DTYPES = {
  "<f4": ["float32", Float32Array, 4],
  "<f8": ["float64", Float64Array, 8],
  // float16 tensors hold their bit patterns.
  "<f2": ["float16", Uint16Array, 2],
  "<i8": ["int64", BigInt64Array, 8],
  "<i4": ["int32", Int32Array, 4],
  "|b1": ["bool", Uint8Array, 1],
};

export function readNpy(file) {
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

export function writeNpy(file, tensor) {
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
