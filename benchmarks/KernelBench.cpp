//===- KernelBench.cpp - speed of tern's ternary matmul kernels -----------===//
//
// This file is a benchmark, not a test: it prints figures measured in one
// run on this machine. For y = x Wᵀ with W of N x K (default 4096 x 14336,
// a LLaMA MLP projection) and M rows of x, it times
//
//   - tern: a tern.matmul with random ternary weights (one plane, per-row
//     scale unless --planes / --group-size say otherwise) compiled by
//     tern-cpu-pipeline, i.e. the add/sub kernels of convert-tern-to-vector,
//     with f32 activations (f32) and with per-row int8 activations (int8);
//   - float: the same product as a float linalg.matmul compiled by
//     tern-cpu-pipeline (tern's own float code generation);
//   - OpenBLAS sgemv (M = 1) or sgemm (M > 1), when built with it;
//
// for each M and thread count, and the machine's memory read bandwidth, so
// that the ternary weights' bytes per second can be read against it. The
// tern result is checked against a scalar evaluation of the same weights.
//
//   tern-kernel-bench [--n N] [--k K] [--batch 1,8,512] [--threads 1,2]
//                     [--planes P] [--group-size G] [--cpu NAME]
//                     [--min-time SECONDS]
//
//===----------------------------------------------------------------------===//

#include "tern/Dialect/Tern/IR/TernDialect.h"
#include "tern/Dialect/Tern/IR/TernOps.h"
#include "tern/Execution/Execution.h"
#include "tern/Quant/Packing.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "llvm/Support/DynamicLibrary.h"

#ifdef TERN_HAVE_OPENBLAS
#include <cblas.h>
extern "C" void openblas_set_num_threads(int);
#endif

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace mlir;
using namespace mlir::tern;
namespace q = ::tern::quant;
namespace rt = ::tern::support;

namespace {

struct Config {
  int64_t n = 4096, k = 14336, planes = 1, groupSize = 0;
  std::vector<int64_t> batches = {1, 8, 512};
  std::vector<int> threads = {1, 2};
  std::string cpu = "x86-64-v3";
  std::string int8Dot = "auto";
  double minTime = 1.0;
};

std::vector<int64_t> parseList(const char *text) {
  std::vector<int64_t> values;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ','))
    values.push_back(std::atoll(item.c_str()));
  return values;
}

