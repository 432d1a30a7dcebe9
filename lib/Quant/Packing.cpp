//===- Packing.cpp - packed storage of ternary codes ----------------------===//
//
// This file implements the byte layouts of ternary codes. Rows are packed
// independently so that kernels can address any row without decoding the
// ones before it. Each layout has one row packer and one row unpacker; the
// checks every layout shares (valid codes, alphabet, zero padding) are done
// once around them.
//
//===----------------------------------------------------------------------===//

#include "tern/Quant/Packing.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <limits>
#include <vector>

using namespace tern::quant;

namespace {

/// Formats "row R, column C" for diagnostics.
std::string where(int64_t row, int64_t col) {
  return "row " + std::to_string(row) + ", column " + std::to_string(col);
}

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// Reads/writes bit `i` of a little-endian bit stream.
bool getBit(const uint8_t *bytes, int64_t i) {
  return (bytes[i / 8] >> (i % 8)) & 1;
}
void setBit(uint8_t *bytes, int64_t i) {
  bytes[i / 8] |= uint8_t(1 << (i % 8));
}

//===----------------------------------------------------------------------===//
// Row packers: `in` holds k valid codes the layout can hold; `out` is zeroed.
//===----------------------------------------------------------------------===//

void packTwoBit(Packing packing, const uint8_t *in, int64_t k, uint8_t *out) {
  int64_t fields = packedRowBytes(packing, k) * 4;
  for (int64_t j = 0; j < fields; ++j) {
    uint8_t c = j < k ? in[j] : uint8_t(kZeroPos);
    unsigned field =
        packing == Packing::SignMagnitude ? c : unsigned(codeValue(c) + 1);
    out[j / 4] |= uint8_t(field << (2 * (j % 4)));
  }
}

void packBase3(const uint8_t *in, int64_t k, uint8_t *out) {
  for (int64_t b = 0; b < packedRowBytes(Packing::Base3, k); ++b) {
    unsigned value = 0;
    for (int i = 4; i >= 0; --i) {
      int64_t j = b * 5 + i;
      value = value * 3 + unsigned(j < k ? codeValue(in[j]) + 1 : 1);
    }
    out[b] = uint8_t(value);
  }
}

void packBitPlanes(const uint8_t *in, int64_t k, uint8_t *out) {
  uint8_t *signs = out + ceilDiv(k, 8);
  for (int64_t j = 0; j < k; ++j) {
    if (in[j] & 1)
      setBit(out, j);
    if (in[j] & 2)
      setBit(signs, j);
  }
}

/// Each quartet has exactly one zero (checked by the caller).
void packSherry(const uint8_t *in, int64_t k, uint8_t *out) {
  for (int64_t q = 0; q < k / 4; ++q) {
    unsigned field = 0;
    [[maybe_unused]] bool sherry = encodeSherryQuad(in + 4 * q, field);
    assert(sherry && "a quartet without exactly one zero");
    for (int b = 0; b < 5; ++b)
      if ((field >> b) & 1)
        setBit(out, 5 * q + b);
  }
}

//===----------------------------------------------------------------------===//
// Row unpackers: write k codes to `out`; fail on reserved encodings and on
// padding that does not hold zeros.
//===----------------------------------------------------------------------===//

llvm::Error unpackTwoBit(Packing packing, const uint8_t *in, int64_t k,
                         int64_t r, uint8_t *out) {
  int64_t fields = packedRowBytes(packing, k) * 4;
  for (int64_t j = 0; j < fields; ++j) {
    unsigned field = (in[j / 4] >> (2 * (j % 4))) & 3;
    uint8_t c = uint8_t(field);
    if (packing == Packing::OffsetBinary) {
      if (field == 3)
        return llvm::createStringError("reserved offset_binary code 0b11 at " +
                                       where(r, j));
      c = codeOf(int(field) - 1);
    }
    if (j < k)
      out[j] = c;
    else if (c != kZeroPos)
      return llvm::createStringError(
          "non-zero padding after the last code of row " + std::to_string(r));
  }
  return llvm::Error::success();
}

llvm::Error unpackBase3(const uint8_t *in, int64_t k, int64_t r, uint8_t *out) {
  for (int64_t b = 0; b < packedRowBytes(Packing::Base3, k); ++b) {
    unsigned byte = in[b];
    if (byte > 242)
      return llvm::createStringError("reserved base3 byte " +
                                     std::to_string(byte) + " at " +
                                     where(r, b * 5));
    for (int64_t i = 0; i < 5; ++i, byte /= 3) {
      int64_t j = b * 5 + i;
      uint8_t c = codeOf(int(byte % 3) - 1);
      if (j < k)
        out[j] = c;
      else if (c != kZeroPos)
        return llvm::createStringError(
            "non-zero padding after the last code of row " + std::to_string(r));
    }
  }
  return llvm::Error::success();
}

llvm::Error unpackBitPlanes(const uint8_t *in, int64_t k, int64_t r,
                            uint8_t *out) {
  int64_t planeBytes = ceilDiv(k, 8);
  const uint8_t *signs = in + planeBytes;
  for (int64_t j = k; j < planeBytes * 8; ++j)
    if (getBit(in, j) || getBit(signs, j))
      return llvm::createStringError(
          "non-zero padding after the last code of row " + std::to_string(r));
  for (int64_t j = 0; j < k; ++j)
    out[j] = uint8_t(getBit(in, j) | getBit(signs, j) << 1);
  return llvm::Error::success();
}

llvm::Error unpackSherry(const uint8_t *in, int64_t k, int64_t r,
                         uint8_t *out) {
  int64_t bits = packedRowBytes(Packing::Sherry, k) * 8;
  for (int64_t b = 5 * (k / 4); b < bits; ++b)
    if (getBit(in, b))
      return llvm::createStringError(
          "non-zero padding after the last code of row " + std::to_string(r));
  for (int64_t q = 0; q < k / 4; ++q) {
    unsigned field = 0;
    for (int b = 0; b < 5; ++b)
      field |= unsigned(getBit(in, 5 * q + b)) << b;
    // Codes t + 1 as bytes: 0 is -1, 1 is 0, 2 is +1.
    uint32_t word = decodeSherryQuad(field);
    for (unsigned i = 0; i < 4; ++i)
      out[4 * q + i] = std::array<uint8_t, 3>{kMinus, kZeroPos,
                                              kPlus}[(word >> (8 * i)) & 3];
  }
  return llvm::Error::success();
}

} // namespace

