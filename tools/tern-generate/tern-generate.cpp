//===- tern-generate.cpp - generate tokens with a compiled decoder --------===//
//
// This file is tern-generate: it loads a causal language model (an ONNX
// decoder export with dynamic batch and sequence axes, with or without a
// key/value cache, float or ternarized by tern-opt), compiles it once with
// the JIT, and prints the tokens it generates after the prompt as they come.
//
//   tern-generate model.onnx --prompt-ids 1,2,3 --max-new-tokens 32
//                 [--temperature 0.8 --top-k 40 --seed 1]
//                 [--prompt-ids 4,5 ...] [--logits steps.npy]
//
// One prompt: its tokens are printed as they come, on one line. Several
// (a batch, padded on the left): one line per prompt when all are done.
//
// The input and output names it recognizes are in Execution/Generate.h.
// Timing goes to stderr: compile, prompt (prefill) and per-token times.
//
//===----------------------------------------------------------------------===//

#include "tern/Dialect/Tern/IR/TernDialect.h"
#include "tern/Driver/Driver.h"
#include "tern/Execution/Execution.h"
#include "tern/Execution/Generate.h"
#include "tern/Target/ONNX/Import.h"
#include "tern/Transforms/Passes.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"

#include <chrono>
#include <cstdlib>

using namespace mlir;

