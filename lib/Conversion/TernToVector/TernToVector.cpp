//===- TernToVector.cpp - ternary matmuls as add/sub vector loops ---------===//
//
// This file lowers tern.matmul with constant weights to loops of vector ops
// that never turn a code into a number: the codes are repacked at compile
// time into bitmaps (tern::quant::KernelBitmaps), loaded V bits at a time as
// vector<Vxi1> masks, and select which activations a row adds, which it
// subtracts and which it skips. Scales multiply each group's sum once.
// With int8 activations the codes meet them in dot products instead, and so
// do the int8 weights of layers kept out of the ternary set.
// docs/Kernels.md describes the schedule and why it is this one.
//
//===----------------------------------------------------------------------===//

#include "tern/Conversion/Passes.h"
#include "tern/Dialect/Tern/IR/TernOps.h"
#include "tern/Dialect/Tern/Utils/KeptLayers.h"
#include "tern/Dialect/Tern/Utils/Utils.h"
#include "tern/Quant/Packing.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/StringSwitch.h"

namespace mlir::tern {
#define GEN_PASS_DEF_CONVERTTERNTOVECTOR
#include "tern/Conversion/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;
namespace q = ::tern::quant;

namespace {

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// The register tiling and blocking of the kernels (the pass options).
struct Schedule {
  int64_t width;     ///< f32 lanes per vector, V
  bool integer;      ///< per-row int8 activations
  Int8Dot dot;       ///< with integer activations, how codes multiply them
  bool lookups;      ///< Sherry's single rows by table lookups
  int64_t tileRows;  ///< output rows per register tile, R
  int64_t tileBatch; ///< activation rows per register tile, MB
  int64_t blockRows; ///< output rows per parallel iteration
  /// Dot products: registers of V output rows and activation rows per
  /// tile, and activation rows per parallel iteration.
  int64_t dotTileRegisters, dotTileBatch, blockBatch;
  /// Dot products: registers of a single activation row's tiles on long
  /// rows of codes (0: KernelEmitter::rowTileRegisters chooses).
  int64_t rowTileRegisters;
};

/// A matmul's activations as its kernel reads them (quantized, padded, and
/// for dot products their group sums), shared by the matmuls of one input
/// with the same layout of K (a layer's q, k and v; gate and up).
struct PreparedActivations {
  Value x, rowScales, activationSums;
};
using PreparedKey = std::tuple<Value, int64_t, int64_t>;
using PreparedCache = SmallVector<std::pair<PreparedKey, PreparedActivations>>;

/// Codes per chunk of a kernel: V f32 lanes, 2V i16 lanes, or the 4V bytes
/// of a register for dot products (4 codes of V rows).
int64_t chunkLanes(const Schedule &schedule) {
  if (!schedule.integer)
    return schedule.width;
  return schedule.dot == Int8Dot::None ? 2 * schedule.width
                                       : 4 * schedule.width;
}

/// Codes along K that one dot-product instruction takes per lane.
constexpr int64_t kDotDepth = 4;

/// What a kernel computes with: the operands of a tern.matmul, or those of
/// a layer kept in int8 (a linalg.matmul of f32 activations and int8
/// weights, scaled per output row: KeptLayer), whose weights are kernel dot
/// codes of Format::Int8 (SignedInt8 with vpmaddubsw) and scales N x 1.
struct KernelOperands {
  /// The activations, M x K f32.
  Value input;
  /// [P x] N x groups (any float type).
  Value scales;
  /// N x groups and N, or null.
  Value shifts, bias;
  RankedTensorType resultType;

  static KernelOperands of(MatmulOp op) {
    return {op.getInput(), op.getScales(), op.getShifts(), op.getBias(),
            op.getResult().getType()};
  }
};

/// Emits the kernel of one tern.matmul: the result is
///
///   y = init + Σ_p Σ_g α[p, n, g] · (Σ_{k∈g} ±x[m, k] where T[p, n, k] ≠ 0)
///
/// with init the bias and the DLT shift terms.
///
/// Add/sub kernels (lanes along K), outermost first: blocks of output rows
/// (scf.forall), register tiles of MB activation rows, register tiles of R
/// output rows, groups, planes, chunks of `lanes` codes (see chunkLanes). A
/// tile keeps R x MB vector accumulators; each chunk loads MB vectors of x
/// and, per output row, its pair of masks.
///
/// Dot-product kernels (lanes along N): blocks of output rows x blocks of
/// activation rows (a 2-D scf.forall), tiles of MB activation rows, tiles
/// of R registers of V output rows (dot-tile-batch, dot-tile-registers),
/// groups, planes, sets of 16 codes. Per set a tile loads each register's
/// 16 x V codes (20 x V in base 3) once; per quad of 4 codes of the set it
/// broadcasts 4 int8 activations of each of its MB rows to every lane, takes
/// the quad out of each register, and adds their dot products into R x MB i32
/// accumulators (four times as many, one per quad, for small vpdpbusd tiles:
/// see emitDotSets): no horizontal sums, and each register's lanes are V
/// consecutive outputs, stored as they are. A block of base-3 codes with
/// many activation rows (a prompt) is decoded once, before its tiles
/// (emitDecodedBase3).
class KernelEmitter {
public:
  /// `bits` holds the weights as kernel bitmaps (`groupBytes` apart from
  /// one group of a row to the next) or, for dot products, as kernel dot
  /// codes.
  KernelEmitter(OpBuilder &b, Location loc, const KernelOperands &op,
                GroupedLayout layout, int64_t groupBytes,
                const q::KernelDotCodes &dotCodes, Value bits,
                const Schedule &schedule, PreparedCache &prepared)
      : b(b), loc(loc), op(op), layout(layout), groupBytes(groupBytes),
        dotCodes(dotCodes), prepared(prepared), bits(bits), schedule(schedule),
        f32(b.getF32Type()),
        dots(schedule.integer && schedule.dot != Int8Dot::None),
        lanes(chunkLanes(schedule)),
        vectorType(VectorType::get({dots ? schedule.width : lanes}, f32)),
        dataType(VectorType::get({lanes}, !schedule.integer ? Type(f32)
                                          : dots ? Type(b.getI8Type())
                                                 : Type(b.getI16Type()))),
        maskType(VectorType::get({lanes}, b.getI1Type())),
        maskBytesType(VectorType::get({lanes / 8}, b.getIntegerType(8))),
        chunksPerGroup(ceilDiv(layout.groupSize, lanes)),
        tailLanes(layout.groupSize - (chunksPerGroup - 1) * lanes),
        setsPerGroup(dotCodes.setsPerGroup) {}

  /// Emits the kernel and returns its result tensor.
  Value emit() {
    Value init = emitInit();
    prepareActivations();
    if (dots) {
      alphas = transposeScales();
      return emitDotBlocks(init);
    }
    return emitBlocks(init);
  }

private:
  Value index(int64_t value) {
    return arith::ConstantIndexOp::create(b, loc, value);
  }
  Value add(Value lhs, Value rhs) {
    return arith::AddIOp::create(b, loc, lhs, rhs);
  }
  Value mul(Value lhs, int64_t rhs) {
    return arith::MulIOp::create(b, loc, lhs, index(rhs));
  }
  Value zeroF32() {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
  }

  Value emitInit();
  void prepareActivations();
  Value sumGroups(Value values, Type sumType);
  Value quantizeActivations(Type codeType);
  Value padActivations(Value activations);
  Value padGroups(Value activations, int64_t paddedGroup);
  Value transposeScales();
  SmallVector<Value> emitChunkRange(Value row, Value m, Value group,
                                    int64_t plane, int64_t rows, int64_t batch,
                                    int64_t begin, int64_t end);
  Value emitBlocks(Value init);
  Value emitRowTiles(Value slice, Value blockStart, Value blockSize, Value m,
                     int64_t batch);
  Value emitTiledLoop(Value extent, int64_t tile, Value value,
                      function_ref<Value(Value, int64_t, Value)> body,
                      int64_t remainderStep = 1);
  Value emitTile(Value slice, Value row, Value column, Value m, int64_t rows,
                 int64_t batch);
  SmallVector<Value> emitPlaneSums(Value row, Value m, Value group,
                                   int64_t plane, int64_t rows, int64_t batch);
  SmallVector<Value> emitChunk(ValueRange sums, Value row, Value m, Value group,
                               Value chunk, int64_t plane, int64_t rows,
                               int64_t batch, Value laneMask);
  Value emitDotBlocks(Value init);
  Value emitDotForall(Value init, int64_t rows, int64_t blockRows,
                      bool lookups);
  Value emitDotTiles(Value slice, Value rowStart, Value rowSize,
                     Value batchStart, Value batchSize, int64_t blockRows);
  int64_t rowTileRegisters() const;
  bool shortRows() const;
  bool sumsPerQuad(int64_t registers, int64_t batch) const;
  Value emitDotTile(Value slice, Value row, Value column, Value m, Value local,
                    int64_t registers, int64_t batch);
  Value emitTileStores(Value slice, ArrayRef<Value> totals, Value column,
                       Value m, Value local, int64_t registers, int64_t batch);
  bool looksUpSherrySums() const;
  Value emitSherryTables();
  Value emitLookupTile(Value slice, Value row, Value column, Value m,
                       Value local, int64_t registers);
  SmallVector<Value>
  emitLoop(int64_t count, ValueRange values,
           function_ref<SmallVector<Value>(Value, ValueRange)> body);
  SmallVector<Value>
  emitRuns(int64_t runLength, ValueRange totals,
           function_ref<SmallVector<Value>(ValueRange)> start,
           function_ref<SmallVector<Value>(Value, ValueRange)> set,
           function_ref<SmallVector<Value>(ValueRange, ValueRange)> finish);
  /// How a set's quads meet the activations (emitDotSets).
  enum class SetSums { Shifted, Scaled, Split };
  SmallVector<Value> emitDotSets(ValueRange sums, Value row, Value m,
                                 Value group, int64_t plane, int64_t registers,
                                 int64_t batch);
  SmallVector<Value> emitDotSet(ValueRange sums, Value row, Value m,
                                Value group, Value set, int64_t plane,
                                int64_t registers, int64_t batch, SetSums form);
  void emitQuadDots(MutableArrayRef<Value> sums, Value packed,
                    ArrayRef<Value> xs, int64_t r, int64_t registers,
                    int64_t batch, bool scaled);
  void emitBase3Dots(MutableArrayRef<Value> sums, Value quads, Value fifth,
                     ArrayRef<Value> xs, int64_t r, int64_t registers,
                     int64_t batch, bool scaled);
  DecodeBase3Op emitDecodeBase3(Value packed);
  Value emitDecodedBase3(Value firstBlock, Value rowSize, int64_t blockRows);
  Value emitDot(Value sum, Value codes, Value activations,
                bool signedCodes = false);

  /// Activation rows of a parallel iteration from which its base-3 codes
  /// are decoded once (emitDecodedBase3) rather than in every tile.
  static constexpr int64_t kDecodedMinBatch = 32;
  /// Bytes of a register's block of codes up to which a single activation
  /// row's tiles take one register (one stream through memory).
  static constexpr int64_t kShortRowBlockBytes = int64_t(16) << 10;
  /// Registers of a single activation row's tiles on longer rows where
  /// their sums per quad fit the registers (rowTileRegisters).
  static constexpr int64_t kLongRowRegisters = 4;
  /// Accumulators a single activation row's tile may keep apart per quad
  /// with 32 vector registers (AVX-512): 4 registers of 2-bit codes (16)
  /// or of base-3 codes (20), the rest left to codes, activations, masks
  /// and tables.
  static constexpr int64_t kRowTileSums = 20;
  /// Sherry's lookup tiles (emitLookupTile): registers of 2V rows a tile.
  static constexpr int64_t kLookupTileRegisters = 4;
  /// Sets a lookup tile sums in i16 lanes before widening them: a quad's
  /// sum is at most 3 · 127 in magnitude, a set's three quads 1143.
  static constexpr int64_t kLookupSetsPerRun = 32767 / (3 * 3 * 127);

