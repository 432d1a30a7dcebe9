//===- Packing.h - packed storage of ternary codes --------------*- C++ -*-===//
//
// This file declares how ternary codes are stored in bytes. It is plain C++
// with no MLIR dependency (failures are llvm::Error values): the dialect's
// `#tern.packing` attribute, the reference lowering and the code generators all
// call these functions, so each layout is defined exactly once.
//
// In memory, an unpacked code is one byte holding the 2-bit sign/magnitude
// code (bit 0 magnitude, bit 1 sign), which is also what the reference
// lowering computes with.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_QUANT_PACKING_H
#define TERN_QUANT_PACKING_H

#include "llvm/Support/Error.h"

#include <cstdint>
#include <limits>
#include <string>

namespace tern::quant {

/// Sign/magnitude codes: value = magnitude * (1 - 2 * sign).
enum Code : uint8_t {
  kZeroPos = 0b00, ///< 0, or 0+ for signed-zero ternary
  kPlus = 0b01,    ///< +1
  kZeroNeg = 0b10, ///< 0- (signed-zero ternary only)
  kMinus = 0b11,   ///< -1
};

/// The value in {-1, 0, +1} a code stands for in the forward direction.
inline int codeValue(uint8_t code) {
  return (code & 1) ? ((code & 2) ? -1 : 1) : 0;
}

/// The code of `value` in {-1, 0, +1}; `negativeZero` picks 0- for 0.
inline uint8_t codeOf(int value, bool negativeZero = false) {
  if (value > 0)
    return kPlus;
  if (value < 0)
    return kMinus;
  return negativeZero ? kZeroNeg : kZeroPos;
}

/// Which codes a tensor may hold.
enum class Alphabet {
  Trit, ///< {-1, 0, +1}; the code 0- is invalid
  SZT,  ///< {-1, 0-, 0+, +1}
};

/// Byte layouts; see docs/Packing.md and `#tern.packing`. In every layout a
/// tensor is rows of K codes, each row starting on a byte boundary.
enum class Packing {
  SignMagnitude, ///< 4 codes per byte, the 2-bit code itself
  OffsetBinary,  ///< 4 codes per byte, t + 1 (0b11 reserved)
  Base3,         ///< 5 codes per byte, sum of (t_i + 1) * 3^i (> 242 reserved)
  BitPlanes,     ///< a magnitude bitmap, then a sign bitmap, per row
  Sherry,        ///< 5 bits per 4 codes with exactly one zero (3:4 sparse)
};

/// The layout's name as the IR spells it (`sign_magnitude`, ...).
const char *packingName(Packing packing);

/// Codes stored in one byte; 0 for the layouts that are bit streams
/// (bit_planes, sherry).
int64_t codesPerByte(Packing packing);

/// Bytes that hold one row of `k` codes.
int64_t packedRowBytes(Packing packing, int64_t k);

/// Bytes that hold `rows` rows of `k` codes; -1 on overflow or bad sizes.
int64_t packedBytes(Packing packing, int64_t rows, int64_t k);

/// Whether the layout can hold every code of `alphabet`.
bool canHold(Packing packing, Alphabet alphabet);

/// Packs `rows` x `k` codes (one per byte, row-major) into
/// packedBytes(packing, rows, k) bytes at `out`. Fails, naming the first
/// offending element, on a code that is not a valid 2-bit code or that the
/// layout cannot hold.
llvm::Error pack(Packing packing, const uint8_t *codes, int64_t rows, int64_t k,
                 uint8_t *out);

/// Unpacks `bytes` into `rows` x `k` codes at `codes` (which may be null to
/// only validate). Fails, naming the first offending byte, on a reserved
/// code, a code outside `alphabet`, or padding that is not zero.
llvm::Error unpack(Packing packing, Alphabet alphabet, const uint8_t *bytes,
                   int64_t rows, int64_t k, uint8_t *codes);

/// The layout tern's CPU kernels read weights in (docs/Packing.md, "Kernel
/// bitmaps"): per row, a magnitude bitmap then a sign bitmap, like
/// `bit_planes`, but with every group of G codes starting on a byte and
/// each bitmap padded so that a kernel may read any group in whole chunks
/// of up to 64 bits without leaving the row. A kernel with V-bit chunks
/// (V dividing 64) reads group g's chunk c at bit g * groupBits + c * V.
struct KernelBitmaps {
  int64_t k = 0;
  /// Codes per group (K for one group per row).
  int64_t groupSize = 0;
  int64_t groups = 0;
  /// Bits from the start of one group to the next: G rounded up to 8.
  int64_t groupBits = 0;
  /// Bytes of one bitmap of a row: a multiple of 8, at least
  /// ((groups - 1) * groupBits + G rounded up to 64) / 8.
  int64_t bitmapBytes = 0;

