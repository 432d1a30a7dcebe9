//===- Execution.cpp - run a model with the JIT ---------------------------===//
//
// This file implements CompiledModel: tern's pipelines, the MLIR
// ExecutionEngine, and the C-interface calling convention of @main.
//
//===----------------------------------------------------------------------===//

#include "tern/Execution/Execution.h"

#include "tern/Execution/BufferPool.h"
#include "tern/Execution/HugePages.h"
#include "tern/Pipelines/Pipelines.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Analysis/LoopInfo.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/ExecutionEngine/Orc/RTDyldObjectLinkingLayer.h"
#include "llvm/ExecutionEngine/SectionMemoryManager.h"
#include "llvm/IR/Dominators.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"

#include <chrono>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>

using namespace mlir;
using namespace mlir::tern;
using ::tern::support::Array;
using ::tern::support::DType;

namespace {

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

/// Copies a (possibly strided) result buffer of rank `rank` out of its
/// descriptor, whose sizes are the result's shape (dynamic dimensions are
/// known only now).
Array readResult(const int64_t *desc, DType type, int64_t rank) {
  Array a;
  a.type = type;
  a.shape.assign(desc + 3, desc + 3 + rank);
  ArrayRef<int64_t> shape = a.shape;
  int64_t size = dtypeSize(type);
  char *aligned;
  std::memcpy(&aligned, &desc[1], sizeof(char *));
  int64_t offset = desc[2];
  const int64_t *strides = desc + 3 + rank;
  int64_t elements = a.numElements();
  // Row-major results (what lowering returns) are one copy.
  bool contiguous = true;
  for (int64_t d = rank - 1, stride = 1; d >= 0; stride *= shape[d--])
    contiguous &= shape[d] == 1 || strides[d] == stride;
  if (contiguous) {
    const char *begin = aligned + offset * size;
    a.data.assign(begin, begin + elements * size);
    return a;
  }
  a.data.resize(size_t(elements * size));
  std::vector<int64_t> index(rank, 0);
  for (int64_t linear = 0; linear < elements; ++linear) {
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

/// Run-time checks of compiled code (cf.assert: dynamic sizes that must
/// agree) print their message with puts and call abort. In the JIT both
/// resolve here: the message is kept and abort returns to the run that
/// failed, which reports it as an error. The checks run on the calling
/// thread, in the entry function, before any parallel region; anywhere
/// else abort aborts.
thread_local std::jmp_buf *failedCheck = nullptr;
thread_local std::string *checkMessage = nullptr;

int checkPuts(const char *message) {
  if (checkMessage)
    *checkMessage = message;
  else
    std::puts(message);
  return 0;
}

[[noreturn]] void checkAbort() {
  if (failedCheck)
    std::longjmp(*failedCheck, 1);
  std::abort();
}

/// Calls `entry` on `packed`, turning a failed run-time check into an error.
/// Only compiled frames lie between the setjmp and a longjmp.
llvm::Error callChecked(void (*entry)(void **), void **packed) {
  std::string message;
  std::jmp_buf jump;
  checkMessage = &message;
  failedCheck = &jump;
  if (setjmp(jump)) {
    failedCheck = nullptr;
    checkMessage = nullptr;
    return llvm::createStringError("the model stopped: " + message);
  }
  entry(packed);
  failedCheck = nullptr;
  checkMessage = nullptr;
  return llvm::Error::success();
}

} // namespace

LogicalResult mlir::tern::lowerForCPU(ModuleOp module,
                                      const ExecutionOptions &options) {
  PassManager pm(module.getContext());
  if (!options.reference) {
    CPUPipelineOptions pipeline;
    pipeline.emitCInterface = true;
    pipeline.vectorWidth = options.cpu.vectorWidth;
    pipeline.ternaryActivations = options.ternaryActivations;
    pipeline.ternaryInt8Dot = options.ternaryInt8Dot;
    pipeline.ternaryBase3Direct = options.ternaryBase3Direct;
    pipeline.ternarySherryDirect = options.ternarySherryDirect;
    pipeline.ternarySherryLookups = options.ternarySherryLookups;
    pipeline.ternaryRowTileRegisters = options.ternaryRowTileRegisters;
    pipeline.ternaryKeptInt8Dot = options.ternaryKeptInt8Dot;
    pipeline.fuseSiblingMatmuls = options.fuseSiblingMatmuls;
    buildCPUPipeline(pm, pipeline);
  } else {
    ReferencePipelineOptions pipeline;
    pipeline.emitCInterface = true;
    buildReferenceToLLVMPipeline(pm, pipeline);
  }
  return pm.run(module);
}

/// Keeps LLVM from unrolling the loops of the code that runs between a
/// model's OpenMP regions, on the calling thread: every function but the
/// regions' outlined bodies (`..omp_par` in their names). LLVM unrolls a
/// loop fully whenever the unrolled size stays under its threshold, raised
/// fourfold where unrolling folds the loads' offsets, so it unrolled every
/// chunked row loop there (norms, the int8 quantization's absolute maximum
/// and rounding, SiLU, residual adds: 44 to 88 chunks each), and a
/// TinyLlama-shaped decoder's step was 3 MB of straight-line code, fetched
/// again at every token after the kernels' weights had passed through the
/// caches (docs/CPUPipeline.md, "Code size"). Inside the regions the
/// same full unrolling of short reduction loops is what makes the f32
/// convolution tiles fast, so those loops keep LLVM's choice.
static void keepSerialLoops(llvm::Module &module) {
  llvm::LLVMContext &context = module.getContext();
  llvm::Metadata *disable = llvm::MDNode::get(
      context, llvm::MDString::get(context, "llvm.loop.unroll.disable"));
  for (llvm::Function &function : module) {
    if (function.isDeclaration() || function.getName().contains("..omp_par"))
      continue;
    llvm::DominatorTree dominators(function);
    llvm::LoopInfo loops(dominators);
    for (llvm::Loop *loop : loops.getLoopsInPreorder()) {
      SmallVector<llvm::Metadata *> properties = {nullptr};
      if (llvm::MDNode *id = loop->getLoopID())
        properties.append(id->op_begin() + 1, id->op_end());
      properties.push_back(disable);
      llvm::MDNode *id = llvm::MDNode::getDistinct(context, properties);
      id->replaceOperandWith(0, id);
      loop->setLoopID(id);
    }
  }
}

llvm::Error mlir::tern::optimizeForCPU(llvm::Module &module,
                                       const TargetCPU &cpu) {
  keepSerialLoops(module);
  // The compiled code's heap is the buffer pool (BufferPool.c), renamed
  // before LLVM's passes know the calls as malloc and free (they would turn
  // a malloc and a memset into a calloc the pool does not own).
  for (auto [from, to] :
       {std::pair<StringRef, StringRef>{"malloc", "tern_pool_malloc"},
        {"free", "tern_pool_free"}})
    if (llvm::Function *f = module.getFunction(from))
      f->setName(to);
  if (llvm::Function *f = module.getFunction("tern_pool_malloc"))
    f->addRetAttr(llvm::Attribute::NoAlias);
  // The weights together, where a library finds them to move them onto
  // huge pages (HugePages.h).
  for (llvm::GlobalVariable &global : module.globals())
    if (global.isConstant() && global.hasInitializer() &&
        !global.hasSection() &&
        module.getDataLayout().getTypeAllocSize(global.getValueType()) >=
            kWeightsSectionMinBytes)
      global.setSection(kWeightsSection);
  for (llvm::Function &f : module) {
    if (f.isDeclaration())
      continue;
    f.addFnAttr("target-cpu", cpu.name);
    f.removeFnAttr("target-features");
  }
  return makeOptimizingTransformer(3, 0, nullptr)(&module);
}

CompiledModel::~CompiledModel() = default;

/// The compile cache keeps at most this much (the recognizer's object is
/// about 3 MB; a 1B-parameter model's weights are in its object too).
constexpr uint64_t kCacheBytes = uint64_t(4) << 30;

/// The file holding this code (the tool, or the plugin library), by its
/// path, size and modification time: a rebuilt tern compiles differently
/// under the same version number.
static std::string compilerIdentity() {
  Dl_info info;
  if (!dladdr(reinterpret_cast<void *>(&compilerIdentity), &info) ||
      !info.dli_fname)
    return "unknown";
  llvm::sys::fs::file_status status;
  if (llvm::sys::fs::status(info.dli_fname, status))
    return info.dli_fname;
  return std::string(info.dli_fname) + " " + std::to_string(status.getSize()) +
         " " +
         std::to_string(
             status.getLastModificationTime().time_since_epoch().count());
}

/// What a compiled model depends on besides its IR: the options, the
/// compilers (their versions, and the binary of this one) and the JIT's
/// target. Two compiles with the same module and the same of these give
/// the same machine code.
static std::string cacheKey(ModuleOp module, const ExecutionOptions &options) {
  std::string bytes;
  llvm::raw_string_ostream os(bytes);
  if (failed(writeBytecodeToFile(module, os)))
    return std::string();
  os << "\0tern " << TERN_VERSION << " (" << compilerIdentity() << ") llvm "
     << LLVM_VERSION_STRING << " " << llvm::sys::getProcessTriple() << " cpu "
     << options.cpu.name << " " << options.cpu.vectorWidth << " reference "
     << options.reference << " activations "
     << stringifyKernelActivations(options.ternaryActivations) << " dot "
     << stringifyInt8Dot(options.ternaryInt8Dot) << " base3 "
     << options.ternaryBase3Direct << " sherry " << options.ternarySherryDirect
     << " lookups " << options.ternarySherryLookups << " row-tile "
     << options.ternaryRowTileRegisters << " kept "
     << options.ternaryKeptInt8Dot << " fuse " << options.fuseSiblingMatmuls;
  std::array<uint8_t, 32> hash = llvm::SHA256::hash(llvm::ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size()));
  return llvm::toHex(hash, /*LowerCase=*/true);
}

/// Keeps the compile cache under `limit` bytes, removing the objects used
/// least recently (a hit touches its object).
static void pruneCache(StringRef dir, uint64_t limit) {
  struct Entry {
    llvm::sys::TimePoint<> used;
    uint64_t size;
    std::string path;
  };
  std::vector<Entry> entries;
  uint64_t total = 0;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec)) {
    llvm::sys::fs::file_status status;
    if (!StringRef(it->path()).ends_with(".o") ||
        llvm::sys::fs::status(it->path(), status))
      continue;
    entries.push_back(
        {status.getLastModificationTime(), status.getSize(), it->path()});
    total += status.getSize();
  }
  llvm::sort(entries,
             [](const Entry &a, const Entry &b) { return a.used < b.used; });
  for (const Entry &entry : entries) {
    if (total <= limit)
      break;
    if (!llvm::sys::fs::remove(entry.path))
      total -= entry.size;
  }
}

