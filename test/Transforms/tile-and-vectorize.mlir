// RUN: tern-opt %s --split-input-file --tern-tile-and-vectorize --canonicalize | FileCheck %s
// RUN: tern-opt %s --split-input-file --tern-tile-and-vectorize="vector-width=16 block-rows=4" --canonicalize | FileCheck %s --check-prefix=WIDE

// A matmul: 6 x 16 register blocks over the 32 columns that 16 divides,
// then 6 x 8 blocks over the other 8; the accumulator is read once per
// block, updated by one FMA per reduction step, and written once.

// CHECK-LABEL: func.func @matmul
// CHECK:       scf.forall ({{.*}}) = (0, 0) to (12, 32) step (6, 16)
// CHECK:         vector.transfer_read {{.*}} vector<6x16xf32>
// CHECK:         scf.for {{.*}} iter_args({{.*}}) -> (vector<6x16xf32>)
// CHECK:           vector.fma {{.*}} : vector<6x16xf32>
// CHECK:         vector.transfer_write {{.*}} vector<6x16xf32>
// CHECK:       scf.forall ({{.*}}) = (0) to (12) step (6)
// CHECK:         scf.for {{.*}} -> (vector<6x8xf32>)
// CHECK:           vector.fma {{.*}} : vector<6x8xf32>
// CHECK-NOT:   linalg.matmul

// With AVX-512 registers and 4-row blocks: 4 x 32 blocks, then 4 x 8.
// WIDE-LABEL: func.func @matmul
// WIDE:       scf.forall ({{.*}}) = (0) to (12) step (4) {{.*}} -> (tensor<12x32xf32>)
// WIDE:         vector.fma {{.*}} : vector<4x32xf32>
// WIDE:       scf.forall ({{.*}}) = (0) to (12) step (4)
// WIDE:         vector.fma {{.*}} : vector<4x8xf32>
func.func @matmul(%a: tensor<12x64xf32>, %b: tensor<64x40xf32>,
                  %c: tensor<12x40xf32>) -> tensor<12x40xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<12x64xf32>, tensor<64x40xf32>)
                     outs(%c : tensor<12x40xf32>) -> tensor<12x40xf32>
  return %r : tensor<12x40xf32>
}

// -----

// A 1x1 convolution is a matmul over channels: blocks of 6 output channels
// by 16 pixels of a row, one step per input channel.

// CHECK-LABEL: func.func @pointwise_conv
// CHECK:       scf.forall ({{.*}}) = (0, 0, 0) to (48, 6, 80) step (6, 1, 16)
// CHECK:         scf.for %{{.*}} = %c0 to %c64 step %c1 {{.*}} -> (vector<6x16xf32>)
// CHECK:           vector.fma {{.*}} : vector<6x16xf32>
func.func @pointwise_conv(%x: tensor<1x64x6x80xf32>, %w: tensor<48x64x1x1xf32>,
                          %o: tensor<1x48x6x80xf32>) -> tensor<1x48x6x80xf32> {
  %r = linalg.conv_2d_nchw_fchw
         {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<1x64x6x80xf32>, tensor<48x64x1x1xf32>)
         outs(%o : tensor<1x48x6x80xf32>) -> tensor<1x48x6x80xf32>
  return %r : tensor<1x48x6x80xf32>
}

// -----

// A depthwise 3x3 convolution: a whole output row in registers, one FMA per
// filter tap; the stride along the height only moves the row read.

// CHECK-LABEL: func.func @depthwise_conv
// CHECK:       scf.forall ({{.*}}) in (5, 8)
// CHECK:         scf.for {{.*}} -> (vector<80xf32>)
// CHECK:           scf.for {{.*}} -> (vector<80xf32>)
// CHECK:             vector.fma {{.*}} : vector<80xf32>
func.func @depthwise_conv(%x: tensor<1x8x12x82xf32>, %w: tensor<8x3x3xf32>,
                          %o: tensor<1x8x5x80xf32>) -> tensor<1x8x5x80xf32> {
  %r = linalg.depthwise_conv_2d_nchw_chw
         {dilations = dense<1> : tensor<2xi64>, strides = dense<[2, 1]> : tensor<2xi64>}
         ins(%x, %w : tensor<1x8x12x82xf32>, tensor<8x3x3xf32>)
         outs(%o : tensor<1x8x5x80xf32>) -> tensor<1x8x5x80xf32>
  return %r : tensor<1x8x5x80xf32>
}