const char *tern::quant::packingName(Packing packing) {
  switch (packing) {
  case Packing::SignMagnitude:
    return "sign_magnitude";
  case Packing::OffsetBinary:
    return "offset_binary";
  case Packing::Base3:
    return "base3";
  case Packing::BitPlanes:
    return "bit_planes";
  case Packing::Sherry:
    return "sherry";
  }
  return "unknown";
}

int64_t tern::quant::codesPerByte(Packing packing) {
  switch (packing) {
  case Packing::SignMagnitude:
  case Packing::OffsetBinary:
    return 4;
  case Packing::Base3:
    return 5;
  case Packing::BitPlanes:
  case Packing::Sherry:
    return 0;
  }
  return 0;
}

int64_t tern::quant::packedRowBytes(Packing packing, int64_t k) {
  switch (packing) {
  case Packing::SignMagnitude:
  case Packing::OffsetBinary:
    return ceilDiv(k, 4);
  case Packing::Base3:
    return ceilDiv(k, 5);
  case Packing::BitPlanes:
    return 2 * ceilDiv(k, 8);
  case Packing::Sherry:
    return ceilDiv(5 * ceilDiv(k, 4), 8);
  }
  return 0;
}

int64_t tern::quant::packedBytes(Packing packing, int64_t rows, int64_t k) {
  if (rows < 0 || k < 0 || k > std::numeric_limits<int64_t>::max() / 8)
    return -1;
  int64_t rowBytes = packedRowBytes(packing, k);
  if (rowBytes != 0 && rows > std::numeric_limits<int64_t>::max() / rowBytes)
    return -1;
  return rows * rowBytes;
}