  OpBuilder &b;
  Location loc;
  KernelOperands op;
  GroupedLayout layout;
  int64_t groupBytes;
  /// For dot products, the layout (and format) of the codes in `bits`.
  q::KernelDotCodes dotCodes;
  PreparedCache &prepared;
  Value bits;
  /// While the tiles of a block that decoded its base-3 codes are emitted:
  /// the decoded codes (emitDecodedBase3) and the block's first row block.
  Value decodedBase3, decodedFirstBlock;
  Schedule schedule;
  FloatType f32;
  /// Whether codes multiply int8 activations in dot products.
  bool dots;
  /// Activations per chunk (chunkLanes).
  int64_t lanes;
  /// The f32 vectors the scales multiply (V lanes for dot products, `lanes`
  /// otherwise), the activations' vectors, their masks and the bytes the
  /// masks are loaded from.
  VectorType vectorType, dataType, maskType, maskBytesType;
  /// Chunks that cover a group, and the lanes of the last one that belong
  /// to the group.
  int64_t chunksPerGroup, tailLanes;
  /// Dot products: sets of 16 codes (4 quads; 20 codes and 5 quads in
  /// base 3) that cover a group.
  int64_t setsPerGroup;
  /// The activations (f32, or their i16 codes), padded with zeros so that
  /// every chunk can be loaded.
  Value x;
  /// With integer activations, each row's scale (M, f32).
  Value rowScales;
  /// With dot products, each group's sum of the int8 activations (M x
  /// groups, i32), and the scales as P x groups x N (rounded up to a
  /// block of rows, dotCodes.lanes), f32.
  Value activationSums, alphas;
  /// While the lookup tiles of Sherry's codes are emitted: per activation
  /// row and quad of K (padded), the 32 sums Σ t · x a field can name (M x
  /// quads x 32, i16; emitSherryTables).
  Value sherryTables;

  /// Whether the result starts from zero (no bias, no shifts): the tiles
  /// then write their sums into an uninitialized result instead of adding
  /// them to a zero-filled one, since together they write every element.
  bool zeroInit() { return !op.bias && !op.shifts; }
};

/// bias (or 0) broadcast over the rows, plus Σ_g γ[n, g] · Σ_{k∈g} x[m, k]
/// when the op has shifts: the group sums of x are computed once and
/// shared by all rows.
Value KernelEmitter::emitInit() {
  MLIRContext *ctx = b.getContext();
  Value input = op.input;
  RankedTensorType resultType = op.resultType;
  SmallVector<Value> dynamicSizes;
  if (resultType.isDynamicDim(0))
    dynamicSizes.push_back(tensor::DimOp::create(b, loc, input, 0));
  Value init =
      tensor::EmptyOp::create(b, loc, resultType.getShape(), f32, dynamicSizes);
  AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx),
             d2 = getAffineDimExpr(2, ctx);
  auto parallel = utils::IteratorType::parallel;
  auto reduction = utils::IteratorType::reduction;
  if (Value bias = op.bias) {
    SmallVector<AffineMap> maps = {AffineMap::get(2, 0, {d1}, ctx),
                                   AffineMap::get(2, 0, {d0, d1}, ctx)};
    init = linalg::GenericOp::create(
               b, loc, resultType, ValueRange{bias}, ValueRange{init}, maps,
               {parallel, parallel},
               [](OpBuilder &nb, Location l, ValueRange args) {
                 linalg::YieldOp::create(nb, l, args[0]);
               })
               .getResult(0);
  } else if (zeroInit()) {
    // No fill: a zero result would be written twice, the second time by
    // the tiles (a serial memset of every row before the kernel when a
    // decoder generates).
    return init;
  } else {
    init = linalg::FillOp::create(b, loc, zeroF32(), init).getResult(0);
  }
  Value shifts = op.shifts;
  if (!shifts)
    return init;

  Value sums = sumGroups(input, f32);
  // init[m, n] += Σ_g sums[m, g] · γ[n, g]
  SmallVector<AffineMap> shiftMaps = {AffineMap::get(3, 0, {d0, d2}, ctx),
                                      AffineMap::get(3, 0, {d1, d2}, ctx),
                                      AffineMap::get(3, 0, {d0, d1}, ctx)};
  return linalg::GenericOp::create(
             b, loc, resultType, ValueRange{sums, shifts}, ValueRange{init},
             shiftMaps, {parallel, parallel, reduction},
             [&](OpBuilder &nb, Location l, ValueRange args) {
               Value gamma = castFloat(nb, l, args[1], nb.getF32Type());
               Value term = arith::MulFOp::create(nb, l, args[0], gamma);
               Value sum = arith::AddFOp::create(nb, l, args[2], term);
               linalg::YieldOp::create(nb, l, sum);
             })
      .getResult(0);
}

/// Whether `a` and `b` hold the same values: the same value, or results of
/// equivalent side-effect-free ops (the importer flattens an activation
/// with a reshape of its own for each matmul that reads it).
bool sameValues(Value a, Value b) {
  if (a == b)
    return true;
  Operation *lhs = a.getDefiningOp(), *rhs = b.getDefiningOp();
  return lhs && rhs && lhs->getNumResults() == 1 && rhs->getNumResults() == 1 &&
         lhs->getNumRegions() == 0 && isMemoryEffectFree(lhs) &&
         OperationEquivalence::isEquivalentTo(
             lhs, rhs, OperationEquivalence::Flags::IgnoreLocations);
}

/// Sets x (and rowScales, activationSums) to the activations as the kernel
/// reads them, computed once per input and layout of K: a matmul after
/// another of the same input in the same block reuses the first one's
/// (a layer's q, k and v quantize their input once; gate and up too).
void KernelEmitter::prepareActivations() {
  Value input = op.input;
  int64_t width = dots ? dotCodes.paddedGroup() : chunksPerGroup * lanes;
  PreparedKey key = {input, layout.groupSize, width};
  // Float activations are only padded: nothing worth sharing. Kept layers
  // are lowered after the ternary ones, so what they would share may come
  // later in the block than they do.
  Operation *at = &*b.getInsertionPoint();
  auto definedBefore = [&](Value value) {
    Operation *definition = value ? value.getDefiningOp() : nullptr;
    return !definition || definition->isBeforeInBlock(at);
  };
  if (schedule.integer) {
    for (auto &[other, activations] : prepared)
      if (std::get<1>(other) == layout.groupSize &&
          std::get<2>(other) == width &&
          activations.x.getParentBlock() == at->getBlock() &&
          sameValues(std::get<0>(other), input) &&
          definedBefore(activations.x) &&
          definedBefore(activations.rowScales) &&
          definedBefore(activations.activationSums)) {
        x = activations.x;
        rowScales = activations.rowScales;
        activationSums = activations.activationSums;
        return;
      }
  }
  if (dots) {
    x = quantizeActivations(b.getI8Type());
    activationSums = sumGroups(x, b.getI32Type());
    x = padGroups(x, width);
  } else {
    x = schedule.integer ? quantizeActivations(b.getI16Type()) : input;
    x = padActivations(x);
  }
  if (schedule.integer)
    prepared.push_back({key, {x, rowScales, activationSums}});
}

/// sums[m, g] = Σ_j values[m, g, j] on `values` (M x K, f32 or i8) viewed
/// as M x groups x G, in `sumType` (f32 or i32).
Value KernelEmitter::sumGroups(Value values, Type sumType) {
  MLIRContext *ctx = b.getContext();
  auto type = cast<RankedTensorType>(values.getType());
  SmallVector<Value> dynamicSizes;
  if (type.isDynamicDim(0))
    dynamicSizes.push_back(tensor::DimOp::create(b, loc, values, 0));
  SmallVector<int64_t> sumsShape = {type.getDimSize(0), layout.groups};
  Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(sumType));
  Value sums =
      linalg::FillOp::create(
          b, loc, zero,
          tensor::EmptyOp::create(b, loc, sumsShape, sumType, dynamicSizes)
              .getResult())
          .getResult(0);
  SmallVector<OpFoldResult> groupedShape = {
      tensor::getMixedSize(b, loc, values, 0), b.getIndexAttr(layout.groups),
      b.getIndexAttr(layout.groupSize)};
  auto groupedType = RankedTensorType::get(
      {type.getDimSize(0), layout.groups, layout.groupSize},
      type.getElementType());
  Value grouped = tensor::ExpandShapeOp::create(b, loc, groupedType, values,
                                                {{0}, {1, 2}}, groupedShape);
  AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx),
             d2 = getAffineDimExpr(2, ctx);
  SmallVector<AffineMap> sumMaps = {AffineMap::get(3, 0, {d0, d1, d2}, ctx),
                                    AffineMap::get(3, 0, {d0, d1}, ctx)};
  auto parallel = utils::IteratorType::parallel;
  return linalg::GenericOp::create(
             b, loc, sums.getType(), ValueRange{grouped}, ValueRange{sums},
             sumMaps, {parallel, parallel, utils::IteratorType::reduction},
             [&](OpBuilder &nb, Location l, ValueRange args) {
               Value sum;
               if (isa<FloatType>(sumType)) {
                 sum = arith::AddFOp::create(nb, l, args[1], args[0]);
               } else {
                 Value wide = arith::ExtSIOp::create(nb, l, sumType, args[0]);
                 sum = arith::AddIOp::create(nb, l, args[1], wide);
               }
               linalg::YieldOp::create(nb, l, sum);
             })
      .getResult(0);
}

/// For dot products: the int8 activations with each group padded with zero
/// columns to `paddedGroup` (M x groups · paddedGroup), so that padding
/// codes multiply zeros.
Value KernelEmitter::padGroups(Value input, int64_t paddedGroup) {
  if (paddedGroup == layout.groupSize)
    return input;
  auto type = cast<RankedTensorType>(input.getType());
  Type element = type.getElementType();
  int64_t rows = type.getDimSize(0);
  SmallVector<OpFoldResult> groupedShape = {
      tensor::getMixedSize(b, loc, input, 0), b.getIndexAttr(layout.groups),
      b.getIndexAttr(layout.groupSize)};
  Value grouped = tensor::ExpandShapeOp::create(
      b, loc,
      RankedTensorType::get({rows, layout.groups, layout.groupSize}, element),
      input, {{0}, {1, 2}}, groupedShape);
  SmallVector<OpFoldResult> low(3, b.getIndexAttr(0));
  SmallVector<OpFoldResult> high = {
      b.getIndexAttr(0), b.getIndexAttr(0),
      b.getIndexAttr(paddedGroup - layout.groupSize)};
  Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(element));
  Value padded =
      tensor::PadOp::create(
          b, loc,
          RankedTensorType::get({rows, layout.groups, paddedGroup}, element),
          grouped, low, high, zero)
          .getResult();
  return tensor::CollapseShapeOp::create(
      b, loc,
      RankedTensorType::get({rows, layout.groups * paddedGroup}, element),
      padded, ArrayRef<ReassociationIndices>{{0}, {1, 2}});
}

/// The activations with zero columns appended up to the end of the last
/// chunk of the last group, so that no chunk load leaves the tensor. The
/// padding lanes are never selected (their mask bits are 0).
Value KernelEmitter::padActivations(Value input) {
  int64_t paddedK =
      (layout.groups - 1) * layout.groupSize + chunksPerGroup * lanes;
  if (paddedK <= layout.k)
    return input;
  auto type = cast<RankedTensorType>(input.getType());
  Type element = type.getElementType();
  auto paddedType =
      RankedTensorType::get({type.getDimSize(0), paddedK}, element);
  SmallVector<OpFoldResult> low = {b.getIndexAttr(0), b.getIndexAttr(0)};
  SmallVector<OpFoldResult> high = {b.getIndexAttr(0),
                                    b.getIndexAttr(paddedK - layout.k)};
  Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(element));
  return tensor::PadOp::create(b, loc, paddedType, input, low, high, zero)
      .getResult();
}