// -----

// A narrow depthwise convolution: its filter is broadcast along the output
// rows, but a convolution keeps its own schedule (a row a tile), not the
// blocks of rows that attention's broadcast reads get below.

// WIDE-LABEL:  func.func @narrow_depthwise_conv
// WIDE:          scf.forall ({{.*}}) in (8, 8)
// WIDE:            scf.for {{.*}} -> (vector<16xf32>)
// WIDE:              vector.fma {{.*}} : vector<16xf32>
func.func @narrow_depthwise_conv(%x: tensor<1x8x10x18xf32>, %w: tensor<8x3x3xf32>,
                                 %o: tensor<1x8x8x16xf32>) -> tensor<1x8x8x16xf32> {
  %r = linalg.depthwise_conv_2d_nchw_chw
         {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<1x8x10x18xf32>, tensor<8x3x3xf32>)
         outs(%o : tensor<1x8x8x16xf32>) -> tensor<1x8x8x16xf32>
  return %r : tensor<1x8x8x16xf32>
}

// -----

// A convolution strided along the width would read every other element of
// a row: it is left to loops.

// CHECK-LABEL: func.func @width_strided_conv
// CHECK-NOT:   scf.forall
// CHECK:       linalg.depthwise_conv_2d_nchw_chw
func.func @width_strided_conv(%x: tensor<1x8x12x161xf32>, %w: tensor<8x3x3xf32>,
                              %o: tensor<1x8x10x80xf32>) -> tensor<1x8x10x80xf32> {
  %r = linalg.depthwise_conv_2d_nchw_chw
         {dilations = dense<1> : tensor<2xi64>, strides = dense<[1, 2]> : tensor<2xi64>}
         ins(%x, %w : tensor<1x8x12x161xf32>, tensor<8x3x3xf32>)
         outs(%o : tensor<1x8x10x80xf32>) -> tensor<1x8x10x80xf32>
  return %r : tensor<1x8x10x80xf32>
}

// -----

// Elementwise ops (with a broadcast operand): a whole row per tile when it
// is at most max-vector-size long, 64-element chunks and the rest otherwise.

