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
#include "tern/Pipelines/Pipelines.h"
#include "tern/Runtime/Npy.h"
#include "tern/Target/ONNX/Import.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"

#include "llvm/Support/Path.h"
#include "llvm/Support/TargetSelect.h"
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>

using namespace mlir;
using namespace ::tern::runtime;

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

/// The tern-run type of an MLIR element type, if it has one.
std::optional<DType> dtypeOf(Type type) {
  if (type.isF32())
    return DType::F32;
  if (type.isF64())
    return DType::F64;
  if (type.isF16())
    return DType::F16;
  if (type.isInteger(64))
    return DType::I64;
  if (type.isInteger(32))
    return DType::I32;
  if (type.isInteger(16))
    return DType::I16;
  if (type.isInteger(8))
    return DType::I8;
  if (type.isInteger(1))
    return DType::Bool;
  return std::nullopt;
}

std::string shapeString(ArrayRef<int64_t> shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + ")";
}

/// A memref descriptor for a rank-`rank` buffer: {allocated, aligned,
/// offset, sizes[rank], strides[rank]}, as the C interface lays it out.
std::vector<int64_t> descriptor(void *data, ArrayRef<int64_t> shape) {
  std::vector<int64_t> d(3 + 2 * shape.size(), 0);
  std::memcpy(&d[0], &data, sizeof(void *));
  std::memcpy(&d[1], &data, sizeof(void *));
  int64_t stride = 1;
  for (int64_t i = int64_t(shape.size()) - 1; i >= 0; --i) {
    d[3 + i] = shape[i];
    d[3 + shape.size() + i] = stride;
    stride *= shape[i];
  }
  return d;
}

