//===- ErrorMessage.h - llvm::Error messages in GoogleTest ------*- C++ -*-===//
//
// The libraries report failures as llvm::Error / llvm::Expected; tests
// compare their messages. messageOf consumes the error, so an unchecked
// error can never slip through a test.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_UNITTESTS_ERRORMESSAGE_H
#define TERN_UNITTESTS_ERRORMESSAGE_H

#include "llvm/Support/Error.h"

#include <string>

namespace tern::unittest {

/// The message of `error`, or "" when it is success.
inline std::string messageOf(llvm::Error error) {
  return error ? llvm::toString(std::move(error)) : std::string();
}

/// The message of `value`'s error, or "" when it holds a value (which stays).
template <typename T> std::string messageOf(llvm::Expected<T> &value) {
  return value ? std::string() : llvm::toString(value.takeError());
}

} // namespace tern::unittest

#endif // TERN_UNITTESTS_ERRORMESSAGE_H