// CHECK-LABEL: func.func @elementwise
// CHECK:       scf.forall ({{.*}}) in (4, 6)
// CHECK:         %[[B:.*]] = vector.transfer_read {{.*}} : tensor<4xf32>, vector<80xf32>
// CHECK:         arith.addf {{.*}}, %[[B]] : vector<80xf32>
func.func @elementwise(%x: tensor<1x4x6x80xf32>, %b: tensor<4xf32>) -> tensor<1x4x6x80xf32> {
  %e = tensor.empty() : tensor<1x4x6x80xf32>
  %r = linalg.generic {
         indexing_maps = [affine_map<(n, c, h, w) -> (n, c, h, w)>,
                          affine_map<(n, c, h, w) -> (c)>,
                          affine_map<(n, c, h, w) -> (n, c, h, w)>],
         iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
         ins(%x, %b : tensor<1x4x6x80xf32>, tensor<4xf32>) outs(%e : tensor<1x4x6x80xf32>) {
  ^bb0(%in: f32, %bias: f32, %out: f32):
    %s = arith.addf %in, %bias : f32
    linalg.yield %s : f32
  }  -> tensor<1x4x6x80xf32>
  return %r : tensor<1x4x6x80xf32>
}

// -----

// A sum along rows of 300: vectorized along the reduction, in chunks of 64
// (the 256 that 64 divides) and one chunk of 44.

// CHECK-LABEL: func.func @row_sum
// CHECK:       scf.forall ({{.*}}) in (5)
// CHECK:         scf.for {{.*}} = %c0 to %c256 step %c64
// CHECK:           vector.multi_reduction <add>, {{.*}} [0] : vector<64xf32> to f32
// CHECK:       scf.forall ({{.*}}) in (5)
// CHECK:         vector.multi_reduction <add>, {{.*}} [0] : vector<44xf32> to f32
func.func @row_sum(%x: tensor<5x300xf32>, %o: tensor<5xf32>) -> tensor<5xf32> {
  %r = linalg.reduce ins(%x : tensor<5x300xf32>) outs(%o : tensor<5xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  return %r : tensor<5xf32>
}

// -----

// Two matmuls accumulating into the same fill each get a fill of their own
// (else bufferization copies the shared one); padding becomes a fill of the
// padded tensor and an insertion of the interior.

// CHECK-LABEL: func.func @shared_fill_and_pad
// CHECK-COUNT-2: vector.transfer_write %cst{{.*}} : vector<16xf32>, tensor<16xf32>
// CHECK:       tensor.insert_slice {{.*}}[0, 1] [8, 16] [1, 1] : tensor<8x16xf32> into tensor<8x18xf32>
// CHECK-NOT:   tensor.pad
func.func @shared_fill_and_pad(%a: tensor<8x8xf32>, %b: tensor<8x16xf32>, %c: tensor<8x8xf32>)
    -> (tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x18xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x16xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<8x16xf32>) -> tensor<8x16xf32>
  %r1 = linalg.matmul ins(%a, %b : tensor<8x8xf32>, tensor<8x16xf32>)
                      outs(%f : tensor<8x16xf32>) -> tensor<8x16xf32>
  %r2 = linalg.matmul ins(%c, %b : tensor<8x8xf32>, tensor<8x16xf32>)
                      outs(%f : tensor<8x16xf32>) -> tensor<8x16xf32>
  %p = tensor.pad %r1 low[0, 1] high[0, 1] {
  ^bb0(%i: index, %j: index):
    tensor.yield %zero : f32
  } : tensor<8x16xf32> to tensor<8x18xf32>
  return %r1, %r2, %p : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x18xf32>
}

// -----

// Booleans stay scalar: vectors of i1 are bit-packed in memory, tensors of
// i1 are stored a byte per element.

// CHECK-LABEL: func.func @boolean_result
// CHECK-NOT:   scf.forall
// CHECK:       linalg.generic
func.func @boolean_result(%x: tensor<4x80xf32>, %y: tensor<4x80xf32>) -> tensor<4x80xi1> {
  %e = tensor.empty() : tensor<4x80xi1>
  %r = linalg.generic {
         indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>,
                          affine_map<(i, j) -> (i, j)>],
         iterator_types = ["parallel", "parallel"]}
         ins(%x, %y : tensor<4x80xf32>, tensor<4x80xf32>) outs(%e : tensor<4x80xi1>) {
  ^bb0(%a: f32, %b: f32, %out: i1):
    %c = arith.cmpf olt, %a, %b : f32
    linalg.yield %c : i1
  } -> tensor<4x80xi1>
  return %r : tensor<4x80xi1>
}

// -----

// Ops that use their indices (a triangular mask) vectorize with vector.step.

