//===- TernPlugin.cpp - tern as an MLIR dialect and pass plugin -----------===//
//
// This file is TernPlugin.so, tern for an mlir-opt that does not link it:
// the tern dialect (mlirGetDialectPluginInfo), and tern's passes, pipelines
// and JIT model evaluator (mlirGetPassPluginInfo), through upstream's plugin
// mechanism:
//
//   mlir-opt-22 --load-dialect-plugin=TernPlugin.so
//     --load-pass-plugin=TernPlugin.so
//     --pass-pipeline="builtin.module(tern-ternarize{method=ptqtp})" in.mlir
//
// The plugin links the libMLIR.so it was built against and works only in a
// host whose MLIR is that very library; it checks so before registering
// anything. docs/Install.md gives the reasons.
//
//===----------------------------------------------------------------------===//

#include "tern/Conversion/Passes.h"
#include "tern/Dialect/Tern/IR/TernDialect.h"
#include "tern/Dialect/Tern/Transforms/Passes.h"
#include "tern/Execution/Execution.h"
#include "tern/Pipelines/PTQPipeline.h"
#include "tern/Pipelines/Pipelines.h"
#include "tern/Quantization/Passes.h"
#include "tern/Transforms/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/raw_ostream.h"

#include <dlfcn.h>

using namespace mlir;

namespace {
/// The file and load address of the object (executable or shared library)
/// that holds `address`.
struct LoadedObject {
  const void *base = nullptr;
  const char *path = "an unknown object";
};
} // namespace

static LoadedObject objectOf(const void *address) {
  LoadedObject object;
  Dl_info info;
  if (dladdr(address, &info) && info.dli_fbase) {
    object.base = info.dli_fbase;
    if (info.dli_fname && *info.dli_fname)
      object.path = info.dli_fname;
  }
  return object;
}

/// Whether the host that called one of the plugin's entry points from
/// `caller` (its plugin loader, in libMLIR.so for Debian's mlir-opt) uses
/// the same MLIR as the plugin. A host with its own copy of MLIR (linked
/// statically, or another version) would get the dialect and the passes
/// registered in the plugin's copy, which it never reads, and MLIR objects
/// of one copy handled by the code of the other. Says why on stderr when it
/// does not.
static bool hostSharesMLIR(const void *caller, const char *entryPoint) {
  LoadedObject host = objectOf(caller);
  LoadedObject mlir =
      objectOf(reinterpret_cast<const void *>(&mlir::registerPass));
  if (host.base && host.base == mlir.base)
    return true;
  llvm::errs() << "error: TernPlugin: " << entryPoint << " was called from '"
               << host.path << "', which does not use the MLIR this plugin "
               << "is linked against ('" << mlir.path << "', LLVM "
               << LLVM_VERSION_STRING
               << "); the plugin loads only into a tool that links that "
                  "library, such as mlir-opt-"
               << LLVM_VERSION_MAJOR << "\n";
  return false;
}

/// An API version no loader accepts: a refused plugin registers nothing.
static constexpr uint32_t refusedAPIVersion = 0;

static void registerDialects(DialectRegistry *registry) {
  // A tool that links tern (tern-opt) has the dialect already, under the
  // TypeID of its own copy.
  if (registry->getDialectAllocator(
          mlir::tern::TernDialect::getDialectNamespace())) {
    llvm::errs() << "warning: TernPlugin: this tool already registers the "
                    "tern dialect; the plugin's is not registered\n";
    return;
  }
  registry->insert<mlir::tern::TernDialect>();
}

static void registerPasses() {
  if (PassInfo::lookup("tern-ternarize")) {
    llvm::errs() << "warning: TernPlugin: this tool already registers tern's "
                    "passes; the plugin's are not registered\n";
    return;
  }
  mlir::tern::registerTernConversionPasses();
  mlir::tern::registerTernTransformsPasses();
  mlir::tern::registerTernPasses();
  mlir::tern::registerTernQuantizationPasses();
  mlir::tern::registerTernPipelines();
  mlir::tern::registerTernPTQPipeline();
  // tern-calibrate and tern-ternarize's sequential= and bits= run the model
  // on calibration inputs with the JIT, as in tern-opt.
  mlir::tern::registerJITModelEvaluator();
}

extern "C" LLVM_ATTRIBUTE_WEAK DialectPluginLibraryInfo
mlirGetDialectPluginInfo() {
  bool ok =
      hostSharesMLIR(__builtin_return_address(0), "mlirGetDialectPluginInfo");
  return {ok ? static_cast<uint32_t>(MLIR_PLUGIN_API_VERSION)
             : refusedAPIVersion,
          "Tern", TERN_VERSION, registerDialects};
}

extern "C" LLVM_ATTRIBUTE_WEAK PassPluginLibraryInfo mlirGetPassPluginInfo() {
  bool ok =
      hostSharesMLIR(__builtin_return_address(0), "mlirGetPassPluginInfo");
  return {ok ? static_cast<uint32_t>(MLIR_PLUGIN_API_VERSION)
             : refusedAPIVersion,
          "Tern", TERN_VERSION, registerPasses};
}