bool tern::quant::canHold(Packing packing, Alphabet alphabet) {
  return alphabet == Alphabet::Trit || packing == Packing::SignMagnitude ||
         packing == Packing::BitPlanes;
}

llvm::Error tern::quant::pack(Packing packing, const uint8_t *codes,
                              int64_t rows, int64_t k, uint8_t *out) {
  bool signedZeros = canHold(packing, Alphabet::SZT);
  if (packing == Packing::Sherry && k % 4 != 0)
    return llvm::createStringError(
        "sherry packs groups of 4 codes: K = " + std::to_string(k) +
        " is not a multiple of 4");
  int64_t rowBytes = packedRowBytes(packing, k);
  for (int64_t r = 0; r < rows; ++r) {
    const uint8_t *in = codes + r * k;
    for (int64_t j = 0; j < k; ++j) {
      if (in[j] > 3)
        return llvm::createStringError("invalid code " + std::to_string(in[j]) +
                                       " at " + where(r, j) +
                                       " (codes are 0..3)");
      if (in[j] == kZeroNeg && !signedZeros)
        return llvm::createStringError(std::string("signed zero at ") +
                                       where(r, j) + " cannot be stored in " +
                                       packingName(packing));
    }
    if (packing == Packing::Sherry) {
      for (int64_t q = 0; q < k / 4; ++q) {
        int zeros = 0;
        for (int64_t j = 4 * q; j < 4 * q + 4; ++j)
          zeros += !(in[j] & 1);
        if (zeros != 1)
          return llvm::createStringError(
              "sherry needs exactly one zero in every 4 codes, "
              "row " +
              std::to_string(r) + ", columns " + std::to_string(4 * q) + ".." +
              std::to_string(4 * q + 3) + " have " + std::to_string(zeros));
      }
    }
    uint8_t *row = out + r * rowBytes;
    std::fill(row, row + rowBytes, uint8_t(0));
    switch (packing) {
    case Packing::SignMagnitude:
    case Packing::OffsetBinary:
      packTwoBit(packing, in, k, row);
      break;
    case Packing::Base3:
      packBase3(in, k, row);
      break;
    case Packing::BitPlanes:
      packBitPlanes(in, k, row);
      break;
    case Packing::Sherry:
      packSherry(in, k, row);
      break;
    }
  }
  return llvm::Error::success();
}

llvm::Error tern::quant::unpack(Packing packing, Alphabet alphabet,
                                const uint8_t *bytes, int64_t rows, int64_t k,
                                uint8_t *codes) {
  if (packing == Packing::Sherry && k % 4 != 0)
    return llvm::createStringError(
        "sherry packs groups of 4 codes: K = " + std::to_string(k) +
        " is not a multiple of 4");
  int64_t rowBytes = packedRowBytes(packing, k);
  std::vector<uint8_t> row(k);
  for (int64_t r = 0; r < rows; ++r) {
    const uint8_t *in = bytes + r * rowBytes;
    llvm::Error rowError = llvm::Error::success();
    switch (packing) {
    case Packing::SignMagnitude:
    case Packing::OffsetBinary:
      rowError = unpackTwoBit(packing, in, k, r, row.data());
      break;
    case Packing::Base3:
      rowError = unpackBase3(in, k, r, row.data());
      break;
    case Packing::BitPlanes:
      rowError = unpackBitPlanes(in, k, r, row.data());
      break;
    case Packing::Sherry:
      rowError = unpackSherry(in, k, r, row.data());
      break;
    }
    if (rowError)
      return rowError;
    for (int64_t j = 0; j < k; ++j)
      if (row[j] == kZeroNeg && alphabet == Alphabet::Trit)
        return llvm::createStringError(
            "signed zero (0b10) in a !tern.trit tensor at " + where(r, j));
    if (codes)
      std::copy(row.begin(), row.end(), codes + r * k);
  }
  return llvm::Error::success();
}