// CHECK-LABEL: func.func @lower_triangle
// CHECK:       scf.forall
// CHECK:         vector.step : vector<40xindex>
func.func @lower_triangle(%x: tensor<8x40xf32>) -> tensor<8x40xf32> {
  %e = tensor.empty() : tensor<8x40xf32>
  %zero = arith.constant 0.0 : f32
  %r = linalg.generic {
         indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
         iterator_types = ["parallel", "parallel"]}
         ins(%x : tensor<8x40xf32>) outs(%e : tensor<8x40xf32>) {
  ^bb0(%a: f32, %out: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %keep = arith.cmpi ule, %j, %i : index
    %v = arith.select %keep, %a, %zero : f32
    linalg.yield %v : f32
  } -> tensor<8x40xf32>
  return %r : tensor<8x40xf32>
}

// -----

// A transpose: the output's rows run along the input's columns, so tiles
// are 8 x 8 squares read as 8 contiguous input rows (a transposing
// transfer_read), not whole output rows of one element per input row.

// CHECK-LABEL: func.func @transpose
// CHECK: scf.forall (%[[B:.*]], %[[I:.*]], %[[J:.*]]) = (0, 0, 0) to (2, 24, 16) step (1, 8, 8)
// CHECK: vector.transfer_read %{{.*}}[%[[B]], %[[J]], %[[I]]]{{.*}}permutation_map = #{{.*}}} : tensor<2x16x24xf32>, vector<8x8xf32>
// CHECK: vector.transfer_write %{{.*}} : vector<8x8xf32>, tensor<8x8xf32>
// With 16 lanes the 24 output rows split into 16 + 8, each piece one tile
// per batch element.
// WIDE-LABEL: func.func @transpose
// WIDE: scf.forall (%{{.*}}) in (2) {{.*}} -> (tensor<2x16x16xf32>)
// WIDE: vector<16x16xf32>
// WIDE: scf.forall (%{{.*}}) in (2) {{.*}} -> (tensor<2x8x16xf32>)
// WIDE: vector<8x16xf32>
func.func @transpose(%x: tensor<2x16x24xf32>) -> tensor<2x24x16xf32> {
  %e = tensor.empty() : tensor<2x24x16xf32>
  %t = linalg.transpose ins(%x : tensor<2x16x24xf32>) outs(%e : tensor<2x24x16xf32>) permutation = [0, 2, 1]
  return %t : tensor<2x24x16xf32>
}

// -----

// Rows known only when the model runs (a decoder's batch x sequence): an
// scf.forall over chunks of 6 rows, each a static 6 x 64 slice scheduled
// like a static matmul (6 x 16 register blocks), then the last rows one at
// a time, each in registers along the static columns, eight rows of the
// weights a step (the weights streamed: see @matmul_stream_weights).

// CHECK-LABEL: func.func @matmul_dynamic_rows
// CHECK:       %[[FILLED:.*]] = scf.forall
// CHECK:       %[[CHUNKS:.*]] = affine.apply #{{.*}}()[%{{.*}}]
// CHECK:       scf.forall (%{{.*}}) in (%[[CHUNKS]])
// CHECK:         tensor.extract_slice {{.*}} [6, 32] [1, 1] : tensor<?x32xf32> to tensor<6x32xf32>
// CHECK:         scf.forall ({{.*}}) = (0) to (32) step (16)
// CHECK:           scf.for {{.*}} -> (vector<6x16xf32>)
// CHECK:             vector.fma {{.*}} : vector<6x16xf32>
// CHECK:       scf.forall ({{.*}}) = (0, 0) to (%{{.*}}, 32) step (1, 16)
// CHECK:         scf.for {{.*}} step %c8 {{.*}} -> (vector<1x16xf32>)
// CHECK:           vector.contract {{.*}} : vector<1x8xf32>, vector<8x16xf32> into vector<1x16xf32>
// CHECK-NOT:   linalg.matmul
func.func @matmul_dynamic_rows(%a: tensor<?x64xf32>, %b: tensor<64x32xf32>) -> tensor<?x32xf32> {
  %c0 = arith.constant 0 : index
  %m = tensor.dim %a, %c0 : tensor<?x64xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%m) : tensor<?x32xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<?x32xf32>) -> tensor<?x32xf32>
  %r = linalg.matmul ins(%a, %b : tensor<?x64xf32>, tensor<64x32xf32>) outs(%c : tensor<?x32xf32>) -> tensor<?x32xf32>
  return %r : tensor<?x32xf32>
}

// -----

// One row times weights that it reads once (a decoder's token): the
// weights are streamed as they lie in memory. An scf.forall over blocks of
// columns (two at least, for the threads), in each an scf.for over steps
// of 8 rows of the weights, in each an scf.for over the block's chunks of
// 16 columns: a vector.contract of 8 activations and 8 x 16 weights into
// the block's row of the result. The 1000 columns (62 chunks and 8): four
// blocks of 15 chunks (16 would leave 14 chunks to one thread), then 2
// chunks and 8 columns; K = 260: 32 steps of 8 rows, then the last 4.

