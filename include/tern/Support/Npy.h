//===- Npy.h - NumPy .npy files ---------------------------------*- C++ -*-===//
//
// This file declares reading and writing of NumPy's .npy format (versions
// 1.0 to 3.0, C order, little-endian), the tensor files tern-run exchanges
// with numpy and ONNX Runtime. Plain C++ (failures are llvm::Error values),
// no MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_SUPPORT_NPY_H
#define TERN_SUPPORT_NPY_H

#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tern::support {

/// Element types tern-run exchanges.
enum class DType { F32, F64, F16, I64, I32, I16, I8, Bool };

/// The numpy descr of a type ("<f4", "|b1", ...) and its size in bytes.
const char *dtypeDescr(DType type);
int64_t dtypeSize(DType type);
/// A readable name ("float32", ...).
const char *dtypeName(DType type);

/// A dense array in C order.
struct Array {
  DType type = DType::F32;
  std::vector<int64_t> shape;
  std::vector<char> data;

  int64_t numElements() const;
};

/// Parses .npy bytes; the error says what is malformed.
llvm::Expected<Array> parseNpy(const std::string &bytes);
/// Reads a .npy file; the error names the file.
llvm::Expected<Array> readNpy(const std::string &path);
/// Serializes to .npy (version 1.0).
std::string formatNpy(const Array &array);
/// Writes formatNpy(array) to `path`; the error names the file.
llvm::Error writeNpy(const std::string &path, const Array &array);

} // namespace tern::support

#endif // TERN_SUPPORT_NPY_H
