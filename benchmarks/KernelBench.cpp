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
//     tern-cpu-pipeline (tern's own float code generation), with the
//     weights as f32 arguments, and as constants stored as tern-ternarize
//     keep= stores layers left out of the ternary set: int8 codes with a
//     scale per output channel, and f16;
//   - OpenBLAS sgemv (M = 1) or sgemm (M > 1), when built with it;
//
// for each M and thread count, and the machine's memory read bandwidth, so
// that the ternary weights' bytes per second can be read against it. The
// tern result is checked against a scalar evaluation of the same weights.
//
// The weights of one matrix stay in the last-level cache from call to call
// (warm). A model's do not: when a decoder generates, every weight streams
// from memory once per token. --cold therefore also times each kernel on
// enough distinct matrices (--cold-bytes, default the larger of 256 MB and
// 4x the last-level cache) computed one after the other in one call, so
// that each reads its weights from DRAM, and reports the time per matrix.
// --json FILE writes every figure as one record per row (kernel, format,
// bits_per_weight, m, threads, cache, ms, gbps, bandwidth_fraction).
// --kernels LIST times only the kernels named (kUsage below lists them);
// the checks that need another kernel's result still compile it, warm.
//
//   tern-kernel-bench [--n N] [--k K] [--batch 1,8,512] [--threads 1,2]
//                     [--planes P] [--group-size G] [--cpu NAME]
//                     [--int8-dot NAME] [--kernels LIST]
//                     [--min-time SECONDS] [--cold] [--cold-bytes BYTES]
//                     [--json FILE]
//
//===----------------------------------------------------------------------===//

#include "tern/Dialect/Tern/IR/TernDialect.h"
#include "tern/Dialect/Tern/IR/TernOps.h"
#include "tern/Execution/Execution.h"
#include "tern/Quant/Kept.h"
#include "tern/Quant/Packing.h"
#include "tern/Quantization/Layers.h"

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
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <numeric>
#include <optional>
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
  /// Registers of the dot-product tiles of one activation row on long rows
  /// (0: the pipeline's choice).
  int64_t rowTileRegisters = 0;
  double minTime = 1.0;
  bool cold = false;
  /// Bytes of distinct weights a cold call reads (0: the default).
  int64_t coldBytes = 0;
  std::string json;
  /// The kernels to time (--kernels); all of them when empty.
  std::vector<std::string> kernels;

  bool wants(llvm::StringRef kernel) const {
    return kernels.empty() || llvm::is_contained(kernels, kernel);
  }
};

/// What --kernels takes, in the report's order.
constexpr const char *kKernelNames[] = {
    "f32",   "i16",       "int8",          "base3",    "sherry",
    "float", "kept-int8", "kept-int8-dot", "kept-f16", "openblas"};

constexpr const char *kUsage = R"(usage: tern-kernel-bench [options]
Times y = x W^T (W: N x K ternary) with tern's kernels on this machine.
  --n N, --k K          the weights' shape (default 4096 x 14336)
  --batch LIST          rows of x, e.g. 1,8,512 (the default)
  --threads LIST        OpenMP threads, e.g. 1,2 (the default)
  --planes P            trit planes (default 1)
  --group-size G        codes per scale along K (default 0: one per row)
  --cpu NAME            native, x86-64-v3 (the default), an LLVM CPU name
  --int8-dot NAME       auto, generic, pmaddubsw, vpdpbusd
  --row-tile-registers R
                        registers of output rows in the dot-product tiles
                        of one activation row on long rows of codes
                        (default 0: tern-cpu-pipeline's choice)
  --kernels LIST        the kernels to time, e.g. int8,base3 (default all):
                        f32, i16 (add/sub kernels, f32 and int8 activations),
                        int8 (dot products on 2-bit codes), base3, sherry,
                        float (f32 weights), kept-int8, kept-f16 (weights
                        as keep= stores them), kept-int8-dot (int8 weights
                        in the dot-product kernel), openblas
  --min-time SECONDS    time each row for at least this long (default 1)
  --cold                also time weights that stream from memory
  --cold-bytes BYTES    bytes of distinct weights a cold call reads
  --json FILE           write every row as a JSON record
)";

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

/// Sums the 16-byte words of `streams` consecutive equal parts of
/// [p, p + bytes), the parts read side by side (one load of each a step).
template <int Streams> uint64_t sumStreams(const uint8_t *p, size_t bytes) {
  using Word = uint64_t __attribute__((vector_size(16)));
  Word acc[Streams][4] = {};
  size_t part = bytes / Streams;
  for (size_t i = 0; i + 64 <= part; i += 64)
    for (int s = 0; s < Streams; ++s)
      for (int j = 0; j < 4; ++j) {
        Word w;
        std::memcpy(&w, p + s * part + i + 16 * j, sizeof(w));
        acc[s][j] += w;
      }
  Word total = {};
  for (auto &stream : acc)
    for (Word w : stream)
      total += w;
  return total[0] + total[1];
}

/// The machine's read bandwidth: `threads` threads summing disjoint parts
/// of a 512 MiB buffer, each thread reading `streams` streams side by side.
/// One stream a thread leaves the memory system idle on some CPUs (on a
/// Zen 5 EPYC, 2 threads read 48 to 52 GB/s so and 57 to 62 with two
/// streams each): best() takes the best of 1, 2 and 4, so that a kernel's
/// fraction of the bandwidth is against the best a simple loop gets.
struct ReadProbe {
  int threads = 1;
  uint64_t (*sum)(const uint8_t *, size_t) = &sumStreams<1>;

  static std::vector<uint8_t> &buffer() {
    static std::vector<uint8_t> bytes(size_t(512) << 20, 1);
    return bytes;
  }

  struct Pass {
    const ReadProbe *probe;
    std::vector<uint64_t> sums;
    int (*threadNum)();
    int (*teamSize)();
  };