/// The runtime symbols compiled code calls: the buffer pool and the
/// run-time checks.
static llvm::orc::SymbolMap
runtimeSymbols(llvm::orc::MangleAndInterner &interner) {
  llvm::orc::SymbolMap symbols;
  auto define = [&](const char *name, auto *address) {
    symbols[interner(name)] = {llvm::orc::ExecutorAddr::fromPtr(address),
                               llvm::JITSymbolFlags::Exported};
  };
  define("tern_pool_malloc", &tern_pool_malloc);
  define("tern_pool_free", &tern_pool_free);
  define("puts", &checkPuts);
  define("abort", &checkAbort);
  return symbols;
}

namespace {
/// The JIT's pages: read-only data sections of 2 MiB and more (a model's
/// weights, which a decoder streams from memory once per token) on huge
/// pages unless TERN_HUGE_PAGES=0 (HugePages.h), the rest as
/// SectionMemoryManager maps them.
class WeightsMemoryMapper final
    : public llvm::SectionMemoryManager::MemoryMapper {
public:
  llvm::sys::MemoryBlock
  allocateMappedMemory(llvm::SectionMemoryManager::AllocationPurpose purpose,
                       size_t bytes, const llvm::sys::MemoryBlock *near,
                       unsigned flags, std::error_code &ec) override {
    constexpr size_t hugePage = size_t(2) << 20;
    if (purpose == llvm::SectionMemoryManager::AllocationPurpose::ROData &&
        bytes >= hugePage && tern_huge_pages_enabled(/*fallback=*/1)) {
      size_t size = llvm::alignTo(bytes, hugePage);
      if (void *pages = tern_huge_pages_map(size)) {
        llvm::sys::MemoryBlock block(pages, size);
        ec = llvm::sys::Memory::protectMappedMemory(block, flags);
        if (!ec)
          return block;
        (void)llvm::sys::Memory::releaseMappedMemory(block);
      }
    }
    return llvm::sys::Memory::allocateMappedMemory(bytes, near, flags, ec);
  }
  std::error_code protectMappedMemory(const llvm::sys::MemoryBlock &block,
                                      unsigned flags) override {
    return llvm::sys::Memory::protectMappedMemory(block, flags);
  }
  std::error_code releaseMappedMemory(llvm::sys::MemoryBlock &block) override {
    return llvm::sys::Memory::releaseMappedMemory(block);
  }
};
} // namespace

