//===- TileAndVectorize.cpp - CPU schedule for linalg ops -----------------===//
//
// This file implements tern-tile-and-vectorize: every statically shaped
// linalg op on tensors is tiled to a block that fits in vector registers,
// the block is reduced to its non-unit dimensions and vectorized, and the
// accumulator of reduction loops is kept in registers.
//
//===----------------------------------------------------------------------===//

#include "tern/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TILEANDVECTORIZE
#include "tern/Transforms/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;

namespace {

/// Tile sizes of one op: `parallel` for the scf.forall over the parallel
/// loops, `reduction` for the scf.for nest over the reduction loops; 0 means
/// "not tiled at this level".
struct Schedule {
  SmallVector<int64_t> parallel;
  SmallVector<int64_t> reduction;
  /// Parallel tiles iterated by an scf.for inside the reduction loops, or
  /// empty: a row of a matmul streaming its weights (streamWeights).
  SmallVector<int64_t> inner;
  /// Whether the parallel tiles are iterated by an scf.for: within a row
  /// that an enclosing scf.forall already distributes (scheduleDynamicRow).
  bool serial = false;
  /// A contraction's loops over the rows of its result, its columns (the
  /// vector loop) and its reduction, or -1.
  int64_t rowLoop = -1, columnLoop = -1, reductionLoop = -1;
};

/// Rows of the weights a streaming tile reads at once, and the widest
/// block of columns, in chunks (of two registers: 512 f32 on AVX-512).
constexpr int64_t kStreamRows = 8;
constexpr int64_t kStreamBlockChunks = 16;
/// Blocks a streaming matmul is cut into at least, for the threads.
constexpr int64_t kStreamMinBlocks = 4;

/// `s` for a contraction computed a row at a time (M = 1: a decoder's
/// token), turned into a schedule that streams the weights (K x N) once, as
/// they lie in memory: an scf.forall over blocks of columns, in each an
/// scf.for over steps of kStreamRows rows of the weights, in each an scf.for
/// over chunks of the block's columns (the accumulators, the block's row of
/// the result, stay in L1). Each step reads kStreamRows runs of the block's
/// width of contiguous weights, where the default schedule (a chunk of
/// columns at a time over all of K) reads one chunk per row of the weights,
/// a page apart: a tenth of the memory's bandwidth when the weights do not
/// fit in the cache. Weights narrower than the result (`weightBytes` each:
/// int8 or f16 layers) take chunks of as many bytes a row as f32 ones
/// (more registers of accumulators), so that a step still reads whole
/// cache lines of each row. Unchanged unless K and N are static.
void streamWeights(Schedule &s, ArrayRef<int64_t> ranges, int64_t weightBytes) {
  if (s.rowLoop < 0 || s.parallel[s.rowLoop] != 1 || !s.inner.empty() ||
      s.serial)
    return;
  int64_t n = ranges[s.columnLoop], k = ranges[s.reductionLoop];
  int64_t chunk =
      s.parallel[s.columnLoop] * std::max<int64_t>(4 / weightBytes, 1);
  if (ShapedType::isDynamic(n) || ShapedType::isDynamic(k) || chunk < 2 ||
      n < 2 * chunk || k < 2)
    return;
  // Blocks of d chunks: kStreamMinBlocks blocks at least (the threads of
  // a machine with more cores than this one's two), at most
  // kStreamBlockChunks, and of the widths down to half that the one that
  // leaves the fewest chunks after the last block (they run on one thread
  // after the others).
  int64_t chunks = n / chunk;
  int64_t widest = std::max<int64_t>(
      std::min(kStreamBlockChunks, chunks / kStreamMinBlocks), 1);
  int64_t d = widest;
  for (int64_t width = widest; 2 * width >= widest && width > 0; --width)
    if (chunks % width < chunks % d)
      d = width;
  int64_t block = d * chunk;
  s.inner.assign(ranges.size(), 0);
  s.inner[s.columnLoop] = chunk;
  s.parallel[s.columnLoop] = block;
  s.reduction[s.reductionLoop] = std::min(k, kStreamRows);
}

/// The loop indexing the innermost dimension of `map` if it is a plain loop
/// index, else -1.
int64_t innermostLoop(AffineMap map) {
  if (map.getNumResults() == 0)
    return -1;
  if (auto dim = dyn_cast<AffineDimExpr>(map.getResults().back()))
    return dim.getPosition();
  return -1;
}

/// Whether every indexing map of `op` is a projected permutation once the
/// loops with a tile size of 1 are fixed: the condition for the tile to
/// vectorize as an elementwise op (with broadcasts).
bool vectorizesAfterTiling(linalg::LinalgOp op, ArrayRef<int64_t> tiles) {
  MLIRContext *ctx = op.getContext();
  SmallVector<AffineExpr> fixed;
  for (auto [i, tile] : llvm::enumerate(tiles))
    fixed.push_back(tile == 1 ? getAffineConstantExpr(0, ctx)
                              : getAffineDimExpr(i, ctx));
  for (AffineMap map : op.getIndexingMapsArray()) {
    AffineMap reduced = map.replaceDimsAndSymbols(fixed, {}, map.getNumDims(),
                                                  map.getNumSymbols());
    llvm::SmallDenseSet<unsigned> seen;
    for (AffineExpr expr : reduced.getResults()) {
      if (isa<AffineConstantExpr>(expr))
        continue;
      auto dim = dyn_cast<AffineDimExpr>(expr);
      if (!dim || !seen.insert(dim.getPosition()).second)
        return false;
    }
  }
  // Gathers (tensor.extract in the body) are left to loops.
  bool hasExtract = false;
  op->walk([&](tensor::ExtractOp) { hasExtract = true; });
  return !hasExtract;
}

/// Chooses the tiles of `op`, or nothing if it is not worth or not possible
/// to vectorize.
std::optional<Schedule> chooseSchedule(linalg::LinalgOp op, int64_t vectorWidth,
                                       int64_t blockRows,
                                       int64_t maxVectorSize) {
  if (!op.hasPureTensorSemantics() || op.getNumDpsInits() != 1 ||
      op.getNumLoops() == 0)
    return std::nullopt;
  // Vectors of i1 are bit-packed in memory, tensors of i1 are not: ops
  // reading or writing booleans stay scalar.
  for (Value operand : op->getOperands())
    if (getElementTypeOrSelf(operand.getType()).getIntOrFloatBitWidth() < 8)
      return std::nullopt;
  for (Value result : op->getResults())
    if (getElementTypeOrSelf(result.getType()).getIntOrFloatBitWidth() < 8)
      return std::nullopt;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  unsigned numLoops = op.getNumLoops();
  // Loops whose range is known only when the model runs are tiled by 1:
  // every tile keeps a static shape, vectorized along the static loops
  // (a matmul with dynamic rows, M = 1 when a decoder generates, is
  // processed a row at a time, each row in registers along N).
  auto isDynamic = [&](int64_t loop) {
    return loop >= 0 && ShapedType::isDynamic(ranges[loop]);
  };

  Schedule s;
  for (utils::IteratorType it : iterators) {
    bool parallel = it == utils::IteratorType::parallel;
    s.parallel.push_back(parallel ? 1 : 0);
    s.reduction.push_back(parallel ? 0 : 1);
  }
  // A whole row, or chunks of a long one; chunks of two registers of a
  // dynamic one (schedule() cuts the loop into static chunks, and the
  // last partial chunk runs a lane at a time).
  auto chunk = [&](unsigned loop) {
    if (ShapedType::isDynamic(ranges[loop]))
      return 2 * vectorWidth;
    return ranges[loop] <= maxVectorSize ? ranges[loop] : 8 * vectorWidth;
  };
  // The tile `want` along `loop`, no longer than a static range.
  auto upTo = [&](int64_t want, unsigned loop) {
    return ShapedType::isDynamic(ranges[loop]) ? want
                                               : std::min(want, ranges[loop]);
  };

  // Loops are -1 when there is none.
  int64_t vectorLoop =
      innermostLoop(op.getMatchingIndexingMap(op.getDpsInitOperand(0)));
  int64_t blockLoop = -1;
  // The one reduction of a plain matmul's row times its weights.
  int64_t reductionLoop = -1;
  if (linalg::isaContractionOpInterface(op)) {
    FailureOr<linalg::ContractionDimensions> dims =
        linalg::inferContractionDims(op);
    if (succeeded(dims) && !dims->m.empty())
      blockLoop = dims->m.back();
    // Only named contractions stream (their tile becomes a
    // vector.contract; see vectorizeTiled).
    if (succeeded(dims) && dims->m.size() == 1 && dims->n.size() == 1 &&
        dims->k.size() == 1 && dims->batch.empty() &&
        isa<linalg::ContractionOpInterface>(op.getOperation()))
      reductionLoop = dims->k.front();
  } else if (linalg::isaConvolutionOpInterface(op)) {
    FailureOr<linalg::ConvolutionDimensions> dims =
        linalg::inferConvolutionDims(op);
    if (succeeded(dims) && !dims->outputChannel.empty())
      blockLoop = dims->outputChannel.back();
  } else {
    // A reduction along the innermost dimension of an input (a row sum) is
    // vectorized along the reduction; a dynamic one (softmax over the keys
    // of an attention) in static chunks (scheduleDynamicRow), unless
    // an input runs contiguously along the output's rows (attention's
    // product with the values: vectorized along them).
    bool outputRowsContiguous =
        llvm::any_of(op.getDpsInputOperands(), [&](OpOperand *input) {
          return vectorLoop >= 0 &&
                 innermostLoop(op.getMatchingIndexingMap(input)) == vectorLoop;
        });
    for (OpOperand *input : op.getDpsInputOperands()) {
      int64_t loop = innermostLoop(op.getMatchingIndexingMap(input));
      if (loop >= 0 && iterators[loop] == utils::IteratorType::reduction &&
          (isDynamic(loop) ? !outputRowsContiguous : ranges[loop] > 1)) {
        s.reduction[loop] = chunk(loop);
        vectorLoop = -1;
        break;
      }
    }
  }

  // A transpose: an input that holds the output's innermost loop but runs
  // contiguously along another loop. A whole output row would read one
  // element per cache line; a square tile of V x V reads V contiguous rows
  // and transposes them in registers.
  int64_t transposedLoop = -1;
  if (vectorLoop >= 0 && blockLoop < 0) {
    for (OpOperand *input : op.getDpsInputOperands()) {
      AffineMap map = op.getMatchingIndexingMap(input);
      int64_t loop = innermostLoop(map);
      if (loop >= 0 && loop != vectorLoop &&
          iterators[loop] == utils::IteratorType::parallel &&
          !isDynamic(loop) && ranges[loop] > 1 &&
          map.isFunctionOfDim(static_cast<unsigned>(vectorLoop))) {
        transposedLoop = loop;
        break;
      }
    }
  }

  if (vectorLoop >= 0 && blockLoop >= 0 && vectorLoop != blockLoop) {
    // Dynamic loops keep their tiles: schedule() cuts them into chunks of
    // static size (scheduleDynamicLoop).
    s.parallel[blockLoop] = upTo(blockRows, blockLoop);
    s.parallel[vectorLoop] = upTo(2 * vectorWidth, vectorLoop);
    if (reductionLoop >= 0) {
      s.rowLoop = blockLoop;
      s.columnLoop = vectorLoop;
      s.reductionLoop = reductionLoop;
    }
  } else if (transposedLoop >= 0) {
    s.parallel[transposedLoop] = std::min(vectorWidth, ranges[transposedLoop]);
    s.parallel[vectorLoop] = upTo(vectorWidth, vectorLoop);
  } else if (vectorLoop >= 0) {
    s.parallel[vectorLoop] = chunk(vectorLoop);
  }

  // A reduction that reads an input broadcast along a static parallel loop
  // (attention: each key's row of keys and values is shared by the query
  // heads of its group, read at (batch, key head, 0, key, depth)) takes a
  // block of that loop's iterations per tile, the input's row read once
  // per block and broadcast in registers: read once per head, a head's
  // keys and values at a long context (more than L1 holds) came from L2
  // eight times a key. A tile's rows take at most half the register file
  // (16 of AVX-512's 32 registers, 8 of AVX2's 16).
  int64_t budget = vectorWidth >= 16 ? 16 : 8;
  auto registers = [&](int64_t lanes) {
    return (lanes + vectorWidth - 1) / vectorWidth;
  };
  // The broadcast loop other than `except`, and its block of at most
  // `rows` iterations (a divisor of its range), or -1.
  auto broadcastBlock = [&](int64_t except,
                            int64_t rows) -> std::pair<int64_t, int64_t> {
    for (unsigned loop = 0; loop < numLoops; ++loop) {
      int64_t range = ranges[loop];
      if (static_cast<int64_t>(loop) == except ||
          iterators[loop] != utils::IteratorType::parallel ||
          ShapedType::isDynamic(range) || range < 2 ||
          llvm::none_of(op.getDpsInputOperands(), [&](OpOperand *input) {
            return !op.getMatchingIndexingMap(input).isFunctionOfDim(loop);
          }))
        continue;
      int64_t block = std::min(rows, range);
      while (block > 1 && range % block != 0)
        --block;
      if (block >= 2)
        return {loop, block};
    }
    return {-1, 0};
  };
  // (Not convolutions: a window's filter is broadcast along the output's
  // rows and columns, whose tiles are chosen above.)
  bool reduces =
      llvm::is_contained(iterators, utils::IteratorType::reduction) &&
      !linalg::isaConvolutionOpInterface(op);
  int64_t outputLoop =
      innermostLoop(op.getMatchingIndexingMap(op.getDpsInitOperand(0)));
  if (reduces && blockLoop < 0 && transposedLoop < 0 && vectorLoop >= 0) {
    // Vectorized along the output's rows (the product with the values):
    // rows of heads times the rows of values as accumulators, the keys a
    // reduction loop; rows of more than two registers are cut to two when
    // that leaves no room for two of them.
    int64_t columns = s.parallel[vectorLoop];
    if (registers(columns) * 2 > budget &&
        ranges[vectorLoop] % (2 * vectorWidth) == 0)
      columns = 2 * vectorWidth;
    auto [loop, block] =
        broadcastBlock(vectorLoop, budget / registers(columns));
    if (loop >= 0) {
      s.parallel[vectorLoop] = columns;
      s.parallel[loop] = block;
    }
  } else if (reduces && blockLoop < 0 && transposedLoop < 0 &&
             outputLoop >= 0 &&
             iterators[outputLoop] == utils::IteratorType::parallel) {
    // Vectorized along the reduction (the scores: a query head times a key,
    // summed over the head dimension in registers): a tile is a block of
    // heads times one key, the keys a loop inside the parallel tile.
    int64_t lanes = 0;
    for (unsigned loop = 0; loop < numLoops; ++loop)
      if (iterators[loop] == utils::IteratorType::reduction)
        lanes = std::max(lanes, s.reduction[loop]);
    auto [loop, block] = broadcastBlock(outputLoop, budget / registers(lanes));
    if (loop >= 0 && lanes > 1) {
      s.parallel[loop] = block;
      s.parallel[outputLoop] = 0;
      s.inner.assign(numLoops, 0);
      s.inner[outputLoop] = 1;
    }
  }

  SmallVector<int64_t> tiles(numLoops);
  for (unsigned i = 0; i < numLoops; ++i)
    tiles[i] = s.inner.empty() || s.inner[i] == 0
                   ? s.parallel[i] + s.reduction[i]
                   : s.inner[i];
  // A tile of all ones is scalar code in loops: leave the op to the
  // pipeline's parallel loops instead.
  if (llvm::all_of(tiles, [](int64_t t) { return t == 1; }))
    return std::nullopt;
  if (!vectorizesAfterTiling(op, tiles))
    return std::nullopt;
  return s;
}

/// `op` tiled by `sizes` (0: not tiled) with loops of `type`, replaced by
/// the loops; returns the tile's op (`op` itself when no size is set).
FailureOr<Operation *> tileBy(RewriterBase &rewriter, Operation *op,
                              ArrayRef<int64_t> sizes,
                              scf::SCFTilingOptions::LoopType type) {
  if (llvm::all_of(sizes, [](int64_t t) { return t == 0; }))
    return op;
  scf::SCFTilingOptions options;
  options.setTileSizes(getAsIndexOpFoldResult(rewriter.getContext(), sizes));
  options.setLoopType(type);
  FailureOr<scf::SCFTilingResult> tiled =
      scf::tileUsingSCF(rewriter, cast<TilingInterface>(op), options);
  if (failed(tiled))
    return failure();
  rewriter.replaceOp(op, tiled->replacements);
  return tiled->tiledOps.front();
}

/// `tile` (a named contraction) with every input of another element type
/// than its result converted first (a linalg.copy, which casts: sitofp for
/// i8 weights, extf for f16), vectorized as such: upstream's vector.contract
/// takes no casts, and the copies' writes fold into the contraction's reads.
/// Returns the contraction, the tile itself when no input needs a cast.
Operation *castInputs(RewriterBase &rewriter, linalg::LinalgOp tile) {
  Type type = getElementTypeOrSelf(tile.getDpsInits()[0].getType());
  Location loc = tile.getLoc();
  SmallVector<Value> operands(tile->getOperands());
  bool changed = false;
  for (OpOperand *input : tile.getDpsInputOperands()) {
    auto inputType = dyn_cast<RankedTensorType>(input->get().getType());
    if (!inputType || inputType.getElementType() == type)
      continue;
    Value init = tensor::EmptyOp::create(
        rewriter, loc, tensor::getMixedSizes(rewriter, loc, input->get()),
        type);
    auto copy = linalg::CopyOp::create(rewriter, loc, input->get(), init);
    FailureOr<linalg::VectorizationResult> vectorized =
        linalg::vectorize(rewriter, copy);
    if (failed(vectorized)) {
      rewriter.eraseOp(copy);
      rewriter.eraseOp(init.getDefiningOp());
      return tile;
    }
    rewriter.replaceOp(copy, vectorized->replacements);
    operands[input->getOperandNumber()] = vectorized->replacements.front();
    changed = true;
  }
  if (!changed)
    return tile;
  Operation *cast = rewriter.clone(*tile);
  cast->setOperands(operands);
  rewriter.replaceOp(tile, cast->getResults());
  return cast;
}

/// Tiles, reduces and vectorizes one op whose tiles divide its loop ranges.
LogicalResult vectorizeTiled(RewriterBase &rewriter, TilingInterface op,
                             const Schedule &s) {
  using LoopType = scf::SCFTilingOptions::LoopType;
  FailureOr<Operation *> rows =
      tileBy(rewriter, op, s.parallel,
             s.serial ? LoopType::ForOp : LoopType::ForallOp);
  if (failed(rows))
    return failure();
  FailureOr<Operation *> reduced =
      tileBy(rewriter, *rows, s.reduction, LoopType::ForOp);
  if (failed(reduced))
    return failure();
  if (!s.inner.empty())
    reduced = tileBy(rewriter, *reduced, s.inner, LoopType::ForOp);
  if (failed(reduced))
    return failure();
  Operation *tile = *reduced;

  rewriter.setInsertionPoint(tile);
  Operation *body = tile;
  // A streaming tile (kStreamRows rows of weights times as many
  // activations) stays a named contraction and becomes one vector.contract:
  // outer products, one FMA per row of weights.
  bool contract = !s.inner.empty() && isa<linalg::ContractionOpInterface>(tile);
  if (contract)
    body = tile = castInputs(rewriter, cast<linalg::LinalgOp>(tile));
  if (!contract) {
    linalg::GenericOp generic = dyn_cast<linalg::GenericOp>(tile);
    if (!generic) {
      FailureOr<linalg::GenericOp> generalized =
          linalg::generalizeNamedOp(rewriter, cast<linalg::LinalgOp>(tile));
      if (failed(generalized))
        return failure();
      generic = *generalized;
    }
    body = generic;
    linalg::ControlDropUnitDims control;
    control.rankReductionStrategy =
        linalg::ControlDropUnitDims::RankReductionStrategy::ExtractInsertSlice;
    FailureOr<linalg::DropUnitDimsResult> dropped =
        linalg::dropUnitDims(rewriter, generic, control);
    if (succeeded(dropped)) {
      rewriter.replaceOp(generic, dropped->replacements);
      body = dropped->resultOp;
    }
  }
  // A tile that does not vectorize after all stays a scalar op in its
  // loops; tern-lower-vector lowers it to loops after bufferization.
  rewriter.setInsertionPoint(body);
  FailureOr<linalg::VectorizationResult> vectorized = linalg::vectorize(
      rewriter, body, /*inputVectorSizes=*/{}, /*inputScalableVecDims=*/{},
      /*vectorizeNDExtract=*/false, /*flatten1DDepthwiseConv=*/false,
      /*assumeDynamicDimsMatchVecSizes=*/false,
      /*createNamedContraction=*/contract);
  if (succeeded(vectorized))
    rewriter.replaceOp(body, vectorized->replacements);
  return success();
}

LogicalResult schedule(RewriterBase &rewriter, TilingInterface op, Schedule s);

/// Slices of `op`'s operands at iterations [offset, offset + tile) of
/// `loop`: every operand that `loop` indexes as a plain dimension is cut to
/// `tile` along that dimension, the others are taken whole. The slice of
/// the init comes from `init`.
SmallVector<Value> sliceOperands(RewriterBase &rewriter, Location loc,
                                 linalg::LinalgOp op, unsigned loop,
                                 Value offset, int64_t tile, Value init) {
  auto sliceOf = [&](Value value, AffineMap map) -> Value {
    auto type = dyn_cast<RankedTensorType>(value.getType());
    if (!type || !map.isFunctionOfDim(loop))
      return value;
    SmallVector<OpFoldResult> sizes =
        tensor::getMixedSizes(rewriter, loc, value);
    SmallVector<OpFoldResult> offsets(type.getRank(), rewriter.getIndexAttr(0));
    for (auto [d, expr] : llvm::enumerate(map.getResults()))
      if (expr.isFunctionOfDim(loop)) {
        offsets[d] = offset;
        sizes[d] = rewriter.getIndexAttr(tile);
      }
    SmallVector<OpFoldResult> strides(type.getRank(), rewriter.getIndexAttr(1));
    return tensor::ExtractSliceOp::create(rewriter, loc, value, offsets, sizes,
                                          strides);
  };
  SmallVector<Value> operands;
  for (OpOperand *input : op.getDpsInputOperands())
    operands.push_back(sliceOf(input->get(), op.getMatchingIndexingMap(input)));
  operands.push_back(
      sliceOf(init, op.getMatchingIndexingMap(op.getDpsInitOperand(0))));
  return operands;
}

/// `op` split along `loop` (whose range starts at 0) after its last whole
/// chunk of `tile` iterations: the number of chunks, the part they cover
/// and the rest; nulls when the range does not start at 0 or the split
/// fails.
struct ChunkSplit {
  OpFoldResult chunks;
  TilingInterface head, tail;
};
ChunkSplit splitAtChunks(RewriterBase &rewriter, TilingInterface op,
                         unsigned loop, int64_t tile) {
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  SmallVector<Range> domain = op.getIterationDomain(rewriter);
  if (!isZeroInteger(domain[loop].offset))
    return {};
  AffineExpr d0 = rewriter.getAffineDimExpr(0);
  OpFoldResult chunks = affine::makeComposedFoldedAffineApply(
      rewriter, loc, d0.floorDiv(tile), {domain[loop].size});
  OpFoldResult main = affine::makeComposedFoldedAffineApply(
      rewriter, loc, d0.floorDiv(tile) * tile, {domain[loop].size});
  auto [head, tail] = linalg::splitOp(rewriter, op, loop, main);
  if (!head || !tail)
    return {};
  return {chunks, head, tail};
}

/// `op`, whose innermost loop `loop` (the reduction of a row sum, or the
/// output's innermost dimension) has a range R known only when the model
/// runs and a tile of `s`, with its other parallel loops tiled by one (an
/// scf.forall over rows), each row an scf.for over R / tile static chunks
/// of `tile` iterations (each vectorized like a static op), then the last
/// R mod tile iterations one at a time. A decoder's attention over its
/// keys (softmax, masks) runs this way: one parallel loop over rows, no
/// parallel loop per chunk.
/// (`reduction`: whether `loop` is a reduction; `tile`: its tile in `s`.)
LogicalResult scheduleDynamicRow(RewriterBase &rewriter, TilingInterface op,
                                 Schedule s, unsigned loop, bool reduction,
                                 int64_t tile) {
  // Rows first, so that each row's chunks stay in one thread's loop.
  SmallVector<int64_t> rows = s.parallel;
  if (!reduction)
    rows[loop] = 0;
  if (s.serial)
    rows.assign(rows.size(), 0);
  FailureOr<Operation *> tiledRow =
      tileBy(rewriter, op, rows, scf::SCFTilingOptions::LoopType::ForallOp);
  if (failed(tiledRow))
    return failure();
  Operation *row = *tiledRow;
  Schedule inner = s;
  inner.serial = true;
  for (auto [i, t] : llvm::enumerate(inner.parallel))
    if (reduction || i != loop)
      t = 0;

  Location loc = row->getLoc();
  auto [chunks, head, tail] =
      splitAtChunks(rewriter, cast<TilingInterface>(row), loop, tile);
  if (!head)
    return failure();
  AffineExpr d0 = rewriter.getAffineDimExpr(0);

  // The chunks: an scf.for carrying the row's result, each chunk writing
  // its slice of it (or, for a reduction, the partial result).
  auto headOp = cast<linalg::LinalgOp>(head.getOperation());
  rewriter.setInsertionPoint(head);
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
  auto forOp =
      scf::ForOp::create(rewriter, loc, zero,
                         getValueOrCreateConstantIndexOp(rewriter, loc, chunks),
                         one, ValueRange{headOp.getDpsInits()[0]});
  rewriter.setInsertionPointToStart(forOp.getBody());
  Value offset = affine::AffineApplyOp::create(
      rewriter, loc, AffineMap::get(1, 0, d0 * tile),
      ValueRange{forOp.getInductionVar()});
  Value rowResult = forOp.getRegionIterArgs()[0];
  SmallVector<Value> operands =
      sliceOperands(rewriter, loc, headOp, loop, offset, tile, rowResult);
  Operation *chunk =
      clone(rewriter, head, {operands.back().getType()}, operands);
  SmallVector<OpFoldResult> indexOffsets(headOp.getNumLoops(),
                                         rewriter.getIndexAttr(0));
  indexOffsets[loop] = offset;
  linalg::offsetIndices(rewriter, cast<linalg::LinalgOp>(chunk), indexOffsets);
  Value result = chunk->getResult(0);
  if (auto slice = operands.back().getDefiningOp<tensor::ExtractSliceOp>())
    result = tensor::InsertSliceOp::create(
        rewriter, loc, result, rowResult, slice.getMixedOffsets(),
        slice.getMixedSizes(), slice.getMixedStrides());
  scf::YieldOp::create(rewriter, loc, result);
  rewriter.replaceOp(head, forOp.getResults());
  if (failed(schedule(rewriter, cast<TilingInterface>(chunk), inner)))
    return failure();
  Schedule rest = inner;
  (reduction ? rest.reduction[loop] : rest.parallel[loop]) = 1;
  return schedule(rewriter, tail, rest);
}

/// `op`, whose parallel loop `loop` has a range R known only when the model
/// runs and a tile of `s`, as an scf.forall over the R / tile chunks of
/// `tile` iterations, each a copy of `op` on slices of its operands that
/// are static along the loop (scheduled like any op), then the last
/// R mod tile iterations with a tile of 1. A loop that indexes an operand
/// other than as a plain dimension (a convolution window) is tiled by 1.
LogicalResult scheduleDynamicLoop(RewriterBase &rewriter, TilingInterface op,
                                  Schedule s, unsigned loop) {
  auto linalgOp = cast<linalg::LinalgOp>(op.getOperation());
  bool reduction =
      linalgOp.getIteratorTypesArray()[loop] == utils::IteratorType::reduction;
  int64_t tile = reduction ? s.reduction[loop] : s.parallel[loop];
  Schedule byOne = s;
  (reduction ? byOne.reduction[loop] : byOne.parallel[loop]) = 1;
  bool plain = llvm::all_of(linalgOp.getIndexingMapsArray(), [&](AffineMap m) {
    return llvm::all_of(m.getResults(), [&](AffineExpr e) {
      return !e.isFunctionOfDim(loop) || isa<AffineDimExpr>(e);
    });
  });
  if (!plain || linalgOp.getNumDpsInits() != 1)
    return schedule(rewriter, op, byOne);
  // A row's innermost loop (a reduction, or the output's innermost
  // dimension with every other loop tiled by one): rows, then chunks.
  AffineMap outMap =
      linalgOp.getMatchingIndexingMap(linalgOp.getDpsInitOperand(0));
  bool rowWise =
      (reduction || static_cast<int64_t>(loop) == innermostLoop(outMap)) &&
      llvm::all_of(llvm::enumerate(s.parallel), [&](auto it) {
        return it.index() == loop || it.value() <= 1;
      });
  if (rowWise)
    return scheduleDynamicRow(rewriter, op, s, loop, reduction, tile);
  if (reduction || s.serial)
    return schedule(rewriter, op, byOne);

  Location loc = op.getLoc();
  auto [chunks, head, tail] = splitAtChunks(rewriter, op, loop, tile);
  if (!head)
    return schedule(rewriter, op, byOne);
  AffineExpr d0 = rewriter.getAffineDimExpr(0);

  // The chunks: slice every operand at rows [q * tile, (q + 1) * tile) of
  // the loop's dimension.
  auto headOp = cast<linalg::LinalgOp>(head.getOperation());
  rewriter.setInsertionPoint(head);
  Value init = headOp.getDpsInits()[0];
  auto forall =
      scf::ForallOp::create(rewriter, loc, {chunks}, {init}, std::nullopt);
  rewriter.setInsertionPoint(forall.getTerminator());
  Value offset = affine::AffineApplyOp::create(
      rewriter, loc, AffineMap::get(1, 0, d0 * tile),
      ValueRange{forall.getInductionVar(0)});
  SmallVector<Value> operands = sliceOperands(
      rewriter, loc, headOp, loop, offset, tile, forall.getRegionIterArgs()[0]);
  auto out = operands.back().getDefiningOp<tensor::ExtractSliceOp>();
  SmallVector<OpFoldResult> offsets = out.getMixedOffsets();
  SmallVector<OpFoldResult> sizes = out.getMixedSizes();
  Operation *chunk = clone(rewriter, head, {out.getType()}, operands);
  // linalg.index counts from the chunk's first iteration.
  SmallVector<OpFoldResult> indexOffsets(headOp.getNumLoops(),
                                         rewriter.getIndexAttr(0));
  indexOffsets[loop] = offset;
  linalg::offsetIndices(rewriter, cast<linalg::LinalgOp>(chunk), indexOffsets);
  {
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointToStart(forall.getTerminator().getBody());
    SmallVector<OpFoldResult> strides(offsets.size(), rewriter.getIndexAttr(1));
    tensor::ParallelInsertSliceOp::create(rewriter, loc, chunk->getResult(0),
                                          forall.getRegionIterArgs()[0],
                                          offsets, sizes, strides);
  }
  rewriter.replaceOp(head, forall.getResults());
  if (failed(schedule(rewriter, cast<TilingInterface>(chunk), s)))
    return failure();
  return schedule(rewriter, tail, byOne);
}

/// Splits `op` along the loops whose tile does not divide the range, so that
/// every piece is tiled exactly, then tiles and vectorizes the pieces.
LogicalResult schedule(RewriterBase &rewriter, TilingInterface op, Schedule s) {
  auto linalgOp = cast<linalg::LinalgOp>(op.getOperation());
  SmallVector<int64_t> ranges = linalgOp.getStaticLoopRanges();
  int64_t weightBytes = 4;
  if (linalgOp.getNumDpsInputs() == 2) {
    Type weights = getElementTypeOrSelf(linalgOp.getDpsInputs()[1].getType());
    if (weights.isIntOrFloat())
      weightBytes = std::max<int64_t>(weights.getIntOrFloatBitWidth() / 8, 1);
  }
  streamWeights(s, ranges, weightBytes);
  // `op` split along `loop` after iteration `main`, the pieces scheduled
  // with `first` and `rest`.
  auto split = [&](unsigned loop, int64_t main, const Schedule &first,
                   const Schedule &rest) -> LogicalResult {
    rewriter.setInsertionPoint(op);
    auto [head, tail] =
        linalg::splitOp(rewriter, op, loop, rewriter.getIndexAttr(main));
    if (!head || !tail || failed(schedule(rewriter, head, first)))
      return failure();
    return schedule(rewriter, tail, rest);
  };
  for (unsigned loop = 0; loop < ranges.size(); ++loop) {
    int64_t &tile = s.parallel[loop] ? s.parallel[loop] : s.reduction[loop];
    if (tile > 1 && ShapedType::isDynamic(ranges[loop]))
      return scheduleDynamicLoop(rewriter, op, s, loop);
    // A piece narrower than its inner tile, or one that the inner tile
    // does not divide: the inner tile shrinks, or the piece is split after
    // its last whole inner tile.
    int64_t inner = s.inner.empty() ? 0 : s.inner[loop];
    if (inner > 1 && tile == ranges[loop] && ranges[loop] % inner != 0) {
      if (ranges[loop] < inner) {
        s.inner[loop] = ranges[loop];
        continue;
      }
      Schedule first = s, rest = s;
      first.parallel[loop] = ranges[loop] - ranges[loop] % inner;
      rest.parallel[loop] = rest.inner[loop] = ranges[loop] % inner;
      return split(loop, first.parallel[loop], first, rest);
    }
    if (tile <= 1 || ranges[loop] % tile == 0)
      continue;
    Schedule rest = s;
    (rest.parallel[loop] ? rest.parallel[loop] : rest.reduction[loop]) =
        ranges[loop] % tile;
    return split(loop, ranges[loop] - ranges[loop] % tile, s, rest);
  }
  return vectorizeTiled(rewriter, op, s);
}

/// `arith.addf(arith.mulf(a, b), c)` on vectors, the product used only by
/// the sum, as `vector.fma(a, b, c)`.
struct FuseMultiplyAdd : OpRewritePattern<arith::AddFOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::AddFOp add,
                                PatternRewriter &rewriter) const override {
    if (!isa<VectorType>(add.getType()))
      return failure();
    for (unsigned i = 0; i < 2; ++i) {
      auto mul = add->getOperand(i).getDefiningOp<arith::MulFOp>();
      if (!mul || !mul->hasOneUse())
        continue;
      rewriter.replaceOpWithNewOp<vector::FMAOp>(
          add, mul.getLhs(), mul.getRhs(), add->getOperand(1 - i));
      return success();
    }
    return failure();
  }
};