double now() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// Median seconds per call of `body`, run for at least `minTime` seconds
/// (and at least 3 times) after one warm-up call.
double timeIt(const std::function<void()> &body, double minTime) {
  body();
  std::vector<double> samples;
  double start = now();
  while (samples.size() < 3 || now() - start < minTime) {
    double t0 = now();
    body();
    samples.push_back(now() - t0);
  }
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

/// Read bandwidth in GB/s: `threads` threads summing disjoint parts of a
/// 512 MiB buffer.
double readBandwidth(int threads, double minTime) {
  static std::vector<float> buffer(size_t(128) << 20, 1.0f);
  std::vector<double> sums(threads);
  auto body = [&] {
    std::vector<std::thread> workers;
    size_t part = buffer.size() / threads;
    for (int t = 0; t < threads; ++t)
      workers.emplace_back([&, t] {
        const float *p = buffer.data() + t * part;
        float acc[16] = {};
        for (size_t i = 0; i < part; i += 16)
          for (int j = 0; j < 16; ++j)
            acc[j] += p[i + j];
        double total = 0;
        for (float a : acc)
          total += a;
        sums[t] = total;
      });
    for (std::thread &w : workers)
      w.join();
  };
  double seconds = timeIt(body, minTime);
  return double(buffer.size() * sizeof(float)) / seconds / 1e9;
}

/// Sets the OpenMP threads of the JIT-compiled code (libomp is loaded by
/// the execution engine).
void setOpenMPThreads(int threads) {
  using Fn = void (*)(int);
  if (auto fn = reinterpret_cast<Fn>(
          llvm::sys::DynamicLibrary::SearchForAddressOfSymbol(
              "omp_set_num_threads")))
    fn(threads);
}

/// The random problem: codes (P x N x K, sign/magnitude), scales
/// (P x N x groups) and the dequantized weights, K x N for the float path.
struct Problem {
  Config config;
  int64_t groups;
  std::vector<uint8_t> codes;
  std::vector<float> scales;
  std::vector<float> weightsKN;

  explicit Problem(const Config &c) : config(c) {
    int64_t g = c.groupSize ? c.groupSize : c.k;
    groups = c.k / g;
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> trit(-1, 1);
    std::uniform_real_distribution<float> scale(0.01f, 0.05f);
    codes.resize(c.planes * c.n * c.k);
    for (uint8_t &code : codes)
      code = q::codeOf(trit(rng));
    scales.resize(c.planes * c.n * groups);
    for (float &s : scales)
      s = scale(rng);
    weightsKN.assign(c.k * c.n, 0.0f);
    for (int64_t p = 0; p < c.planes; ++p)
      for (int64_t n = 0; n < c.n; ++n)
        for (int64_t j = 0; j < c.k; ++j)
          weightsKN[j * c.n + n] +=
              scales[(p * c.n + n) * groups + j / g] *
              float(q::codeValue(codes[(p * c.n + n) * c.k + j]));
  }
};

/// @main(x: M x K) -> M x N: a tern.matmul over the problem's codes, or a
/// float linalg.matmul with the weights (K x N) as a second argument.
OwningOpRef<ModuleOp> buildModule(MLIRContext &ctx, const Problem &problem,
                                  int64_t batch, bool ternary) {
  const Config &c = problem.config;
  OpBuilder b(&ctx);
  Location loc = b.getUnknownLoc();
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());
  auto f32 = b.getF32Type();
  auto xType = RankedTensorType::get({batch, c.k}, f32);
  auto yType = RankedTensorType::get({batch, c.n}, f32);
  SmallVector<Type> inputs = {xType};
  if (!ternary)
    inputs.push_back(RankedTensorType::get({c.k, c.n}, f32));
  auto func =
      func::FuncOp::create(b, loc, "main", b.getFunctionType(inputs, {yType}));
  Block *body = func.addEntryBlock();
  b.setInsertionPointToStart(body);
  Value y;
  if (ternary) {
    SmallVector<int64_t> codeShape = {c.n, c.k};
    SmallVector<int64_t> scaleShape = {c.n, problem.groups};
    if (c.planes > 1) {
      codeShape.insert(codeShape.begin(), c.planes);
      scaleShape.insert(scaleShape.begin(), c.planes);
    }
    std::vector<uint8_t> packed(
        q::packedBytes(q::Packing::SignMagnitude, c.planes * c.n, c.k));
    // The codes come from quantize: always valid.
    llvm::cantFail(q::pack(q::Packing::SignMagnitude, problem.codes.data(),
                           c.planes * c.n, c.k, packed.data()));
    auto codesType = RankedTensorType::get(codeShape, TritType::get(&ctx));
    Value w = ConstantOp::create(b, loc, codesType, PackingKind::SignMagnitude,
                                 "weights", packed);
    auto scaleType = RankedTensorType::get(scaleShape, f32);
    Value scales = arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(scaleType, ArrayRef<float>(problem.scales)));
    y = MatmulOp::create(b, loc, yType, body->getArgument(0), w, scales,
                         Value(), Value(), b.getI64IntegerAttr(c.groupSize));
  } else {
    Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
    Value init = tensor::EmptyOp::create(b, loc, yType.getShape(), f32);
    init = linalg::FillOp::create(b, loc, zero, init).getResult(0);
    y = linalg::MatmulOp::create(
            b, loc, ValueRange{body->getArgument(0), body->getArgument(1)},
            ValueRange{init})
            .getResult(0);
  }
  func::ReturnOp::create(b, loc, y);
  return module;
}

rt::Array makeArray(std::vector<int64_t> shape, const float *data) {
  rt::Array array;
  array.shape = std::move(shape);
  int64_t count = 1;
  for (int64_t d : array.shape)
    count *= d;
  array.data.resize(count * sizeof(float));
  std::memcpy(array.data.data(), data, array.data.size());
  return array;
}