  /// Parts t, t + team, ... of a pass (one each when the team has the
  /// threads asked for; every part is read whatever size it has).
  static void read(Pass &p, int t, int team) {
    std::vector<uint8_t> &bytes = buffer();
    size_t part = bytes.size() / p.probe->threads;
    for (int i = t; i < p.probe->threads; i += team)
      p.sums[i] = p.probe->sum(bytes.data() + i * part, part);
  }

  /// GB/s of one pass over the buffer. Once the JIT has loaded libomp, the
  /// pass runs on the kernels' own OpenMP threads: threads of its own would
  /// share the cores with OpenMP's, which spin for a while after each call.
  double pass() const {
    using Parallel = void (*)(void (*)(void *), void *, unsigned, unsigned);
    auto parallel = reinterpret_cast<Parallel>(
        llvm::sys::DynamicLibrary::SearchForAddressOfSymbol("GOMP_parallel"));
    auto symbol = [](const char *name) {
      return reinterpret_cast<int (*)()>(
          llvm::sys::DynamicLibrary::SearchForAddressOfSymbol(name));
    };
    Pass p{this, std::vector<uint64_t>(threads), symbol("omp_get_thread_num"),
           symbol("omp_get_num_threads")};
    double start = now();
    if (parallel && p.threadNum && p.teamSize) {
      parallel(
          [](void *data) {
            Pass &p = *static_cast<Pass *>(data);
            read(p, p.threadNum(), p.teamSize());
          },
          &p, unsigned(threads), 0);
    } else {
      std::vector<std::thread> workers;
      for (int t = 0; t < threads; ++t)
        workers.emplace_back([this, &p, t] { read(p, t, threads); });
      for (std::thread &w : workers)
        w.join();
    }
    double seconds = now() - start;
    const std::vector<uint64_t> &sums = p.sums;
    // The sums are used, so that no loop is optimized away.
    uint64_t total = std::accumulate(sums.begin(), sums.end(), uint64_t(0));
    asm volatile("" : : "r"(total));
    return double(buffer().size()) / seconds / 1e9;
  }

  /// The pattern that reads fastest, each timed for minTime / 3 seconds;
  /// `gbps` is its median pass.
  static ReadProbe best(int threads, double minTime, double &gbps) {
    ReadProbe result;
    gbps = 0;
    for (auto *sum : {&sumStreams<1>, &sumStreams<2>, &sumStreams<4>}) {
      ReadProbe probe{threads, sum};
      double seconds = timeIt([&] { probe.pass(); }, minTime / 3);
      double rate = double(buffer().size()) / seconds / 1e9;
      if (rate > gbps) {
        gbps = rate;
        result = probe;
      }
    }
    return result;
  }
};

/// A cold row's time and the bandwidth it is read against.
struct PairedTime {
  double seconds, gbps;
};

