//===- Packing.cpp - packed storage of ternary codes ----------------------===//
//
// This file implements the byte layouts of ternary codes. Rows are packed
// independently so that kernels can address any row without decoding the
// ones before it.
//
//===----------------------------------------------------------------------===//

#include "tern/Quant/Packing.h"

#include <limits>

using namespace tern::quant;

namespace {

/// Formats "row R, column C" for diagnostics.
std::string where(int64_t row, int64_t col) {
  return "row " + std::to_string(row) + ", column " + std::to_string(col);
}

bool fail(std::string *error, std::string message) {
  if (error)
    *error = std::move(message);
  return false;
}

/// The 2-bit field of code `j` in a byte of a 4-codes-per-byte layout.
constexpr unsigned fieldShift(int64_t j) { return 2 * unsigned(j % 4); }

} // namespace

const char *tern::quant::packingName(Packing packing) {
  switch (packing) {
  case Packing::SignMagnitude:
    return "sign_magnitude";
  case Packing::OffsetBinary:
    return "offset_binary";
  case Packing::Base3:
    return "base3";
  }
  return "unknown";
}

int64_t tern::quant::codesPerByte(Packing packing) {
  return packing == Packing::Base3 ? 5 : 4;
}

int64_t tern::quant::packedRowBytes(Packing packing, int64_t k) {
  int64_t per = codesPerByte(packing);
  return (k + per - 1) / per;
}

int64_t tern::quant::packedBytes(Packing packing, int64_t rows, int64_t k) {
  if (rows < 0 || k < 0)
    return -1;
  int64_t rowBytes = packedRowBytes(packing, k);
  if (rowBytes != 0 && rows > std::numeric_limits<int64_t>::max() / rowBytes)
    return -1;
  return rows * rowBytes;
}

bool tern::quant::canHold(Packing packing, Alphabet alphabet) {
  return alphabet == Alphabet::Trit || packing == Packing::SignMagnitude;
}

bool tern::quant::pack(Packing packing, const uint8_t *codes, int64_t rows,
                       int64_t k, uint8_t *out, std::string *error) {
  int64_t rowBytes = packedRowBytes(packing, k);
  for (int64_t r = 0; r < rows; ++r) {
    const uint8_t *in = codes + r * k;
    uint8_t *row = out + r * rowBytes;
    for (int64_t b = 0; b < rowBytes; ++b)
      row[b] = 0;
    for (int64_t j = 0; j < k; ++j) {
      uint8_t c = in[j];
      if (c > 3)
        return fail(error, "invalid code " + std::to_string(c) + " at " +
                               where(r, j) + " (codes are 0..3)");
      if (c == kZeroNeg && packing != Packing::SignMagnitude)
        return fail(error, std::string("signed zero at ") + where(r, j) +
                               " cannot be stored in " + packingName(packing));
      switch (packing) {
      case Packing::SignMagnitude:
        row[j / 4] |= uint8_t(c << fieldShift(j));
        break;
      case Packing::OffsetBinary:
        row[j / 4] |= uint8_t((codeValue(c) + 1) << fieldShift(j));
        break;
      case Packing::Base3:
        break;
      }
    }
    if (packing != Packing::Base3) {
      // Padding fields of the last byte hold the code of 0.
      if (packing == Packing::OffsetBinary)
        for (int64_t j = k; j < rowBytes * 4; ++j)
          row[j / 4] |= uint8_t(1 << fieldShift(j));
      continue;
    }
    for (int64_t b = 0; b < rowBytes; ++b) {
      unsigned value = 0;
      for (int i = 4; i >= 0; --i) {
        int64_t j = b * 5 + i;
        int digit = j < k ? codeValue(in[j]) + 1 : 1;
        value = value * 3 + unsigned(digit);
      }
      row[b] = uint8_t(value);
    }
  }
  return true;
}

bool tern::quant::unpack(Packing packing, Alphabet alphabet,
                         const uint8_t *bytes, int64_t rows, int64_t k,
                         uint8_t *codes, std::string *error) {
  int64_t rowBytes = packedRowBytes(packing, k);
  int64_t perByte = codesPerByte(packing);
  for (int64_t r = 0; r < rows; ++r) {
    const uint8_t *row = bytes + r * rowBytes;
    for (int64_t b = 0; b < rowBytes; ++b) {
      unsigned byte = row[b];
      if (packing == Packing::Base3 && byte > 242)
        return fail(error, "reserved base3 byte " + std::to_string(byte) +
                               " at " + where(r, b * 5));
      for (int64_t i = 0; i < perByte; ++i) {
        int64_t j = b * perByte + i;
        uint8_t c = kZeroPos;
        switch (packing) {
        case Packing::SignMagnitude:
          c = uint8_t((byte >> (2 * i)) & 3);
          break;
        case Packing::OffsetBinary: {
          unsigned field = (byte >> (2 * i)) & 3;
          if (field == 3)
            return fail(error,
                        "reserved offset_binary code 0b11 at " + where(r, j));
          c = codeOf(int(field) - 1);
          break;
        }
        case Packing::Base3:
          c = codeOf(int(byte % 3) - 1);
          byte /= 3;
          break;
        }
        if (j >= k) {
          if (c != kZeroPos)
            return fail(error, "non-zero padding after the last code of row " +
                                   std::to_string(r));
          continue;
        }
        if (c == kZeroNeg && alphabet == Alphabet::Trit)
          return fail(error, "signed zero (0b10) in a !tern.trit tensor at " +
                                 where(r, j));
        if (codes)
          codes[r * k + j] = c;
      }
    }
  }
  return true;
}
