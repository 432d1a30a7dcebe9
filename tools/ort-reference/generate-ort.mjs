// Greedy generation with ONNX Runtime (CPU) on a decoder in the layout
// tern-generate runs (docs/Generation.md): the reference its tokens and
// logits are compared with. Prompts of different lengths are padded on the
// left with token 0, masked by attention_mask; a token's position counts
// the tokens before it in its row; cache inputs start empty and take the
// present outputs of the step before.
//
//   node generate-ort.mjs model.onnx --prompt-ids 1,2,3 [--prompt-ids 4,5]
//                         --max-new-tokens N [--logits steps.npy]
//
// Prints one line of new tokens per prompt; --logits writes the logits
// each token was chosen from, float32 [tokens, batch, vocabulary]. Timing
// goes to stderr (session creation, prompt, per token), --threads N sets
// ONNX Runtime's intra-op threads (default 1).

import ort from "onnxruntime-node";
import { writeNpy } from "./npy.mjs";

const args = process.argv.slice(2);
const prompts = [];
let model, maxNewTokens = 16, logitsFile, threads = 1;
for (let i = 0; i < args.length; ++i) {
  if (args[i] === "--prompt-ids") prompts.push(args[++i].split(",").map(Number));
  else if (args[i] === "--max-new-tokens") maxNewTokens = Number(args[++i]);
  else if (args[i] === "--logits") logitsFile = args[++i];
  else if (args[i] === "--threads") threads = Number(args[++i]);
  else model = args[i];
}
if (!model || prompts.length === 0) {
  console.error("usage: node generate-ort.mjs model.onnx --prompt-ids 1,2,3 ... --max-new-tokens N [--logits FILE]");
  process.exit(2);
}
const now = () => Number(process.hrtime.bigint()) / 1e6;
let start = now();
const session = await ort.InferenceSession.create(model, {
  intraOpNumThreads: threads, interOpNumThreads: 1, executionProviders: ["cpu"],
});
const sessionMs = now() - start;
let prefillMs = 0, stepMs = 0;
const caches = session.inputNames.filter((n) => n.startsWith("past_key_values."));
const rows = prompts.length;
const longest = Math.max(...prompts.map((p) => p.length));
const ids = prompts.map((p) => [...Array(longest - p.length).fill(0), ...p]);
const mask = prompts.map((p) => [...Array(longest - p.length).fill(0), ...Array(p.length).fill(1)]);
const int64 = (matrix, from) => {
  const columns = matrix[0].length - from;
  const data = BigInt64Array.from(matrix.flatMap((row) => row.slice(from).map(BigInt)));
  return new ort.Tensor("int64", data, [matrix.length, columns]);
};
// The cache's heads and head size, from the model's input metadata.
const past = {};
for (const name of caches) {
  const meta = session.inputMetadata.find((m) => m.name === name);
  const [, heads, , size] = meta.shape;
  past[name] = new ort.Tensor("float32", new Float32Array(0), [rows, heads, 0, size]);
}
let seen = 0;
const generated = prompts.map(() => []);
const logitSteps = [];
let vocabulary = 0;
for (let step = 0; step < maxNewTokens; ++step) {
  const total = ids[0].length;
  const feeds = { input_ids: int64(ids, caches.length ? seen : 0) };
  if (session.inputNames.includes("attention_mask")) feeds.attention_mask = int64(mask, 0);
  if (session.inputNames.includes("position_ids")) {
    const positions = mask.map((row) => { let n = 0; return row.map((m) => (m ? n++ : 0)); });
    feeds.position_ids = int64(positions, caches.length ? seen : 0);
  }
  Object.assign(feeds, past);
  start = now();
  const outputs = await session.run(feeds);
  if (step === 0) prefillMs = now() - start; else stepMs += now() - start;
  const logits = outputs.logits ?? outputs[session.outputNames[0]];
  const [, columns, vocab] = logits.dims;
  vocabulary = vocab;
  for (let r = 0; r < rows; ++r) {
    const last = logits.data.subarray(((r + 1) * columns - 1) * vocab, (r + 1) * columns * vocab);
    logitSteps.push(last);
    let best = 0;
    for (let v = 1; v < vocab; ++v) if (last[v] > last[best]) best = v;
    generated[r].push(best);
    ids[r].push(best);
    mask[r].push(1);
  }
  for (const name of caches) past[name] = outputs[name.replace("past_key_values", "present")];
  if (caches.length) seen = total;
}
for (const row of generated) console.log(row.join(" "));
console.error(`ort-generate: session ${sessionMs.toFixed(0)} ms; prompt of ${longest} tokens ${prefillMs.toFixed(1)} ms; ${maxNewTokens} tokens, ${(maxNewTokens > 1 ? stepMs / (maxNewTokens - 1) : 0).toFixed(2)} ms each (onnxruntime-node ${ort.env.versions?.common ?? ""}, ${threads} thread${threads === 1 ? "" : "s"})`);
if (logitsFile) {
  const data = new Float32Array(logitSteps.length * vocabulary);
  logitSteps.forEach((l, i) => data.set(l, i * vocabulary));
  writeNpy(logitsFile, new ort.Tensor("float32", data, [maxNewTokens, rows, vocabulary]));
}
