//===- Passes.td - post-training quantization passes -------*- tablegen -*-===//
//
// This file declares the passes that produce tern ops: post-training
// ternarization of float models.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_QUANTIZATION_PASSES_TD
#define TERN_QUANTIZATION_PASSES_TD

include "mlir/Pass/PassBase.td"

def Calibrate : Pass<"tern-calibrate", "::mlir::ModuleOp"> {
  let summary = "Record activation statistics of every quantizable layer";
  let description = [{
    Observes the activation input of every layer tern-ternarize can rewrite
    (MatMul and Gemm with constant weights, 1x1 convolutions): a copy of the
    module gets observers (per-channel reductions, and `x^T x` with
    `second-moment`) whose results replace @main's, and is run on every
    calibration input set in `inputs=DIR` by the registered ModelEvaluator
    (docs/ModelEvaluator.md; tern-opt registers the JIT, which compiles it
    with tern-cpu-pipeline). Without one the pass fails and says so. The
    module itself is left unchanged. Per layer (keyed by
    the layer's name, as tern-ternarize names it) and per input channel the
    pass records E[x], E[x^2] and max|x| over every row of every input set,
    and E[x x^T] on request, and writes them to `stats=FILE` (JSON, format
    in docs/Quantization.md) or, without `stats=`, attaches them to the
    module as the `tern.calibration` attribute, where a later
    tern-ternarize finds them. The statistics depend only on the module and
    the inputs, not on the thread count.

    Input sets: every subdirectory of DIR (in name order) is one set
    holding `NAME.npy` for every input of @main; for a model with one
    input, every `.npy` file directly in DIR is a set as well, or several
    when its leading dimension is a multiple of the model's.

    ```
    tern-opt model.onnx --input-shape x=1x3x48x320 \
      --tern-calibrate="inputs=calib/ stats=model.stats.json second-moment=1"
    ```
  }];
  let options = [
    Option<"inputs", "inputs", "std::string", /*default=*/"\"\"",
           "Directory of calibration input sets (.npy)">,
    Option<"stats", "stats", "std::string", /*default=*/"\"\"",
           "Where to write the statistics (JSON); without it they go to the "
           "module's tern.calibration attribute">,
    Option<"secondMoment", "second-moment", "bool", /*default=*/"false",
           "Also record E[x x^T] per layer (K x K; needed by gptq)">,
    Option<"cpu", "cpu", "std::string", /*default=*/"\"x86-64-v3\"",
           "CPU to compile the observed model for (as tern-run --cpu)">,
    Option<"layers", "layers", "std::string", /*default=*/"\"\"",
           "Regular expression: observe only the layers whose name matches "
           "(the model is cut after the last one)">,
    Option<"convolutions", "convolutions", "std::string",
           /*default=*/"\"pointwise\"",
           "Which convolutions are layers: pointwise (1x1, stride 1), "
           "ungrouped (every ungrouped 2-D convolution and ConvTranspose, "
           "observed over its receptive fields) or all (grouped and "
           "depthwise ones too), as tern-ternarize's convolutions=">,
    Option<"quiet", "quiet", "bool", /*default=*/"false",
           "No progress lines on stderr (entry i of n, elapsed, ETA)">,
  ];
}

def Ternarize : Pass<"tern-ternarize", "::mlir::ModuleOp"> {
  let summary = "Rewrite float matmuls with constant weights into tern.matmul";
  let description = [{
    Every `linalg.matmul` whose right operand is a float constant (K x N,
    as the ONNX importer emits MatMul and Gemm), and every 1x1 stride-1
    `linalg.conv_2d_nchw_fchw` with constant weights (a matmul over the
    channels of every pixel, between two transposes; with
    `convolutions=ungrouped` every other ungrouped one too, a matmul over
    the receptive fields of its output pixels, and with `convolutions=all`
    grouped and depthwise ones, which run on their dequantized codes),
    that accumulates into
    zeros becomes a `tern.matmul` on the ternarized weights (N x K): codes
    packed into a `dense_resource` blob (`#tern.packing<sign_magnitude>`),
    scales (and DLT's shifts) as constants. The numerics are the library's
    (`include/tern/Quant`, docs/Quantization.md):

    - `method=bt`: balanced ternary, one plane, `threshold=` rule;
    - `method=szt`: the same with signed zeros (`!tern.szt`);
    - `method=ptqtp`: `planes=` trit planes (PTQTP);
    - `method=dlt`: one plane with a scale and a shift per group;
    - `method=sherry`: 3:4 sparse trits (one zero in every 4 weights along
      K), packed `#tern.packing<sherry>` in 1.25 bits per weight;
    - `method=tequila`: bt plus Tequila's dead-zone bias
      Σ_{k: t=0} w_k E[x_k] per output channel (needs `stats=`).

    `packing=base3` stores the codes five a byte (`#tern.packing<base3>`,
    1.6 bits per weight; not with `method=szt`, whose signed zeros need
    four values). Scales and shifts are stored as f16 where every one lies
    in f16's normal range, as f32 otherwise; the report counts what is
    stored.

    With calibration statistics (`stats=FILE` from tern-calibrate, or the
    module's `tern.calibration` attribute that tern-calibrate leaves when
    not given a file; the pass removes it) every fit weighs column k by its
    importance h_k = E[x_k^2] (except threshold=mse, the unweighted optimum
    by definition), `threshold=calibrated` is the exact minimiser of
    Σ h (w - α t)^2, and `gptq=1` quantizes column by column, pushing each
    column's error onto the columns not yet quantized through E[x x^T]
    (recorded with `second-moment=1`; with `bias-correction=1`, which
    cancels the error's mean, the covariance). With `calibration=DIR`,
    `sequential=1` fits the layers in program order, each to reproduce the
    float model's output of the layer from the activations it receives
    once the layers before it are ternarized (its weights retargeted to
    W E[x x~^T] E[x~ x~^T]^-1, x the float model's activations and x~ the
    received ones, before the fit; one compile with the layers' weights as
    arguments, two runs over DIR per layer), and `bits=B` (ptqtp) measures how each layer at 1 to `planes`
    planes changes the model output (cosine similarity on the inputs of
    DIR, one compile with the weights as arguments) and chooses planes, or
    the keep= format, per layer so that the average stays within B bits per
    weight.
    Both run the model through the registered ModelEvaluator
    (docs/ModelEvaluator.md), as tern-calibrate does. The report then
    also gives each
    layer's h-weighted error and, with second moments, the cosine similarity
    of its float and ternary outputs on the calibration data.

    `group-size=0` fits per output channel, `group-size=G` per G weights
    along K (G must divide K; a layer with K <= G is fitted per channel).
    Layers are named by their location (the ONNX node name for imported
    models); `include=` and `exclude=` are regular
    expressions on those names (a layer is ternarized if it matches include,
    or include is empty, and does not match exclude). The other layers, and
    those `bits=` keeps, are stored as `keep=` says: `int8` (the default:
    int8 codes with a scale per output channel, a linalg.matmul on the i8
    constant and a multiply by the scales), `f16`, or `f32` (left as they
    are); docs/Quantization.md, "Kept layers". `tables=` names the Gather
    nodes whose tables (embeddings) are stored so too, int8 with a scale
    per row. A run that rewrites nothing
    warns, naming each matmul and convolution with the reason it is no
    layer.

    The options are declared once, typed, in
    `include/tern/Quantization/TernarizeOptions.h` (tern-ptq-pipeline takes
    the same set); `tern-opt --help` lists them with their values, and
    `tern-opt --pass-pipeline="builtin.module(tern-ternarize)"
    --dump-pass-pipeline` prints every name with its default, which is
    where the python package reads them from.

    ```mlir
    // tern-opt --tern-ternarize="method=ptqtp planes=2 group-size=64"
    %y = linalg.matmul ins(%x, %w : tensor<1x128xf32>, tensor<128x32xf32>)
                       outs(%zeros : tensor<1x32xf32>) -> tensor<1x32xf32>
    // becomes
    %c = tern.constant #tern.packing<sign_magnitude> dense_resource<...>
           : tensor<2048xi8> -> tensor<2x32x128x!tern.trit>
    %y = tern.matmul %x, %c scales(%s : tensor<2x32x2xf32>) group_size = 64
           : tensor<1x128xf32>, tensor<2x32x128x!tern.trit> -> tensor<1x32xf32>
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::tern::TernDialect",
  ];
}

#endif // TERN_QUANTIZATION_PASSES_TD