KernelBitmaps tern::quant::KernelBitmaps::get(int64_t k, int64_t groupSize) {
  KernelBitmaps layout;
  layout.k = k;
  layout.groupSize = groupSize == 0 ? k : groupSize;
  layout.groups = layout.groupSize == 0 ? 0 : k / layout.groupSize;
  layout.groupBits = ceilDiv(layout.groupSize, 8) * 8;
  int64_t lastGroupEnd = layout.groups == 0
                             ? 0
                             : (layout.groups - 1) * layout.groupBits +
                                   ceilDiv(layout.groupSize, 64) * 64;
  layout.bitmapBytes = ceilDiv(lastGroupEnd, 64) * 8;
  return layout;
}

void tern::quant::packKernelBitmaps(const KernelBitmaps &layout,
                                    const uint8_t *codes, int64_t rows,
                                    uint8_t *out) {
  std::fill(out, out + rows * layout.rowBytes(), uint8_t(0));
  for (int64_t r = 0; r < rows; ++r) {
    const uint8_t *in = codes + r * layout.k;
    uint8_t *magnitudes = out + r * layout.rowBytes();
    uint8_t *signs = magnitudes + layout.bitmapBytes;
    // Groups start on byte boundaries: each byte takes 8 codes of a group.
    for (int64_t g = 0; g < layout.groups; ++g) {
      const uint8_t *group = in + g * layout.groupSize;
      int64_t first = g * layout.groupBits / 8;
      for (int64_t c = 0; c < layout.groupSize; c += 8) {
        int64_t count = std::min<int64_t>(8, layout.groupSize - c);
        unsigned magnitude = 0, sign = 0;
        for (int64_t i = 0; i < count; ++i) {
          magnitude |= unsigned(group[c + i] & 1) << i;
          sign |= unsigned((group[c + i] >> 1) & 1) << i;
        }
        magnitudes[first + c / 8] = uint8_t(magnitude);
        signs[first + c / 8] = uint8_t(sign);
      }
    }
  }
}

KernelDotCodes tern::quant::KernelDotCodes::get(int64_t k, int64_t groupSize,
                                                int64_t width, Format format) {
  KernelDotCodes layout;
  layout.format = format;
  layout.k = k;
  layout.groupSize = groupSize == 0 ? k : groupSize;
  layout.groups = layout.groupSize == 0 ? 0 : k / layout.groupSize;
  layout.lanes = format == Format::Sherry ? 2 * width : width;
  layout.setsPerGroup = ceilDiv(layout.groupSize, layout.setCodes());
  return layout;
}

uint8_t tern::quant::encodeBase3Byte(const int digits[5]) {
  // The fifth digit most significant, quad 0's least.
  int value = 0;
  for (int s = 4; s >= 0; --s)
    value = 3 * value + digits[s];
  return uint8_t(value);
}

uint8_t tern::quant::decodeBase3Quads(unsigned rest) {
  uint8_t quads = 0;
  for (unsigned s = 0; s < 4; ++s, rest /= 3)
    quads |= uint8_t((rest % 3) << (2 * s));
  return quads;
}

Base3Digits tern::quant::decodeBase3Byte(uint8_t byte) {
  unsigned fifth = unsigned(byte >= 81) + unsigned(byte >= 162);
  return {decodeBase3Quads(byte - 81 * fifth), uint8_t(fifth)};
}

bool tern::quant::encodeSherryQuad(const uint8_t codes[4], unsigned &field) {
  unsigned zeros = 0, zero = 0, signs = 0, kept = 0;
  for (unsigned i = 0; i < 4; ++i) {
    if (!(codes[i] & 1)) {
      zero = i;
      ++zeros;
    } else if (codes[i] & 2) {
      signs |= 1u << kept++;
    } else {
      ++kept;
    }
  }
  field = zero | signs << 2;
  return zeros == 1;
}

