//===- tern-compile.cpp - models to shared libraries ----------------------===//
//
// This file is tern-compile: it compiles a model ahead of time into a shared
// library with a plain C entry point and writes the C header that declares
// it. The ABI (docs/CABI.md):
//
//   int NAME_run(const T0 *input0, ..., U0 *output0, ...);
//
// Every tensor is a dense C-order array of the element type and static shape
// the header states; the function returns 0 on success. A model with dynamic
// dimensions takes each input's sizes and returns outputs it allocates:
//
//   int NAME_run(const T0 *input0, const int64_t *input0_shape, ...,
//                U0 **output0, int64_t *output0_shape, ...);
//
//   tern-compile model.onnx --input-shape x=1x3x48x320 --name ocr
//     -o libocr.so --header ocr.h [--cpu x86-64-v3]
//
//===----------------------------------------------------------------------===//

#include "tern/Dialect/Tern/IR/TernDialect.h"
#include "tern/Driver/Driver.h"
#include "tern/Execution/Execution.h"
#include "tern/Execution/HugePages.h"
#include "tern/Transforms/Passes.h"

#include "GeneratorGlue.h"
#include "RuntimeSources.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include <set>

using namespace mlir;

namespace {

llvm::cl::opt<std::string>
    inputFile(llvm::cl::Positional,
              llvm::cl::cat(mlir::tern::modelToolCategory()),
              llvm::cl::desc("<model>"), llvm::cl::Required);
llvm::cl::opt<std::string>
    outputFile("o", llvm::cl::cat(mlir::tern::modelToolCategory()),
               llvm::cl::desc("Shared library"), llvm::cl::Required);
llvm::cl::opt<std::string>
    headerFile("header", llvm::cl::cat(mlir::tern::modelToolCategory()),
               llvm::cl::desc("C header to write"), llvm::cl::Required);
llvm::cl::opt<std::string>
    name("name", llvm::cl::cat(mlir::tern::modelToolCategory()),
         llvm::cl::desc("C name prefix of the entry point"),
         llvm::cl::init("model"));
mlir::tern::ModelToolOptions shared;
llvm::cl::opt<bool> generator(
    "generator", llvm::cl::cat(mlir::tern::modelToolCategory()),
    llvm::cl::desc("For a decoder (docs/Generation.md): also a generator "
                   "object in the library that owns the key/value cache "
                   "(NAME_generator_create, _prefill, _step, _logits, "
                   "_argmax, _free; docs/CABI.md)"),
    llvm::cl::init(false));
llvm::cl::opt<std::string>
    cc("cc", llvm::cl::cat(mlir::tern::modelToolCategory()),
       llvm::cl::desc("C compiler that links the library"),
       llvm::cl::init("clang-22"));

int fail(const llvm::Twine &message) {
  llvm::errs() << "tern-compile: error: " << message << "\n";
  return 1;
}

/// The C type of an element type, or null.
const char *cType(Type type) {
  if (type.isF32())
    return "float";
  if (type.isF64())
    return "double";
  if (type.isInteger(64))
    return "int64_t";
  if (type.isInteger(32))
    return "int32_t";
  if (type.isInteger(16))
    return "int16_t";
  if (type.isInteger(8))
    return "int8_t";
  if (type.isInteger(1))
    return "bool";
  return nullptr;
}

std::string identifier(std::string s) {
  for (char &c : s)
    if (!isalnum(static_cast<unsigned char>(c)))
      c = '_';
  if (s.empty() || isdigit(static_cast<unsigned char>(s[0])))
    s = "t_" + s;
  return s;
}

std::string shapeComment(ArrayRef<int64_t> shape) {
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "x" : "") + (ShapedType::isDynamic(shape[i])
                               ? std::string("?")
                               : std::to_string(shape[i]));
  return s.empty() ? "scalar" : s;
}

/// The call of the compiled function, with the run-time checks of the
/// model (cf.assert: their puts and abort, renamed NAME_check_message and
/// NAME_check_failed in the object) returning 3 instead of aborting.
std::string trappedCall(const mlir::tern::ModelSignature &sig) {
  std::string call = "  results r;\n  jmp_buf trap;\n  " + name +
                     "_trap = &trap;\n  if (setjmp(trap)) {\n    " + name +
                     "_trap = NULL;\n    return 3;\n  }\n  _mlir_ciface_" +
                     name + "_main(&r";
  for (size_t i = 0; i < sig.inputs.size(); ++i)
    call += ", &in" + std::to_string(i);
  return call + ");\n  " + name + "_trap = NULL;\n";
}

