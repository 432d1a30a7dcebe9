//===- tern-run.cpp - run a model with the JIT ----------------------------===//
//
// This file is tern-run: it loads a model (.onnx, .onnxtxt, .mlir or
// .mlirbc), lowers it with the tern pipeline, JIT-compiles it, feeds it the
// .npy inputs named on the command line, and writes each output as .npy.
// `--benchmark N` times N runs and prints latency statistics.
//
//   tern-run model.onnx --input x=x.npy --output-dir out/ [--benchmark 20]
//
//===----------------------------------------------------------------------===//

#include "tern/Dialect/Tern/IR/TernDialect.h"
#include "tern/Driver/Driver.h"
#include "tern/Execution/Execution.h"
#include "tern/Support/Npy.h"
#include "tern/Target/ONNX/Import.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>

using namespace mlir;
using namespace ::tern::support;

namespace {

llvm::cl::opt<std::string>
    inputFile(llvm::cl::Positional,
              llvm::cl::cat(mlir::tern::modelToolCategory()),
              llvm::cl::desc("<model>"), llvm::cl::Required);
llvm::cl::list<std::string>
    inputs("input", llvm::cl::cat(mlir::tern::modelToolCategory()),
           llvm::cl::desc("An input as NAME=PATH.npy (repeatable)"));
llvm::cl::opt<std::string>
    outputDir("output-dir", llvm::cl::cat(mlir::tern::modelToolCategory()),
              llvm::cl::desc("Where to write the outputs as NAME.npy"),
              llvm::cl::init("."));
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
llvm::cl::opt<unsigned>
    benchmark("benchmark", llvm::cl::cat(mlir::tern::modelToolCategory()),
              llvm::cl::desc("Run N more times and print latency statistics"),
              llvm::cl::init(0));

int fail(const llvm::Twine &message) {
  llvm::errs() << "tern-run: error: " << message << "\n";
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // A model allocates its intermediate buffers on every call. Keep freed
  // memory in the heap for the next call, as an inference runtime's arena
  // would, instead of returning it to the kernel and faulting it back in
  // page by page (a quarter of the recognizer's time on one thread).
  // (32 MiB is the largest threshold glibc accepts.)
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mlir::tern::registerONNXImportCLOptions(&mlir::tern::modelToolCategory());
  llvm::cl::HideUnrelatedOptions(mlir::tern::modelToolCategory());
  llvm::cl::ParseCommandLineOptions(argc, argv, "tern model runner\n");

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<mlir::tern::TernDialect>();
  MLIRContext context(registry);
  // Diagnostics at a location print as file:line:col (the source line
  // shown when the file is text), as mlir-opt prints them.
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);

  if (pipelineName != "cpu" && pipelineName != "reference")
    return fail("unknown --pipeline '" + pipelineName +
                "' (expected cpu or reference)");
  if (threads < 1)
    return fail("--num-threads must be at least 1");
  llvm::Expected<mlir::tern::CPUKernelOptions> kernels =
      shared.resolveKernels();
  if (!kernels)
    return fail(llvm::toString(kernels.takeError()));
  mlir::tern::ExecutionOptions execution(*kernels);
  execution.reference = pipelineName == "reference";
  execution.cacheDir = shared.compileCacheDir();

  // Load the model and compile it.
  llvm::Expected<mlir::tern::ONNXImportOptions> options =
      mlir::tern::onnxImportOptionsFromCL();
  if (!options)
    return fail(llvm::toString(options.takeError()));
  OwningOpRef<ModuleOp> module =
      mlir::tern::loadModel(inputFile, &context, *options);
  if (!module)
    return 1;
  FailureOr<mlir::tern::ModelSignature> read =
      mlir::tern::readEntrySignature(*module, "main");
  if (failed(read))
    return 1;
  const mlir::tern::ModelSignature &signature = *read;

  // Bind the inputs by name.
  llvm::StringMap<std::string> given;
  for (const std::string &spec : inputs) {
    auto [name, path] = StringRef(spec).split('=');
    if (name.empty() || path.empty())
      return fail("expected --input NAME=PATH.npy, got '" + spec + "'");
    if (!given.try_emplace(name, path.str()).second)
      return fail("input '" + name + "' is given twice");
  }
  std::vector<Array> arrays(signature.inputs.size());
  std::vector<std::string> sources;
  llvm::StringSet<> used;
  for (auto [i, input] : llvm::enumerate(signature.inputs)) {
    auto it = given.find(input.name);
    if (it == given.end())
      return fail("missing input '" + input.name + "' (give it with --input " +
                  input.name + "=PATH.npy)");
    used.insert(input.name);
    sources.push_back(it->second);
    llvm::Expected<Array> array = readNpy(it->second);
    if (!array)
      return fail(llvm::toString(array.takeError()));
    arrays[i] = std::move(*array);
  }
  for (const auto &entry : given)
    if (!used.count(entry.getKey()))
      return fail("the model has no input '" + entry.getKey() + "'");

  // The OpenMP runtime reads its thread count once, when it starts.
  setenv("OMP_NUM_THREADS", std::to_string(threads).c_str(), 1);
  if (llvm::Error error = mlir::tern::checkInputs(signature, arrays, sources))
    return fail(llvm::toString(std::move(error)));
  auto compileStart = std::chrono::steady_clock::now();
  FailureOr<std::unique_ptr<mlir::tern::CompiledModel>> compiled =
      mlir::tern::CompiledModel::compile(*module, execution);
  if (failed(compiled))
    return 1;
  double compileMs = std::chrono::duration<double, std::milli>(
                         std::chrono::steady_clock::now() - compileStart)
                         .count();
  mlir::tern::CompiledModel &model = **compiled;
  std::vector<Array> results;
  if (llvm::Error error = model.run(arrays, &results))
    return fail(llvm::toString(std::move(error)));

  // Write the outputs under their names.
  if (std::error_code ec = llvm::sys::fs::create_directories(outputDir))
    return fail("cannot create '" + outputDir + "': " + ec.message());
  for (auto [output, out] : llvm::zip(signature.outputs, results)) {
    std::string name = output.name;
    std::replace(name.begin(), name.end(), '/', '_');
    SmallString<256> path(outputDir.getValue());
    llvm::sys::path::append(path, name + ".npy");
    if (llvm::Error error = writeNpy(path.str().str(), out))
      return fail(llvm::toString(std::move(error)));
    llvm::outs() << "wrote " << path << " " << dtypeName(out.type) << " "
                 << mlir::tern::shapeString(out.shape) << "\n";
  }

  if (benchmark) {
    std::vector<double> ms;
    for (unsigned i = 0; i < benchmark; ++i) {
      auto start = std::chrono::steady_clock::now();
      if (llvm::Error error = model.run(arrays, nullptr))
        return fail(llvm::toString(std::move(error)));
      ms.push_back(std::chrono::duration<double, std::milli>(
                       std::chrono::steady_clock::now() - start)
                       .count());
    }
    std::sort(ms.begin(), ms.end());
    double mean = 0;
    for (double m : ms)
      mean += m / double(ms.size());
    llvm::outs() << llvm::format("compile: %.0f ms%s\n", compileMs,
                                 model.fromCache() ? " (from the cache)" : "");
    llvm::outs() << llvm::format(
        "latency over %u runs: min %.3f ms, median %.3f ms, mean %.3f ms, "
        "max %.3f ms\n",
        benchmark.getValue(), ms.front(), ms[ms.size() / 2], mean, ms.back());
  }
  return 0;
}