  /// The layout of rows of `k` codes in groups of `groupSize` (0 for one
  /// group per row); `groupSize` must divide `k`.
  static KernelBitmaps get(int64_t k, int64_t groupSize);
  /// Bytes of one row: its two bitmaps.
  int64_t rowBytes() const { return 2 * bitmapBytes; }
};

/// Writes `rows` x layout.k sign/magnitude codes (one per byte, row-major)
/// as kernel bitmaps: rows * layout.rowBytes() bytes at `out`. The 0- of
/// SZT keeps its sign bit (a zero magnitude ignores it).
void packKernelBitmaps(const KernelBitmaps &layout, const uint8_t *codes,
                       int64_t rows, uint8_t *out);

/// The layout of the kernels' integer dot products (docs/Packing.md,
/// "Kernel dot codes"): rows in blocks of `lanes` (the i32 lanes of one SIMD
/// register; the last block padded with rows of zeros), each group of G codes
/// in sets of 16 codes (the last padded with zeros). For each block, group
/// and set, one register of 4 x lanes bytes holds the block's 16 x lanes
/// codes t + 1: byte 4i + j holds, in bits 2s and 2s + 1, code 4s + j of the
/// set in row i of the block. A kernel loads the register once and, for each
/// quad s of the set, either shifts it right by 2s and keeps two bits per
/// byte (each i32 lane then holds its row's 4 codes of the quad) or only
/// masks bits 2s and 2s + 1 (the codes times 4^s, summed apart).
struct KernelDotCodes {
  /// How a byte holds its codes: four 2-bit fields t + 1 (quads 0-3 of a
  /// set of 16), or five base-3 digits t + 1 (quads 0-4 of a set of 20) as
  /// ceil(v · 256 / 243), v = Σ_s (t_s + 1) · 3^(4 - s): then 3 · b = 256 ·
  /// (t_0 + 1) + b', b' the byte of the digits after the first, so each
  /// quad's digits come out of the byte by multiplying by 3 (1.6 bits per
  /// weight), or, for Sherry's 3:4 codes, three 5-bit quad fields in a
  /// 16-bit lane (the zero's position and three signs, as
  /// `#tern.packing<sherry>` stores them) that a table lookup turns into
  /// the quad's 4 bytes t + 1 or the quad's dot product with the
  /// activations (1.33 bits per weight); or, for the int8 weights of a
  /// kept layer (tern-ternarize's keep=int8), one quad of 4 bytes w + 128
  /// per lane (8 bits per weight) for dot products of unsigned with signed
  /// bytes (vpdpbusd, generic), or the bytes w as they are (SignedInt8) for
  /// signed ones (vpmaddubsw, whose i16 pairs w + 128 would saturate).
  enum class Format { TwoBit, Base3, Sherry, Int8, SignedInt8 };
  /// Codes of a row per set: four quads of 4.
  static constexpr int64_t kSetCodes = 16;
  /// Codes of a row per base-3 set: five quads of 4.
  static constexpr int64_t kBase3SetCodes = 20;
  /// Codes of a row per Sherry set: three quads of 4.
  static constexpr int64_t kSherrySetCodes = 12;
  /// The longest rows of Format::Int8 whose dot products with int8
  /// activations fit i32 lanes: a lane's sum starts at -128 · Σ q and adds
  /// (w + 128) · q, so it stays within (128 + 255) · 127 · K in magnitude.
  static constexpr int64_t kMaxInt8Codes =
      std::numeric_limits<int32_t>::max() / ((128 + 255) * 127);
  /// The same for Format::SignedInt8: sums from 0 adding w · q, at most
  /// 128 · 127 · K in magnitude.
  static constexpr int64_t kMaxSignedInt8Codes =
      std::numeric_limits<int32_t>::max() / (128 * 127);
  /// The format of a kept layer's int8 weights for dot products that take
  /// the weights as signed bytes (`signedDot`: SignedInt8) or as w + 128.
  static constexpr Format int8Format(bool signedDot) {
    return signedDot ? Format::SignedInt8 : Format::Int8;
  }
  /// kMaxInt8Codes or kMaxSignedInt8Codes, as `format` is.
  static constexpr int64_t maxInt8Codes(Format format) {
    return format == Format::SignedInt8 ? kMaxSignedInt8Codes : kMaxInt8Codes;
  }

  Format format = Format::TwoBit;
  int64_t k = 0;
  /// Codes per group (K for one group per row).
  int64_t groupSize = 0;
  int64_t groups = 0;
  /// Rows per block: a register's i32 lanes (V), or its i16 lanes (2V) for
  /// Sherry's fields.
  int64_t lanes = 0;
  int64_t setsPerGroup = 0;