uint32_t tern::quant::decodeSherryQuad(unsigned field) {
  unsigned zero = field & 3, signs = (field >> 2) & 7, kept = 0;
  uint32_t word = 0;
  for (unsigned i = 0; i < 4; ++i) {
    unsigned code = i == zero ? 1 : (signs >> kept++) & 1 ? 0 : 2;
    word |= code << (8 * i);
  }
  return word;
}

void tern::quant::packKernelDotCodes(const KernelDotCodes &layout,
                                     const uint8_t *codes, int64_t planes,
                                     int64_t rows, uint8_t *out) {
  assert(!layout.isInt8() && "int8 weights are packed by packKernelDotInt8");
  int64_t blocks = layout.blocks(rows);
  int64_t setCodes = layout.setCodes();
  int64_t bytes = planes * blocks * layout.blockBytes();
  auto laneOf = [&](int64_t p, int64_t n, int64_t j) {
    return layout.laneOffset(blocks, p, n, j);
  };
  if (layout.format == KernelDotCodes::Format::Sherry) {
    // 16-bit lanes of three 5-bit quad fields; padding quads are field 0
    // (their activations are zeros).
    std::fill(out, out + bytes, uint8_t(0));
    for (int64_t p = 0; p < planes; ++p)
      for (int64_t n = 0; n < rows; ++n) {
        const uint8_t *in = codes + (p * rows + n) * layout.k;
        for (int64_t j = 0; j < layout.k; j += 4) {
          unsigned field = 0;
          [[maybe_unused]] bool sherry = encodeSherryQuad(in + j, field);
          assert(sherry && "a quad without exactly one zero");
          unsigned lane = field << (5 * (j % layout.groupSize % setCodes / 4));
          int64_t at = laneOf(p, n, j);
          out[at] |= uint8_t(lane);
          out[at + 1] |= uint8_t(lane >> 8);
        }
      }
    return;
  }
  // The digits t + 1 of every byte, all 1 (t = 0) to start with.
  std::vector<uint8_t> digits(
      layout.format == KernelDotCodes::Format::Base3 ? 5 * bytes : 0, 1);
  // Every byte starts as four codes t + 1 = 1, i.e. t = 0.
  std::fill(out, out + bytes, uint8_t(0x55));
  for (int64_t p = 0; p < planes; ++p) {
    for (int64_t n = 0; n < rows; ++n) {
      const uint8_t *in = codes + (p * rows + n) * layout.k;
      for (int64_t j = 0; j < layout.k; ++j) {
        int64_t inSet = j % layout.groupSize % setCodes;
        int64_t at = laneOf(p, n, j) + inSet % 4;
        int code = codeValue(in[j]) + 1;
        if (layout.format == KernelDotCodes::Format::Base3) {
          digits[5 * at + inSet / 4] = uint8_t(code);
          continue;
        }
        int shift = 2 * int(inSet / 4);
        out[at] = uint8_t((out[at] & ~(3 << shift)) | (code << shift));
      }
    }
  }
  if (layout.format == KernelDotCodes::Format::Base3)
    for (int64_t at = 0; at < bytes; ++at) {
      int five[5];
      std::copy(&digits[5 * at], &digits[5 * at] + 5, five);
      out[at] = encodeBase3Byte(five);
    }
}

void tern::quant::packKernelDotInt8(const KernelDotCodes &layout,
                                    const int8_t *weights, int64_t rows,
                                    uint8_t *out) {
  assert(layout.isInt8());
  int offset = int(layout.codeOffset());
  int64_t blocks = layout.blocks(rows);
  std::fill(out, out + blocks * layout.blockBytes(), uint8_t(offset));
  for (int64_t n = 0; n < rows; ++n)
    for (int64_t j = 0; j < layout.k; ++j)
      out[layout.laneOffset(blocks, /*plane=*/0, n, j) +
          j % layout.groupSize % 4] =
          uint8_t(int(weights[n * layout.k + j]) + offset);
}