/// Median seconds per call of `body` and median GB/s of `probe`, passes of
/// the probe alternating with the calls, for at least `minTime` seconds: the
/// bandwidth a shared machine gives moves from second to second, and a cold
/// kernel's fraction of it is read against the passes around its own calls.
PairedTime timePaired(const std::function<void()> &body, const ReadProbe &probe,
                      double minTime) {
  body();
  std::vector<double> samples, passes;
  double start = now();
  while (samples.size() < 3 || now() - start < minTime) {
    passes.push_back(probe.pass());
    double t0 = now();
    body();
    samples.push_back(now() - t0);
  }
  std::sort(samples.begin(), samples.end());
  std::sort(passes.begin(), passes.end());
  return {samples[samples.size() / 2], passes[passes.size() / 2]};
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
/// With `sherry`, every quad of 4 codes along K holds exactly one zero
/// (Sherry's 3:4 codes; K must be a multiple of 4).
struct Problem {
  Config config;
  int64_t groups;
  std::vector<uint8_t> codes;
  std::vector<float> scales;
  std::vector<float> weightsKN;

  explicit Problem(const Config &c, bool sherry = false) : config(c) {
    int64_t g = c.groupSize ? c.groupSize : c.k;
    groups = c.k / g;
    std::mt19937 rng(sherry ? 8 : 7);
    std::uniform_int_distribution<int> trit(-1, 1), position(0, 3), sign(0, 1);
    std::uniform_real_distribution<float> scale(0.01f, 0.05f);
    codes.resize(c.planes * c.n * c.k);
    if (sherry) {
      for (size_t quad = 0; quad < codes.size(); quad += 4) {
        int zero = position(rng);
        for (int j = 0; j < 4; ++j)
          codes[quad + j] = q::codeOf(j == zero ? 0 : sign(rng) ? 1 : -1);
      }
    } else {
      for (uint8_t &code : codes)
        code = q::codeOf(trit(rng));
    }
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

/// Copy `copy` of the problem's weights: its output rows rotated by
/// `copy * rowShift(n)`, so that copies are distinct bytes with the same
/// statistics (y of copy i is y of copy 0 rotated the same way).
int64_t rowShift(int64_t n) {
  if (n < 2)
    return 0;
  int64_t shift = 7919 % n;
  return shift ? shift : 1;
}
int64_t sourceRow(int64_t row, int64_t copy, int64_t n) {
  return (row + copy * rowShift(n)) % n;
}

/// @main(x: M x K, `extra` further arguments) -> M x N: the sum over
/// `copies` products, `product(b, body, copy)` each.
OwningOpRef<ModuleOp>
buildSumOfCopies(MLIRContext &ctx, int64_t batch, int64_t k, int64_t n,
                 ArrayRef<Type> extra, int64_t copies,
                 function_ref<Value(OpBuilder &, Block *, int64_t)> product) {
  OpBuilder b(&ctx);
  Location loc = b.getUnknownLoc();
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());
  auto f32 = b.getF32Type();
  auto yType = RankedTensorType::get({batch, n}, f32);
  SmallVector<Type> inputs = {RankedTensorType::get({batch, k}, f32)};
  inputs.append(extra.begin(), extra.end());
  auto func =
      func::FuncOp::create(b, loc, "main", b.getFunctionType(inputs, {yType}));
  Block *body = func.addEntryBlock();
  b.setInsertionPointToStart(body);
  Value sum;
  for (int64_t copy = 0; copy < copies; ++copy) {
    Value y = product(b, body, copy);
    if (sum) {
      Value out = tensor::EmptyOp::create(b, loc, yType.getShape(), f32);
      sum = linalg::AddOp::create(b, loc, ValueRange{sum, y}, ValueRange{out})
                .getResult(0);
    } else {
      sum = y;
    }
  }
  func::ReturnOp::create(b, loc, sum);
  return module;
}

/// @main(x: M x K) -> M x N: the sum over `copies` copies of the weights
/// (one, unless cold) of a tern.matmul over the copy's codes, or of a float
/// linalg.matmul with the copy's weights (K x N) as further arguments.
OwningOpRef<ModuleOp>
buildModule(MLIRContext &ctx, const Problem &problem, int64_t batch,
            bool ternary, int64_t copies,
            q::Packing packing = q::Packing::SignMagnitude) {
  const Config &c = problem.config;
  auto f32 = Float32Type::get(&ctx);
  auto yType = RankedTensorType::get({batch, c.n}, f32);
  SmallVector<Type> extra;
  if (!ternary)
    extra.append(copies, RankedTensorType::get({c.k, c.n}, f32));
  return buildSumOfCopies(
      ctx, batch, c.k, c.n, extra, copies,
      [&](OpBuilder &b, Block *body, int64_t copy) -> Value {
        Location loc = b.getUnknownLoc();
        if (!ternary) {
          Value zero =
              arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
          Value init = tensor::EmptyOp::create(b, loc, yType.getShape(), f32);
          init = linalg::FillOp::create(b, loc, zero, init).getResult(0);
          return linalg::MatmulOp::create(
                     b, loc,
                     ValueRange{body->getArgument(0),
                                body->getArgument(1 + copy)},
                     ValueRange{init})
              .getResult(0);
        }
        SmallVector<int64_t> codeShape = {c.n, c.k};
        SmallVector<int64_t> scaleShape = {c.n, problem.groups};
        if (c.planes > 1) {
          codeShape.insert(codeShape.begin(), c.planes);
          scaleShape.insert(scaleShape.begin(), c.planes);
        }
        std::vector<uint8_t> codes(problem.codes.size());
        std::vector<float> scales(problem.scales.size());
        for (int64_t p = 0; p < c.planes; ++p)
          for (int64_t n = 0; n < c.n; ++n) {
            int64_t from = p * c.n + sourceRow(n, copy, c.n), to = p * c.n + n;
            std::memcpy(&codes[to * c.k], &problem.codes[from * c.k], c.k);
            std::memcpy(&scales[to * problem.groups],
                        &problem.scales[from * problem.groups],
                        problem.groups * sizeof(float));
          }
        std::vector<uint8_t> packed(
            q::packedBytes(packing, c.planes * c.n, c.k));
        // The codes come from quantize: always valid.
        llvm::cantFail(
            q::pack(packing, codes.data(), c.planes * c.n, c.k, packed.data()));
        auto codesType = RankedTensorType::get(codeShape, TritType::get(&ctx));
        Value w = ConstantOp::create(
            b, loc, codesType,
            packing == q::Packing::Base3    ? PackingKind::Base3
            : packing == q::Packing::Sherry ? PackingKind::Sherry
                                            : PackingKind::SignMagnitude,
            "weights", packed);
        auto scaleType = RankedTensorType::get(scaleShape, f32);
        Value scaleValues = arith::ConstantOp::create(
            b, loc, DenseElementsAttr::get(scaleType, ArrayRef<float>(scales)));
        return MatmulOp::create(b, loc, yType, body->getArgument(0), w,
                                scaleValues, Value(), Value(),
                                b.getI64IntegerAttr(c.groupSize));
      });
}

/// @main(x: M x K) -> M x N: the sum over `copies` copies of the weights of
/// a matmul on the problem's weights as tern-ternarize keep= stores them
/// (`kept`, N x K), each copy's rows rotated as the ternary copies' are.
OwningOpRef<ModuleOp> buildKeptModule(MLIRContext &ctx,
                                      const q::KeptWeights &kept, int64_t batch,
                                      int64_t copies) {
  int64_t n = kept.rows, k = kept.cols;
  bool int8 = kept.format == q::KeptFormat::Int8;
  return buildSumOfCopies(
      ctx, batch, k, n, {}, copies,
      [&](OpBuilder &b, Block *body, int64_t copy) {
        q::KeptWeights rotated = kept;
        for (int64_t r = 0; r < n; ++r) {
          int64_t from = sourceRow(r, copy, n);
          if (int8) {
            std::memcpy(&rotated.codes[r * k], &kept.codes[from * k], k);
            rotated.scales[r] = kept.scales[from];
          } else {
            std::memcpy(&rotated.values[r * k], &kept.values[from * k],
                        k * sizeof(float));
          }
        }
        return buildKeptProducts(b, b.getUnknownLoc(), body->getArgument(0),
                                 rotated, "weights" + std::to_string(copy));
      });
}

/// The last-level cache's size in bytes, as the cache topology in /sys
/// gives it (0 if the system does not say: some VMs do not, and cpuid's
/// figure there can be the whole socket's, which no core reaches).
int64_t lastLevelCache() {
  int64_t largest = 0;
  for (int index = 0; index < 8; ++index) {
    std::string path = "/sys/devices/system/cpu/cpu0/cache/index" +
                       std::to_string(index) + "/size";
    FILE *file = std::fopen(path.c_str(), "r");
    if (!file)
      continue;
    long long size = 0;
    char unit = 0;
    if (std::fscanf(file, "%lld%c", &size, &unit) >= 1)
      largest = std::max<int64_t>(largest, size * (unit == 'K'   ? 1024
                                                   : unit == 'M' ? 1 << 20
                                                                 : 1));
    std::fclose(file);
  }
  return largest;
}

/// One measured row of the report.
struct Record {
  std::string kernel, format;
  double bitsPerWeight;
  int64_t m;
  int threads;
  bool cold;
  double ms, gbps, fraction, bandwidth;
};

void writeJson(FILE *out, const std::vector<Record> &records) {
  std::fprintf(out, "[\n");
  for (auto [i, r] : llvm::enumerate(records))
    std::fprintf(out,
                 "  {\"kernel\": \"%s\", \"format\": \"%s\", "
                 "\"bits_per_weight\": %.4f, \"m\": %lld, \"threads\": %d, "
                 "\"cache\": \"%s\", \"ms\": %.6f, \"gbps\": %.3f, "
                 "\"bandwidth_fraction\": %.4f, \"bandwidth_gbps\": %.3f}%s\n",
                 r.kernel.c_str(), r.format.c_str(), r.bitsPerWeight,
                 (long long)r.m, r.threads, r.cold ? "cold" : "warm", r.ms,
                 r.gbps, r.fraction, r.bandwidth,
                 i + 1 < records.size() ? "," : "");
  std::fprintf(out, "]\n");
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

/// `text` as a whole number >= `least`, or nothing.
std::optional<int64_t> parseCount(const char *text, int64_t least) {
  char *end = nullptr;
  errno = 0;
  long long value = std::strtoll(text, &end, 10);
  if (errno || end == text || *end || value < least)
    return std::nullopt;
  return value;
}

} // namespace

int main(int argc, char **argv) {
  Config c;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--cold") {
      c.cold = true;
      continue;
    }
    if (flag == "--help" || flag == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (flag.rfind("--", 0) != 0)
      return fail("unexpected argument '" + flag + "'");
    if (i + 1 >= argc)
      return fail("missing value after " + flag);
    const char *value = argv[++i];
    auto count = [&](int64_t least, int64_t &into) {
      std::optional<int64_t> parsed = parseCount(value, least);
      if (parsed)
        into = *parsed;
      return parsed.has_value();
    };
    bool ok = true;
    if (flag == "--n")
      ok = count(1, c.n);
    else if (flag == "--k")
      ok = count(1, c.k);
    else if (flag == "--planes")
      ok = count(1, c.planes);
    else if (flag == "--group-size")
      ok = count(0, c.groupSize);
    else if (flag == "--cold-bytes")
      ok = count(1, c.coldBytes);
    else if (flag == "--row-tile-registers")
      ok = count(0, c.rowTileRegisters);
    else if (flag == "--json")
      c.json = value;
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
    else if (flag == "--kernels") {
      std::stringstream in(value);
      std::string name;
      while (std::getline(in, name, ',')) {
        if (!llvm::is_contained(kKernelNames, llvm::StringRef(name))) {
          std::string known;
          for (const char *k : kKernelNames)
            known += std::string(known.empty() ? "" : ", ") + k;
          return fail("--kernels: unknown kernel '" + name +
                      "' (known: " + known + ")");
        }
        c.kernels.push_back(name);
      }
      if (c.kernels.empty())
        return fail("--kernels: expected a list of kernels");
    } else
      return fail("unknown option " + flag);
    if (!ok)
      return fail(flag + ": expected a whole number, got '" + value + "'");
  }
  if (c.groupSize && c.k % c.groupSize)
    return fail("bad sizes: need N, K, P >= 1 and a group size dividing K");
  for (int t : c.threads)
    if (t < 1)
      return fail("thread counts must be >= 1");
  for (int64_t m : c.batches)
    if (m < 1)
      return fail("batch sizes must be >= 1");

  // The report's file, opened before anything is measured.
  std::unique_ptr<FILE, int (*)(FILE *)> json(nullptr, &std::fclose);
  if (!c.json.empty()) {
    json.reset(std::fopen(c.json.c_str(), "w"));
    if (!json)
      return fail("cannot write " + c.json + ": " + std::strerror(errno));
  }

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
  execution.ternaryRowTileRegisters = c.rowTileRegisters;
  llvm::Expected<Int8Dot> resolvedDot =
      resolveInt8Dot(execution.cpu, c.int8Dot);
  if (!resolvedDot)
    return fail(llvm::toString(resolvedDot.takeError()));
  Int8Dot int8Dot = *resolvedDot;

  // The bytes each kernel reads per matrix: its codes and f32 scales.
  int64_t groups = c.groupSize ? c.k / c.groupSize : 1;
  double scaleBytes = double(c.planes * c.n * groups * 4);
  double bitmapBytes =
      double(c.planes * c.n *
             q::KernelBitmaps::get(c.k, c.groupSize).rowBytes()) +
      scaleBytes;
  // The dot-product kernels' codes of `format` and the scales.
  auto dotCodeBytes = [&](q::KernelDotCodes::Format format) {
    q::KernelDotCodes codes = q::KernelDotCodes::get(
        c.k, c.groupSize, execution.cpu.vectorWidth, format);
    return double(c.planes * codes.blocks(c.n) * codes.blockBytes()) +
           scaleBytes;
  };
  double dotBytes = dotCodeBytes(q::KernelDotCodes::Format::TwoBit);
  // Base-3 weights (1.6 bits) keep their format in the dot-product kernels
  // that decode them: vpdpbusd on 512-bit registers with vpermi2b,
  // vpmaddubsw (vpshufb), and the generic form.
  bool base3 = execution.cpu.decodesBase3(int8Dot);
  if (!c.kernels.empty() && c.wants("base3") && !base3)
    return fail("--kernels base3: no kernel reads base-3 codes with int8 dot " +
                stringifyInt8Dot(int8Dot).str() + " on --cpu " + c.cpu);
  base3 = base3 && c.wants("base3");
  double base3Bytes = dotCodeBytes(q::KernelDotCodes::Format::Base3);
  // Sherry's 3:4 codes keep theirs (5-bit quad fields, 1.33 bits) with
  // vpdpbusd on 512-bit registers and with the generic form: a Sherry
  // problem of its own (other codes, same shape), checked against the same
  // codes repacked to 2 bits.
  bool sherry = c.k % 4 == 0 && (c.groupSize ? c.groupSize : c.k) % 4 == 0 &&
                decodesSherryCodes(int8Dot, execution.cpu.vectorWidth);
  if (!c.kernels.empty() && c.wants("sherry") && !sherry)
    return fail("--kernels sherry: no kernel reads Sherry's codes with int8 "
                "dot " +
                stringifyInt8Dot(int8Dot).str() + " on --cpu " + c.cpu +
                " (or K or the group size is no multiple of 4)");
  sherry = sherry && c.wants("sherry");
  // Kept int8 layers take the dot-product kernel (their weights signed
  // with pmaddubsw) where their sums fit i32.
  q::KernelDotCodes::Format keptFormat =
      q::KernelDotCodes::int8Format(signsKeptInt8Codes(int8Dot));
  int64_t keptMaxK = q::KernelDotCodes::maxInt8Codes(keptFormat);
  bool keptDot = int8Dot != Int8Dot::None && c.k <= keptMaxK;
  if (!c.kernels.empty() && c.wants("kept-int8-dot") && !keptDot)
    return fail("--kernels kept-int8-dot: no kernel reads int8 weights with "
                "int8 dot " +
                stringifyInt8Dot(int8Dot).str() + " (or K is above " +
                std::to_string(keptMaxK) + ")");
  keptDot = keptDot && c.wants("kept-int8-dot");
  double sherryBytes = dotCodeBytes(q::KernelDotCodes::Format::Sherry);
  double floatBytes = double(c.n * c.k * 4);
  // The problem's weights as keep= stores them (int8 codes and f16 scales;
  // f16), N x K.
  std::vector<float> weightsNK(c.n * c.k);
  q::KeptWeights int8Weights, halfWeights;
  double int8Bytes = 0, halfBytes = double(c.n * c.k * 2);
  // Distinct matrices a cold call reads: enough that none is still cached.
  int64_t cache = lastLevelCache();
  int64_t coldTotal = c.coldBytes
                          ? c.coldBytes
                          : std::max<int64_t>(int64_t(256) << 20, 4 * cache);
  auto copiesFor = [&](double bytes) {
    return std::max<int64_t>(1, int64_t(std::ceil(double(coldTotal) / bytes)));
  };
  int64_t ternaryCopies =
      c.cold ? copiesFor(std::min(bitmapBytes, dotBytes)) : 1;
  int64_t floatCopies = c.cold ? copiesFor(floatBytes) : 1;
  // Base 3 runs only with base3 (vpdpbusd, generic), Sherry with sherry.
  int64_t base3Copies = c.cold && base3 ? copiesFor(base3Bytes) : 1;
  int64_t sherryCopies = c.cold && sherry ? copiesFor(sherryBytes) : 1;
  constexpr int64_t kMaxCopies = 1024;
  if (std::max({ternaryCopies, base3Copies, sherryCopies}) > kMaxCopies)
    return fail(
        "--cold needs " +
        std::to_string(std::max({ternaryCopies, base3Copies, sherryCopies})) +
        " copies of a " +
        std::to_string(int64_t(
            std::min({bitmapBytes, dotBytes, base3Bytes, sherryBytes}))) +
        "-byte matrix to read " + std::to_string(coldTotal) +
        " bytes (at most " + std::to_string(kMaxCopies) +
        "): take a larger --n or --k, or smaller --cold-bytes");

  std::printf("machine: %u hardware threads; last-level cache %s; read "
              "bandwidth",
              std::thread::hardware_concurrency(),
              cache ? (std::to_string(cache >> 20) + " MiB").c_str()
                    : "not reported");
  std::vector<double> bandwidth(c.threads.size());
  std::vector<ReadProbe> probes;
  for (auto [index, t] : llvm::enumerate(c.threads)) {
    probes.push_back(ReadProbe::best(t, c.minTime, bandwidth[index]));
    std::printf(" %.1f GB/s (%d thread%s)", bandwidth[index], t,
                t == 1 ? "" : "s");
  }
  Problem problem(c);
  std::optional<Problem> sherryProblem;
  if (sherry)
    sherryProblem.emplace(c, /*sherry=*/true);
  for (int64_t j = 0; j < c.k; ++j)
    for (int64_t n = 0; n < c.n; ++n)
      weightsNK[n * c.k + j] = problem.weightsKN[j * c.n + n];
  int8Weights =
      q::keepWeights({weightsNK.data(), c.n, c.k}, q::KeptFormat::Int8);
  halfWeights =
      q::keepWeights({weightsNK.data(), c.n, c.k}, q::KeptFormat::F16);
  std::vector<float>().swap(weightsNK);
  int8Bytes = double(c.n * c.k) + double(c.n * int8Weights.scaleBits / 8);
  int64_t int8Copies = c.cold ? copiesFor(int8Bytes) : 1;
  int64_t halfCopies = c.cold ? copiesFor(halfBytes) : 1;
  std::printf("\nproblem: N = %lld, K = %lld, %lld plane(s), group %lld, "
              "--cpu %s (%lld f32 lanes), int8 dot: %s, row tile registers: "
              "%s\n",
              (long long)c.n, (long long)c.k, (long long)c.planes,
              (long long)(c.groupSize ? c.groupSize : c.k), c.cpu.c_str(),
              (long long)execution.cpu.vectorWidth,
              stringifyInt8Dot(int8Dot).str().c_str(),
              c.rowTileRegisters ? std::to_string(c.rowTileRegisters).c_str()
                                 : "auto");
  std::printf("weights (codes and scales): kernel bitmaps %.1f MB, dot codes "
              "%.1f MB, base-3 dot codes %.1f MB, Sherry dot codes %.1f MB, "
              "float %.1f MB, int8 %.1f MB, f16 %.1f MB\n",
              bitmapBytes / 1e6, dotBytes / 1e6, base3Bytes / 1e6,
              sherryBytes / 1e6, floatBytes / 1e6, int8Bytes / 1e6,
              halfBytes / 1e6);
  if (c.cold)
    std::printf("cold: %lld ternary matrices (%.0f MB of dot codes), %lld in "
                "base 3 (%.0f MB), %lld Sherry (%.0f MB), %lld float (%.0f "
                "MB), %lld int8 (%.0f MB), %lld f16 (%.0f MB), one after the "
                "other per call\n",
                (long long)ternaryCopies, ternaryCopies * dotBytes / 1e6,
                (long long)base3Copies, base3Copies * base3Bytes / 1e6,
                (long long)sherryCopies, sherryCopies * sherryBytes / 1e6,
                (long long)floatCopies, floatCopies * floatBytes / 1e6,
                (long long)int8Copies, int8Copies * int8Bytes / 1e6,
                (long long)halfCopies, halfCopies * halfBytes / 1e6);
  std::printf("kernels: tern f32 and tern i16 = add/sub kernels (f32 "
              "activations; int8 activations in 16-bit lanes), tern int8 = "
              "dot-product kernel (int8 activations; on dot codes, and on "
              "base-3 and Sherry's 3:4 codes with generic or with vpdpbusd "
              "on 512-bit registers, base 3 with VBMI's vpermi2b there and "
              "with vpmaddubsw and vpshufb; Sherry's on 512-bit registers "
              "at M < 4 by vpermw lookups in tables of sums), float = "
              "tern's float matmul (f32 weights as arguments; int8 and f16: "
              "constant weights as keep= stores them; tern int8 on kept "
              "int8 = the same weights in the dot-product kernel, signed "
              "bytes with pmaddubsw)\n\n");
  std::printf("Warm rows are read against the bandwidth above, cold rows "
              "against passes of its probe between their calls (bw).\n");
  std::printf("%5s %7s %5s  %-13s %-12s %6s %10s %8s %7s %7s\n", "M", "threads",
              "cache", "kernel", "format", "bits", "ms", "GB/s", "of bw", "bw");

  double weights = double(c.n * c.k);
  std::vector<Record> records;
  auto report = [&](int64_t batch, int threads, double bw, bool cold,
                    const char *kernel, const char *format, double bytes,
                    double seconds) {
    double gbps = bytes / seconds / 1e9;
    Record r{kernel,        format, 8 * bytes / weights, batch, threads, cold,
             seconds * 1e3, gbps,   gbps / bw,           bw};
    std::printf("%5lld %7d %5s  %-13s %-12s %6.2f %10.4f %8.1f %6.0f%% %7.1f\n",
                (long long)batch, threads, cold ? "cold" : "warm", kernel,
                format, r.bitsPerWeight, r.ms, gbps, 100 * r.fraction, bw);
    std::fflush(stdout);
    records.push_back(r);
  };

  std::mt19937 rng(11);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (int64_t batch : c.batches) {
    std::vector<float> x(batch * c.k);
    for (float &v : x)
      v = uniform(rng);
    // The kernels for `copies` matrices: f32, i16 and int8 activations,
    // compiled once per batch size; thread counts change at run time.
    struct Kernels {
      std::unique_ptr<CompiledModel> f32, i16, int8, base3, sherry,
          sherryRepacked, floating, int8Weights, int8WeightsDot, halfWeights;
    };
    auto compileAll = [&](int64_t copies, int64_t floats, int64_t base3s,
                          int64_t sherrys, int64_t int8s, int64_t halves,
                          Kernels &k, bool warmOnly) -> LogicalResult {
      auto compileOne = [&](bool ternary, int64_t n,
                            const ExecutionOptions &options,
                            std::unique_ptr<CompiledModel> &into,
                            q::Packing packing = q::Packing::SignMagnitude) {
        auto module = buildModule(
            ctx, packing == q::Packing::Sherry ? *sherryProblem : problem,
            batch, ternary, n, packing);
        FailureOr<std::unique_ptr<CompiledModel>> model =
            CompiledModel::compile(*module, options);
        if (failed(model))
          return failure();
        into = std::move(*model);
        return success();
      };
      auto compileKept = [&](const q::KeptWeights &kept, int64_t n,
                             const ExecutionOptions &options,
                             std::unique_ptr<CompiledModel> &into) {
        auto module = buildKeptModule(ctx, kept, batch, n);
        FailureOr<std::unique_ptr<CompiledModel>> model =
            CompiledModel::compile(*module, options);
        if (failed(model))
          return failure();
        into = std::move(*model);
        return success();
      };
      ExecutionOptions addSub = execution, dot = execution;
      addSub.ternaryActivations = dot.ternaryActivations =
          KernelActivations::Int8;
      addSub.ternaryInt8Dot = Int8Dot::None;
      dot.ternaryInt8Dot = int8Dot;
      ExecutionOptions direct = dot, repacked = dot;
      direct.ternaryBase3Direct = true;
      repacked.ternarySherryDirect = false;
      // The base-3 and Sherry kernels are checked against the 2-bit one.
      bool int8 = c.wants("int8") || (warmOnly && (base3 || sherry));
      return success(
          (!c.wants("f32") ||
           succeeded(compileOne(true, copies, execution, k.f32))) &&
          (!c.wants("i16") ||
           succeeded(compileOne(true, copies, addSub, k.i16))) &&
          (!int8 || succeeded(compileOne(true, copies, dot, k.int8))) &&
          (!base3 || succeeded(compileOne(true, base3s, direct, k.base3,
                                          q::Packing::Base3))) &&
          (!sherry || succeeded(compileOne(true, sherrys, dot, k.sherry,
                                           q::Packing::Sherry))) &&
          (!sherry || !warmOnly ||
           succeeded(compileOne(true, 1, repacked, k.sherryRepacked,
                                q::Packing::Sherry))) &&
          (!c.wants("float") ||
           succeeded(compileOne(false, floats, execution, k.floating))) &&
          (!c.wants("kept-int8") ||
           succeeded(
               compileKept(int8Weights, int8s, execution, k.int8Weights))) &&
          (!keptDot ||
           succeeded(compileKept(int8Weights, int8s, dot, k.int8WeightsDot))) &&
          (!c.wants("kept-f16") ||
           succeeded(
               compileKept(halfWeights, halves, execution, k.halfWeights))));
    };
    Kernels warm, cold;
    if (failed(compileAll(1, 1, 1, 1, 1, 1, warm, /*warmOnly=*/true)))
      return fail("compiling the kernels: failed");
    if (c.cold && failed(compileAll(ternaryCopies, floatCopies, base3Copies,
                                    sherryCopies, int8Copies, halfCopies, cold,
                                    /*warmOnly=*/false)))
      return fail("compiling the kernels over " +
                  std::to_string(ternaryCopies) + " matrices: failed");

    std::vector<rt::Array> ternaryInputs = {makeArray({batch, c.k}, x.data())};
    std::vector<rt::Array> floatInputs = {
        makeArray({batch, c.k}, x.data()),
        makeArray({c.k, c.n}, problem.weightsKN.data())};
    // Cold float: each copy's weights, rotated like the ternary copies'.
    std::vector<rt::Array> coldFloatInputs;
    if (c.cold && (c.wants("float") || c.wants("openblas"))) {
      coldFloatInputs.push_back(makeArray({batch, c.k}, x.data()));
      std::vector<float> w(c.k * c.n);
      for (int64_t copy = 0; copy < floatCopies; ++copy) {
        for (int64_t j = 0; j < c.k; ++j)
          for (int64_t n = 0; n < c.n; ++n)
            w[j * c.n + n] =
                problem.weightsKN[j * c.n + sourceRow(n, copy, c.n)];
        coldFloatInputs.push_back(makeArray({c.k, c.n}, w.data()));
      }
    }
    std::vector<rt::Array> outputs;

    // Check the kernels against the dequantized weights on the first row
    // (cold: the sum over the copies, on the first columns).
    auto expectedAt = [&](int64_t n, int64_t copies) {
      double expected = 0;
      for (int64_t copy = 0; copy < copies; ++copy)
        for (int64_t j = 0; j < c.k; ++j)
          expected += double(x[j]) *
                      problem.weightsKN[j * c.n + sourceRow(n, copy, c.n)];
      return expected;
    };
    auto check = [&](CompiledModel &model, int64_t copies, int64_t columns,
                     double tolerance, const char *what,
                     double *largest = nullptr) -> bool {
      if (llvm::Error error = model.run(ternaryInputs, &outputs)) {
        fail(llvm::toString(std::move(error)));
        return false;
      }
      const float *y = reinterpret_cast<const float *>(outputs[0].data.data());
      double worst = 0, scale = 0;
      for (int64_t n = 0; n < columns; ++n) {
        double expected = expectedAt(n, copies);
        worst = std::max(worst, std::fabs(expected - y[n]));
        scale = std::max(scale, std::fabs(expected));
      }
      if (largest)
        *largest = scale;
      if (worst > tolerance * std::max(scale, 1.0)) {
        fail(std::string("the ") + what + " kernel's result is off by " +
             std::to_string(worst) + " (largest value " +
             std::to_string(scale) + ")");
        return false;
      }
      return true;
    };
    double scale = 0;
    for (int64_t n = 0; n < c.n; ++n)
      scale = std::max(scale, std::fabs(expectedAt(n, 1)));
    if (warm.f32 && !check(*warm.f32, 1, c.n, 1e-4, "ternary"))
      return 1;
    if (cold.f32 && !check(*cold.f32, ternaryCopies, std::min<int64_t>(c.n, 64),
                           1e-4 * double(ternaryCopies), "cold ternary"))
      return 1;
    // The int8 paths quantize x: report how far they land, relative to the
    // largest output. Both quantize alike and sum exactly, so they must
    // agree with each other to the f32 rounding of their last steps (the
    // add/sub kernel alone: to the quantization's error).
    std::vector<float> dotRow;
    if (warm.int8) {
      if (llvm::Error error = warm.int8->run(ternaryInputs, &outputs))
        return fail(llvm::toString(std::move(error)));
      dotRow.resize(outputs[0].data.size() / sizeof(float));
      std::memcpy(dotRow.data(), outputs[0].data.data(),
                  outputs[0].data.size());
      double integerError = 0;
      for (int64_t n = 0; n < c.n; ++n)
        integerError =
            std::max(integerError, std::fabs(expectedAt(n, 1) - dotRow[n]));
      std::printf("%5lld: int8 activations: max error %.2e of largest output "
                  "%.2e\n",
                  (long long)batch, integerError, scale);
    }
    if (warm.i16 && !warm.int8 &&
        !check(*warm.i16, 1, c.n, 2e-2, "add/sub int8 activation"))
      return 1;
    if (warm.i16 && warm.int8) {
      if (llvm::Error error = warm.i16->run(ternaryInputs, &outputs))
        return fail(llvm::toString(std::move(error)));
      const float *yi = reinterpret_cast<const float *>(outputs[0].data.data());
      double disagreement = 0;
      for (int64_t n = 0; n < c.n; ++n)
        disagreement =
            std::max(disagreement, double(std::fabs(dotRow[n] - yi[n])));
      if (disagreement > 1e-4 * std::max(scale, 1.0))
        return fail("the int8 dot and add/sub kernels disagree by " +
                    std::to_string(disagreement));
    }
    // The base-3 kernel sums the same products exactly: the same bits.
    if (base3) {
      if (llvm::Error error = warm.base3->run(ternaryInputs, &outputs))
        return fail(llvm::toString(std::move(error)));
      if (std::memcmp(outputs[0].data.data(), dotRow.data(),
                      dotRow.size() * sizeof(float)) != 0)
        return fail("the base-3 and 2-bit dot-product kernels disagree");
    }
    // So does the Sherry kernel, against the same codes repacked to 2 bits.
    if (sherry) {
      if (llvm::Error error = warm.sherryRepacked->run(ternaryInputs, &outputs))
        return fail(llvm::toString(std::move(error)));
      std::vector<char> repackedRow = outputs[0].data;
      if (llvm::Error error = warm.sherry->run(ternaryInputs, &outputs))
        return fail(llvm::toString(std::move(error)));
      if (outputs[0].data != repackedRow)
        return fail("the Sherry and 2-bit dot-product kernels disagree on "
                    "Sherry's codes");
    }
    // Weights stored in int8 (per-channel scales) and f16: their rounding.
    // With int8 activations too: both roundings.
    if ((warm.int8Weights &&
         !check(*warm.int8Weights, 1, c.n, 1e-2, "int8 weight")) ||
        (warm.int8WeightsDot &&
         !check(*warm.int8WeightsDot, 1, c.n, 3e-2, "int8 weight dot")) ||
        (warm.halfWeights &&
         !check(*warm.halfWeights, 1, c.n, 1e-2, "f16 weight")))
      return 1;

    std::vector<float> blasOut(batch * c.n);
    for (size_t index = 0; index < c.threads.size(); ++index) {
      int threads = c.threads[index];
      setOpenMPThreads(threads);
      double bw = bandwidth[index];
      const ReadProbe &probe = probes[index];
      for (bool isCold : {false, true}) {
        if (isCold && !c.cold)
          continue;
        Kernels &k = isCold ? cold : warm;
        // Times `body`, which computes `matrices` matrices a call, and
        // reports its time per matrix.
        auto timeRow = [&](const char *kernel, const char *format, double bytes,
                           int64_t matrices,
                           const std::function<void()> &body) {
          double seconds, against = bw;
          if (isCold) {
            PairedTime paired = timePaired(body, probe, c.minTime);
            seconds = paired.seconds;
            against = paired.gbps;
          } else {
            seconds = timeIt(body, c.minTime);
          }
          report(batch, threads, against, isCold, kernel, format, bytes,
                 seconds / double(matrices));
        };
        auto timeModel = [&](const char *kernel, const char *format,
                             double bytes, CompiledModel &model,
                             std::vector<rt::Array> &inputs,
                             int64_t coldMatrices) {
          std::vector<rt::Array> outputs;
          timeRow(kernel, format, bytes, isCold ? coldMatrices : 1,
                  [&] { llvm::cantFail(model.run(inputs, &outputs)); });
        };
        if (c.wants("f32"))
          timeModel("tern f32", "bitmaps", bitmapBytes, *k.f32, ternaryInputs,
                    ternaryCopies);
        if (c.wants("i16"))
          timeModel("tern i16", "bitmaps", bitmapBytes, *k.i16, ternaryInputs,
                    ternaryCopies);
        if (c.wants("int8"))
          timeModel("tern int8", "dot codes", dotBytes, *k.int8, ternaryInputs,
                    ternaryCopies);
        if (base3)
          timeModel("tern int8", "base3", base3Bytes, *k.base3, ternaryInputs,
                    base3Copies);
        if (sherry)
          timeModel("tern int8", "sherry", sherryBytes, *k.sherry,
                    ternaryInputs, sherryCopies);
        if (c.wants("float"))
          timeModel("float", "f32", floatBytes, *k.floating,
                    isCold ? coldFloatInputs : floatInputs, floatCopies);
        if (c.wants("kept-int8"))
          timeModel("float", "int8", int8Bytes, *k.int8Weights, ternaryInputs,
                    int8Copies);
        if (keptDot)
          timeModel("tern int8", "kept int8", int8Bytes, *k.int8WeightsDot,
                    ternaryInputs, int8Copies);
        if (c.wants("kept-f16"))
          timeModel("float", "f16", halfBytes, *k.halfWeights, ternaryInputs,
                    halfCopies);
#ifdef TERN_HAVE_OPENBLAS
        if (!c.wants("openblas"))
          continue;
        openblas_set_num_threads(threads);
        int64_t call = 0;
        auto weightsOf = [&]() -> const float * {
          if (!isCold)
            return problem.weightsKN.data();
          return reinterpret_cast<const float *>(
              coldFloatInputs[1 + call++ % floatCopies].data.data());
        };
        // One matrix a call: the cold calls cycle through the copies.
        if (batch == 1)
          timeRow("openblas", "f32", floatBytes, 1, [&] {
            cblas_sgemv(CblasRowMajor, CblasTrans, int(c.k), int(c.n), 1.0f,
                        weightsOf(), int(c.n), x.data(), 1, 0.0f,
                        blasOut.data(), 1);
          });
        else
          timeRow("openblas", "f32", floatBytes, 1, [&] {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(batch),
                        int(c.n), int(c.k), 1.0f, x.data(), int(c.k),
                        weightsOf(), int(c.n), 0.0f, blasOut.data(), int(c.n));
          });
#endif
      }
    }
  }
  if (json)
    writeJson(json.get(), records);
  return 0;
}