  /// The layout of rows of `k` codes in groups of `groupSize` (0 for one
  /// group per row) for registers of `width` i32 lanes (blocks of `width`
  /// rows, 2 · `width` for Sherry's fields); `groupSize` must divide `k`
  /// and 4 must divide `width`.
  static KernelDotCodes get(int64_t k, int64_t groupSize, int64_t width,
                            Format format = Format::TwoBit);
  /// Quads of 4 codes per set, and codes per set.
  int64_t quads() const {
    switch (format) {
    case Format::Base3:
      return 5;
    case Format::Sherry:
      return 3;
    case Format::Int8:
    case Format::SignedInt8:
      return 1;
    case Format::TwoBit:
      break;
    }
    return 4;
  }
  /// Whether the codes are a kept layer's int8 weights (one quad a set).
  bool isInt8() const {
    return format == Format::Int8 || format == Format::SignedInt8;
  }
  /// Whether the dot products take the bytes as signed (SignedInt8).
  bool isSigned() const { return format == Format::SignedInt8; }
  /// What a stored code adds to the weight it stands for: t + 1, w + 128
  /// for Int8 (the unsigned bytes the dot products take), nothing for
  /// SignedInt8. A group's sums start at -offset · Σ x.
  int64_t codeOffset() const {
    switch (format) {
    case Format::Int8:
      return 128;
    case Format::SignedInt8:
      return 0;
    case Format::TwoBit:
    case Format::Base3:
    case Format::Sherry:
      break;
    }
    return 1;
  }
  int64_t setCodes() const { return 4 * quads(); }
  /// Codes of a group with its padding.
  int64_t paddedGroup() const { return setsPerGroup * setCodes(); }
  /// Bytes of a row's lane in a set: 4 (an i32), 2 for Sherry's fields.
  int64_t laneBytes() const { return format == Format::Sherry ? 2 : 4; }
  /// Bytes of one set of one block of rows: one register.
  int64_t setBytes() const { return laneBytes() * lanes; }
  /// Bytes of one group of one block of rows.
  int64_t groupBytes() const { return setsPerGroup * setBytes(); }
  /// Bytes of one block of rows.
  int64_t blockBytes() const { return groups * groupBytes(); }
  /// Blocks that hold `rows` rows.
  int64_t blocks(int64_t rows) const { return (rows + lanes - 1) / lanes; }
  /// The first byte of row n's lane (plane p, of `blocks` blocks a plane)
  /// in the register of the set that holds code j.
  int64_t laneOffset(int64_t blocks, int64_t p, int64_t n, int64_t j) const {
    return (p * blocks + n / lanes) * blockBytes() +
           (j / groupSize) * groupBytes() +
           (j % groupSize / setCodes()) * setBytes() +
           laneBytes() * (n % lanes);
  }
};

/// The base-3 byte of five digits t + 1 (quad 0 first; each in {0, 1, 2}):
/// 81 · digit 4 + 27 · digit 3 + 9 · digit 2 + 3 · digit 1 + digit 0, at
/// most 242.
uint8_t encodeBase3Byte(const int digits[5]);

/// The digits of a base-3 kernel byte as the kernels decode it: digit 4 is
/// [b >= 81] + [b >= 162] (two compares), and digits 0-3 are those of
/// r = b - 81 · digit 4 (below 81, so one 128-entry lookup), digit s being
/// floor(r / 3^s) mod 3; every byte decodes to digits of at most 2 (the 13
/// that encodeBase3Byte never writes too). `quads` holds digits 0-3 as a
/// 2-bit dot code byte holds its quads (digit s in bits 2s and 2s + 1),
/// `fifth` digit 4.
struct Base3Digits {
  uint8_t quads, fifth;
};
Base3Digits decodeBase3Byte(uint8_t byte);

/// The `quads` of decodeBase3Byte for the rest r = b - 81 · digit 4 (at
/// most 93): digit s = floor(r / 3^s) mod 3 in bits 2s and 2s + 1.
uint8_t decodeBase3Quads(unsigned rest);

/// The four codes t + 1 of the Sherry quad field `field` (its low 5 bits:
/// the zero's position in bits 0-1, then the signs of the other three codes
/// in order, 1 = -1) as the bytes of a word, code 0 in the lowest.
uint32_t decodeSherryQuad(unsigned field);

/// Whether the 4 sign/magnitude codes at `codes` hold exactly one zero (a
/// Sherry quad), and if so its field in `field`.
bool encodeSherryQuad(const uint8_t codes[4], unsigned &field);

/// Writes `planes` x `rows` x layout.k sign/magnitude codes (one per byte,
/// row-major) as kernel dot codes: planes * layout.blocks(rows) *
/// layout.blockBytes() bytes at `out`. Padding codes are t = 0; 0- is 0.
/// For Format::Sherry every quad of 4 codes along K must hold exactly one
/// zero (as `#tern.packing<sherry>` guarantees); padding quads are field 0.
void packKernelDotCodes(const KernelDotCodes &layout, const uint8_t *codes,
                        int64_t planes, int64_t rows, uint8_t *out);

/// Writes `rows` x layout.k int8 weights (row-major) as kernel dot codes of
/// Format::Int8 or SignedInt8: each byte w + layout.codeOffset(), padding
/// rows and columns w = 0. layout.blocks(rows) * layout.blockBytes() bytes
/// at `out`.
void packKernelDotInt8(const KernelDotCodes &layout, const int8_t *weights,
                       int64_t rows, uint8_t *out);

} // namespace tern::quant

#endif // TERN_QUANT_PACKING_H