int fail(const std::string &message) {
  std::fprintf(stderr, "tern-kernel-bench: %s\n", message.c_str());
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  Config c;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc)
      return fail("missing value after " + flag);
    const char *value = argv[++i];
    if (flag == "--n")
      c.n = std::atoll(value);
    else if (flag == "--k")
      c.k = std::atoll(value);
    else if (flag == "--planes")
      c.planes = std::atoll(value);
    else if (flag == "--group-size")
      c.groupSize = std::atoll(value);
    else if (flag == "--batch")
      c.batches = parseList(value);
    else if (flag == "--threads") {
      c.threads.clear();
      for (int64_t t : parseList(value))
        c.threads.push_back(int(t));
    } else if (flag == "--cpu")
      c.cpu = value;
    else if (flag == "--int8-dot")
      c.int8Dot = value;
    else if (flag == "--min-time")
      c.minTime = std::atof(value);
    else
      return fail("unknown option " + flag);
  }
  if (c.n < 1 || c.k < 1 || c.planes < 1 ||
      (c.groupSize && (c.groupSize < 0 || c.k % c.groupSize)))
    return fail("bad sizes: need N, K, P >= 1 and a group size dividing K");
  for (int t : c.threads)
    if (t < 1)
      return fail("thread counts must be >= 1");

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<TernDialect>();
  MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();

  ExecutionOptions execution;
  llvm::Expected<TargetCPU> cpu = resolveCPU(c.cpu);
  if (!cpu)
    return fail(llvm::toString(cpu.takeError()));
  execution.cpu = *cpu;
  llvm::Expected<Int8Dot> resolvedDot =
      resolveInt8Dot(execution.cpu, c.int8Dot);
  if (!resolvedDot)
    return fail(llvm::toString(resolvedDot.takeError()));
  Int8Dot int8Dot = *resolvedDot;

  std::printf("machine: %u hardware threads; read bandwidth",
              std::thread::hardware_concurrency());
  std::vector<double> bandwidth;
  for (int t : c.threads) {
    bandwidth.push_back(readBandwidth(t, c.minTime));
    std::printf(" %.1f GB/s (%d thread%s)", bandwidth.back(), t,
                t == 1 ? "" : "s");
  }
  Problem problem(c);
  double bitmapBytes = double(
      c.planes * c.n * q::KernelBitmaps::get(c.k, c.groupSize).rowBytes());
  q::KernelDotCodes dotCodes =
      q::KernelDotCodes::get(c.k, c.groupSize, execution.cpu.vectorWidth);
  double dotBytes =
      double(c.planes * dotCodes.blocks(c.n) * dotCodes.blockBytes());
  std::printf("\nproblem: N = %lld, K = %lld, %lld plane(s), group %lld, "
              "--cpu %s (%lld f32 lanes), int8 dot: %s\n",
              (long long)c.n, (long long)c.k, (long long)c.planes,
              (long long)(c.groupSize ? c.groupSize : c.k), c.cpu.c_str(),
              (long long)execution.cpu.vectorWidth,
              stringifyInt8Dot(int8Dot).str().c_str());
  std::printf("weights: kernel bitmaps %.1f MB, dot codes %.1f MB, float "
              "%.1f MB\n",
              bitmapBytes / 1e6, dotBytes / 1e6, double(c.n * c.k * 4) / 1e6);
  std::printf("columns: f32 and i16 = add/sub kernels (f32 activations; "
              "int8 activations in 16-bit lanes), int8 = dot-product "
              "kernel (int8 activations)\n\n");
  std::printf("%5s %7s %9s %9s %9s %9s %11s %9s %9s %12s\n", "M", "threads",
              "f32 ms", "i16 ms", "int8 ms", "float ms", "openblas ms",
              "blas/f32", "blas/int8", "int8 GB/s");

  std::mt19937 rng(11);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (int64_t batch : c.batches) {
    std::vector<float> x(batch * c.k);
    for (float &v : x)
      v = uniform(rng);
    // Compile both once per batch size; thread counts change at run time.
    auto ternaryModule = buildModule(ctx, problem, batch, true);
    auto floatModule = buildModule(ctx, problem, batch, false);
    FailureOr<std::unique_ptr<CompiledModel>> ternary =
        CompiledModel::compile(*ternaryModule, execution);
    if (failed(ternary))
      return fail("compiling the ternary matmul: failed");
    ExecutionOptions integerExecution = execution;
    integerExecution.ternaryActivations = KernelActivations::Int8;
    integerExecution.ternaryInt8Dot = Int8Dot::None;
    auto addSubModule = buildModule(ctx, problem, batch, true);
    FailureOr<std::unique_ptr<CompiledModel>> addSub =
        CompiledModel::compile(*addSubModule, integerExecution);
    if (failed(addSub))
      return fail("compiling the ternary matmul (i16): failed");
    integerExecution.ternaryInt8Dot = int8Dot;
    auto integerModule = buildModule(ctx, problem, batch, true);
    FailureOr<std::unique_ptr<CompiledModel>> integer =
        CompiledModel::compile(*integerModule, integerExecution);
    if (failed(integer))
      return fail("compiling the ternary matmul (int8): failed");
    FailureOr<std::unique_ptr<CompiledModel>> floating =
        CompiledModel::compile(*floatModule, execution);
    if (failed(floating))
      return fail("compiling the float matmul: failed");

    std::vector<rt::Array> ternaryInputs = {makeArray({batch, c.k}, x.data())};
    std::vector<rt::Array> floatInputs = {
        makeArray({batch, c.k}, x.data()),
        makeArray({c.k, c.n}, problem.weightsKN.data())};
    std::vector<rt::Array> outputs;

    // Check the kernel against the dequantized weights on the first row.
    if (llvm::Error error = (*ternary)->run(ternaryInputs, &outputs))
      return fail(llvm::toString(std::move(error)));
    const float *y = reinterpret_cast<const float *>(outputs[0].data.data());
    double worst = 0, scale = 0;
    for (int64_t n = 0; n < c.n; ++n) {
      double expected = 0;
      for (int64_t j = 0; j < c.k; ++j)
        expected += double(x[j]) * problem.weightsKN[j * c.n + n];
      worst = std::max(worst, std::fabs(expected - y[n]));
      scale = std::max(scale, std::fabs(expected));
    }
    if (worst > 1e-4 * std::max(scale, 1.0))
      return fail("the ternary kernel's result is off by " +
                  std::to_string(worst) + " (largest value " +
                  std::to_string(scale) + ")");
    // The int8 paths quantize x: report how far they land, relative to the
    // largest output. Both quantize alike and sum exactly, so they must
    // agree with each other to the f32 rounding of their last steps.
    if (llvm::Error error = (*integer)->run(ternaryInputs, &outputs))
      return fail(llvm::toString(std::move(error)));
    std::vector<float> dotRow(outputs[0].data.size() / sizeof(float));
    std::memcpy(dotRow.data(), outputs[0].data.data(), outputs[0].data.size());
    if (llvm::Error error = (*addSub)->run(ternaryInputs, &outputs))
      return fail(llvm::toString(std::move(error)));
    const float *yi = reinterpret_cast<const float *>(outputs[0].data.data());
    double integerError = 0, disagreement = 0;
    for (int64_t n = 0; n < c.n; ++n) {
      double expected = 0;
      for (int64_t j = 0; j < c.k; ++j)
        expected += double(x[j]) * problem.weightsKN[j * c.n + n];
      integerError = std::max(integerError, std::fabs(expected - dotRow[n]));
      disagreement =
          std::max(disagreement, double(std::fabs(dotRow[n] - yi[n])));
    }
    if (disagreement > 1e-4 * std::max(scale, 1.0))
      return fail("the int8 dot and add/sub kernels disagree by " +
                  std::to_string(disagreement));
    std::printf("%5lld: int8 activations: max error %.2e of largest output "
                "%.2e\n",
                (long long)batch, integerError, scale);

    std::vector<float> blasOut(batch * c.n);
    for (auto [index, threads] : llvm::enumerate(c.threads)) {
      setOpenMPThreads(threads);
      double tern = timeIt(
          [&] { llvm::cantFail((*ternary)->run(ternaryInputs, &outputs)); },
          c.minTime);
      double tern16 = timeIt(
          [&] { llvm::cantFail((*addSub)->run(ternaryInputs, &outputs)); },
          c.minTime);
      double tern8 = timeIt(
          [&] { llvm::cantFail((*integer)->run(ternaryInputs, &outputs)); },
          c.minTime);
      double flt = timeIt(
          [&] { llvm::cantFail((*floating)->run(floatInputs, &outputs)); },
          c.minTime);
      double blas = NAN;
#ifdef TERN_HAVE_OPENBLAS
      openblas_set_num_threads(threads);
      const float *w = problem.weightsKN.data();
      if (batch == 1)
        blas = timeIt(
            [&] {
              cblas_sgemv(CblasRowMajor, CblasTrans, int(c.k), int(c.n), 1.0f,
                          w, int(c.n), x.data(), 1, 0.0f, blasOut.data(), 1);
            },
            c.minTime);
      else
        blas = timeIt(
            [&] {
              cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(batch),
                          int(c.n), int(c.k), 1.0f, x.data(), int(c.k), w,
                          int(c.n), 0.0f, blasOut.data(), int(c.n));
            },
            c.minTime);
#endif
      double rate8 = dotBytes / tern8 / 1e9;
      std::printf("%5lld %7d %9.3f %9.3f %9.3f %9.3f %11.3f %9.2f %9.2f "
                  "%6.1f (%3.0f%%)\n",
                  (long long)batch, threads, tern * 1e3, tern16 * 1e3,
                  tern8 * 1e3, flt * 1e3, blas * 1e3, blas / tern, blas / tern8,
                  rate8, 100.0 * rate8 / bandwidth[index]);
      std::fflush(stdout);
    }
  }
  return 0;
}