/// Copies a (possibly strided) result buffer out of its descriptor.
Array readResult(const int64_t *desc, DType type, ArrayRef<int64_t> shape) {
  Array a;
  a.type = type;
  a.shape.assign(shape.begin(), shape.end());
  int64_t size = dtypeSize(type), rank = int64_t(shape.size());
  a.data.resize(size_t(a.numElements() * size));
  char *aligned;
  std::memcpy(&aligned, &desc[1], sizeof(char *));
  int64_t offset = desc[2];
  const int64_t *strides = desc + 3 + rank;
  std::vector<int64_t> index(rank, 0);
  for (int64_t linear = 0; linear < a.numElements(); ++linear) {
    int64_t at = offset;
    for (int64_t d = 0; d < rank; ++d)
      at += index[d] * strides[d];
    std::memcpy(&a.data[linear * size], aligned + at * size, size);
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++index[d] < shape[d])
        break;
      index[d] = 0;
    }
  }
  return a;
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
  llvm::cl::HideUnrelatedOptions(mlir::tern::modelToolCategory());
  llvm::cl::ParseCommandLineOptions(argc, argv, "tern model runner\n");
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<mlir::tern::TernDialect>();
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
  MLIRContext context(registry);

  if (pipelineName != "cpu" && pipelineName != "reference")
    return fail("unknown --pipeline '" + pipelineName +
                "' (expected cpu or reference)");
  if (threads < 1)
    return fail("--num-threads must be at least 1");
  mlir::tern::TargetCPU targetCPU;
  std::string cpuError;
  if (!mlir::tern::resolveCPU(shared.cpu, targetCPU, cpuError))
    return fail(cpuError);

  // Load the model and bind the inputs by name.
  mlir::tern::ONNXImportOptions options;
  std::string error;
  if (!mlir::tern::parseONNXInputShapes(shared.inputShapes, options, error))
    return fail(error);
  OwningOpRef<ModuleOp> module =
      mlir::tern::loadModel(inputFile, &context, options);
  if (!module)
    return 1;
  auto func = module->lookupSymbol<func::FuncOp>("main");
  if (!func)
    return fail("the model has no function @main");
  mlir::tern::ModelSignature signature;
  if (!mlir::tern::readSignature(func, signature, error))
    return fail("the model's " + error);

  llvm::StringMap<std::string> given;
  for (const std::string &spec : inputs) {
    auto [name, path] = StringRef(spec).split('=');
    if (name.empty() || path.empty())
      return fail("expected --input NAME=PATH.npy, got '" + spec + "'");
    if (!given.try_emplace(name, path.str()).second)
      return fail("input '" + name + "' is given twice");
  }
  std::vector<Array> arrays(signature.inputs.size());
  llvm::StringSet<> used;
  for (auto [i, input] : llvm::enumerate(signature.inputs)) {
    std::optional<DType> expected = dtypeOf(input.elementType);
    if (!expected)
      return fail("input '" + input.name + "' has a type tern-run cannot feed");
    auto it = given.find(input.name);
    if (it == given.end())
      return fail("missing input '" + input.name + "' (give it with --input " +
                  input.name + "=PATH.npy)");
    used.insert(input.name);
    if (!readNpy(it->second, arrays[i], error))
      return fail(error);
    if (arrays[i].type != *expected)
      return fail("input '" + input.name + "' from '" + it->second + "' is " +
                  dtypeName(arrays[i].type) + ", the model expects " +
                  dtypeName(*expected));
    if (ArrayRef<int64_t>(arrays[i].shape) != ArrayRef<int64_t>(input.shape))
      return fail("input '" + input.name + "' from '" + it->second +
                  "' has shape " + shapeString(arrays[i].shape) +
                  ", the model expects " + shapeString(input.shape));
  }
  for (const auto &entry : given)
    if (!used.count(entry.getKey()))
      return fail("the model has no input '" + entry.getKey() + "'");
  std::vector<DType> resultTypes;
  std::vector<SmallVector<int64_t>> resultShapes;
  std::vector<std::string> resultNames;
  for (const mlir::tern::TensorSignature &output : signature.outputs) {
    std::optional<DType> type = dtypeOf(output.elementType);
    if (!type)
      return fail("output '" + output.name +
                  "' has a type tern-run cannot return");
    resultTypes.push_back(*type);
    resultShapes.push_back(output.shape);
    resultNames.push_back(output.name);
  }

  // Lower and compile (the function is rewritten: use only what was read
  // from it above).
  PassManager pm(&context);
  if (pipelineName == "cpu") {
    mlir::tern::CPUPipelineOptions pipeline;
    pipeline.emitCInterface = true;
    pipeline.vectorWidth = targetCPU.vectorWidth;
    mlir::tern::buildCPUPipeline(pm, pipeline);
  } else {
    mlir::tern::ReferencePipelineOptions pipeline;
    pipeline.emitCInterface = true;
    mlir::tern::buildReferenceToLLVMPipeline(pm, pipeline);
  }
  // The OpenMP runtime reads its thread count once, when it starts.
  setenv("OMP_NUM_THREADS", std::to_string(threads).c_str(), 1);
  if (failed(pm.run(*module)))
    return fail("lowering the model failed");
  ExecutionEngineOptions engineOptions;
  SmallVector<StringRef> libraries = {TERN_C_RUNNER_UTILS, TERN_OPENMP};
  engineOptions.sharedLibPaths = libraries;
  // The JIT compiles for the host; per-function target attributes narrow
  // it to the instruction set asked for.
  auto optimize = makeOptimizingTransformer(3, 0, nullptr);
  auto transformer = [&](llvm::Module *m) -> llvm::Error {
    for (llvm::Function &f : *m) {
      if (f.isDeclaration())
        continue;
      f.addFnAttr("target-cpu", targetCPU.name);
      f.removeFnAttr("target-features");
    }
    return optimize(m);
  };
  engineOptions.transformer = transformer;
  engineOptions.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  auto engine = ExecutionEngine::create(*module, engineOptions);
  if (!engine)
    return fail("JIT compilation failed: " +
                llvm::toString(engine.takeError()));

  // Call _mlir_ciface_main(results, args...): every tensor is a memref
  // descriptor; several results come back in one struct of descriptors.
  std::vector<std::vector<int64_t>> argDescs;
  for (Array &a : arrays)
    argDescs.push_back(descriptor(a.data.data(), a.shape));
  size_t resultWords = 0;
  for (auto &shape : resultShapes)
    resultWords += 3 + 2 * shape.size();
  std::vector<int64_t> results(std::max<size_t>(resultWords, 1));
  auto run = [&]() -> llvm::Error {
    std::vector<void *> pointers;
    pointers.push_back(results.data());
    for (auto &d : argDescs)
      pointers.push_back(d.data());
    std::vector<void *> packed;
    for (void *&p : pointers)
      packed.push_back(&p);
    return (*engine)->invokePacked("_mlir_ciface_main", packed);
  };
  auto freeResults = [&] {
    size_t at = 0;
    for (auto &shape : resultShapes) {
      void *allocated;
      std::memcpy(&allocated, &results[at], sizeof(void *));
      std::free(allocated);
      at += 3 + 2 * shape.size();
    }
  };
  if (llvm::Error error = run())
    return fail("running the model failed: " +
                llvm::toString(std::move(error)));

  // Write the outputs under their names.
  if (std::error_code ec = llvm::sys::fs::create_directories(outputDir))
    return fail("cannot create '" + outputDir + "': " + ec.message());
  size_t at = 0;
  for (unsigned i = 0; i < resultShapes.size(); ++i) {
    Array out = readResult(&results[at], resultTypes[i], resultShapes[i]);
    at += 3 + 2 * resultShapes[i].size();
    std::string name = resultNames[i];
    std::replace(name.begin(), name.end(), '/', '_');
    SmallString<256> path(outputDir.getValue());
    llvm::sys::path::append(path, name + ".npy");
    std::string error;
    if (!writeNpy(path.str().str(), out, error))
      return fail(error);
    llvm::outs() << "wrote " << path << " " << dtypeName(out.type) << " "
                 << shapeString(out.shape) << "\n";
  }
  freeResults();

  if (benchmark) {
    std::vector<double> ms;
    for (unsigned i = 0; i < benchmark; ++i) {
      auto start = std::chrono::steady_clock::now();
      if (llvm::Error error = run())
        return fail("running the model failed: " +
                    llvm::toString(std::move(error)));
      ms.push_back(std::chrono::duration<double, std::milli>(
                       std::chrono::steady_clock::now() - start)
                       .count());
      freeResults();
    }
    std::sort(ms.begin(), ms.end());
    double mean = 0;
    for (double m : ms)
      mean += m / double(ms.size());
    llvm::outs() << llvm::format(
        "latency over %u runs: min %.3f ms, median %.3f ms, mean %.3f ms, "
        "max %.3f ms\n",
        benchmark.getValue(), ms.front(), ms[ms.size() / 2], mean, ms.back());
  }
  return 0;
}
