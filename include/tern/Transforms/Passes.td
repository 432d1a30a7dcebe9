//===- Passes.td - tern transformations on upstream dialects -*- tablegen -*-===//
//
// This file declares the passes that schedule linalg and vector code for
// CPUs: tiling to register blocks, vectorization, and the lowering of the
// resulting vector ops towards LLVM.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_TRANSFORMS_PASSES_TD
#define TERN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def TileAndVectorize : Pass<"tern-tile-and-vectorize", "::mlir::func::FuncOp"> {
  let summary = "Tile linalg ops to register blocks and vectorize them";
  let description = [{
    Gives every linalg op on tensors a CPU schedule:

    - The *vector dimension* is the loop that indexes the innermost
      dimension of the output (a reduction loop instead when it indexes the
      innermost dimension of an input, as in a row sum). Contractions and
      convolutions also get a *block dimension* (the output rows of a
      matmul, the output channels of a convolution), so that one tile
      computes a `block-rows` x `2 * vector-width` block of the output in
      registers.
    - The parallel loops are tiled with `scf.forall` (run by OpenMP later),
      every other parallel loop to 1; reduction loops are tiled to 1 with
      `scf.for`. Dimensions that the tile does not divide are split first,
      so that every tile has a static shape and no masks are needed.
    - The tile is generalized, its unit dimensions are dropped, and it is
      vectorized; multiply-adds become `vector.fma`; the accumulator's reads
      and writes are hoisted out of the reduction loops, so that it lives in
      registers.
    - A matmul computed one row at a time (M = 1, or a dynamic M's last
      rows) against static K x N weights streams them as they lie in
      memory: an `scf.forall` over blocks of columns, in each an `scf.for`
      over steps of 8 rows of the weights, in each an `scf.for` over the
      block's chunks of `2 * vector-width` columns, a `vector.contract` of
      8 activations with 8 rows of weights (outer products) into the
      block's row of the result, which stays in L1.

    - A parallel loop whose range is known only when the model runs (a
      decoder's batch x sequence rows, its number of keys) keeps static
      tiles: when it is a block or vector dimension it becomes an
      `scf.forall` over chunks of its tile (`block-rows` rows, two
      registers of lanes), each a copy of the op on static slices,
      scheduled as above, then the remaining iterations one at a time;
      other dynamic loops are tiled by 1.

    - A reduction that reads an input broadcast along a static parallel
      loop (attention's keys and values, shared by the query heads of a
      group) takes a block of that loop's iterations per tile, so that the
      input is read once per block: for the product with the values, heads
      times the rows of values as accumulators; for the scores (summed
      along the vector dimension), heads times one key, the keys an
      `scf.for` inside the parallel tile. A tile's rows take at most half
      the register file (16 registers of 16 lanes, 8 of 8). Convolutions,
      whose filters are broadcast along the output's rows too, keep their
      own tiles.

    Ops whose tiles would not vectorize (strided windows along the vector
    dimension, gathers) are left alone; the pipeline lowers them to loops.

    ```mlir
    // tern-opt --tern-tile-and-vectorize="vector-width=8"
    %r = linalg.matmul ins(%a, %b : tensor<12x64xf32>, tensor<64x32xf32>)
                       outs(%c : tensor<12x32xf32>) -> tensor<12x32xf32>
    // becomes an scf.forall over 6x16 blocks of %r, each an scf.for over
    // the 64 reduction steps with a vector<6x16xf32> accumulator updated by
    // vector.fma.
    ```
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"8",
           "f32 lanes in one SIMD register (8 for AVX2, 16 for AVX-512)">,
    Option<"blockRows", "block-rows", "int64_t", /*default=*/"6",
           "Output rows (or channels) of a contraction's register block">,
    Option<"maxVectorSize", "max-vector-size", "int64_t", /*default=*/"256",
           "Longest vector along the vector dimension of other ops; longer "
           "dimensions are processed in chunks of 8 registers">,
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def FuseElementwise : Pass<"tern-fuse-elementwise", "::mlir::func::FuncOp"> {
  let summary = "Fuse chains of elementwise linalg ops into their consumers";
  let description = [{
    An ONNX graph is a chain of small ops (a LLaMA layer's RMSNorm alone is
    Pow, ReduceMean, Add, Sqrt, Div and Mul), and each becomes a
    `linalg.generic` with a buffer and a loop nest of its own. This pass
    fuses an elementwise producer (a `linalg.generic` whose loops are all
    parallel) into the `linalg.generic` that consumes it (upstream's
    elementwise fusion), when

    - the consumer is the producer's only user, so nothing is computed
      twice and the producer's buffer disappears, and
    - the consumer reads each element of the producer once (its indexing
      map of the operand uses all of its loops), unless the producer only
      moves data (its body yields one of its inputs: a broadcast, a
      transpose, a copy), which costs nothing to repeat.

    Reductions are consumers too: the squares of an RMSNorm are computed in
    the loop that sums them.
  }];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def LowerVectorForCPU : Pass<"tern-lower-vector", "::mlir::func::FuncOp"> {
  let summary = "Lower n-D vector ops to the 1-D ops the LLVM backend maps "
                "to SIMD instructions";
  let description = [{
    Lowers what vectorization produced (`vector.contract`,
    `vector.multi_reduction`, n-D transfers, broadcasts, transposes,
    shape casts) to 1-D vector ops: contractions as outer products (one
    `vector.fma` per row), reductions along the innermost dimension, and
    transfers of rank > 1 unrolled into rows. A reduction that an `scf.for`
    over a row's chunks carries as one value (a 0-d vector or a scalar,
    each chunk reduced into it) is carried as the chunk's lanes instead:
    each chunk is combined lanewise and the lanes are reduced once after
    the loop (exact for integer, minimum and maximum kinds; float sums and
    products change only the order of their terms; chunks of a power-of-two
    number of lanes only, which LLVM keeps in registers). Run after bufferization; what
    remains is converted by `convert-to-llvm`. The tern dialect's dot
    products are `convert-tern-dot-to-llvm`'s.
  }];
  let dependentDialects = [
    "::mlir::LLVM::LLVMDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def LowerMathForCPU : Pass<"tern-lower-math", "::mlir::ModuleOp"> {
  let summary = "Lower the math ops convert-to-llvm has no lowering for";
  let description = [{
    `convert-to-llvm` maps most of `math` to LLVM intrinsics, but not
    `math.erf` (ONNX Erf, exact Gelu) nor integer powers (`math.ipowi`, ONNX
    Pow on integers), which would reach LLVM IR translation unlowered.
    This pass rewrites f32 `math.erf` (scalar or vector) to MLIR's
    polynomial approximation (it vectorizes), `math.erf`
    of other float types to a libm call (`erf`), and integer and float-to-
    integer powers to the outlined implementations of
    `convert-math-to-funcs`. Every other op is left to `convert-to-llvm`,
    which keeps its intrinsics (libm calls would scalarize vectors).
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def DeallocAfterLastUse : Pass<"tern-dealloc-after-last-use",
                               "::mlir::func::FuncOp"> {
  let summary = "Free each buffer right after its last use";
  let description = [{
    Bufferization's deallocation pipeline frees the buffers a block
    allocates at the end of that block, so that all the intermediate
    tensors of a model are alive at once: the PP-OCRv4 recognizer on a
    batch of 300 lines needed more than 24 GiB. This pass moves every
    unconditional `memref.dealloc` of a buffer allocated in the same block
    to just after the last op of the block that uses the buffer or a view of
    it. Buffers with a use it cannot follow (a non-view op returning a
    memref, a call, a store of the memref itself) keep their place.
  }];
}

def ParallelWorkThreshold : Pass<"tern-parallel-work-threshold",
                                 "::mlir::ModuleOp"> {
  let summary = "Run parallel loops with little work on the calling thread";
  let description = [{
    Every tile loop becomes an OpenMP region, and forking and joining the
    threads of one costs microseconds: more than the work of most of a
    decoder's ops when it generates one token (a 2048-wide RMSNorm, a
    rotary embedding of one row, a dynamic loop of one iteration). With
    about 150 regions a layer, two threads decoded no faster than one.
    Even a region that does not fork (a serialized region) costs about a
    microsecond in the OpenMP runtime.

    The pass estimates the work of a parallel loop: its iterations, known
    when the model runs, times the ops of one iteration, nested loops
    counted by their trip counts (static ones at compile time, dynamic ones
    whose bounds are defined outside the loop or computed in it from such
    values by pure ops, such as a decoder's loop over its keys, when the
    model runs, others as `dynamic-trips`). Run before
    `convert-scf-to-openmp`, on each outermost `scf.parallel`:

    - work known at compile time and below `min-work`: the loop becomes
      nested `scf.for` loops, which never enter the OpenMP runtime;
    - work known only when the model runs, in a loop of at most
      `max-versioned-ops` ops: `scf.if` on the work, the parallel loop in
      the then-branch (marked `tern.enough_work`), the sequential loops in
      the else-branch;
    - otherwise (enough work, or a large loop such as a matmul kernel,
      which is not duplicated) the loop is left parallel.

    Run after `convert-scf-to-openmp`, it gives each `omp.parallel` around
    an `omp.wsloop` that is not in such a then-branch an `if` clause: the
    threads are forked only when the work reaches `min-work`; otherwise
    the region runs on the calling thread. The CPU pipeline runs it at both
    places.

    ```mlir
    // scf.parallel (%i) = (%c0) to (%n) step (%c1) { <12 ops> }
    // becomes, with min-work=1200 (100 iterations):
    // %big = arith.cmpi sge, %n, %c100
    // scf.if %big { scf.parallel ... } else { scf.for ... }
    // and omp.parallel { omp.wsloop { omp.loop_nest ... } }:
    // omp.parallel if(%big) { ... }
    ```
  }];
  let options = [
    Option<"minWork", "min-work", "int64_t", /*default=*/"5000",
           "Estimated ops (one per vector or scalar op) below which a "
           "loop runs on the calling thread">,
    Option<"dynamicTrips", "dynamic-trips", "int64_t", /*default=*/"16",
           "Iterations assumed for a nested loop whose bounds change "
           "within the region">,
    Option<"maxVersionedOps", "max-versioned-ops", "int64_t",
           /*default=*/"64",
           "Largest scf.parallel (in ops) that is duplicated into a parallel "
           "and a sequential version when its work is known only at run "
           "time">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::omp::OpenMPDialect",
    "::mlir::scf::SCFDialect",
  ];
}

def ParallelOuterDims : Pass<"tern-parallel-outer-dims",
                             "::mlir::func::FuncOp"> {
  let summary = "Distribute the outer dimensions of parallel loops, run the "
                "inner ones as sequential loops";
  let description = [{
    `convert-scf-to-openmp` turns a multi-dimensional `scf.parallel` into
    one OpenMP loop nest, which the OpenMP lowering collapses into a single
    index: every iteration recovers its indices with a division and a
    remainder per dimension, and dynamic dimensions leave them as real
    divisions. A decoder's attention scores are such a loop (batch, key
    heads, query heads per key head, queries, keys) whose iteration is one
    64-element dot product, and the divisions took about as long as the
    product.

    For each `scf.parallel` without reductions, the pass keeps the
    shortest prefix of its dimensions whose static trip counts multiply to
    at least `min-iterations` (a dynamic dimension counts as one) parallel
    and makes the remaining dimensions `scf.for` loops around the body.
    The threads get the same contiguous ranges of the outer iterations as
    before (OpenMP's static schedule splits the collapsed index in order),
    and the divisions happen once per outer iteration. A loop whose static
    prefix never reaches `min-iterations` is left as it is, so that a
    product with few outputs and many rows still runs on every thread.

    ```mlir
    // scf.parallel (%b, %h, %k) = (%c0, %c0, %c0) to (%n, %c32, %keys)
    // becomes, with min-iterations=32:
    // scf.parallel (%b, %h) = (%c0, %c0) to (%n, %c32) step (%c1, %c1) {
    //   scf.for %k = %c0 to %keys step %c1 { ... }
    // }
    ```
  }];
  let options = [
    Option<"minIterations", "min-iterations", "int64_t", /*default=*/"32",
           "Static iterations of the outer dimensions that are enough to "
           "distribute (at least 1)">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect"];
}

def WsloopNowait : Pass<"tern-wsloop-nowait", "::mlir::ModuleOp"> {
  let summary = "Drop the barrier of a worksharing loop that ends its "
                "parallel region";
  let description = [{
    `convert-scf-to-openmp` makes every `scf.parallel` an `omp.parallel`
    region around one `omp.wsloop`, and a worksharing loop ends with a
    barrier unless it is `nowait`. When the loop is the last op of its
    region, that barrier is the region's join over again: every thread
    waits for the others twice, and the OpenMP runtime's barrier costs
    about a microsecond a thread on a 2-core machine (a decoder's step runs
    about 200 regions a token).

    The pass marks `nowait` each `omp.wsloop` whose next op is its
    `omp.parallel`'s terminator. What the loop writes (its stores, and the
    combined values of its reductions) is visible after the region, whose
    join is a barrier. Loops followed by other ops in their region keep
    their barrier.

    ```mlir
    // omp.parallel { omp.wsloop { omp.loop_nest ... } omp.terminator }
    // becomes
    // omp.parallel { omp.wsloop nowait { omp.loop_nest ... } omp.terminator }
    ```
  }];
  let dependentDialects = ["::mlir::omp::OpenMPDialect"];
}

def LowerStridedCopies : Pass<"tern-lower-strided-copies",
                              "::mlir::func::FuncOp"> {
  let summary = "Copy between strided buffers with loops, not a runtime call";
  let description = [{
    `finalize-memref-to-llvm` turns a `memref.copy` into a `memcpy` only
    when both buffers are contiguous with a known layout (an identity
    layout, or a static shape); every other copy (a slice of a row, a
    dynamically shaped view with an offset) becomes a call to the runner
    utilities' `memrefCopy`, which copies one element at a time through a
    generic index loop and a `memcpy` of 4 bytes each. A decoder makes such
    copies at every token: the slices of a merged q/k/v projection made
    contiguous for a reshape, a step's keys and values written into the
    cache.

    This pass rewrites those copies into a nest of `scf.for` loops, one per
    dimension, that copy the innermost one in vectors of 64 bytes
    (`vector.load` / `vector.store`) where both buffers have unit stride
    there, then the remaining elements one at a time (LLVM would not
    vectorize a loop of loads and stores itself: it cannot tell that the
    buffers do not overlap). Copies that lower to `memcpy` are left alone,
    and so are copies of unranked buffers.

    ```mlir
    // tern-opt --tern-lower-strided-copies
    memref.copy %a, %b : memref<?x64xf32, strided<[128, 1]>> to memref<?x64xf32>
    // becomes
    scf.for %i = %c0 to %rows step %c1 {
      scf.for %j = %c0 to %c64 step %c16 {
        %v = vector.load %a[%i, %j] : memref<?x64xf32, strided<[128, 1]>>, vector<16xf32>
        vector.store %v, %b[%i, %j] : memref<?x64xf32>, vector<16xf32>
      }
      scf.for %j = %c64 to %c64 step %c1 { ... }
    }
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def PrefetchWeights : Pass<"tern-prefetch-weights", "::mlir::func::FuncOp"> {
  let summary = "Prefetch the constant weights and the cache rows that "
                "innermost loops stream";
  let description = [{
    When a decoder generates a token, every weight is read once, from
    memory: a matmul's kernel streams its weights through its innermost
    loop, a few blocks of rows at a time, and the hardware prefetchers,
    which stop at every 4 KiB page, leave the loop waiting for memory.

    After bufferization, this pass finds the vector reads of constant data
    (`memref.get_global`) in innermost `scf.for` loops whose innermost
    index advances with the loop, and issues a `memref.prefetch` of the
    same row `distance` bytes ahead (non-temporal: weights are used once
    per call and should not evict activations or the key/value cache),
    one per cache line of each row the vector covers. When the loop reads
    `distance` bytes or fewer of its rows (a block of columns) and the
    enclosing loop moves on to further rows, the prefetches go to the same
    columns of the rows that loop reads enough iterations later. Prefetches
    never fault, so one past the end of a row is harmless.

    Reads of a buffer the function is given (a decoder's key/value cache)
    that move to the next row of a static stride with the innermost loop,
    or with the innermost dimension of an innermost `scf.parallel`
    (attention reads a key's row of 64 floats a step, and the cache of a
    layer, evicted by the weights streamed since the layer's last step,
    comes from memory), get a prefetch of each cache line of the row
    `distance` bytes of rows ahead, kept in the caches (locality 3: the
    query heads of a group read the same rows again).

    ```mlir
    // scf.for %s = ... {
    //   %c = vector.transfer_read %w[%p, %b, %o] ...   // %o advances with %s
    // becomes
    //   memref.prefetch %w[%p, %b, %o + 2048], read, locality<0>, data
    //   %c = vector.transfer_read %w[%p, %b, %o] ...
    ```

    docs/Kernels.md has the measurements.
  }];
  let options = [
    Option<"distance", "distance", "int64_t", /*default=*/"2048",
           "Bytes ahead of each read to prefetch (0: no prefetches)">,
  ];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def CacheInPlace : Pass<"tern-cache-in-place", "::mlir::ModuleOp"> {
  let summary = "Append a decoder's new keys and values to caches the "
                "caller owns, in place";
  let description = [{
    A decoder exported with a key/value cache (docs/Generation.md) computes
    each `present.I.key|value` result as `Concat(past_key_values.I.key|value,
    new, axis 2)`: every step allocates every layer's whole cache and copies
    it, and the caller copies it again to feed it back. This pass rewrites
    @main so that the cache lives in buffers the caller owns and grows:

    - each cache argument `past_key_values.I.key|value` becomes
      `cache.I.key|value`, a buffer [batch, heads, capacity, head size]
      whose first `past_length` rows along axis 2 hold the past;
    - a last argument `past_length` (i64 scalar) says how many;
    - the new keys and values are written into rows [past_length,
      past_length + seq) of the buffer, in place, and the rest of the model
      reads rows [0, past_length + seq) as a view of it (the past's size
      is `past_length` wherever the model reads it);
    - the `present.I.key|value` results are removed: the buffers hold them.

    A run-time check stops a run whose buffer has no room. The concatenation
    must be the importer's (an insert of the past at row 0 and of the new
    rows after it, into a fresh tensor) and the past must be read only
    there and for its sizes; otherwise the module is left as it is, with a
    warning naming the input.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::cf::ControlFlowDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

#endif // TERN_TRANSFORMS_PASSES_TD