/// Per-row int8 quantization of the activations: s[m] = max_k |x[m, k]| /
/// 127 and q[m, k] = roundeven(x[m, k] · (127 / max_k |x[m, k]|)) in
/// [-127, 127], held in `codeType` (i16 for the add/sub kernel's 16-bit
/// lanes, i8 for dot products; 0 for a row of zeros). Sets rowScales and
/// returns q.
///
/// The absolute maximum is taken on the bits: with the sign bit cleared,
/// an f32's bits order as its magnitude does (NaNs above infinity), so
/// `arith.maxsi` of `bits & 0x7fffffff` is `arith.maximumf` of the
/// magnitudes, NaN propagation included, in one lanewise instruction
/// where `maximumf` needs its NaN and signed-zero fix-ups on x86.
Value KernelEmitter::quantizeActivations(Type codeType) {
  MLIRContext *ctx = b.getContext();
  Value input = op.input;
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<Value> dynamicSizes;
  if (type.isDynamicDim(0))
    dynamicSizes.push_back(tensor::DimOp::create(b, loc, input, 0));
  AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx);
  auto parallel = utils::IteratorType::parallel;
  auto reduction = utils::IteratorType::reduction;
  SmallVector<int64_t> rowShape = {type.getDimSize(0)};

  Type i32 = b.getI32Type();
  Value maxBits =
      linalg::FillOp::create(
          b, loc,
          Value(arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(0))),
          tensor::EmptyOp::create(b, loc, rowShape, i32, dynamicSizes)
              .getResult())
          .getResult(0);
  maxBits =
      linalg::GenericOp::create(
          b, loc, maxBits.getType(), ValueRange{input}, ValueRange{maxBits},
          SmallVector<AffineMap>{AffineMap::get(2, 0, {d0, d1}, ctx),
                                 AffineMap::get(2, 0, {d0}, ctx)},
          SmallVector<utils::IteratorType>{parallel, reduction},
          [&](OpBuilder &nb, Location l, ValueRange args) {
            Value magnitude = arith::AndIOp::create(
                nb, l, arith::BitcastOp::create(nb, l, i32, args[0]),
                arith::ConstantOp::create(nb, l,
                                          nb.getI32IntegerAttr(0x7fffffff)));
            linalg::YieldOp::create(
                nb, l,
                Value(arith::MaxSIOp::create(nb, l, args[1], magnitude)));
          })
          .getResult(0);
  Value empty = tensor::EmptyOp::create(b, loc, rowShape, f32, dynamicSizes);
  auto rows = linalg::GenericOp::create(
      b, loc, TypeRange{empty.getType(), empty.getType()}, ValueRange{maxBits},
      ValueRange{empty, empty},
      SmallVector<AffineMap>(3, AffineMap::get(1, 0, {d0}, ctx)),
      SmallVector<utils::IteratorType>{parallel},
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value maxAbs = arith::BitcastOp::create(nb, l, f32, args[0]);
        Value limit =
            arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(127.0f));
        Value zero = arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(0.0f));
        Value scale = arith::DivFOp::create(nb, l, maxAbs, limit);
        Value positive = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OGT,
                                               maxAbs, zero);
        Value inverse = arith::SelectOp::create(
            nb, l, positive, arith::DivFOp::create(nb, l, limit, maxAbs), zero);
        linalg::YieldOp::create(nb, l, ValueRange{scale, inverse});
      });
  rowScales = rows.getResult(0);
  Value inverses = rows.getResult(1);

  Value codes =
      tensor::EmptyOp::create(b, loc, type.getShape(), codeType, dynamicSizes);
  return linalg::GenericOp::create(
             b, loc, codes.getType(), ValueRange{input, inverses},
             ValueRange{codes},
             SmallVector<AffineMap>{AffineMap::get(2, 0, {d0, d1}, ctx),
                                    AffineMap::get(2, 0, {d0}, ctx),
                                    AffineMap::get(2, 0, {d0, d1}, ctx)},
             SmallVector<utils::IteratorType>{parallel, parallel},
             [&](OpBuilder &nb, Location l, ValueRange args) {
               Value scaled = arith::MulFOp::create(nb, l, args[0], args[1]);
               Value rounded = math::RoundEvenOp::create(nb, l, scaled);
               Value code = arith::FPToSIOp::create(nb, l, codeType, rounded);
               linalg::YieldOp::create(nb, l, code);
             })
      .getResult(0);
}

/// scf.forall over blocks of output rows; each block computes its columns
/// of the result for every activation row.
Value KernelEmitter::emitBlocks(Value init) {
  int64_t rows = layout.rows;
  int64_t blockRows = std::min(schedule.blockRows, rows);
  int64_t blocks = ceilDiv(rows, blockRows);
  auto forall = scf::ForallOp::create(
      b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(blocks)}, ValueRange{init},
      std::nullopt);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(forall.getBody());
  Value blockStart = mul(forall.getInductionVars()[0], blockRows);
  Value blockSize = index(blockRows);
  if (rows % blockRows != 0)
    blockSize = arith::MinSIOp::create(
        b, loc, blockSize,
        arith::SubIOp::create(b, loc, index(rows), blockStart));
  Value batch = tensor::DimOp::create(b, loc, x, 0);
  Value out = forall.getRegionOutArgs()[0];
  SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), blockStart};
  SmallVector<OpFoldResult> sizes = {batch, blockSize};
  SmallVector<OpFoldResult> strides = {b.getIndexAttr(1), b.getIndexAttr(1)};
  Value slice =
      tensor::ExtractSliceOp::create(b, loc, out, offsets, sizes, strides);

  // Tiles of MB activation rows, then the remaining rows one at a time.
  slice = emitTiledLoop(
      batch, schedule.tileBatch, slice, [&](Value m, int64_t step, Value s) {
        return emitRowTiles(s, blockStart, blockSize, m, step);
      });

  b.setInsertionPointToStart(forall.getTerminator().getBody());
  tensor::ParallelInsertSliceOp::create(b, loc, slice, out, offsets, sizes,
                                        strides);
  return forall.getResult(0);
}

/// Register tiles of R output rows over one block, then its remaining rows
/// one at a time, for activation rows [m, m + batch).
Value KernelEmitter::emitRowTiles(Value slice, Value blockStart,
                                  Value blockSize, Value m, int64_t batch) {
  int64_t tileRows = std::min(schedule.tileRows, layout.rows);
  return emitTiledLoop(
      blockSize, tileRows, slice, [&](Value column, int64_t step, Value s) {
        return emitTile(s, add(blockStart, column), column, m, step, batch);
      });
}

/// Loops over [0, extent) in steps of `tile`, then over what is left in
/// steps of `remainderStep` (the last step may pass `extent`), threading
/// `value` through `body(iv, step, value)`.
Value KernelEmitter::emitTiledLoop(
    Value extent, int64_t tile, Value value,
    function_ref<Value(Value, int64_t, Value)> body, int64_t remainderStep) {
  Value full = arith::SubIOp::create(
      b, loc, extent, arith::RemUIOp::create(b, loc, extent, index(tile)));
  auto loop = [&](Value lower, Value upper, int64_t step, Value init) {
    return scf::ForOp::create(
               b, loc, lower, upper, index(step), ValueRange{init},
               [&](OpBuilder &nb, Location, Value iv, ValueRange args) {
                 OpBuilder::InsertionGuard inner(b);
                 b.setInsertionPointToEnd(nb.getInsertionBlock());
                 scf::YieldOp::create(b, loc, body(iv, step, args[0]));
               })
        .getResult(0);
  };
  value = loop(index(0), full, tile, value);
  if (tile > remainderStep)
    value = loop(full, extent, remainderStep, value);
  return value;
}

/// One register tile: output rows [row, row + rows) (columns [column, ...)
/// of the block's slice) for activation rows [m, m + batch).
Value KernelEmitter::emitTile(Value slice, Value row, Value column, Value m,
                              int64_t rows, int64_t batch) {
  int64_t accumulators = rows * batch;
  Value zero = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(vectorType, b.getF32FloatAttr(0.0f)));
  SmallVector<Value> zeros(accumulators, zero);
  bool planes = cast<RankedTensorType>(op.scales.getType()).getRank() == 3;

  // total += α[p, n, g] · (the group's sum of ±x), for every group and plane.
  auto groupBody = [&](Value group, ValueRange totals) {
    SmallVector<Value> result(totals);
    for (int64_t p = 0; p < layout.planes; ++p) {
      SmallVector<Value> sums = emitPlaneSums(row, m, group, p, rows, batch);
      for (int64_t r = 0; r < rows; ++r) {
        SmallVector<Value> indices;
        if (planes)
          indices.push_back(index(p));
        indices.push_back(add(row, index(r)));
        indices.push_back(group);
        Value alpha = castFloat(
            b, loc, tensor::ExtractOp::create(b, loc, op.scales, indices), f32);
        Value splat = vector::BroadcastOp::create(b, loc, vectorType, alpha);
        for (int64_t i = 0; i < batch; ++i) {
          Value &total = result[i * rows + r];
          total =
              vector::FMAOp::create(b, loc, splat, sums[i * rows + r], total);
        }
      }
    }
    return result;
  };
  SmallVector<Value> totals = emitLoop(layout.groups, zeros, groupBody);

  // slice[m + i, column + r] += Σ_lanes total[i, r] (= without an init)
  auto rowType = VectorType::get({rows}, f32);
  for (int64_t i = 0; i < batch; ++i) {
    SmallVector<Value> rowSums;
    for (int64_t r = 0; r < rows; ++r)
      rowSums.push_back(vector::ReductionOp::create(
          b, loc, vector::CombiningKind::ADD, totals[i * rows + r],
          arith::FastMathFlags::reassoc));
    Value tileRow = vector::FromElementsOp::create(b, loc, rowType, rowSums);
    if (schedule.integer) {
      // The activations were q = x / s: scale the integer sums back.
      Value scale = tensor::ExtractOp::create(b, loc, rowScales,
                                              ValueRange{add(m, index(i))});
      tileRow = arith::MulFOp::create(
          b, loc, tileRow, vector::BroadcastOp::create(b, loc, rowType, scale));
    }
    SmallVector<Value> at = {add(m, index(i)), column};
    Value sum = tileRow;
    if (!zeroInit()) {
      Value current = vector::TransferReadOp::create(
          b, loc, rowType, slice, at, zeroF32(), ArrayRef<bool>{true});
      sum = arith::AddFOp::create(b, loc, current, tileRow);
    }
    slice = vector::TransferWriteOp::create(b, loc, sum, slice, at,
                                            ArrayRef<bool>{true})
                .getResult();
  }
  return slice;
}

/// The tile's sums of ±x over group `group` of plane `plane`, one f32
/// vector of partial sums per (activation row, output row).
SmallVector<Value> KernelEmitter::emitPlaneSums(Value row, Value m, Value group,
                                                int64_t plane, int64_t rows,
                                                int64_t batch) {
  if (!schedule.integer)
    return emitChunkRange(row, m, group, plane, rows, batch, 0, chunksPerGroup);
  // A lane adds at most one |q| <= 127 per chunk: 256 chunks fit in i16.
  // Each run of 256 chunks is widened to i32, the group's sum to f32.
  constexpr int64_t kChunksPerI16 = 256;
  auto wideType = VectorType::get({lanes}, b.getI32Type());
  Value zero = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(wideType, b.getI32IntegerAttr(0)));
  SmallVector<Value> wide(rows * batch, zero);
  for (int64_t begin = 0; begin < chunksPerGroup; begin += kChunksPerI16) {
    SmallVector<Value> part =
        emitChunkRange(row, m, group, plane, rows, batch, begin,
                       std::min(begin + kChunksPerI16, chunksPerGroup));
    for (auto [sum, narrow] : llvm::zip(wide, part))
      sum = arith::AddIOp::create(
          b, loc, sum, arith::ExtSIOp::create(b, loc, wideType, narrow));
  }
  SmallVector<Value> sums;
  for (Value sum : wide)
    sums.push_back(arith::SIToFPOp::create(b, loc, vectorType, sum));
  return sums;
}

/// The tile's sums (in the activations' type) over chunks [begin, end) of a
/// group: whole chunks in a loop; a last chunk that the group does not fill
/// is peeled and masked to the group's lanes.
SmallVector<Value> KernelEmitter::emitChunkRange(Value row, Value m,
                                                 Value group, int64_t plane,
                                                 int64_t rows, int64_t batch,
                                                 int64_t begin, int64_t end) {
  Value zero = arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(dataType,
                             b.getZeroAttr(dataType.getElementType())));
  SmallVector<Value> sums(rows * batch, zero);
  int64_t fullChunks = tailLanes == lanes ? chunksPerGroup : chunksPerGroup - 1;
  int64_t fullEnd = std::min(end, fullChunks);
  if (fullEnd - begin == 1) {
    sums = emitChunk(sums, row, m, group, index(begin), plane, rows, batch, {});
  } else if (fullEnd - begin > 1) {
    auto loop = scf::ForOp::create(
        b, loc, index(begin), index(fullEnd), index(1), sums,
        [&](OpBuilder &nb, Location, Value chunk, ValueRange args) {
          OpBuilder::InsertionGuard inner(b);
          b.setInsertionPointToEnd(nb.getInsertionBlock());
          scf::YieldOp::create(
              b, loc,
              emitChunk(args, row, m, group, chunk, plane, rows, batch, {}));
        });
    sums.assign(loop.getResults().begin(), loop.getResults().end());
  }
  if (end > fullChunks) {
    SmallVector<bool> laneBits(lanes, false);
    std::fill_n(laneBits.begin(), tailLanes, true);
    Value laneMask = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(maskType, ArrayRef<bool>(laneBits)));
    sums = emitChunk(sums, row, m, group, index(chunksPerGroup - 1), plane,
                     rows, batch, laneMask);
  }
  return sums;
}