/// One mapper for every JIT: it keeps no state.
static WeightsMemoryMapper &weightsMemoryMapper() {
  static WeightsMemoryMapper mapper;
  return mapper;
}

/// Loads the object file a previous compile left in the cache into a JIT of
/// its own, with the libraries and runtime symbols the engine provides, and
/// the engine's linker and pages.
static llvm::Expected<std::unique_ptr<llvm::orc::LLJIT>>
loadCachedObject(StringRef path, void (*&entry)(void **)) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> object =
      llvm::MemoryBuffer::getFile(path);
  if (!object)
    return llvm::errorCodeToError(object.getError());
  llvm::Expected<std::unique_ptr<llvm::orc::LLJIT>> jit =
      llvm::orc::LLJITBuilder()
          .setObjectLinkingLayerCreator(
              [](llvm::orc::ExecutionSession &session)
                  -> llvm::Expected<std::unique_ptr<llvm::orc::ObjectLayer>> {
                return std::make_unique<llvm::orc::RTDyldObjectLinkingLayer>(
                    session, [](const llvm::MemoryBuffer &) {
                      return std::make_unique<llvm::SectionMemoryManager>(
                          &weightsMemoryMapper());
                    });
              })
          .create();
  if (!jit)
    return jit.takeError();
  llvm::orc::JITDylib &dylib = (*jit)->getMainJITDylib();
  char prefix = (*jit)->getDataLayout().getGlobalPrefix();
  llvm::orc::MangleAndInterner interner((*jit)->getExecutionSession(),
                                        (*jit)->getDataLayout());
  if (llvm::Error error =
          dylib.define(llvm::orc::absoluteSymbols(runtimeSymbols(interner))))
    return std::move(error);
  for (const char *library : {TERN_C_RUNNER_UTILS, TERN_OPENMP}) {
    auto generator =
        llvm::orc::DynamicLibrarySearchGenerator::Load(library, prefix);
    if (!generator)
      return generator.takeError();
    dylib.addGenerator(std::move(*generator));
  }
  auto process =
      llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(prefix);
  if (!process)
    return process.takeError();
  dylib.addGenerator(std::move(*process));
  if (llvm::Error error = (*jit)->addObjectFile(std::move(*object)))
    return std::move(error);
  // ExecutionEngine names the packed wrapper of NAME "_mlir_NAME".
  llvm::Expected<llvm::orc::ExecutorAddr> address =
      (*jit)->lookup("_mlir__mlir_ciface_main");
  if (!address)
    return address.takeError();
  entry = address->toPtr<void (*)(void **)>();
  return std::move(*jit);
}