struct TileAndVectorizePass
    : public tern::impl::TileAndVectorizeBase<TileAndVectorizePass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (vectorWidth < 1 || blockRows < 1 || maxVectorSize < 1) {
      func.emitError("tern-tile-and-vectorize: vector-width, block-rows and "
                     "max-vector-size must be positive");
      return signalPassFailure();
    }
    // Padding as a fill and an insertion, which empty-tensor elimination
    // turns into the producer writing straight into the padded buffer.
    {
      RewritePatternSet patterns(func.getContext());
      linalg::populateDecomposePadPatterns(patterns);
      if (failed(applyPatternsGreedily(func, std::move(patterns))))
        return signalPassFailure();
    }
    // The padded buffer must exist before the producer of its interior for
    // that producer to write into it: the fill of the padded tensor moves
    // up to just before that producer (not further: buffers live from
    // their allocation on).
    func.walk([&](tensor::InsertSliceOp insert) {
      auto fill = insert.getDest().getDefiningOp<linalg::FillOp>();
      Operation *producer = insert.getSource().getDefiningOp();
      if (!fill || !fill->hasOneUse() || !producer ||
          producer->getBlock() != fill->getBlock() ||
          !producer->isBeforeInBlock(fill))
        return;
      auto empty = fill.getOutputs()[0].getDefiningOp<tensor::EmptyOp>();
      Operation *value = fill.getInputs()[0].getDefiningOp();
      if (!empty || !empty->hasOneUse() || !empty.getDynamicSizes().empty() ||
          (value && (value->getBlock() != producer->getBlock() ||
                     !value->isBeforeInBlock(producer))))
        return;
      empty->moveBefore(producer);
      fill->moveBefore(producer);
    });
    SmallVector<linalg::LinalgOp> ops;
    func.walk([&](linalg::LinalgOp op) { ops.push_back(op); });
    IRRewriter rewriter(func.getContext());
    // An op accumulating into a fill shared with other ops (CSE merges
    // identical fills) gets a fill of its own: otherwise bufferization
    // copies the shared one for every op that writes into it. The new
    // fills join `ops` after the loop (appending inside it would leave the
    // loop reading freed storage; found by scripts/test-sanitizers.sh).
    SmallVector<linalg::LinalgOp> ownFills;
    for (linalg::LinalgOp op : ops) {
      for (OpOperand &init : op.getDpsInitsMutable()) {
        auto fill = init.get().getDefiningOp<linalg::FillOp>();
        if (!fill || fill->hasOneUse())
          continue;
        rewriter.setInsertionPoint(op);
        Operation *own = rewriter.clone(*fill);
        rewriter.modifyOpInPlace(op, [&] {
          init.set(
              own->getResult(cast<OpResult>(init.get()).getResultNumber()));
        });
        ownFills.push_back(cast<linalg::LinalgOp>(own));
      }
    }
    ops.append(ownFills.begin(), ownFills.end());
    for (linalg::LinalgOp op : ops) {
      // An op over an empty range (a Loop's scan output before its first
      // iteration) does no work: its loops run zero times as they are.
      if (llvm::is_contained(op.getStaticLoopRanges(), 0))
        continue;
      std::optional<Schedule> s =
          chooseSchedule(op, vectorWidth, blockRows, maxVectorSize);
      if (!s)
        continue;
      // Tiling is all or nothing per piece: an op that cannot be tiled
      // stays as it is and becomes parallel loops.
      (void)schedule(rewriter, cast<TilingInterface>(op.getOperation()), *s);
    }

    // Read and write the accumulators of reduction loops once per tile.
    RewritePatternSet patterns(func.getContext());
    tensor::populateFoldTensorSubsetOpPatterns(patterns);
    tern::populateFuseMultiplyAddPatterns(patterns);
    vector::TransferReadOp::getCanonicalizationPatterns(patterns,
                                                        func.getContext());
    vector::TransferWriteOp::getCanonicalizationPatterns(patterns,
                                                         func.getContext());
    scf::ForOp::getCanonicalizationPatterns(patterns, func.getContext());
    tensor::ExtractSliceOp::getCanonicalizationPatterns(patterns,
                                                        func.getContext());
    tensor::InsertSliceOp::getCanonicalizationPatterns(patterns,
                                                       func.getContext());
    if (failed(applyPatternsGreedily(func, std::move(patterns))))
      return signalPassFailure();
    // Innermost loops first: what one hoists out becomes loop-invariant in
    // the next.
    SmallVector<scf::ForOp> loops;
    func.walk([&](scf::ForOp loop) { loops.push_back(loop); });
    for (scf::ForOp loop : loops)
      hoistLoopInvariantSubsets(rewriter,
                                cast<LoopLikeOpInterface>(loop.getOperation()));
  }
};

} // namespace

void mlir::tern::populateFuseMultiplyAddPatterns(RewritePatternSet &patterns) {
  patterns.add<FuseMultiplyAdd>(patterns.getContext());
}