/// Adds chunk `chunk` of group `group` to the sums: each output row adds
/// x (or -x where its sign bit is set) in the lanes its magnitude bits
/// select.
SmallVector<Value> KernelEmitter::emitChunk(ValueRange sums, Value row, Value m,
                                            Value group, Value chunk,
                                            int64_t plane, int64_t rows,
                                            int64_t batch, Value laneMask) {
  Value k = add(mul(group, layout.groupSize), mul(chunk, lanes));
  Value byte = add(mul(group, groupBytes), mul(chunk, lanes / 8));
  Type element = dataType.getElementType();
  Value padValue = arith::ConstantOp::create(b, loc, b.getZeroAttr(element));
  Value zeros = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(dataType, b.getZeroAttr(element)));
  SmallVector<Value> xs, negated;
  for (int64_t i = 0; i < batch; ++i) {
    Value xi = vector::TransferReadOp::create(b, loc, dataType, x,
                                              ValueRange{add(m, index(i)), k},
                                              padValue, ArrayRef<bool>{true});
    xs.push_back(xi);
    negated.push_back(schedule.integer
                          ? arith::SubIOp::create(b, loc, zeros, xi).getResult()
                          : arith::NegFOp::create(b, loc, xi).getResult());
  }
  Value padByte = arith::ConstantIntOp::create(b, loc, b.getI8Type(), 0);
  auto loadMask = [&](Value r, int64_t which) -> Value {
    Value bytes = vector::TransferReadOp::create(
        b, loc, maskBytesType, bits,
        ValueRange{index(plane), r, index(which), byte}, padByte,
        ArrayRef<bool>{true});
    return vector::BitCastOp::create(b, loc, maskType, bytes);
  };
  SmallVector<Value> result(sums);
  for (int64_t r = 0; r < rows; ++r) {
    Value n = add(row, index(r));
    Value magnitude = loadMask(n, 0);
    if (laneMask)
      magnitude = arith::AndIOp::create(b, loc, magnitude, laneMask);
    Value sign = loadMask(n, 1);
    for (int64_t i = 0; i < batch; ++i) {
      Value &sum = result[i * rows + r];
      Value term = arith::SelectOp::create(b, loc, sign, negated[i], xs[i]);
      Value added = schedule.integer
                        ? arith::AddIOp::create(b, loc, sum, term).getResult()
                        : arith::AddFOp::create(b, loc, sum, term).getResult();
      sum = arith::SelectOp::create(b, loc, magnitude, added, sum);
    }
  }
  return result;
}

/// For dot products: α[p, g, n] = scales[p, n, g] in f32, with zeros for
/// the rows that round N up to a multiple of V, so that a tile loads the
/// scales of V consecutive rows as one vector.
Value KernelEmitter::transposeScales() {
  MLIRContext *ctx = b.getContext();
  Value scales = op.scales;
  auto type = cast<RankedTensorType>(scales.getType());
  bool planes = type.getRank() == 3;
  int64_t paddedRows = ceilDiv(layout.rows, dotCodes.lanes) * dotCodes.lanes;
  AffineExpr p = getAffineDimExpr(0, ctx), g = getAffineDimExpr(1, ctx),
             n = getAffineDimExpr(2, ctx);
  SmallVector<AffineExpr> in = {n, g};
  if (planes)
    in.insert(in.begin(), p);
  // Constant scales (what tern-ternarize writes) are transposed and padded
  // at compile time: a copy every call cost as much as a small matmul.
  DenseElementsAttr constant;
  if (matchPattern(scales, m_Constant(&constant)) &&
      isa<FloatType>(constant.getElementType())) {
    std::vector<float> values(layout.planes * layout.groups * paddedRows, 0.0f);
    int64_t i = 0;
    for (APFloat value : constant.getValues<APFloat>()) {
      // Row-major [planes,] rows, groups.
      int64_t group = i % layout.groups;
      int64_t row = (i / layout.groups) % layout.rows;
      int64_t plane = i / (layout.groups * layout.rows);
      bool lost;
      value.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
      values[(plane * layout.groups + group) * paddedRows + row] =
          value.convertToFloat();
      ++i;
    }
    auto paddedType =
        RankedTensorType::get({layout.planes, layout.groups, paddedRows}, f32);
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(paddedType, ArrayRef<float>(values)));
  }
  auto transposedType =
      RankedTensorType::get({layout.planes, layout.groups, layout.rows}, f32);
  Value empty = tensor::EmptyOp::create(b, loc, transposedType.getShape(), f32);
  auto parallel = utils::IteratorType::parallel;
  Value transposed =
      linalg::GenericOp::create(
          b, loc, transposedType, ValueRange{scales}, ValueRange{empty},
          SmallVector<AffineMap>{AffineMap::get(3, 0, in, ctx),
                                 AffineMap::get(3, 0, {p, g, n}, ctx)},
          SmallVector<utils::IteratorType>(3, parallel),
          [&](OpBuilder &nb, Location l, ValueRange args) {
            linalg::YieldOp::create(nb, l,
                                    castFloat(nb, l, args[0], nb.getF32Type()));
          })
          .getResult(0);
  if (paddedRows == layout.rows)
    return transposed;
  SmallVector<OpFoldResult> low(3, b.getIndexAttr(0));
  SmallVector<OpFoldResult> high = {b.getIndexAttr(0), b.getIndexAttr(0),
                                    b.getIndexAttr(paddedRows - layout.rows)};
  return tensor::PadOp::create(
             b, loc,
             RankedTensorType::get({layout.planes, layout.groups, paddedRows},
                                   f32),
             transposed, low, high, zeroF32())
      .getResult();
}

/// Dot products: an scf.forall over blocks of output rows (a multiple of
/// V) and blocks of activation rows, so that products with few outputs and
/// many activation rows (convolutions) run on every thread too. Tiles
/// write whole registers of V outputs: the result is computed with N
/// rounded up to a block of rows of the codes (V, 2V for Sherry's), and
/// the extra columns cut off. Sherry's codes with fewer activation rows
/// than a tile takes (a decoder's step) are looked up instead: one table
/// of sums a row, then lookup tiles (emitLookupTile).
Value KernelEmitter::emitDotBlocks(Value init) {
  int64_t rows = ceilDiv(layout.rows, dotCodes.lanes) * dotCodes.lanes;
  if (rows != layout.rows) {
    SmallVector<OpFoldResult> low(2, b.getIndexAttr(0));
    SmallVector<OpFoldResult> high = {b.getIndexAttr(0),
                                      b.getIndexAttr(rows - layout.rows)};
    auto type = cast<RankedTensorType>(init.getType());
    init = tensor::PadOp::create(
               b, loc, RankedTensorType::get({type.getDimSize(0), rows}, f32),
               init, low, high, zeroF32())
               .getResult();
  }
  int64_t blockRows = std::min(ceilDiv(schedule.blockRows, dotCodes.lanes),
                               ceilDiv(rows, dotCodes.lanes)) *
                      dotCodes.lanes;
  Value result;
  if (!looksUpSherrySums()) {
    result = emitDotForall(init, rows, blockRows, /*lookups=*/false);
  } else {
    // Blocks of at least one lookup tile: each tile reads one table row
    // per set, so fewer, taller tiles read the tables less.
    int64_t tileRows = kLookupTileRegisters * dotCodes.lanes;
    int64_t lookupBlockRows = std::min(
        ceilDiv(std::max(schedule.blockRows, tileRows), tileRows) * tileRows,
        rows);
    Value batch = tensor::DimOp::create(b, loc, x, 0);
    Value few = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, batch,
                                      index(schedule.dotTileBatch));
    auto branch = scf::IfOp::create(b, loc, init.getType(), few,
                                    /*withElseRegion=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(branch.thenBlock());
    sherryTables = emitSherryTables();
    scf::YieldOp::create(
        b, loc, emitDotForall(init, rows, lookupBlockRows, /*lookups=*/true));
    sherryTables = Value();
    b.setInsertionPointToStart(branch.elseBlock());
    scf::YieldOp::create(
        b, loc, emitDotForall(init, rows, blockRows, /*lookups=*/false));
    b.setInsertionPointAfter(branch);
    result = branch.getResult(0);
  }
  if (rows == layout.rows)
    return result;
  RankedTensorType resultType = op.resultType;
  SmallVector<OpFoldResult> resultSizes = {
      tensor::getMixedSize(b, loc, result, 0), b.getIndexAttr(layout.rows)};
  return tensor::ExtractSliceOp::create(
      b, loc, resultType, result,
      SmallVector<OpFoldResult>(2, b.getIndexAttr(0)), resultSizes,
      SmallVector<OpFoldResult>(2, b.getIndexAttr(1)));
}

/// The scf.forall of emitDotBlocks over `rows` output rows (padded) in
/// blocks of `blockRows`, with dot-product tiles or (`lookups`) Sherry's
/// lookup tiles, one activation row at a time.
Value KernelEmitter::emitDotForall(Value init, int64_t rows, int64_t blockRows,
                                   bool lookups) {
  int64_t rowBlocks = ceilDiv(rows, blockRows);
  int64_t blockBatch = schedule.blockBatch;
  Value batch = tensor::DimOp::create(b, loc, x, 0);
  Value batchBlocks =
      arith::CeilDivUIOp::create(b, loc, batch, index(blockBatch));
  auto forall = scf::ForallOp::create(
      b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(rowBlocks), batchBlocks},
      ValueRange{init}, std::nullopt);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(forall.getBody());
  auto clamp = [&](Value start, int64_t size, Value extent) {
    return arith::MinSIOp::create(b, loc, index(size),
                                  arith::SubIOp::create(b, loc, extent, start));
  };
  Value rowStart = mul(forall.getInductionVars()[0], blockRows);
  Value rowSize = clamp(rowStart, blockRows, index(rows));
  Value batchStart = mul(forall.getInductionVars()[1], blockBatch);
  Value batchSize = clamp(batchStart, blockBatch, batch);
  Value out = forall.getRegionOutArgs()[0];
  SmallVector<OpFoldResult> offsets = {batchStart, rowStart};
  SmallVector<OpFoldResult> sizes = {batchSize, rowSize};
  SmallVector<OpFoldResult> strides = {b.getIndexAttr(1), b.getIndexAttr(1)};
  Value slice =
      tensor::ExtractSliceOp::create(b, loc, out, offsets, sizes, strides);

  if (lookups) {
    // Each activation row, in tiles of kLookupTileRegisters registers of
    // 2V rows, then one register at a time.
    int64_t registerRows = dotCodes.lanes;
    slice = emitTiledLoop(batchSize, 1, slice, [&](Value m, int64_t, Value t) {
      return emitTiledLoop(
          rowSize, kLookupTileRegisters * registerRows, t,
          [&](Value column, int64_t rowStep, Value u) {
            return emitLookupTile(u, add(rowStart, column), column,
                                  add(batchStart, m), m,
                                  rowStep / registerRows);
          },
          registerRows);
    });
  } else {
    slice = emitDotTiles(slice, rowStart, rowSize, batchStart, batchSize,
                         blockRows);
  }
  b.setInsertionPointToStart(forall.getTerminator().getBody());
  tensor::ParallelInsertSliceOp::create(b, loc, slice, out, offsets, sizes,
                                        strides);
  b.setInsertionPointAfter(forall);
  return forall.getResult(0);
}

/// Registers of a single activation row's tiles on long rows of codes:
/// row-tile-registers if set, else kLongRowRegisters where such a tile
/// keeps its sums apart per quad (sumsPerQuad: vpdpbusd on 512-bit
/// registers, 2-bit and base-3 codes; each register's codes in memory are
/// a stream the prefetches follow, and the weights of a decoder's step
/// stream faster with four streams a thread than with two) or has one
/// quad a set (int8 codes: four sums, nothing to unpack), else
/// dot-tile-registers.
int64_t KernelEmitter::rowTileRegisters() const {
  if (schedule.rowTileRegisters > 0)
    return schedule.rowTileRegisters;
  return sumsPerQuad(kLongRowRegisters, /*batch=*/1) || dotCodes.isInt8()
             ? kLongRowRegisters
             : schedule.dotTileRegisters;
}