/// Releases the compiled function's results to the buffer pool. Results
/// may share a buffer (an output listed twice, or an output and its
/// Identity): each buffer is released once, after every copy.
std::string freeResults(const mlir::tern::ModelSignature &sig) {
  std::string glue;
  for (size_t i = 0; i < sig.outputs.size(); ++i) {
    std::string ri = "r.r" + std::to_string(i), shared;
    for (size_t j = 0; j < i; ++j)
      shared += std::string(j ? " && " : "") + ri + ".allocated != r.r" +
                std::to_string(j) + ".allocated";
    glue += (shared.empty() ? "" : "  if (" + shared + ")\n  ") +
            "  tern_pool_free(" + ri + ".allocated);\n";
  }
  return glue;
}

/// The glue of a model with dynamic dimensions: input sizes come with the
/// call (NAME_shape arrays), outputs are allocated here and returned with
/// their sizes. Checks the static sizes and the agreement of named dynamic
/// ones before running (1 when they do not hold), and returns 2 when an
/// output cannot be allocated.
std::string dynamicGlue(const mlir::tern::ModelSignature &sig,
                        const std::string &params) {
  std::string glue = "int " + name + "_run(" + params + ") {\n";
  // Checks.
  llvm::StringMap<std::string> firstUse;
  for (const auto &t : sig.inputs) {
    std::string shape = identifier(t.name) + "_shape";
    for (size_t k = 0; k < t.shape.size(); ++k) {
      std::string size = shape + "[" + std::to_string(k) + "]";
      if (!ShapedType::isDynamic(t.shape[k])) {
        glue += "  if (" + size + " != " + std::to_string(t.shape[k]) +
                ") return 1;\n";
        continue;
      }
      glue += "  if (" + size + " < 0) return 1;\n";
      const std::string &dim = t.dimNames[k];
      if (dim.empty())
        continue;
      auto [it, inserted] = firstUse.try_emplace(dim, size);
      if (!inserted)
        glue += "  if (" + size + " != " + it->second + ") return 1;\n";
    }
  }
  // Descriptors with the sizes given and row-major strides.
  for (size_t i = 0; i < sig.inputs.size(); ++i) {
    const auto &t = sig.inputs[i];
    size_t r = t.shape.size();
    std::string d = "in" + std::to_string(i), id = identifier(t.name);
    glue += "  desc" + std::to_string(r) + " " + d + ";\n  " + d +
            ".allocated = " + d + ".aligned = (void *)" + id + ";\n  " + d +
            ".offset = 0;\n";
    if (r)
      glue += "  for (int64_t k = " + std::to_string(r) +
              " - 1, s = 1; k >= 0; s *= " + id + "_shape[k--]) {\n    " + d +
              ".sizes[k] = " + id + "_shape[k];\n    " + d +
              ".strides[k] = s;\n  }\n";
  }
  glue += trappedCall(sig) + "  int status = 0;\n";
  for (size_t i = 0; i < sig.outputs.size(); ++i) {
    const auto &t = sig.outputs[i];
    std::string ri = "r.r" + std::to_string(i), id = identifier(t.name);
    size_t r = t.shape.size();
    glue += "  {\n    int64_t total = 1;\n";
    for (size_t k = 0; k < r; ++k)
      glue += "    " + id + "_shape[" + std::to_string(k) + "] = " + ri +
              ".sizes[" + std::to_string(k) + "];\n    total *= " + ri +
              ".sizes[" + std::to_string(k) + "];\n";
    glue += "    *" + id + " = malloc(total ? total * sizeof(**" + id +
            ") : 1);\n    if (!*" + id + ")\n      status = 2;\n    else\n" +
            "      copy_out((const char *)" + ri + ".aligned + " + ri +
            ".offset * sizeof(**" + id + "), " +
            (r ? ri + ".sizes, " + ri + ".strides, " : "NULL, NULL, ") +
            std::to_string(r) + ", sizeof(**" + id + "), (char *)*" + id +
            ");\n  }\n";
  }
  glue += freeResults(sig);
  glue += "  return status;\n}\n";
  return glue;
}