FailureOr<std::unique_ptr<CompiledModel>>
CompiledModel::compile(ModuleOp module, const ExecutionOptions &options) {
  FailureOr<ModelSignature> signature = readEntrySignature(module, "main");
  if (failed(signature))
    return failure();
  std::unique_ptr<CompiledModel> model(new CompiledModel);
  model->signature_ = std::move(*signature);

  MLIRContext *context = module.getContext();
  registerBuiltinDialectTranslation(*context);
  registerLLVMDialectTranslation(*context);
  registerOpenMPDialectTranslation(*context);
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();

  // A compile cached by an earlier process is loaded instead of compiled
  // again; one that does not load is compiled over.
  SmallString<128> cached;
  if (!options.cacheDir.empty()) {
    std::string key = cacheKey(module, options);
    if (!key.empty()) {
      cached = options.cacheDir;
      llvm::sys::path::append(cached, key + ".o");
    }
  }
  if (!cached.empty() && llvm::sys::fs::exists(cached)) {
    llvm::Expected<std::unique_ptr<llvm::orc::LLJIT>> jit =
        loadCachedObject(cached, model->entry_);
    if (jit) {
      model->cachedJit_ = std::move(*jit);
      model->fromCache_ = true;
      // Recently used: pruning keeps it.
      int fd;
      if (!llvm::sys::fs::openFileForWrite(cached, fd,
                                           llvm::sys::fs::CD_OpenExisting,
                                           llvm::sys::fs::OF_Append)) {
        (void)llvm::sys::fs::setLastAccessAndModificationTime(
            fd, std::chrono::system_clock::now());
        llvm::sys::Process::SafelyCloseFileDescriptor(fd);
      }
      return model;
    }
    llvm::consumeError(jit.takeError());
    llvm::sys::fs::remove(cached);
  }

  // Lower (the function is rewritten: only the signature read above is
  // used from here on).
  if (failed(lowerForCPU(module, options)))
    return failure();
  ExecutionEngineOptions engineOptions;
  SmallVector<StringRef> libraries = {TERN_C_RUNNER_UTILS, TERN_OPENMP};
  engineOptions.sharedLibPaths = libraries;
  // The JIT compiles for the host; per-function target attributes narrow
  // it to the instruction set asked for.
  auto transformer = [&](llvm::Module *m) {
    return optimizeForCPU(*m, options.cpu);
  };
  engineOptions.transformer = transformer;
  engineOptions.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  // The perf listener writes a dump file per compile under ~/.debug/jit;
  // calibration compiles many models.
  engineOptions.enablePerfNotificationListener = false;
  engineOptions.enableObjectDump = !cached.empty();
  engineOptions.sectionMemoryMapper = &weightsMemoryMapper();
  auto engine = ExecutionEngine::create(module, engineOptions);
  if (!engine)
    return module.emitError("JIT compilation failed: ")
           << llvm::toString(engine.takeError());
  model->engine_ = std::move(*engine);
  model->engine_->registerSymbols([](llvm::orc::MangleAndInterner interner) {
    return runtimeSymbols(interner);
  });
  auto entry = model->engine_->lookupPacked("_mlir_ciface_main");
  if (!entry)
    return module.emitError("JIT compilation failed: ")
           << llvm::toString(entry.takeError());
  model->entry_ = *entry;
  if (!cached.empty()) {
    // Written under a temporary name and renamed: a concurrent run sees
    // the whole object or none.
    if (!llvm::sys::fs::create_directories(options.cacheDir)) {
      SmallString<128> temporary(cached);
      temporary += ".tmp" + std::to_string(llvm::sys::Process::getProcessId());
      model->engine_->dumpToObjectFile(temporary);
      if (llvm::sys::fs::rename(temporary, cached))
        llvm::sys::fs::remove(temporary);
      pruneCache(options.cacheDir, kCacheBytes);
    }
  }
  return model;
}