// CHECK-LABEL: func.func @matmul_stream_weights
// CHECK:       scf.forall (%{{.*}}) = (0) to (960) step (240)
// CHECK:         scf.for %[[K:.*]] = %c0 to %c256 step %c8 {{.*}} -> (tensor<1x240xf32>)
// CHECK:           scf.for %{{.*}} = %c0 to %c240 step %c16 {{.*}} -> (tensor<1x240xf32>)
// CHECK:             vector.transfer_read %{{.*}}[%[[K]], %{{.*}}]{{.*}} : tensor<260x1000xf32>, vector<8x16xf32>
// CHECK:             vector.contract {{.*}} : vector<1x8xf32>, vector<8x16xf32> into vector<1x16xf32>
// CHECK:       scf.forall ({{.*}}) = (0) to (960) step (240)
// CHECK:         scf.for {{.*}} = %c0 to %c240 step %c16
// CHECK:           vector.contract {{.*}} : vector<1x4xf32>, vector<4x16xf32> into vector<1x16xf32>
// CHECK:       scf.for {{.*}} = %c0 to %c256 step %c8 {{.*}} -> (tensor<1x32xf32>)
// CHECK:         scf.for {{.*}} = %c0 to %c32 step %c16
// CHECK:           vector.contract {{.*}} : vector<1x8xf32>, vector<8x16xf32> into vector<1x16xf32>
// CHECK:       scf.for {{.*}} step %c8 {{.*}} -> (vector<1x8xf32>)
// CHECK:         vector.contract {{.*}} : vector<1x8xf32>, vector<8x8xf32> into vector<1x8xf32>
// CHECK:       vector.contract {{.*}} : vector<1x4xf32>, vector<4x8xf32> into vector<1x8xf32>
// CHECK-NOT:   linalg.matmul
func.func @matmul_stream_weights(%a: tensor<1x260xf32>, %b: tensor<260x1000xf32>) -> tensor<1x1000xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x1000xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<1x1000xf32>) -> tensor<1x1000xf32>
  %r = linalg.matmul ins(%a, %b : tensor<1x260xf32>, tensor<260x1000xf32>) outs(%c : tensor<1x1000xf32>) -> tensor<1x1000xf32>
  return %r : tensor<1x1000xf32>
}

// -----

// Streamed int8 and f16 weights (tern-ternarize keep=): each tile of weights
// is converted to f32 (a vectorized linalg.copy whose write folds into the
// contraction's read), and a chunk takes as many bytes of a row as f32
// weights' do: 64 int8 or 32 f16 columns instead of 16.

// CHECK-LABEL: func.func @matmul_stream_int8_weights
// CHECK:       scf.forall (%{{.*}}) = (0) to (1024) step (256)
// CHECK:         scf.for %[[K:.*]] = %c0 to %c64 step %c8 {{.*}} -> (tensor<1x256xf32>)
// CHECK:           scf.for %{{.*}} = %c0 to %c256 step %c64 {{.*}} -> (tensor<1x256xf32>)
// CHECK:             %[[W:.*]] = vector.transfer_read %{{.*}}[%[[K]], %{{.*}}]{{.*}} : tensor<64x1024xi8>, vector<8x64xi8>
// CHECK:             %[[F:.*]] = arith.sitofp %[[W]] : vector<8x64xi8> to vector<8x64xf32>
// CHECK:             vector.contract {{.*}} %[[F]], %{{.*}} : vector<1x8xf32>, vector<8x64xf32> into vector<1x64xf32>
// CHECK-NOT:   linalg.matmul
func.func @matmul_stream_int8_weights(%a: tensor<1x64xf32>, %b: tensor<64x1024xi8>) -> tensor<1x1024xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x1024xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<1x1024xf32>) -> tensor<1x1024xf32>
  %r = linalg.matmul ins(%a, %b : tensor<1x64xf32>, tensor<64x1024xi8>) outs(%c : tensor<1x1024xf32>) -> tensor<1x1024xf32>
  return %r : tensor<1x1024xf32>
}

// -----

// CHECK-LABEL: func.func @matmul_stream_f16_weights
// CHECK:       scf.for %{{.*}} = %c0 to %c{{[0-9]+}} step %c32
// CHECK:         vector.transfer_read {{.*}} : tensor<64x512xf16>, vector<8x32xf16>
// CHECK:         arith.extf {{.*}} : vector<8x32xf16> to vector<8x32xf32>
// CHECK:         vector.contract {{.*}} : vector<1x8xf32>, vector<8x32xf32> into vector<1x32xf32>
func.func @matmul_stream_f16_weights(%a: tensor<1x64xf32>, %b: tensor<64x512xf16>) -> tensor<1x512xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x512xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<1x512xf32>) -> tensor<1x512xf32>
  %r = linalg.matmul ins(%a, %b : tensor<1x64xf32>, tensor<64x512xf16>) outs(%c : tensor<1x512xf32>) -> tensor<1x512xf32>
  return %r : tensor<1x512xf32>
}

