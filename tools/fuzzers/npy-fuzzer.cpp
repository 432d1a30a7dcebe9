//===- npy-fuzzer.cpp - libFuzzer target for the .npy reader --------------===//
//
// Parses each input as a .npy file. Anything accepted must write back and
// read again to the same array (dtype, shape and bytes). See
// docs/Hardening.md.
//
//===----------------------------------------------------------------------===//

#include "tern/Support/Npy.h"

#include <cstddef>
#include <cstdint>
#include <string>

using namespace tern::support;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::Expected<Array> array =
      parseNpy(std::string(reinterpret_cast<const char *>(data), size));
  if (!array) {
    llvm::consumeError(array.takeError());
    return 0;
  }
  llvm::Expected<Array> again = parseNpy(formatNpy(*array));
  if (!again || again->type != array->type || again->shape != array->shape ||
      again->data != array->data)
    __builtin_trap();
  return 0;
}