llvm::Error CompiledModel::run(std::vector<Array> &inputs,
                               std::vector<Array> *outputs) {
  // Call _mlir_ciface_main(results, args...): every tensor is a memref
  // descriptor; several results come back in one struct of descriptors.
  std::vector<std::vector<int64_t>> argDescs;
  for (Array &a : inputs)
    argDescs.push_back(descriptor(a.data.data(), a.shape));
  size_t resultWords = 0;
  for (const TensorSignature &output : signature_.outputs)
    resultWords += 3 + 2 * output.shape.size();
  std::vector<int64_t> results(std::max<size_t>(resultWords, 1));
  std::vector<void *> pointers;
  pointers.push_back(results.data());
  for (auto &d : argDescs)
    pointers.push_back(d.data());
  std::vector<void *> packed;
  for (void *&p : pointers)
    packed.push_back(&p);
  if (llvm::Error failure = callChecked(entry_, packed.data()))
    return failure;
  if (outputs)
    outputs->clear();
  // Results may share a buffer (a model output listed twice, or an output
  // and its Identity): read them all, then free each buffer once.
  llvm::SmallPtrSet<void *, 8> buffers;
  size_t at = 0;
  for (const TensorSignature &output : signature_.outputs) {
    if (outputs)
      outputs->push_back(readResult(&results[at], *dtypeOf(output.elementType),
                                    int64_t(output.shape.size())));
    void *allocated;
    std::memcpy(&allocated, &results[at], sizeof(void *));
    buffers.insert(allocated);
    at += 3 + 2 * output.shape.size();
  }
  for (void *allocated : buffers)
    tern_pool_free(allocated);
  return llvm::Error::success();
}

namespace {
/// The quantization passes' evaluator: the model compiled by the JIT with
/// the CPU pipeline's defaults (f32 activations) for the CPU asked for.
class JITModelEvaluator : public ModelEvaluator {
public:
  FailureOr<std::unique_ptr<EvaluableModel>>
  prepare(ModuleOp module, const TargetCPU &cpu) override {
    ExecutionOptions options;
    options.cpu = cpu;
    FailureOr<std::unique_ptr<CompiledModel>> model =
        CompiledModel::compile(module, options);
    if (failed(model))
      return failure();
    return std::unique_ptr<EvaluableModel>(std::move(*model));
  }
};
} // namespace

void mlir::tern::registerJITModelEvaluator() {
  registerModelEvaluator(std::make_unique<JITModelEvaluator>());
}