namespace {

llvm::cl::opt<std::string>
    inputFile(llvm::cl::Positional,
              llvm::cl::cat(mlir::tern::modelToolCategory()),
              llvm::cl::desc("<model>"), llvm::cl::Required);
llvm::cl::list<std::string>
    promptIds("prompt-ids", llvm::cl::cat(mlir::tern::modelToolCategory()),
              llvm::cl::desc("A prompt as token ids, e.g. 1,2,3; repeated, "
                             "a batch"),
              llvm::cl::OneOrMore);
llvm::cl::opt<std::string> logitsFile(
    "logits", llvm::cl::cat(mlir::tern::modelToolCategory()),
    llvm::cl::desc("Write the logits each token was drawn from to this .npy "
                   "file, float32 [tokens, batch, vocabulary]"),
    llvm::cl::value_desc("file.npy"));
llvm::cl::opt<unsigned> maxNewTokens(
    "max-new-tokens", llvm::cl::cat(mlir::tern::modelToolCategory()),
    llvm::cl::desc("Tokens to generate (default 16)"), llvm::cl::init(16));
llvm::cl::opt<double> temperature(
    "temperature", llvm::cl::cat(mlir::tern::modelToolCategory()),
    llvm::cl::desc("0 (the default): the most likely token; otherwise "
                   "sample from softmax(logits / temperature)"),
    llvm::cl::init(0));
llvm::cl::opt<int64_t>
    topK("top-k", llvm::cl::cat(mlir::tern::modelToolCategory()),
         llvm::cl::desc("With a temperature, sample among the K most likely "
                        "tokens (0, the default: all)"),
         llvm::cl::init(0));
llvm::cl::opt<uint64_t> seed("seed",
                             llvm::cl::cat(mlir::tern::modelToolCategory()),
                             llvm::cl::desc("Seed of the sampler (default 0)"),
                             llvm::cl::init(0));
llvm::cl::opt<bool> copyCache(
    "copy-cache", llvm::cl::cat(mlir::tern::modelToolCategory()),
    llvm::cl::desc("Feed the key/value cache back as the model returns it "
                   "(a copy per step) instead of appending to buffers "
                   "tern-generate owns (tern-cache-in-place)"),
    llvm::cl::init(false));
mlir::tern::ModelToolOptions shared;
llvm::cl::opt<unsigned>
    threads("num-threads", llvm::cl::cat(mlir::tern::modelToolCategory()),
            llvm::cl::desc("Threads that run the model (OpenMP; default 1)"),
            llvm::cl::init(1));
llvm::cl::opt<std::string>
    pipelineName("pipeline", llvm::cl::cat(mlir::tern::modelToolCategory()),
                 llvm::cl::desc("Lowering: 'cpu' (tern-cpu-pipeline, the "
                                "default) or 'reference' (the oracle)"),
                 llvm::cl::init("cpu"));

int fail(const llvm::Twine &message) {
  llvm::errs() << "tern-generate: error: " << message << "\n";
  return 1;
}

double millisecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - start)
      .count();
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  mlir::tern::registerONNXImportCLOptions(&mlir::tern::modelToolCategory());
  llvm::cl::HideUnrelatedOptions(mlir::tern::modelToolCategory());
  llvm::cl::ParseCommandLineOptions(argc, argv, "tern token generator\n");

  if (pipelineName != "cpu" && pipelineName != "reference")
    return fail("unknown --pipeline '" + pipelineName +
                "' (expected cpu or reference)");
  if (threads < 1)
    return fail("--num-threads must be at least 1");
  std::vector<std::vector<int64_t>> prompts;
  for (const std::string &ids : promptIds) {
    std::vector<int64_t> &prompt = prompts.emplace_back();
    for (llvm::StringRef item : llvm::split(llvm::StringRef(ids).trim(), ',')) {
      int64_t id;
      if (item.trim().getAsInteger(10, id))
        return fail("--prompt-ids holds '" + item + "', not a token id");
      prompt.push_back(id);
    }
  }
  llvm::Expected<mlir::tern::CPUKernelOptions> kernels =
      shared.resolveKernels();
  if (!kernels)
    return fail(llvm::toString(kernels.takeError()));
  mlir::tern::ExecutionOptions execution(*kernels);
  execution.reference = pipelineName == "reference";
  execution.cacheDir = shared.compileCacheDir();

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<mlir::tern::TernDialect>();
  MLIRContext context(registry);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  llvm::Expected<mlir::tern::ONNXImportOptions> options =
      mlir::tern::onnxImportOptionsFromCL();
  if (!options)
    return fail(llvm::toString(options.takeError()));

  auto start = std::chrono::steady_clock::now();
  OwningOpRef<ModuleOp> module =
      mlir::tern::loadModel(inputFile, &context, *options);
  if (!module)
    return 1;
  if (!copyCache) {
    PassManager pm(&context);
    pm.addPass(mlir::tern::createCacheInPlace());
    if (failed(pm.run(*module)))
      return 1;
  }
  // The OpenMP runtime reads its thread count once, when it starts.
  setenv("OMP_NUM_THREADS", std::to_string(threads).c_str(), 1);
  FailureOr<std::unique_ptr<mlir::tern::CompiledModel>> compiled =
      mlir::tern::CompiledModel::compile(*module, execution);
  if (failed(compiled))
    return 1;
  double compileMs = millisecondsSince(start);
  mlir::tern::SamplingOptions sampling;
  sampling.temperature = temperature;
  sampling.topK = topK;
  sampling.seed = seed;
  llvm::Expected<std::unique_ptr<mlir::tern::Generator>> generator =
      mlir::tern::Generator::create(**compiled, sampling);
  if (!generator)
    return fail(llvm::toString(generator.takeError()));

  double prefillMs = 0, stepMs = 0;
  std::vector<std::vector<int64_t>> generated(prompts.size());
  ::tern::support::Array logits;
  logits.type = ::tern::support::DType::F32;
  logits.shape = {0, int64_t(prompts.size()), (*generator)->vocabulary()};
  for (unsigned i = 0; i < maxNewTokens; ++i) {
    start = std::chrono::steady_clock::now();
    llvm::Expected<std::vector<int64_t>> tokens =
        i == 0 ? (*generator)->prefill(prompts) : (*generator)->step();
    if (!tokens)
      return fail(llvm::toString(tokens.takeError()));
    (i == 0 ? prefillMs : stepMs) += millisecondsSince(start);
    for (size_t r = 0; r < prompts.size(); ++r)
      generated[r].push_back((*tokens)[r]);
    if (prompts.size() == 1) {
      llvm::outs() << (i ? " " : "") << (*tokens)[0];
      llvm::outs().flush();
    }
    if (!logitsFile.empty()) {
      llvm::ArrayRef<float> step = (*generator)->logits();
      const char *bytes = reinterpret_cast<const char *>(step.data());
      logits.data.insert(logits.data.end(), bytes,
                         bytes + step.size() * sizeof(float));
      ++logits.shape[0];
    }
  }
  if (prompts.size() == 1)
    llvm::outs() << "\n";
  else
    for (const std::vector<int64_t> &row : generated) {
      llvm::ListSeparator space(" ");
      for (int64_t token : row)
        llvm::outs() << space << token;
      llvm::outs() << "\n";
    }
  if (!logitsFile.empty())
    if (llvm::Error error = ::tern::support::writeNpy(logitsFile, logits))
      return fail(llvm::toString(std::move(error)));
  size_t longest = 0;
  for (const std::vector<int64_t> &prompt : prompts)
    longest = std::max(longest, prompt.size());
  std::string batchNote =
      prompts.size() == 1
          ? ""
          : " x " + std::to_string(prompts.size()) + " rows (padded)";
  llvm::errs() << llvm::format(
      "tern-generate: compile %.0f ms%s; prompt of %zu tokens%s %.1f ms; %u "
      "tokens, %.2f ms each (%s, %s cache, cpu %s, %u thread%s)\n",
      compileMs, (*compiled)->fromCache() ? " (from the cache)" : "", longest,
      batchNote.c_str(), prefillMs, maxNewTokens.getValue(),
      maxNewTokens > 1 ? stepMs / (maxNewTokens - 1) : 0.0,
      execution.reference ? "reference" : "cpu pipeline",
      !(*generator)->hasCache()      ? "no"
      : (*generator)->cacheInPlace() ? "with an in-place"
                                     : "with a copied",
      execution.cpu.name.c_str(), threads.getValue(), threads == 1 ? "" : "s");
  return 0;
}