/// Whether a register's block of codes is short enough that a single
/// activation row's tiles take one register (see emitDotTiles): at most
/// kShortRowBlockBytes, or below it for int8 codes, which a loop reads
/// with less work a byte (one dot product a register, nothing unpacked).
/// Measured on the Zen 5 EPYC (docs/Kernels.md, "Kept layers in the
/// dot-product kernels"): int8 rows of K = 2048 in 256-bit registers (16
/// KiB blocks) read from DRAM faster as four streams, rows of K = 512 (4
/// KiB) as one.
bool KernelEmitter::shortRows() const {
  return dotCodes.isInt8() ? dotCodes.blockBytes() < kShortRowBlockBytes
                           : dotCodes.blockBytes() <= kShortRowBlockBytes;
}

/// The dot-product tiles of one block of emitDotForall: output rows
/// [rowStart, + rowSize) for activation rows [batchStart, + batchSize).
Value KernelEmitter::emitDotTiles(Value slice, Value rowStart, Value rowSize,
                                  Value batchStart, Value batchSize,
                                  int64_t blockRows) {
  int64_t width = schedule.width;
  // Tiles of MB activation rows (then one at a time) by R registers of V
  // rows (then one register at a time). Rows taken one at a time (M = 1
  // when a decoder generates) of short rows of codes (shortRows: a block
  // of at most 16 KiB of ternary codes, K <= 4096 with AVX-512) take one
  // register a tile: the tiles'
  // codes are then one stream through memory, which the weight prefetch
  // follows from tile to tile; with R registers, R - 1 of every tile's R
  // streams start where no prefetch reached, which costs more than a
  // second register saves when the streams are short. Longer rows take
  // rowTileRegisters: more streams in flight (docs/Kernels.md, "Cold
  // weights").
  int64_t singleRowRegisters = shortRows() ? 1 : rowTileRegisters();
  auto tiles = [&](Value s) {
    return emitTiledLoop(
        batchSize, schedule.dotTileBatch, s,
        [&](Value m, int64_t batchStep, Value t) {
          int64_t tileRows =
              (batchStep < schedule.dotTileBatch ? singleRowRegisters
                                                 : schedule.dotTileRegisters) *
              width;
          return emitTiledLoop(
              rowSize, tileRows, t,
              [&](Value column, int64_t rowStep, Value u) {
                return emitDotTile(u, add(rowStart, column), column,
                                   add(batchStart, m), m, rowStep / width,
                                   batchStep);
              },
              width);
        });
  };
  if (dotCodes.format != q::KernelDotCodes::Format::Base3) {
    slice = tiles(slice);
  } else {
    // Base-3 codes decoded once per block for many activation rows (a
    // prompt), rather than once per tile of dot-tile-batch rows.
    Value many = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge,
                                       batchSize, index(kDecodedMinBatch));
    auto branch = scf::IfOp::create(b, loc, slice.getType(), many,
                                    /*withElseRegion=*/true);
    {
      OpBuilder::InsertionGuard inner(b);
      b.setInsertionPointToStart(branch.thenBlock());
      decodedFirstBlock =
          arith::DivUIOp::create(b, loc, rowStart, index(width));
      decodedBase3 = emitDecodedBase3(decodedFirstBlock, rowSize, blockRows);
      scf::YieldOp::create(b, loc, tiles(slice));
      decodedBase3 = decodedFirstBlock = Value();
      b.setInsertionPointToStart(branch.elseBlock());
      scf::YieldOp::create(b, loc, tiles(slice));
    }
    slice = branch.getResult(0);
  }
  return slice;
}

/// One dot-product tile: output rows [row, row + registers · V) (columns
/// [column, ...) of the block's slice) for activation rows [m, m + batch)
/// (rows [local, local + batch) of the slice). The codes are t + 1 in {0, 1,
/// 2}, so each group's sums start at -Σ_{k∈g} q[m, k] and add (t + 1) · q for
/// every code: Σ_k t · q exactly, in i32, which the group's scales then
/// multiply as f32. Int8 weights are stored as w + 128 and start at -128 ·
/// Σ_{k∈g} q[m, k]; signed ones (SignedInt8) as w, from 0.
Value KernelEmitter::emitDotTile(Value slice, Value row, Value column, Value m,
                                 Value local, int64_t registers,
                                 int64_t batch) {
  int64_t width = schedule.width;
  int64_t accumulators = registers * batch;
  auto sumType = VectorType::get({width}, b.getI32Type());
  Value zero = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(vectorType, b.getF32FloatAttr(0.0f)));
  SmallVector<Value> zeros(accumulators, zero);

  auto groupBody = [&](Value group, ValueRange totals) {
    SmallVector<Value> result(totals);
    SmallVector<Value> starts;
    for (int64_t i = 0; i < batch; ++i) {
      if (dotCodes.codeOffset() == 0) {
        starts.push_back(arith::ConstantOp::create(
            b, loc, DenseElementsAttr::get(sumType, b.getI32IntegerAttr(0))));
        continue;
      }
      Value total = tensor::ExtractOp::create(
          b, loc, activationSums, ValueRange{add(m, index(i)), group});
      if (dotCodes.codeOffset() != 1)
        total = arith::MulIOp::create(
            b, loc, total,
            arith::ConstantIntOp::create(b, loc, b.getI32Type(),
                                         dotCodes.codeOffset()));
      Value negated = arith::SubIOp::create(
          b, loc, arith::ConstantIntOp::create(b, loc, b.getI32Type(), 0),
          total);
      starts.push_back(vector::BroadcastOp::create(b, loc, sumType, negated));
    }
    for (int64_t p = 0; p < layout.planes; ++p) {
      SmallVector<Value> sums;
      for (int64_t i = 0; i < batch; ++i)
        sums.append(registers, starts[i]);
      sums = emitDotSets(sums, row, m, group, p, registers, batch);
      for (int64_t r = 0; r < registers; ++r) {
        Value alpha = vector::TransferReadOp::create(
            b, loc, vectorType, alphas,
            ValueRange{index(p), group, add(row, index(r * width))}, zeroF32(),
            ArrayRef<bool>{true});
        for (int64_t i = 0; i < batch; ++i) {
          Value &total = result[i * registers + r];
          Value sum = arith::SIToFPOp::create(b, loc, vectorType,
                                              sums[i * registers + r]);
          total = vector::FMAOp::create(b, loc, alpha, sum, total);
        }
      }
    }
    return result;
  };
  SmallVector<Value> totals = emitLoop(layout.groups, zeros, groupBody);
  return emitTileStores(slice, totals, column, m, local, registers, batch);
}

/// Writes a tile's totals (`batch` activation rows of `registers` registers
/// of V f32, row-major) times each activation row's scale:
/// slice[local + i, column + lanes] += s[m + i] · total[i, r] (= without an
/// init).
Value KernelEmitter::emitTileStores(Value slice, ArrayRef<Value> totals,
                                    Value column, Value m, Value local,
                                    int64_t registers, int64_t batch) {
  int64_t width = schedule.width;
  for (int64_t i = 0; i < batch; ++i) {
    Value scale = tensor::ExtractOp::create(b, loc, rowScales,
                                            ValueRange{add(m, index(i))});
    Value splat = vector::BroadcastOp::create(b, loc, vectorType, scale);
    for (int64_t r = 0; r < registers; ++r) {
      SmallVector<Value> at = {add(local, index(i)),
                               add(column, index(r * width))};
      Value sum;
      if (zeroInit()) {
        sum = arith::MulFOp::create(b, loc, totals[i * registers + r], splat);
      } else {
        Value current = vector::TransferReadOp::create(
            b, loc, vectorType, slice, at, zeroF32(), ArrayRef<bool>{true});
        sum = vector::FMAOp::create(b, loc, totals[i * registers + r], splat,
                                    current);
      }
      slice = vector::TransferWriteOp::create(b, loc, sum, slice, at,
                                              ArrayRef<bool>{true})
                  .getResult();
    }
  }
  return slice;
}

/// Whether single activation rows read Sherry's codes by lookups in
/// tables of sums (emitLookupTile): where a register of fields holds 32
/// rows' (16-bit lanes, V = 16), one per entry of a 32-entry table.
bool KernelEmitter::looksUpSherrySums() const {
  return schedule.lookups &&
         dotCodes.format == q::KernelDotCodes::Format::Sherry &&
         dotCodes.lanes == 32;
}

/// For each activation row m and quad q of the (padded) int8 activations,
/// the sum each Sherry field f can name: tables[m, q, f] = Σ_j t_j(f) ·
/// x[m, 4q + j], t_j(f) the code at position j of the quad with field f
/// (at most 3 · 127 in magnitude). Built once per call, before the blocks'
/// threads: 64 bytes a quad (229 KB at K = 14336), which stays in cache.
/// A quad's 32 entries are three dot products of its four activations,
/// broadcast, as the kernels compute them (tern.dot4, vpdpbusd on 512-bit
/// registers): Σ x from bytes of ones, then, from minus that, Σ (t + 1) x
/// with each half's fields' codes + 1, narrowed to i16 and joined.
Value KernelEmitter::emitSherryTables() {
  Type i8 = b.getI8Type(), i16 = b.getI16Type(), i32 = b.getI32Type();
  int64_t fields = dotCodes.lanes;
  int64_t width = schedule.width;
  int64_t quads = layout.groups * dotCodes.paddedGroup() / kDotDepth;
  auto wordsType = VectorType::get({width}, i32);
  auto bytesType = VectorType::get({width * kDotDepth}, i8);
  auto bytes = [&](function_ref<uint8_t(int64_t, int64_t)> byte) -> Value {
    SmallVector<int8_t> values;
    for (int64_t lane = 0; lane < width; ++lane)
      for (int64_t j = 0; j < kDotDepth; ++j)
        values.push_back(int8_t(byte(lane, j)));
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(bytesType, ArrayRef<int8_t>(values)));
  };
  // Lane i of part h: field f = h · V + i, its codes t_j(f) + 1 in bytes,
  // from the fields' own decoding.
  SmallVector<Value> codes;
  for (int64_t h = 0; h < fields / width; ++h)
    codes.push_back(bytes([&](int64_t lane, int64_t j) {
      return uint8_t(q::decodeSherryQuad(unsigned(h * width + lane)) >>
                     (8 * j));
    }));
  Value ones = bytes([](int64_t, int64_t) { return uint8_t(1); });
  Value zero = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(wordsType, b.getI32IntegerAttr(0)));
  Value batch = tensor::DimOp::create(b, loc, x, 0);
  Value tables = tensor::EmptyOp::create(
      b, loc, ArrayRef<int64_t>{ShapedType::kDynamic, quads, fields}, i16,
      ValueRange{batch});
  Value padByte = arith::ConstantIntOp::create(b, loc, i8, 0);
  // Loops of step 1 (emitTiledLoop with tiles of one).
  return emitTiledLoop(batch, 1, tables, [&](Value m, int64_t, Value rows) {
    return emitTiledLoop(
        index(quads), 1, rows, [&](Value quad, int64_t, Value current) {
          // The quad's four activations in every lane; Σ (t + 1) x less
          // Σ x is Σ t x, exact in i32 and in i16 (at most 3 · 127).
          Value four = vector::TransferReadOp::create(
              b, loc, VectorType::get({kDotDepth}, i8), x,
              ValueRange{m, mul(quad, kDotDepth)}, padByte,
              ArrayRef<bool>{true});
          Value xs = vector::BitCastOp::create(
              b, loc, bytesType,
              vector::BroadcastOp::create(
                  b, loc, wordsType,
                  vector::BitCastOp::create(b, loc, VectorType::get({1}, i32),
                                            four)));
          Value start =
              arith::SubIOp::create(b, loc, zero, emitDot(zero, ones, xs));
          // Each part's 16-bit sums, appended to the entries so far.
          Value entries;
          int64_t joined = 0;
          for (Value part : codes) {
            Value sums =
                arith::TruncIOp::create(b, loc, VectorType::get({width}, i16),
                                        emitDot(start, part, xs));
            entries = joined == 0 ? sums
                                  : vector::ShuffleOp::create(
                                        b, loc, entries, sums,
                                        llvm::to_vector(llvm::seq<int64_t>(
                                            0, joined + width)));
            joined += width;
          }
          return vector::TransferWriteOp::create(b, loc, entries, current,
                                                 ValueRange{m, quad, index(0)},
                                                 ArrayRef<bool>{true})
              .getResult();
        });
  });
}