// -----

// A dynamic innermost dimension (attention over a dynamic number of keys):
// the rows are distributed (an scf.forall), each row an scf.for over chunks
// of 16 lanes, each a static slice vectorized like any op, then the last
// partial chunk a lane at a time: one parallel loop, not one per chunk.

// CHECK-LABEL: func.func @dynamic_columns
// CHECK:       scf.forall (%[[ROW:.*]]) in (4)
// CHECK:         %[[CHUNKS:.*]] = affine.apply #{{.*}}()[%{{.*}}]
// CHECK:         scf.for %{{.*}} = %{{.*}} to %[[CHUNKS]]
// CHECK:           arith.mulf {{.*}} : vector<16xf32>
// CHECK:         scf.for
// CHECK:           arith.mulf {{.*}} : f32
// CHECK-NOT:   scf.forall (
func.func @dynamic_columns(%x: tensor<4x?xf32>) -> tensor<4x?xf32> {
  %c1 = arith.constant 1 : index
  %n = tensor.dim %x, %c1 : tensor<4x?xf32>
  %e = tensor.empty(%n) : tensor<4x?xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<4x?xf32>) outs(%e : tensor<4x?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.mulf %a, %a : f32
    linalg.yield %s : f32
  } -> tensor<4x?xf32>
  return %r : tensor<4x?xf32>
}

// -----

// A softmax's max over a dynamic number of keys: rows tiled by one (an
// scf.forall), each row reducing static chunks of 16 lanes in an scf.for,
// then the keys after the last whole chunk one at a time.

// CHECK-LABEL: func.func @dynamic_row_max
// CHECK:       scf.forall (%[[ROW:.*]]) in (4)
// CHECK:         %[[CHUNKS:.*]] = affine.apply #{{.*}}()[%{{.*}}]
// CHECK:         scf.for %{{.*}} = %{{.*}} to %[[CHUNKS]]
// CHECK:           vector.transfer_read {{.*}} vector<16xf32>
// CHECK:           vector.multi_reduction <maximumf>, {{.*}} [0] : vector<16xf32> to f32
// CHECK:         scf.for
// CHECK:           arith.maximumf {{.*}} : f32
// CHECK-NOT:   linalg.generic
func.func @dynamic_row_max(%x: tensor<4x?xf32>) -> tensor<4xf32> {
  %low = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : tensor<4xf32>
  %init = linalg.fill ins(%low : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<4x?xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.maximumf %a, %o : f32
    linalg.yield %m : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// Attention's product with the values, over a dynamic number of keys, the
// values shared by a group of query heads (a broadcast: not a contraction
// for linalg): the values run contiguously along the output's rows, so the
// op stays vectorized along them (16 lanes of head dimension), a key at a
// time, not along the keys; and the heads of the group that read the same
// values take one tile: each key's row of values is read once, broadcast
// to the 4 heads, not once per head.

// CHECK-LABEL: func.func @dynamic_keys_times_values
// CHECK:         %[[ROWS:.*]] = vector.transfer_read %{{.*}} : tensor<4x16xf32>, vector<4x16xf32>
// CHECK:         scf.for {{.*}} iter_args(%[[ACC:.*]] = %[[ROWS]]) -> (vector<4x16xf32>)
// CHECK:           %[[P:.*]] = vector.transfer_read %arg0{{.*}} : tensor<4x?xf32>, vector<4x16xf32>
// CHECK:           %[[V:.*]] = vector.transfer_read %arg1{{.*}} : tensor<1x?x16xf32>, vector<4x16xf32>
// CHECK:           vector.fma %[[P]], %[[V]], %[[ACC]] : vector<4x16xf32>
// CHECK-NOT:   vector.multi_reduction
func.func @dynamic_keys_times_values(%p: tensor<4x?xf32>, %v: tensor<1x?x16xf32>) -> tensor<4x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x16xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, d, l) -> (i, l)>, affine_map<(i, d, l) -> (0, l, d)>, affine_map<(i, d, l) -> (i, d)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%p, %v : tensor<4x?xf32>, tensor<1x?x16xf32>) outs(%init : tensor<4x16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

// The same for a group of 8 query heads with 64 lanes of head dimension:
// the accumulators of a tile take at most half the register file. With
// 8-lane registers (AVX2's 16) a row of 64 would take 8 of them, so the
// rows are cut to two registers and a tile is 4 heads x 16; with 16-lane
// ones (AVX-512's 32) a tile is 4 heads x 64, 16 registers.

// CHECK-LABEL: func.func @group_keys_times_values
// CHECK:         scf.forall ({{.*}}) = (0, 0) to (8, 64) step (4, 16)
// CHECK:         scf.for {{.*}} -> (vector<4x16xf32>)
// CHECK:           vector.fma {{.*}} : vector<4x16xf32>
// WIDE-LABEL:  func.func @group_keys_times_values
// WIDE:          scf.forall ({{.*}}) = (0) to (8) step (4)
// WIDE:          scf.for {{.*}} -> (vector<4x64xf32>)
// WIDE:            vector.fma {{.*}} : vector<4x64xf32>
func.func @group_keys_times_values(%p: tensor<8x?xf32>, %v: tensor<1x?x64xf32>) -> tensor<8x64xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x64xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<8x64xf32>) -> tensor<8x64xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, d, l) -> (i, l)>, affine_map<(i, d, l) -> (0, l, d)>, affine_map<(i, d, l) -> (i, d)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%p, %v : tensor<8x?xf32>, tensor<1x?x64xf32>) outs(%init : tensor<8x64xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<8x64xf32>
  return %r : tensor<8x64xf32>
}