/// The header and the C glue that turns bare arrays into the memref
/// descriptors of the compiled `_mlir_ciface_NAME_main`.
void writeC(const mlir::tern::ModelSignature &sig, std::string &header,
            std::string &glue) {
  // A model with dynamic dimensions takes each input's sizes and returns
  // outputs it allocates, with theirs.
  bool dynamic =
      llvm::any_of(sig.inputs,
                   [](const auto &t) { return !t.hasStaticShape(); }) ||
      llvm::any_of(sig.outputs,
                   [](const auto &t) { return !t.hasStaticShape(); });
  std::string params;
  auto param = [&](const mlir::tern::TensorSignature &t, bool in) {
    if (!params.empty())
      params += ", ";
    std::string id = identifier(t.name);
    if (!dynamic) {
      params +=
          std::string(in ? "const " : "") + cType(t.elementType) + " *" + id;
      return;
    }
    std::string type = cType(t.elementType);
    params +=
        in ? "const " + type + " *" + id + ", const int64_t *" + id + "_shape"
           : type + " **" + id + ", int64_t *" + id + "_shape";
  };
  for (const auto &t : sig.inputs)
    param(t, true);
  for (const auto &t : sig.outputs)
    param(t, false);
  std::string guard = identifier(name) + "_H";
  for (char &c : guard)
    c = char(toupper(static_cast<unsigned char>(c)));
  header = "/* Generated by tern-compile from " +
           llvm::sys::path::filename(inputFile).str() +
           ". C ABI: docs/CABI.md. */\n#ifndef " + guard + "\n#define " +
           guard +
           "\n\n#include <stdbool.h>\n#include <stdint.h>\n\n"
           "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  header += "/* Runs the model. Every array is dense, in C order";
  header += dynamic ? "; ? is a size known when the model runs:\n" : ":\n";
  for (const auto &t : sig.inputs)
    header += " *   input  " + identifier(t.name) + ": " +
              cType(t.elementType) + "[" + shapeComment(t.shape) + "]\n";
  for (const auto &t : sig.outputs)
    header += " *   output " + identifier(t.name) + ": " +
              cType(t.elementType) + "[" + shapeComment(t.shape) + "]\n";
  if (dynamic)
    header += " * Each input comes with its sizes (NAME_shape, one per "
              "dimension); each\n"
              " * output is allocated with malloc, returned in *NAME with "
              "its sizes in\n"
              " * NAME_shape, and freed by the caller with free(). Returns "
              "0; 1 when a\n"
              " * size differs from the header's or inputs disagree on a "
              "named dimension\n"
              " * (nothing is run); 2 when an output cannot be allocated; "
              "3 when a check\n"
              " * of the model fails while it runs (" +
              name +
              "_last_error() says which). Safe\n"
              " * to call from several threads at once. */\n";
  else
    header += " * Returns 0; 3 when a check of the model fails while it runs "
              "(" +
              name +
              "_last_error()\n * says which). Safe to call from "
              "several threads at once. */\n";
  header += "int " + name + "_run(" + params + ");\n\n";
  header += "/* The message of the last check that failed on this thread. */\n"
            "const char *" +
            name + "_last_error(void);\n\n";
  header += "#ifdef __cplusplus\n}\n#endif\n\n#endif /* " + guard + " */\n";

  // The glue: one descriptor struct per rank, the compiled function, and
  // the copy of every result into the caller's array.
  // mremap (HugePages.c) is a GNU extension.
  glue = "#define _GNU_SOURCE\n#include \"" +
         llvm::sys::path::filename(headerFile).str() +
         "\"\n#include <setjmp.h>\n#include <stdio.h>\n#include "
         "<stdlib.h>\n#include <string.h>\n\n";
  // The compiled code's malloc and free (renamed by optimizeForCPU), kept
  // inside the library.
  glue += "#define TERN_POOL_API __attribute__((visibility(\"hidden\")))\n" +
          std::string(mlir::tern::kBufferPoolSource) + "\n";
  // The weights move onto huge pages when the library is loaded, if
  // TERN_HUGE_PAGES=1; a model without large constants has no such
  // section, and the linker's symbols of it are null.
  glue +=
      "#define TERN_HUGE_PAGES_API __attribute__((visibility(\"hidden\")))\n" +
      std::string(mlir::tern::kHugePagesSource) + "\n";
  for (const char *end : {"start", "stop"})
    glue += "extern const char __" + std::string(end) + "_" +
            mlir::tern::kWeightsSection +
            "[] __attribute__((weak, visibility(\"hidden\")));\n";
  glue += "__attribute__((constructor)) static void "
          "tern_weights_on_huge_pages(void) {\n  tern_huge_pages(__start_" +
          std::string(mlir::tern::kWeightsSection) + ", __stop_" +
          mlir::tern::kWeightsSection + ");\n}\n\n";
  // The model's run-time checks: the message is kept and the failed check
  // returns to the call that ran it (3), or aborts on another thread.
  glue += "static _Thread_local jmp_buf *" + name + "_trap;\n" +
          "static _Thread_local char " + name + "_error[512];\n" + "int " +
          name + "_check_message(const char *message) {\n  snprintf(" + name +
          "_error, sizeof " + name + "_error, \"%s\", message);\n  return " +
          "0;\n}\nvoid " + name + "_check_failed(void) {\n  if (" + name +
          "_trap)\n    longjmp(*" + name + "_trap, 1);\n  fprintf(stderr, " +
          "\"%s\\n\", " + name + "_error);\n  abort();\n}\nconst char *" +
          name + "_last_error(void) { return " + name + "_error; }\n\n";
  std::set<size_t> ranks;
  for (const auto &t : sig.inputs)
    ranks.insert(t.shape.size());
  for (const auto &t : sig.outputs)
    ranks.insert(t.shape.size());
  for (size_t r : ranks)
    glue += "typedef struct { void *allocated, *aligned; int64_t offset" +
            (r ? ", sizes[" + std::to_string(r) + "], strides[" +
                     std::to_string(r) + "]"
               : std::string()) +
            "; } desc" + std::to_string(r) + ";\n";
  glue += "typedef struct {";
  for (size_t i = 0; i < sig.outputs.size(); ++i)
    glue += " desc" + std::to_string(sig.outputs[i].shape.size()) + " r" +
            std::to_string(i) + ";";
  glue += " } results;\n";
  glue += "void _mlir_ciface_" + name + "_main(results *";
  for (const auto &t : sig.inputs)
    glue += ", desc" + std::to_string(t.shape.size()) + " *";
  glue += ");\n\n";
  // Results are row-major and contiguous in the common case (a decoder's
  // logits): one memcpy, not one per element.
  glue += "static void copy_out(const char *base, const int64_t *sizes, "
          "const int64_t *strides, int rank, size_t size, char *out) {\n"
          "  int64_t index[16] = {0}, total = 1;\n"
          "  int contiguous = 1;\n"
          "  for (int d = rank - 1; d >= 0; --d) {\n"
          "    if (sizes[d] != 1 && strides[d] != total) contiguous = 0;\n"
          "    total *= sizes[d];\n"
          "  }\n"
          "  if (contiguous) {\n"
          "    memcpy(out, base, (size_t)total * size);\n"
          "    return;\n"
          "  }\n"
          "  for (int64_t i = 0; i < total; ++i) {\n"
          "    int64_t at = 0;\n"
          "    for (int d = 0; d < rank; ++d) at += index[d] * strides[d];\n"
          "    memcpy(out + i * size, base + at * size, size);\n"
          "    for (int d = rank - 1; d >= 0; --d) {\n"
          "      if (++index[d] < sizes[d]) break;\n"
          "      index[d] = 0;\n"
          "    }\n"
          "  }\n"
          "}\n\n";
  if (dynamic) {
    glue += dynamicGlue(sig, params);
    return;
  }
  glue += "int " + name + "_run(" + params + ") {\n";
  for (size_t i = 0; i < sig.inputs.size(); ++i) {
    const auto &t = sig.inputs[i];
    size_t r = t.shape.size();
    std::string d = "in" + std::to_string(i);
    glue += "  desc" + std::to_string(r) + " " + d + " = {(void *)" +
            identifier(t.name) + ", (void *)" + identifier(t.name) + ", 0";
    if (r) {
      std::string sizes, strides;
      int64_t stride = 1;
      std::vector<int64_t> st(r);
      for (int64_t k = int64_t(r) - 1; k >= 0; --k) {
        st[k] = stride;
        stride *= t.shape[k];
      }
      for (size_t k = 0; k < r; ++k) {
        sizes += (k ? ", " : "") + std::to_string(t.shape[k]);
        strides += (k ? ", " : "") + std::to_string(st[k]);
      }
      glue += ", {" + sizes + "}, {" + strides + "}";
    }
    glue += "};\n";
  }
  glue += trappedCall(sig);
  for (size_t i = 0; i < sig.outputs.size(); ++i) {
    const auto &t = sig.outputs[i];
    std::string ri = "r.r" + std::to_string(i);
    size_t r = t.shape.size();
    glue += "  copy_out((const char *)" + ri + ".aligned + " + ri +
            ".offset * sizeof(*" + identifier(t.name) + "), " +
            (r ? ri + ".sizes, " + ri + ".strides, " : "NULL, NULL, ") +
            std::to_string(r) + ", sizeof(*" + identifier(t.name) +
            "), (char *)" + identifier(t.name) + ");\n";
  }
  glue += freeResults(sig);
  glue += "  return 0;\n}\n";
}