/// One lookup tile of Sherry's codes: output rows [row, row + registers ·
/// 2V) (columns [column, ...) of the block's slice) for activation row m
/// (row `local` of the slice). Per set and register of 2V rows' fields,
/// quad s of the set is the register shifted right by 5s, and tern.lookup
/// turns each lane's field into the sum Σ t · x of its quad, read from the
/// row's table (emitSherryTables): one shift, one lookup and one i16 add a
/// quad of 2V rows, no decoding and no dot product. The i16 sums widen to
/// i32 every kLookupSetsPerRun sets; each group's then meet its scales.
/// Exact: the sums are the dot-product kernels' (docs/Kernels.md).
Value KernelEmitter::emitLookupTile(Value slice, Value row, Value column,
                                    Value m, Value local, int64_t registers) {
  int64_t width = schedule.width;
  int64_t fields = dotCodes.lanes;
  Type i16 = b.getI16Type();
  auto fieldsType = VectorType::get({fields}, i16);
  auto sumType = VectorType::get({width}, b.getI32Type());
  auto splat = [&](VectorType type, int64_t value) -> Value {
    return arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(type,
                               b.getIntegerAttr(type.getElementType(), value)));
  };
  auto instruction = LookupInstructionAttr::get(
      b.getContext(), schedule.dot == Int8Dot::Vpdpbusd
                          ? LookupInstruction::Vpermw
                          : LookupInstruction::Generic);
  Value padByte = arith::ConstantIntOp::create(b, loc, b.getI8Type(), 0);
  Value padEntry = arith::ConstantIntOp::create(b, loc, i16, 0);
  Value firstBlock = arith::DivUIOp::create(b, loc, row, index(fields));
  int64_t quads = dotCodes.quads();
  // Registers of V outputs: two per register of fields.
  int64_t outputs = 2 * registers;
  Value zero = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(vectorType, b.getF32FloatAttr(0.0f)));

  auto groupBody = [&](Value group, ValueRange totals) {
    SmallVector<Value> result(totals);
    for (int64_t p = 0; p < layout.planes; ++p) {
      auto set = [&](Value inGroup, ValueRange sums) {
        Value first = add(mul(group, setsPerGroup), inGroup);
        SmallVector<Value> entries;
        for (int64_t s = 0; s < quads; ++s)
          entries.push_back(vector::TransferReadOp::create(
              b, loc, fieldsType, sherryTables,
              ValueRange{m, add(mul(first, quads), index(s)), index(0)},
              padEntry, ArrayRef<bool>{true}));
        Value byte = mul(first, dotCodes.setBytes());
        SmallVector<Value> next(sums);
        for (int64_t r = 0; r < registers; ++r) {
          Value packed = vector::BitCastOp::create(
              b, loc, fieldsType,
              vector::TransferReadOp::create(
                  b, loc, VectorType::get({2 * fields}, b.getI8Type()), bits,
                  ValueRange{index(p), add(firstBlock, index(r)), byte},
                  padByte, ArrayRef<bool>{true}));
          for (int64_t s = 0; s < quads; ++s) {
            Value indices =
                s == 0 ? packed
                       : arith::ShRUIOp::create(b, loc, packed,
                                                splat(fieldsType, 5 * s))
                             .getResult();
            next[r] = arith::AddIOp::create(
                b, loc, next[r],
                LookupOp::create(b, loc, fieldsType, entries[s], indices,
                                 instruction));
          }
        }
        return next;
      };
      SmallVector<Value> sums = emitRuns(
          kLookupSetsPerRun, SmallVector<Value>(outputs, splat(sumType, 0)),
          [&](ValueRange) {
            return SmallVector<Value>(registers, splat(fieldsType, 0));
          },
          set,
          [&](ValueRange wide, ValueRange narrow) {
            SmallVector<Value> widened(wide);
            for (int64_t o = 0; o < outputs; ++o) {
              Value half = vector::ExtractStridedSliceOp::create(
                  b, loc, narrow[o / 2], ArrayRef<int64_t>{(o % 2) * width},
                  ArrayRef<int64_t>{width}, ArrayRef<int64_t>{1});
              widened[o] = arith::AddIOp::create(
                  b, loc, widened[o],
                  arith::ExtSIOp::create(b, loc, sumType, half));
            }
            return widened;
          });
      for (int64_t o = 0; o < outputs; ++o) {
        Value alpha = vector::TransferReadOp::create(
            b, loc, vectorType, alphas,
            ValueRange{index(p), group, add(row, index(o * width))}, zeroF32(),
            ArrayRef<bool>{true});
        result[o] = vector::FMAOp::create(
            b, loc, alpha, arith::SIToFPOp::create(b, loc, vectorType, sums[o]),
            result[o]);
      }
    }
    return result;
  };
  SmallVector<Value> totals =
      emitLoop(layout.groups, SmallVector<Value>(outputs, zero), groupBody);
  return emitTileStores(slice, totals, column, m, local, outputs, 1);
}

/// Loops `body(iv, values)` over [0, count), or calls it once for a count
/// of 1, threading `values` through.
SmallVector<Value> KernelEmitter::emitLoop(
    int64_t count, ValueRange values,
    function_ref<SmallVector<Value>(Value, ValueRange)> body) {
  if (count == 1)
    return body(index(0), values);
  auto loop = scf::ForOp::create(
      b, loc, index(0), index(count), index(1), values,
      [&](OpBuilder &nb, Location, Value iv, ValueRange args) {
        OpBuilder::InsertionGuard inner(b);
        b.setInsertionPointToEnd(nb.getInsertionBlock());
        scf::YieldOp::create(b, loc, body(iv, args));
      });
  return SmallVector<Value>(loop.getResults());
}

/// Loops over a group's sets in runs of at most `runLength`: a run starts
/// its sums from the running totals (`start`), `set(s, sums)` adds set s
/// of the group to them, and `finish(totals, sums)` adds the run's sums to
/// the totals, as narrow sums that must be widened before they overflow do.
SmallVector<Value> KernelEmitter::emitRuns(
    int64_t runLength, ValueRange totals,
    function_ref<SmallVector<Value>(ValueRange)> start,
    function_ref<SmallVector<Value>(Value, ValueRange)> set,
    function_ref<SmallVector<Value>(ValueRange, ValueRange)> finish) {
  auto run = [&](Value first, int64_t count, ValueRange current) {
    SmallVector<Value> part =
        emitLoop(count, start(current), [&](Value iv, ValueRange args) {
          return set(add(first, iv), args);
        });
    return finish(current, part);
  };
  SmallVector<Value> result(totals);
  int64_t fullRuns = setsPerGroup / runLength;
  if (fullRuns > 0)
    result = emitLoop(fullRuns, result, [&](Value iv, ValueRange values) {
      return run(mul(iv, runLength), runLength, values);
    });
  if (int64_t rest = setsPerGroup % runLength)
    result = run(index(fullRuns * runLength), rest, result);
  return result;
}

/// Adds every set of group `group` of plane `plane` to the i32 sums (one
/// per activation row and register, row-major).
///
/// Unpacked sets: each quad's codes are shifted into the low two bits of
/// every byte. With vpmaddubsw the products are summed in i16 first
/// (tern.dot2: one instruction and an add per quad instead of three), in
/// runs of at most 16 sets (12 of base 3's five quads), since a quad adds
/// at most 2 · 2 · 127 = 508 to a lane; each run's pairs are then widened
/// and added to the sums.
///
/// Scaled sets (vpdpbusd tiles whose sums fit, sumsPerQuad):
/// quad s is only masked, so its codes are (t + 1) · 4^s, and each s has
/// its own accumulators; a run's four sums are shifted right by 2s (exact:
/// each is a multiple of 4^s) and added. One AND and one vpdpbusd per quad
/// and register instead of a shift, an AND and a vpdpbusd. A set adds at
/// most 4 · 128 · 127 to a lane of quad 3's sums, so runs of 16384 sets
/// stay far from i32's limit.
///
/// Base-3 sets (5 quads of 4 digits t + 1 per byte, docs/Packing.md):
/// tern.decode_base3 turns the register's bytes into a register of 2-bit
/// codes of quads 0-3 and the codes of quad 4 (two table lookups, vpermi2b),
/// which then meet the activations as a 2-bit set's and one more quad's:
/// five dot products per 20 codes. Scaled, quad 4 has sums of its own,
/// unshifted.
///
/// Sherry sets (6 quads of 4 codes, a lane holding its row's six 5-bit
/// quad fields): quad s is the register shifted right by 5s and decoded by
/// tern.decode_sherry (vpermi2d: a lookup in 32 words), then dotted as
/// unpacked codes. One shift, one lookup and one dot product per quad. On
/// small tiles with vpdpbusd (split sets) each quad has its own sums, as
/// scaled sets do, added once per run: one chain of dependent vpdpbusd
/// through a single register would leave the lookups waiting on latency.
///
/// Int8 sets (a kept layer's weights, one quad of bytes w + 128, or w with
/// vpmaddubsw): one load and one dot product per register and activation
/// row, no unpacking (signed: the magnitudes and the activations' signs
/// flipped by the weights', two more instructions, see tern.dot4). A quad
/// adds at most 4 · 255 · 127 to a lane (4 · 128 · 127 signed), which
/// bounds K (the pass keeps longer rows in the float kernels:
/// KernelDotCodes::kMaxInt8Codes, kMaxSignedInt8Codes).
SmallVector<Value> KernelEmitter::emitDotSets(ValueRange sums, Value row,
                                              Value m, Value group,
                                              int64_t plane, int64_t registers,
                                              int64_t batch) {
  constexpr int64_t kSetsPerScaledRun = 16384;
  const int64_t setsPerI16Run = 32767 / (dotCodes.quads() * 2 * 2 * 127);
  int64_t width = schedule.width;
  auto wordsType = VectorType::get({width}, b.getI32Type());
  bool sherry = dotCodes.format == q::KernelDotCodes::Format::Sherry;
  bool perQuad = sumsPerQuad(registers, batch);
  auto splat = [&](VectorType type, int64_t value) -> Value {
    return arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(type,
                               b.getIntegerAttr(type.getElementType(), value)));
  };
  // The loop body over sets, summed as `form` says.
  auto sets = [&](SetSums form) {
    return [&, form](Value set, ValueRange args) {
      return emitDotSet(args, row, m, group, set, plane, registers, batch,
                        form);
    };
  };
  auto runs =
      [&](int64_t runLength, SetSums form,
          function_ref<SmallVector<Value>(ValueRange)> start,
          function_ref<SmallVector<Value>(ValueRange, ValueRange)> finish) {
        return emitRuns(runLength, sums, start, sets(form), finish);
      };

  if (perQuad) {
    // Quad 0's sums start from the totals, the others from zero; scaled
    // quads' sums are shifted back.
    Value zero = splat(wordsType, 0);
    int64_t quads = dotCodes.quads();
    return runs(
        kSetsPerScaledRun, sherry ? SetSums::Split : SetSums::Scaled,
        [&](ValueRange totals) {
          SmallVector<Value> start(totals);
          start.append((quads - 1) * totals.size(), zero);
          return start;
        },
        [&](ValueRange totals, ValueRange part) {
          SmallVector<Value> result(part.take_front(totals.size()));
          for (int64_t s = 1; s < quads; ++s)
            for (auto [sum, quad] : llvm::zip(
                     result, part.slice(s * totals.size(), totals.size())))
              sum = arith::AddIOp::create(
                  b, loc, sum,
                  !sherry && s < 4 ? arith::ShRSIOp::create(
                                         b, loc, quad, splat(wordsType, 2 * s))
                                         .getResult()
                                   : quad);
          return result;
        });
  }
  // Int8 sets add up to 2 · 128 · 127 to a pair: no i16 runs.
  if (schedule.dot != Int8Dot::Pmaddubsw || dotCodes.isInt8())
    return emitLoop(setsPerGroup, sums, sets(SetSums::Shifted));

  auto pairsType = VectorType::get({2 * width}, b.getI16Type());
  return runs(
      setsPerI16Run, SetSums::Shifted,
      [&](ValueRange totals) {
        return SmallVector<Value>(totals.size(), splat(pairsType, 0));
      },
      [&](ValueRange totals, ValueRange pairs) {
        Value sixteen = splat(wordsType, 16);
        SmallVector<Value> result;
        for (auto [total, pair] : llvm::zip(totals, pairs)) {
          // Lane i of the i32 view holds pair 2i in its low and pair 2i + 1
          // in its high half.
          Value words = vector::BitCastOp::create(b, loc, wordsType, pair);
          Value low = arith::ShRSIOp::create(
              b, loc, arith::ShLIOp::create(b, loc, words, sixteen), sixteen);
          Value high = arith::ShRSIOp::create(b, loc, words, sixteen);
          result.push_back(arith::AddIOp::create(
              b, loc, total, arith::AddIOp::create(b, loc, low, high)));
        }
        return result;
      });
}

