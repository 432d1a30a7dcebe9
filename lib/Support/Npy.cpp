//===- Npy.cpp - NumPy .npy files -----------------------------------------===//
//
// This file implements the .npy format: a magic string, a version, a header
// that is a Python dict literal ({'descr': '<f4', 'fortran_order': False,
// 'shape': (2, 3), }) padded to 64 bytes, then the raw data.
//
//===----------------------------------------------------------------------===//

#include "tern/Support/Npy.h"

#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

using namespace tern::support;

namespace {

struct DTypeInfo {
  DType type;
  const char *descr;
  const char *name;
  int64_t size;
};

const DTypeInfo kTypes[] = {
    {DType::F32, "<f4", "float32", 4}, {DType::F64, "<f8", "float64", 8},
    {DType::F16, "<f2", "float16", 2}, {DType::I64, "<i8", "int64", 8},
    {DType::I32, "<i4", "int32", 4},   {DType::I16, "<i2", "int16", 2},
    {DType::I8, "|i1", "int8", 1},     {DType::Bool, "|b1", "bool", 1},
};

const DTypeInfo &info(DType type) {
  for (const DTypeInfo &i : kTypes)
    if (i.type == type)
      return i;
  return kTypes[0];
}

/// The value of key `key` in the header dict, as raw text.
bool field(const std::string &header, const std::string &key,
           std::string &value) {
  size_t at = header.find("'" + key + "'");
  if (at == std::string::npos)
    return false;
  at = header.find(':', at);
  if (at == std::string::npos)
    return false;
  ++at;
  while (at < header.size() && header[at] == ' ')
    ++at;
  size_t end = at;
  if (at < header.size() && header[at] == '(') {
    end = header.find(')', at);
    if (end == std::string::npos)
      return false;
    ++end;
  } else if (at < header.size() && header[at] == '\'') {
    end = header.find('\'', at + 1);
    if (end == std::string::npos)
      return false;
    ++end;
  } else {
    while (end < header.size() && header[end] != ',' && header[end] != '}')
      ++end;
  }
  value = header.substr(at, end - at);
  return true;
}

} // namespace

const char *tern::support::dtypeDescr(DType type) { return info(type).descr; }
int64_t tern::support::dtypeSize(DType type) { return info(type).size; }
const char *tern::support::dtypeName(DType type) { return info(type).name; }

int64_t Array::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

llvm::Expected<Array> tern::support::parseNpy(const std::string &bytes) {
  Array array;
  static const char kMagic[] = "\x93NUMPY";
  if (bytes.size() < 10 || std::memcmp(bytes.data(), kMagic, 6) != 0)
    return llvm::createStringError("not a .npy file (bad magic)");
  unsigned major = uint8_t(bytes[6]);
  size_t headerLength, start;
  if (major == 1) {
    headerLength = uint8_t(bytes[8]) | size_t(uint8_t(bytes[9])) << 8;
    start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      return llvm::createStringError("truncated .npy header");
    headerLength = 0;
    for (int i = 0; i < 4; ++i)
      headerLength |= size_t(uint8_t(bytes[8 + i])) << (8 * i);
    start = 12;
  } else {
    return llvm::createStringError("unsupported .npy version " +
                                   std::to_string(major));
  }
  if (bytes.size() < start + headerLength)
    return llvm::createStringError("truncated .npy header");
  std::string header = bytes.substr(start, headerLength);
  std::string descr, order, shape;
  if (!field(header, "descr", descr) ||
      !field(header, "fortran_order", order) || !field(header, "shape", shape))
    return llvm::createStringError("malformed .npy header: " + header);
  if (order != "False")
    return llvm::createStringError("Fortran-order arrays are not supported");
  descr = descr.size() >= 2 ? descr.substr(1, descr.size() - 2) : descr;
  bool known = false;
  for (const DTypeInfo &i : kTypes) {
    // '=' and '<' both mean little-endian on the machines tern runs on.
    std::string alt = i.descr;
    alt[0] = '=';
    if (descr == i.descr || descr == alt) {
      array.type = i.type;
      known = true;
    }
  }
  if (!known)
    return llvm::createStringError("unsupported .npy dtype '" + descr + "'");
  array.shape.clear();
  if (shape.size() < 2 || shape.front() != '(' || shape.back() != ')')
    return llvm::createStringError("malformed .npy shape " + shape);
  std::string dims = shape.substr(1, shape.size() - 2);
  std::stringstream stream(dims);
  for (std::string item; std::getline(stream, item, ',');) {
    size_t b = item.find_first_not_of(' ');
    if (b == std::string::npos)
      continue;
    item = item.substr(b);
    char *end = nullptr;
    long long d = std::strtoll(item.c_str(), &end, 10);
    if (end == item.c_str() || d < 0 || d > (1LL << 40))
      return llvm::createStringError("malformed .npy shape " + shape);
    array.shape.push_back(d);
  }
  int64_t count = 1;
  for (int64_t d : array.shape) {
    if (d && count > (int64_t(1) << 40) / d)
      return llvm::createStringError("malformed .npy shape " + shape);
    count *= d;
  }
  size_t needed = size_t(count * dtypeSize(array.type));
  if (bytes.size() - start - headerLength != needed)
    return llvm::createStringError(
        "the .npy data holds " +
        std::to_string(bytes.size() - start - headerLength) + " bytes, shape " +
        shape + " of " + dtypeName(array.type) + " needs " +
        std::to_string(needed));
  array.data.assign(bytes.begin() + start + headerLength, bytes.end());
  return array;
}

llvm::Expected<Array> tern::support::readNpy(const std::string &path) {
  std::ifstream file(path, std::ios::binary);
  if (!file)
    return llvm::createStringError("cannot open '" + path + "'");
  std::stringstream buffer;
  buffer << file.rdbuf();
  llvm::Expected<Array> array = parseNpy(buffer.str());
  if (!array)
    return llvm::createStringError("'" + path +
                                   "': " + llvm::toString(array.takeError()));
  return array;
}

std::string tern::support::formatNpy(const Array &array) {
  std::string shape = "(";
  for (size_t i = 0; i < array.shape.size(); ++i)
    shape +=
        std::to_string(array.shape[i]) + (array.shape.size() == 1      ? ","
                                          : i + 1 < array.shape.size() ? ", "
                                                                       : "");
  shape += ")";
  std::string header = std::string("{'descr': '") + dtypeDescr(array.type) +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad with spaces so that the data starts on a 64-byte boundary.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out = "\x93NUMPY";
  out += char(1);
  out += char(0);
  out += char(header.size() & 0xff);
  out += char(header.size() >> 8);
  out += header;
  out.append(array.data.begin(), array.data.end());
  return out;
}

llvm::Error tern::support::writeNpy(const std::string &path,
                                    const Array &array) {
  std::ofstream file(path, std::ios::binary);
  std::string bytes = formatNpy(array);
  if (!file || !file.write(bytes.data(), std::streamsize(bytes.size())))
    return llvm::createStringError("cannot write '" + path + "'");
  return llvm::Error::success();
}