// -----

// Attention's scores for a group of 8 query heads sharing their keys: a
// query times a key, summed over 64 lanes of head dimension in registers.
// With 16-lane registers a tile is 4 heads (their queries take 16
// registers) times one key, the keys a loop inside the parallel tile, so
// that each key's row is read once for the 4 heads; with 8-lane registers
// a head's query alone takes 8, and the heads stay one a tile, every key
// a parallel tile.

// CHECK-LABEL: func.func @group_queries_times_keys
// CHECK:         scf.forall (%{{.*}}, %{{.*}}) in (8, %{{.*}})
// CHECK:           vector.multi_reduction <add>, {{.*}} : vector<64xf32> to f32
// WIDE-LABEL:  func.func @group_queries_times_keys
// WIDE:          scf.forall (%[[HEADS:.*]]) = (0) to (8) step (4)
// WIDE:            scf.for %[[KEY:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// WIDE:              vector.transfer_read %arg0[%[[HEADS]], %{{.*}}]{{.*}} : tensor<8x64xf32>, vector<4x64xf32>
// WIDE:              vector.transfer_read %arg1[%{{.*}}, %[[KEY]], %{{.*}}]{{.*}} : tensor<1x?x64xf32>, vector<4x64xf32>
// WIDE:              vector.multi_reduction <add>, {{.*}} [1] : vector<4x64xf32> to vector<4xf32>
func.func @group_queries_times_keys(%q: tensor<8x64xf32>, %k: tensor<1x?x64xf32>) -> tensor<8x?xf32> {
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %k, %c1 : tensor<1x?x64xf32>
  %e = tensor.empty(%n) : tensor<8x?xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<8x?xf32>) -> tensor<8x?xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, l, d) -> (i, d)>, affine_map<(i, l, d) -> (0, l, d)>, affine_map<(i, l, d) -> (i, l)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%q, %k : tensor<8x64xf32>, tensor<1x?x64xf32>) outs(%init : tensor<8x?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<8x?xf32>
  return %r : tensor<8x?xf32>
}

// -----

// An op over an empty range (the initial value of a Loop's scan output)
// has no work to tile and stays as it is (tiling it crashed upstream's
// tile size computation).

// CHECK-LABEL: func.func @empty_range
// CHECK:         linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<0x0xf32>) -> tensor<0x0xf32>
// CHECK-NOT:     scf.forall
// WIDE-LABEL:  func.func @empty_range
// WIDE:          linalg.fill
func.func @empty_range() -> tensor<0x0xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<0x0xf32>
  %r = linalg.fill ins(%zero : f32) outs(%e : tensor<0x0xf32>) -> tensor<0x0xf32>
  return %r : tensor<0x0xf32>
}