/// Whether a tile of `registers` x `batch` accumulators keeps its sums
/// apart per quad (scaled 2-bit and base-3 sets, split Sherry sets), so
/// that no single chain of dependent dot products sets the pace: vpdpbusd
/// tiles of at most two accumulators, and with 32 vector registers a single
/// activation row's tiles whose sums fit kRowTileSums.
bool KernelEmitter::sumsPerQuad(int64_t registers, int64_t batch) const {
  constexpr int64_t kScaledTile = 2;
  if (schedule.dot != Int8Dot::Vpdpbusd)
    return false;
  return registers * batch <= kScaledTile ||
         (batch == 1 && schedule.width >= 16 &&
          registers * dotCodes.quads() <= kRowTileSums);
}

/// Adds set `set` of group `group` to the dot-product sums: per register
/// one load of its 16 x V codes (20 x V in base 3); per quad s of the set and
/// activation row, the row's 4 int8 activations broadcast to every lane and
/// dotted with the quad's codes, shifted into place (`scaled` false) or only
/// masked
/// (`scaled`: sums[s] are those of quad s, see emitDotSets).
SmallVector<Value> KernelEmitter::emitDotSet(ValueRange sums, Value row,
                                             Value m, Value group, Value set,
                                             int64_t plane, int64_t registers,
                                             int64_t batch, SetSums form) {
  bool scaled = form == SetSums::Scaled;
  int64_t quads = dotCodes.quads();
  int64_t width = schedule.width;
  Value first = add(mul(group, setsPerGroup), set);
  Value k = mul(first, dotCodes.setCodes());
  Value padByte = arith::ConstantIntOp::create(b, loc, b.getI8Type(), 0);
  Type i32 = b.getI32Type();
  auto wordsType = VectorType::get({width}, i32);
  // xs[s * batch + i]: quad s of activation row i, in every lane.
  SmallVector<Value> xs;
  for (int64_t s = 0; s < quads; ++s)
    for (int64_t i = 0; i < batch; ++i) {
      Value four = vector::TransferReadOp::create(
          b, loc, VectorType::get({kDotDepth}, b.getI8Type()), x,
          ValueRange{add(m, index(i)), add(k, index(s * kDotDepth))}, padByte,
          ArrayRef<bool>{true});
      Value word =
          vector::BitCastOp::create(b, loc, VectorType::get({1}, i32), four);
      xs.push_back(vector::BitCastOp::create(
          b, loc, dataType,
          vector::BroadcastOp::create(b, loc, wordsType, word)));
    }
  auto words = [&](uint32_t value) -> Value {
    return arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(wordsType, b.getI32IntegerAttr(int32_t(value))));
  };
  // Register r of the tile is row block (row / V + r), whose codes for this
  // group and set are 4V bytes.
  Value block = arith::DivUIOp::create(b, loc, row, index(width));
  Value byte = mul(first, dotCodes.setBytes());
  SmallVector<Value> result(sums);
  int64_t accumulators = registers * batch;
  for (int64_t r = 0; r < registers; ++r) {
    if (decodedBase3) {
      // Quads 0-3 and quad 4 of the set as emitDecodedBase3 wrote them.
      Value local = arith::SubIOp::create(b, loc, add(block, index(r)),
                                          decodedFirstBlock);
      auto read = [&](int64_t part) -> Value {
        return vector::TransferReadOp::create(
            b, loc, dataType, decodedBase3,
            ValueRange{index(plane), local, first, index(part), index(0)},
            padByte, ArrayRef<bool>{true});
      };
      emitBase3Dots(result, read(0), read(1), xs, r, registers, batch, scaled);
      continue;
    }
    if (dotCodes.format == q::KernelDotCodes::Format::Sherry) {
      // Register r's V rows are half of a block of 2V, whose fields are
      // 16-bit lanes: widened to i32, quad s's field is in bits 5s to 5s +
      // 4 of each lane. One shift, one lookup, one dot product a quad.
      Value rows = add(block, index(r));
      Value half = arith::RemUIOp::create(b, loc, rows, index(2));
      Value fieldBytes = vector::TransferReadOp::create(
          b, loc, VectorType::get({2 * width}, b.getI8Type()), bits,
          ValueRange{index(plane),
                     arith::DivUIOp::create(b, loc, rows, index(2)),
                     add(byte, mul(half, 2 * width))},
          padByte, ArrayRef<bool>{true});
      Value packed = arith::ExtUIOp::create(
          b, loc, wordsType,
          vector::BitCastOp::create(
              b, loc, VectorType::get({width}, b.getI16Type()), fieldBytes));
      auto instruction = LookupInstructionAttr::get(
          b.getContext(), schedule.dot == Int8Dot::Vpdpbusd
                              ? LookupInstruction::Vpermi2d
                              : LookupInstruction::Generic);
      for (int64_t s = 0; s < quads; ++s) {
        Value fields =
            s == 0 ? packed
                   : arith::ShRUIOp::create(b, loc, packed, words(5 * s))
                         .getResult();
        Value codes =
            DecodeSherryOp::create(b, loc, dataType, fields, instruction);
        for (int64_t i = 0; i < batch; ++i) {
          Value &sum = result[(form == SetSums::Split ? s * accumulators : 0) +
                              i * registers + r];
          sum = emitDot(sum, codes, xs[s * batch + i]);
        }
      }
      continue;
    }
    Value bytes = vector::TransferReadOp::create(
        b, loc, dataType, bits,
        ValueRange{index(plane), add(block, index(r)), byte}, padByte,
        ArrayRef<bool>{true});
    if (dotCodes.isInt8()) {
      // One quad a set: the bytes are the codes.
      for (int64_t i = 0; i < batch; ++i) {
        Value &sum = result[i * registers + r];
        sum = emitDot(sum, bytes, xs[i], dotCodes.isSigned());
      }
      continue;
    }
    Value packed = vector::BitCastOp::create(b, loc, wordsType, bytes);
    if (dotCodes.format == q::KernelDotCodes::Format::Base3) {
      auto decoded = emitDecodeBase3(packed);
      emitBase3Dots(result, decoded.getQuads(), decoded.getFifth(), xs, r,
                    registers, batch, scaled);
      continue;
    }
    emitQuadDots(result, packed, xs, r, registers, batch, scaled);
  }
  return result;
}

/// Adds the dot products of register `r`'s four quads of 2-bit codes
/// (`packed`, as i32 lanes) with the activations `xs` to `sums` (see
/// emitDotSet): each quad shifted into the low bits, or (`scaled`) only
/// masked, into sums of its own.
void KernelEmitter::emitQuadDots(MutableArrayRef<Value> sums, Value packed,
                                 ArrayRef<Value> xs, int64_t r,
                                 int64_t registers, int64_t batch,
                                 bool scaled) {
  int64_t accumulators = registers * batch;
  auto words = [&](uint32_t value) -> Value {
    return arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(cast<ShapedType>(packed.getType()),
                               b.getI32IntegerAttr(int32_t(value))));
  };
  for (int64_t s = 0; s < 4; ++s) {
    Value quad =
        scaled
            ? arith::AndIOp::create(b, loc, packed,
                                    words(0x03030303u << (2 * s)))
                  .getResult()
            : arith::AndIOp::create(
                  b, loc,
                  s == 0 ? packed
                         : arith::ShRUIOp::create(b, loc, packed, words(2 * s))
                               .getResult(),
                  words(0x03030303u))
                  .getResult();
    Value codes = vector::BitCastOp::create(b, loc, dataType, quad);
    for (int64_t i = 0; i < batch; ++i) {
      Value &sum = sums[(scaled ? s * accumulators : 0) + i * registers + r];
      sum = emitDot(sum, codes, xs[s * batch + i]);
    }
  }
}

/// Adds register `r`'s base-3 set, decoded into `quads` (0-3, a 2-bit
/// set's register) and `fifth` (quad 4's codes), to `sums` (see emitDotSet).
void KernelEmitter::emitBase3Dots(MutableArrayRef<Value> sums, Value quads,
                                  Value fifth, ArrayRef<Value> xs, int64_t r,
                                  int64_t registers, int64_t batch,
                                  bool scaled) {
  int64_t accumulators = registers * batch;
  auto wordsType = VectorType::get({schedule.width}, b.getI32Type());
  Value packed = vector::BitCastOp::create(b, loc, wordsType, quads);
  for (int64_t i = 0; i < batch; ++i) {
    Value &sum = sums[(scaled ? 4 * accumulators : 0) + i * registers + r];
    sum = emitDot(sum, fifth, xs[4 * batch + i]);
  }
  emitQuadDots(sums, packed, xs, r, registers, batch, scaled);
}

/// tern.decode_base3 of a register of base-3 codes (as i32 lanes): quads
/// 0-3 as a 2-bit set's register, quad 4's codes apart.
DecodeBase3Op KernelEmitter::emitDecodeBase3(Value packed) {
  return DecodeBase3Op::create(
      b, loc, dataType, dataType,
      vector::BitCastOp::create(b, loc, dataType, packed),
      LookupInstructionAttr::get(
          b.getContext(),
          schedule.dot == Int8Dot::Vpdpbusd    ? LookupInstruction::Vpermi2b
          : schedule.dot == Int8Dot::Pmaddubsw ? LookupInstruction::Vpshufb
                                               : LookupInstruction::Generic));
}

/// The base-3 codes of rowSize output rows from row block `firstBlock` (a
/// parallel iteration's block of at most `blockRows`) decoded once:
/// [planes][blockRows / V][sets][2][4V] bytes, register r of set j of the
/// block's b-th row block holding quads 0-3 at [p][b][j][0] and quad 4 at
/// [p][b][j][1]. Twice the bytes of 2-bit codes (3.2 bits a weight,
/// 367 KB for 64 rows of K = 14336), read by every tile of the block's
/// activation rows from the caches instead of decoding the same bytes
/// again for each.
Value KernelEmitter::emitDecodedBase3(Value firstBlock, Value rowSize,
                                      int64_t blockRows) {
  int64_t width = schedule.width;
  int64_t sets = dotCodes.groups * setsPerGroup;
  int64_t setBytes = 4 * width;
  Value scratch = tensor::EmptyOp::create(
      b, loc,
      ArrayRef<int64_t>{layout.planes, blockRows / width, sets, 2, setBytes},
      b.getI8Type());
  Value blocks = arith::CeilDivUIOp::create(b, loc, rowSize, index(width));
  Value padByte = arith::ConstantIntOp::create(b, loc, b.getI8Type(), 0);
  auto wordsType = VectorType::get({width}, b.getI32Type());
  auto blockLoop = scf::ForOp::create(
      b, loc, index(0), blocks, index(1), ValueRange{scratch},
      [&](OpBuilder &nb, Location, Value local, ValueRange args) {
        OpBuilder::InsertionGuard inner(b);
        b.setInsertionPointToEnd(nb.getInsertionBlock());
        Value block = add(firstBlock, local);
        Value result = args[0];
        for (int64_t p = 0; p < layout.planes; ++p)
          result = emitLoop(sets, result, [&](Value set, ValueRange values) {
            Value packed = vector::TransferReadOp::create(
                b, loc, dataType, bits,
                ValueRange{index(p), block, mul(set, setBytes)}, padByte,
                ArrayRef<bool>{true});
            auto decoded = emitDecodeBase3(
                vector::BitCastOp::create(b, loc, wordsType, packed));
            Value written = values[0];
            Value parts[] = {decoded.getQuads(), decoded.getFifth()};
            for (auto [part, codes] : llvm::enumerate(parts))
              written = vector::TransferWriteOp::create(
                            b, loc, codes, written,
                            ValueRange{index(p), local, set,
                                       index(int64_t(part)), index(0)},
                            ArrayRef<bool>{true})
                            .getResult();
            return SmallVector<Value>{written};
          })[0];
        scf::YieldOp::create(b, loc, result);
      });
  return blockLoop.getResult(0);
}