/// The generator of a decoder (--generator): the header's declarations and
/// the glue's model-specific part and template (GeneratorGlue.h). Fails
/// with a message naming the input or output that is not of the decoder
/// layout after tern-cache-in-place.
llvm::Error writeGenerator(const mlir::tern::ModelSignature &sig,
                           std::string &header, std::string &glue) {
  const std::string prefix = name + "_";
  std::string args, heads, sizes;
  int caches = 0;
  bool mask = false, ids = false;
  for (const auto &t : sig.inputs) {
    StringRef input = t.name;
    if (!args.empty())
      args += ", ";
    if (input == "input_ids" || input == "position_ids") {
      ids |= input == "input_ids";
      args += (input == "input_ids" ? "ids" : "positions") +
              std::string(", ids_shape");
    } else if (input == "attention_mask") {
      mask = true;
      args += "mask, mask_shape";
    } else if (input == "past_length") {
      args += "&length, NULL";
    } else if (input.starts_with("cache.") && t.shape.size() == 4 &&
               t.elementType.isF32() && !ShapedType::isDynamic(t.shape[1]) &&
               !ShapedType::isDynamic(t.shape[3])) {
      std::string j = std::to_string(caches++);
      args += "g->cache[" + j + "], cache_shape[" + j + "]";
      heads += std::to_string(t.shape[1]) + ", ";
      sizes += std::to_string(t.shape[3]) + ", ";
    } else {
      return llvm::createStringError(
          "--generator: input '" + t.name +
          "' is not one a generator feeds (input_ids, attention_mask, "
          "position_ids, and a key/value cache in place)");
    }
  }
  if (!ids)
    return llvm::createStringError(
        "--generator: the model has no input 'input_ids'");
  if (sig.outputs.size() != 1 || sig.outputs[0].name != "logits" ||
      !sig.outputs[0].elementType.isF32() || sig.outputs[0].shape.size() != 3 ||
      ShapedType::isDynamic(sig.outputs[0].shape[2]))
    return llvm::createStringError(
        "--generator: the model's outputs must be f32 logits [batch, "
        "sequence, vocabulary] alone once its cache is in place (is each "
        "present.N.key|value the Concat of its past and new rows?)");
  std::string vocabulary = std::to_string(sig.outputs[0].shape[2]);
  header += "/* Generation (docs/CABI.md, \"Generators\"): a generator "
            "owns the key/value\n"
            " * cache and the tokens so far. prefill runs `batch` prompts "
            "(prompts[i] of\n"
            " * lengths[i] >= 1 ids), padded on the left, with an empty "
            "cache; step appends\n"
            " * tokens[i] to row i and runs them. Both return 0; 1 on bad "
            "input (an id\n"
            " * outside the vocabulary, an empty prompt, prompts of "
            "different lengths\n"
            " * without attention_mask, step before prefill); 2 when out of "
            "memory; 3 when\n"
            " * a check of the model fails (a position past its rotary "
            "table: see\n"
            " * " +
            prefix +
            "last_error). logits\n"
            " * is float[batch][" +
            prefix +
            "VOCABULARY], each row's next-token logits, valid "
            "until the\n"
            " * next call; argmax writes each row's most likely token (ties: "
            "the lowest\n"
            " * id). One thread uses a generator at a time. */\n";
  header += "#define " + prefix + "VOCABULARY " + vocabulary + "\n";
  header += "typedef struct " + prefix + "generator " + prefix + "generator;\n";
  header += prefix + "generator *" + prefix + "generator_create(void);\n";
  header += "int " + prefix + "generator_prefill(" + prefix +
            "generator *g, const int64_t *const *prompts,\n"
            "    const int64_t *lengths, int64_t batch);\n";
  header += "int " + prefix + "generator_step(" + prefix +
            "generator *g, const int64_t *tokens);\n";
  header += "const float *" + prefix + "generator_logits(const " + prefix +
            "generator *g);\n";
  header += "void " + prefix + "generator_argmax(const " + prefix +
            "generator *g, int64_t *tokens);\n";
  header +=
      "void " + prefix + "generator_free(" + prefix + "generator *g);\n\n";

  glue += "\n#define " + prefix + "CACHES " + std::to_string(caches) +
          "\n#define " + prefix + "HAS_MASK " + (mask ? "1" : "0") + "\n";
  glue += "static const int64_t " + prefix + "cache_heads[" + prefix +
          "CACHES + 1] = {" + heads + "0};\n";
  glue += "static const int64_t " + prefix + "cache_size[" + prefix +
          "CACHES + 1] = {" + sizes + "0};\n";
  std::string callParams =
      "(" + prefix +
      "generator *g, const int64_t *ids, const int64_t *mask, const int64_t "
      "*positions, int64_t fresh, float **logits, int64_t *logits_shape)";
  glue += "static int " + prefix + "call" + callParams + ";\n";
  glue += StringRef(mlir::tern::kGeneratorGlue).str();
  // NAME_ -> the library's prefix.
  for (size_t at = 0; (at = glue.find("NAME_", at)) != std::string::npos;
       at += prefix.size())
    glue.replace(at, 5, prefix);
  glue += "\nstatic int " + prefix + "call" + callParams + " {\n" +
          "  int64_t ids_shape[2] = {g->batch, fresh};\n"
          "  int64_t mask_shape[2] = {g->batch, g->columns};\n"
          "  int64_t length = g->seen;\n"
          "  int64_t cache_shape[" +
          prefix + "CACHES + 1][4];\n  for (int j = 0; j < " + prefix +
          "CACHES; ++j) {\n"
          "    cache_shape[j][0] = g->batch;\n"
          "    cache_shape[j][1] = " +
          prefix + "cache_heads[j];\n    cache_shape[j][2] = g->capacity;\n" +
          "    cache_shape[j][3] = " + prefix + "cache_size[j];\n  }\n" +
          "  (void)mask, (void)positions, (void)mask_shape, (void)length, "
          "(void)cache_shape;\n"
          "  return " +
          name + "_run(" + args + ", logits, logits_shape);\n}\n";
  return llvm::Error::success();
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  mlir::tern::registerONNXImportCLOptions(&mlir::tern::modelToolCategory());
  llvm::cl::HideUnrelatedOptions(mlir::tern::modelToolCategory());
  llvm::cl::ParseCommandLineOptions(argc, argv,
                                    "tern ahead-of-time compiler\n");
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  if (identifier(name) != name)
    return fail("--name must be a C identifier, got '" + name + "'");

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<mlir::tern::TernDialect>();
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
  MLIRContext context(registry);
  // Diagnostics at a location print as file:line:col (the source line
  // shown when the file is text), as mlir-opt prints them.
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);

  llvm::Expected<mlir::tern::ONNXImportOptions> options =
      mlir::tern::onnxImportOptionsFromCL();
  if (!options)
    return fail(llvm::toString(options.takeError()));
  OwningOpRef<ModuleOp> module =
      mlir::tern::loadModel(inputFile, &context, *options);
  if (!module)
    return 1;
  // A generator's cache lives in buffers it owns: the model appends to
  // them in place (tern-cache-in-place).
  if (generator) {
    PassManager pm(&context);
    pm.addPass(mlir::tern::createCacheInPlace());
    if (failed(pm.run(*module)))
      return 1;
  }
  FailureOr<mlir::tern::ModelSignature> read =
      mlir::tern::readEntrySignature(*module, "main");
  if (failed(read))
    return 1;
  const mlir::tern::ModelSignature &signature = *read;
  for (const auto &t : signature.inputs)
    if (!cType(t.elementType))
      return fail("input '" + t.name + "' has no C type");
  for (const auto &t : signature.outputs)
    if (!cType(t.elementType))
      return fail("output '" + t.name + "' has no C type");
  // Checked before the long part.
  std::string generatorHeader, generatorGlue;
  if (generator)
    if (llvm::Error error =
            writeGenerator(signature, generatorHeader, generatorGlue))
      return fail(llvm::toString(std::move(error)));
  // A prefixed symbol, so that several models link into one program.
  module->lookupSymbol<func::FuncOp>("main").setSymName(name + "_main");

  llvm::Expected<mlir::tern::CPUKernelOptions> kernels =
      shared.resolveKernels();
  if (!kernels)
    return fail(llvm::toString(kernels.takeError()));
  mlir::tern::ExecutionOptions execution(*kernels);
  if (failed(mlir::tern::lowerForCPU(*module, execution)))
    return 1;
  const mlir::tern::TargetCPU &targetCPU = execution.cpu;
  // LLVM IR for the target CPU, optimized, to an object file.
  std::string triple = llvm::sys::getDefaultTargetTriple();
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(llvm::Triple(triple), error);
  if (!target)
    return fail(error);
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      llvm::Triple(triple), targetCPU.name, "", llvm::TargetOptions(),
      llvm::Reloc::PIC_, std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  if (!machine)
    return fail("cannot target CPU '" + targetCPU.name + "'");
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(*module, llvmContext);
  if (!llvmModule)
    return fail("translation to LLVM IR failed");
  llvmModule->setTargetTriple(llvm::Triple(triple));
  llvmModule->setDataLayout(machine->createDataLayout());
  // The run-time checks (cf.assert) call puts and abort: the glue's
  // versions keep the message and return an error code instead.
  for (auto [from, to] :
       {std::pair<const char *, std::string>{"puts", name + "_check_message"},
        {"abort", name + "_check_failed"}})
    if (llvm::Function *f = llvmModule->getFunction(from))
      f->setName(to);
  // As the JIT does (optimizeForCPU: without x86's cost model, the
  // recognizer ran 30.5 ms instead of 42.7 ms on one thread).
  if (llvm::Error e = mlir::tern::optimizeForCPU(*llvmModule, targetCPU))
    return fail("optimizing failed: " + llvm::toString(std::move(e)));

  SmallString<128> scratch;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueDirectory("tern-compile", scratch))
    return fail("cannot create a temporary folder: " + ec.message());
  SmallString<128> object(scratch), glueFile(scratch);
  llvm::sys::path::append(object, name + ".o");
  llvm::sys::path::append(glueFile, name + "_glue.c");
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(object, ec);
    if (ec)
      return fail("cannot write '" + object + "': " + ec.message());
    llvm::legacy::PassManager codegen;
    if (machine->addPassesToEmitFile(codegen, os, nullptr,
                                     llvm::CodeGenFileType::ObjectFile))
      return fail("the target cannot emit object files");
    codegen.run(*llvmModule);
  }
  std::string header, glue;
  writeC(signature, header, glue);
  if (generator) {
    // The declarations before the header's closing lines.
    header.insert(header.rfind("#ifdef __cplusplus\n}"), generatorHeader);
    glue += generatorGlue;
  }
  for (auto [path, text] :
       {std::pair<std::string, std::string *>{headerFile.getValue(), &header},
        {glueFile.str().str(), &glue}}) {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    if (ec)
      return fail("cannot write '" + path + "': " + ec.message());
    os << *text;
  }

  // Link: the object, the glue, the MLIR runtime it calls and OpenMP.
  auto compiler = llvm::sys::findProgramByName(cc);
  if (!compiler)
    return fail("cannot find the C compiler '" + cc + "'");
  SmallString<256> include(headerFile.getValue());
  llvm::sys::path::remove_filename(include);
  if (include.empty())
    include = ".";
  std::string includeFlag = "-I" + include.str().str();
  std::string rpath = "-Wl,-rpath," LLVM_LIB_DIR;
  std::string libDir = "-L" LLVM_LIB_DIR;
  std::vector<StringRef> args = {*compiler,
                                 "-shared",
                                 "-fPIC",
                                 "-O2",
                                 includeFlag,
                                 glueFile,
                                 object,
                                 "-o",
                                 outputFile,
                                 libDir,
                                 "-lmlir_c_runner_utils",
                                 "-lomp",
                                 rpath};
  std::string message;
  if (llvm::sys::ExecuteAndWait(*compiler, args, std::nullopt, {}, 0, 0,
                                &message) != 0)
    return fail("linking '" + outputFile + "' failed" +
                (message.empty() ? "" : ": " + message));
  llvm::sys::fs::remove_directories(scratch);
  llvm::outs() << "wrote " << outputFile << " and " << headerFile << "\n";
  return 0;
}