/// sum + the dot products of `codes` (unsigned bytes, or signed ones with
/// `signedCodes`) with `activations` (signed bytes): four bytes to each lane
/// of an i32 sum (tern.dot4), two to each lane of an i16 one (tern.dot2).
/// Exact in every form, since a pair of products is at most 2 · 2 · 127
/// (2 · 128 · 127 signed), below vpmaddubsw's saturation.
Value KernelEmitter::emitDot(Value sum, Value codes, Value activations,
                             bool signedCodes) {
  DotInstruction instruction =
      schedule.dot == Int8Dot::Vpdpbusd    ? DotInstruction::Vpdpbusd
      : schedule.dot == Int8Dot::Pmaddubsw ? DotInstruction::Pmaddubsw
                                           : DotInstruction::Generic;
  auto attr = DotInstructionAttr::get(b.getContext(), instruction);
  if (cast<VectorType>(sum.getType()).getElementType().isInteger(16))
    return Dot2Op::create(b, loc, sum.getType(), codes, activations, sum, attr);
  return Dot4Op::create(b, loc, sum.getType(), codes, activations, sum, attr,
                        signedCodes ? b.getUnitAttr() : UnitAttr());
}

struct ConvertTernToVectorPass
    : mlir::tern::impl::ConvertTernToVectorBase<ConvertTernToVectorPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (vectorWidth != 8 && vectorWidth != 16 && vectorWidth != 32 &&
        vectorWidth != 64) {
      mlir::emitError(module.getLoc(),
                      "convert-tern-to-vector: vector-width must be 8, 16, "
                      "32 or 64, got ")
          << vectorWidth.getValue();
      return signalPassFailure();
    }
    for (auto [name, value] :
         {std::pair<StringRef, int64_t>{"tile-rows", tileRows},
          {"tile-batch", tileBatch},
          {"block-rows", blockRows},
          {"dot-tile-registers", dotTileRegisters},
          {"dot-tile-batch", dotTileBatch},
          {"block-batch", blockBatch}}) {
      if (value < 1) {
        mlir::emitError(module.getLoc(), "convert-tern-to-vector: ")
            << name << " must be >= 1, got " << value;
        return signalPassFailure();
      }
    }
    if (rowTileRegisters < 0) {
      mlir::emitError(module.getLoc(), "convert-tern-to-vector: "
                                       "row-tile-registers must be >= 0 (0: "
                                       "automatic), got ")
          << rowTileRegisters.getValue();
      return signalPassFailure();
    }
    bool integer = activations == KernelActivations::Int8;
    std::optional<Int8Dot> dot = int8Dot.getValue();
    if ((*dot == Int8Dot::Pmaddubsw || *dot == Int8Dot::Vpdpbusd) &&
        vectorWidth != 8 && vectorWidth != 16) {
      mlir::emitError(module.getLoc(), "convert-tern-to-vector: int8-dot=")
          << stringifyInt8Dot(*dot)
          << " uses 256-bit or 512-bit x86 registers: vector-width must be "
             "8 or 16, got "
          << vectorWidth.getValue();
      return signalPassFailure();
    }
    if (!integer)
      dot = Int8Dot::None;
    if (integer && *dot == Int8Dot::None && vectorWidth > 32) {
      mlir::emitError(module.getLoc(),
                      "convert-tern-to-vector: activations=int8 takes 2V "
                      "lanes of i16 per chunk, at most 64: vector-width "
                      "must be <= 32, got ")
          << vectorWidth.getValue();
      return signalPassFailure();
    }
    Schedule schedule = {vectorWidth,   integer,          *dot,
                         sherryLookups, tileRows,         tileBatch,
                         blockRows,     dotTileRegisters, dotTileBatch,
                         blockBatch,    rowTileRegisters};
    bool dots = *dot != Int8Dot::None;

    SmallVector<MatmulOp> matmuls;
    module.walk([&](MatmulOp op) { matmuls.push_back(op); });
    // One set of bitmaps per constant and group size, however many matmuls
    // read it.
    DenseMap<std::pair<Operation *, int64_t>, Value> bitmapsOf;
    PreparedCache prepared;
    OpBuilder b(&getContext());
    for (MatmulOp op : matmuls) {
      auto constant = op.getWeights().getDefiningOp<ConstantOp>();
      auto inputType = op.getInput().getType();
      GroupedLayout layout = op.getLayout();
      if (!constant || !inputType.getElementType().isF32() ||
          inputType.isDynamicDim(1)) {
        ++numLeft;
        continue;
      }
      q::KernelBitmaps bitmaps =
          q::KernelBitmaps::get(layout.k, layout.groupSize);
      // Base-3 (1.6 bits a weight) and Sherry's 3:4 constants (1.33 bits)
      // keep their formats where the kernels decode them by lookups
      // (vpermi2b, vpermi2d on 512-bit registers) or the generic form
      // (emitDotSet): base 3 when asked (base3-direct), Sherry unless told
      // not to and where groups start on quads.
      bool base3 = base3Direct && decodesBase3Codes(*dot, vectorWidth) &&
                   constant.getPacking() == PackingKind::Base3;
      bool sherry = sherryDirect && decodesSherryCodes(*dot, vectorWidth) &&
                    constant.getPacking() == PackingKind::Sherry &&
                    layout.groupSize % 4 == 0;
      q::KernelDotCodes dotCodes =
          q::KernelDotCodes::get(layout.k, layout.groupSize, vectorWidth,
                                 base3    ? q::KernelDotCodes::Format::Base3
                                 : sherry ? q::KernelDotCodes::Format::Sherry
                                          : q::KernelDotCodes::Format::TwoBit);
      Value &bits = bitmapsOf[{constant, layout.groupSize}];
      if (!bits) {
        std::vector<uint8_t> codes;
        if (failed(constant.readCodes(codes)))
          return signalPassFailure();
        std::vector<uint8_t> bytes;
        SmallVector<int64_t> shape = {layout.planes};
        if (dots) {
          int64_t blocks = dotCodes.blocks(layout.rows);
          bytes.resize(layout.planes * blocks * dotCodes.blockBytes());
          q::packKernelDotCodes(dotCodes, codes.data(), layout.planes,
                                layout.rows, bytes.data());
          shape.append({blocks, dotCodes.blockBytes()});
        } else {
          int64_t rows = layout.planes * layout.rows;
          bytes.resize(rows * bitmaps.rowBytes());
          q::packKernelBitmaps(bitmaps, codes.data(), rows, bytes.data());
          shape.append({layout.rows, 2, bitmaps.bitmapBytes});
        }
        auto type = RankedTensorType::get(shape, b.getIntegerType(8));
        b.setInsertionPointAfter(constant);
        auto attr = DenseResourceElementsAttr::get(
            type,
            !dots    ? "tern_bitmaps"
            : base3  ? "tern_dot_codes_base3"
            : sherry ? "tern_dot_codes_sherry"
                     : "tern_dot_codes",
            HeapAsmResourceBlob::allocateAndCopyInferAlign(
                ArrayRef<uint8_t>(bytes)));
        bits = arith::ConstantOp::create(b, constant.getLoc(), attr);
      }
      b.setInsertionPoint(op);
      KernelEmitter emitter(b, op.getLoc(), KernelOperands::of(op), layout,
                            bitmaps.groupBits / 8, dotCodes, bits, schedule,
                            prepared);
      op.getResult().replaceAllUsesWith(emitter.emit());
      op.erase();
      ++numLowered;
    }
    llvm::SmallPtrSet<Operation *, 8> constants;
    for (auto [key, bits] : bitmapsOf)
      constants.insert(key.first);
    for (Operation *constant : constants)
      if (constant->use_empty())
        constant->erase();

    // Layers kept in int8 take the same activations' dot products: one
    // vpdpbusd per 4 x V weights instead of widening each weight to f32;
    // vpmaddubsw, whose i16 pairs would saturate on bytes w + 128, takes
    // the weights signed.
    if (!dots || !keptInt8Dot)
      return;
    q::KernelDotCodes::Format keptFormat =
        q::KernelDotCodes::int8Format(signsKeptInt8Codes(*dot));
    // Scales as dense elements (what tern-ternarize writes; transposed at
    // compile time): others, such as a dense_resource, stay float.
    SmallVector<KeptLayer> kept;
    module.walk([&](linalg::MatmulOp matmul) {
      std::optional<KeptLayer> layer = matchKeptLayer(matmul);
      DenseElementsAttr scales;
      if (layer && layer->scaling &&
          matchPattern(layer->scales, m_Constant(&scales)) &&
          cast<RankedTensorType>(matmul.getInputs()[0].getType())
                  .getDimSize(1) <= q::KernelDotCodes::maxInt8Codes(keptFormat))
        kept.push_back(*layer);
    });
    // One set of codes per constant, however many layers read it.
    DenseMap<Operation *, Value> codesOf;
    for (const KeptLayer &layer : kept)
      if (failed(
              lowerKeptInt8(b, layer, keptFormat, schedule, prepared, codesOf)))
        return signalPassFailure();
    for (auto [weights, codes] : codesOf)
      if (weights->use_empty())
        weights->erase();
  }

  /// Replaces a kept int8 layer (its matmul and scaling) with a dot-product
  /// kernel on its weights repacked as kernel dot codes of `format` (Int8
  /// or SignedInt8).
  LogicalResult lowerKeptInt8(OpBuilder &b, const KeptLayer &layer,
                              q::KernelDotCodes::Format format,
                              const Schedule &schedule, PreparedCache &prepared,
                              DenseMap<Operation *, Value> &codesOf) {
    auto weightsType = cast<RankedTensorType>(layer.weights.getType());
    int64_t k = weightsType.getDimSize(0), n = weightsType.getDimSize(1);
    q::KernelDotCodes dotCodes =
        q::KernelDotCodes::get(k, /*groupSize=*/0, vectorWidth, format);
    Operation *weightsOp = layer.weights.getDefiningOp();
    Value &codes = codesOf[weightsOp];
    if (!codes) {
      FailureOr<q::KeptWeights> weights = readKeptWeights(layer);
      if (failed(weights))
        return failure();
      int64_t blocks = dotCodes.blocks(n);
      std::vector<uint8_t> bytes(blocks * dotCodes.blockBytes());
      q::packKernelDotInt8(dotCodes, weights->codes.data(), n, bytes.data());
      b.setInsertionPointAfter(weightsOp);
      codes = arith::ConstantOp::create(
          b, weightsOp->getLoc(),
          DenseResourceElementsAttr::get(
              RankedTensorType::get({1, blocks, dotCodes.blockBytes()},
                                    b.getIntegerType(8)),
              "tern_dot_codes_int8",
              HeapAsmResourceBlob::allocateAndCopyInferAlign(
                  ArrayRef<uint8_t>(bytes))));
    }

    Operation *scaling = layer.scaling;
    linalg::MatmulOp matmul = layer.matmul;
    KernelOperands operands = {
        matmul.getInputs()[0], layer.scales,
        /*shifts=*/Value(),
        /*bias=*/Value(),
        cast<RankedTensorType>(scaling->getResult(0).getType())};
    GroupedLayout layout = {/*planes=*/1, n, k, /*groupSize=*/k,
                            /*groups=*/1};
    b.setInsertionPoint(scaling);
    KernelEmitter emitter(b, scaling->getLoc(), operands, layout,
                          /*groupBytes=*/0, dotCodes, codes, schedule,
                          prepared);
    scaling->getResult(0).replaceAllUsesWith(emitter.emit());
    scaling->erase();
    // Size queries of the products (a dynamic M) ask the products' init.
    for (OpOperand &use : llvm::make_early_inc_range(matmul->getUses()))
      if (isa<tensor::DimOp>(use.getOwner()))
        use.set(matmul.getOutputs()[0]);
    if (matmul->use_empty())
      matmul->erase();
    ++numKept;
    return success();
  }
};

} // namespace
