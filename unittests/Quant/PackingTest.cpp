//===- PackingTest.cpp - byte layouts of ternary codes --------------------===//

#include "tern/Quant/Packing.h"
#include "ErrorMessage.h"

#include <gtest/gtest.h>

#include <array>
#include <limits>

#include <random>
#include <vector>

using namespace tern::quant;
using ::tern::unittest::messageOf;

namespace {

const Packing kAllPackings[] = {Packing::SignMagnitude, Packing::OffsetBinary,
                                Packing::Base3, Packing::BitPlanes};

std::vector<uint8_t> randomCodes(int64_t n, bool signedZeros, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> dist(0, 3);
  std::vector<uint8_t> codes(n);
  for (uint8_t &c : codes) {
    c = uint8_t(dist(rng));
    if (!signedZeros && c == kZeroNeg)
      c = kZeroPos;
  }
  return codes;
}

TEST(PackingTest, Sizes) {
  EXPECT_EQ(packedRowBytes(Packing::SignMagnitude, 8), 2);
  EXPECT_EQ(packedRowBytes(Packing::SignMagnitude, 9), 3);
  EXPECT_EQ(packedRowBytes(Packing::Base3, 10), 2);
  EXPECT_EQ(packedRowBytes(Packing::Base3, 11), 3);
  EXPECT_EQ(packedBytes(Packing::OffsetBinary, 3, 5), 6);
  EXPECT_EQ(packedBytes(Packing::Base3, 0, 5), 0);
  EXPECT_EQ(packedBytes(Packing::SignMagnitude, -1, 5), -1);
  EXPECT_EQ(packedBytes(Packing::SignMagnitude, INT64_MAX / 2, 16), -1);
}

TEST(PackingTest, CodeValues) {
  EXPECT_EQ(codeValue(kZeroPos), 0);
  EXPECT_EQ(codeValue(kZeroNeg), 0);
  EXPECT_EQ(codeValue(kPlus), 1);
  EXPECT_EQ(codeValue(kMinus), -1);
  EXPECT_EQ(codeOf(0, /*negativeZero=*/true), kZeroNeg);
  EXPECT_EQ(codeOf(-3), kMinus);
}

// The documented bit positions, checked on hand-computed bytes.
TEST(PackingTest, KnownBytes) {
  // +1 +1 0 -1 | -1 0 0 +1
  const uint8_t codes[] = {kPlus,  kPlus,    kZeroPos, kMinus,
                           kMinus, kZeroPos, kZeroPos, kPlus};
  uint8_t out[2];
  ASSERT_EQ(messageOf(pack(Packing::SignMagnitude, codes, 1, 8, out)), "");
  EXPECT_EQ(out[0], 0xC5);
  EXPECT_EQ(out[1], 0x43);
  ASSERT_EQ(messageOf(pack(Packing::OffsetBinary, codes, 1, 8, out)), "");
  // t + 1: 2 2 1 0 | 0 1 1 2
  EXPECT_EQ(out[0], 0x1A);
  EXPECT_EQ(out[1], 0x94);
  ASSERT_EQ(messageOf(pack(Packing::Base3, codes, 1, 8, out)), "");
  // 2 + 2*3 + 1*9 + 0*27 + 0*81 = 17; 1 + 1*3 + 2*9 + padding 1*27 + 1*81
  EXPECT_EQ(out[0], 17);
  EXPECT_EQ(out[1], 1 + 3 + 18 + 27 + 81);
}

TEST(PackingTest, BitPlanesLayout) {
  // +1 0- -1 0+ | -1 (then padding): magnitudes 1 0 1 0 1, signs 0 1 1 0 1.
  const uint8_t codes[] = {kPlus, kZeroNeg, kMinus, kZeroPos, kMinus};
  uint8_t out[2];
  ASSERT_EQ(packedBytes(Packing::BitPlanes, 1, 5), 2);
  ASSERT_EQ(messageOf(pack(Packing::BitPlanes, codes, 1, 5, out)), "");
  EXPECT_EQ(out[0], 0x15);
  EXPECT_EQ(out[1], 0x16);
  const uint8_t padded[] = {0x35, 0x16};
  EXPECT_EQ(messageOf(unpack(Packing::BitPlanes, Alphabet::SZT, padded, 1, 5,
                             nullptr)),
            "non-zero padding after the last code of row 0");
}

TEST(PackingTest, SherryLayoutAndRoundTrip) {
  // Quartet +1 0 -1 -1: zero at 1, kept signs 0 1 1 -> 0b11001 = 25.
  const uint8_t quartet[] = {kPlus, kZeroPos, kMinus, kMinus};
  uint8_t out[1];
  ASSERT_EQ(packedBytes(Packing::Sherry, 1, 4), 1);
  ASSERT_EQ(messageOf(pack(Packing::Sherry, quartet, 1, 4, out)), "");
  EXPECT_EQ(out[0], 25);

  std::mt19937 rng(5);
  const int64_t rows = 3, k = 36;
  std::vector<uint8_t> codes(rows * k);
  for (int64_t q = 0; q < rows * k / 4; ++q) {
    int zero = int(rng() % 4);
    for (int i = 0; i < 4; ++i)
      codes[4 * q + i] = i == zero ? kZeroPos : (rng() % 2 ? kMinus : kPlus);
  }
  std::vector<uint8_t> packed(packedBytes(Packing::Sherry, rows, k));
  EXPECT_EQ(packed.size(), size_t(rows * 6)); // 45 bits per row
  ASSERT_EQ(
      messageOf(pack(Packing::Sherry, codes.data(), rows, k, packed.data())),
      "");
  std::vector<uint8_t> back(rows * k);
  ASSERT_EQ(messageOf(unpack(Packing::Sherry, Alphabet::Trit, packed.data(),
                             rows, k, back.data())),
            "");
  EXPECT_EQ(back, codes);

  const uint8_t twoZeros[] = {kPlus, kZeroPos, kZeroPos, kMinus};
  EXPECT_EQ(messageOf(pack(Packing::Sherry, twoZeros, 1, 4, out)),
            "sherry needs exactly one zero in every 4 codes, row 0, "
            "columns 0..3 have 2");
  EXPECT_EQ(messageOf(pack(Packing::Sherry, twoZeros, 1, 3, out)),
            "sherry packs groups of 4 codes: K = 3 is not a multiple "
            "of 4");
}

class RoundTripTest : public ::testing::TestWithParam<Packing> {};

TEST_P(RoundTripTest, RandomShapes) {
  Packing packing = GetParam();
  bool szt = canHold(packing, Alphabet::SZT);
  for (int64_t k : {1, 3, 4, 5, 7, 64, 129}) {
    for (int64_t rows : {1, 2, 7}) {
      std::vector<uint8_t> codes = randomCodes(rows * k, szt, unsigned(k));
      std::vector<uint8_t> packed(packedBytes(packing, rows, k));
      ASSERT_EQ(messageOf(pack(packing, codes.data(), rows, k, packed.data())),
                "");
      std::vector<uint8_t> back(rows * k, 0xFF);
      ASSERT_EQ(messageOf(unpack(packing, szt ? Alphabet::SZT : Alphabet::Trit,
                                 packed.data(), rows, k, back.data())),
                "");
      EXPECT_EQ(back, codes)
          << packingName(packing) << " rows=" << rows << " k=" << k;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllLayouts, RoundTripTest,
                         ::testing::ValuesIn(kAllPackings),
                         [](const auto &info) {
                           return std::string(packingName(info.param));
                         });

TEST(PackingTest, PackRejectsBadCodes) {
  const uint8_t invalid[] = {kPlus, 7};
  uint8_t out[1];
  EXPECT_EQ(messageOf(pack(Packing::SignMagnitude, invalid, 1, 2, out)),
            "invalid code 7 at row 0, column 1 (codes are 0..3)");

  const uint8_t negZero[] = {kZeroNeg};
  EXPECT_EQ(messageOf(pack(Packing::Base3, negZero, 1, 1, out)),
            "signed zero at row 0, column 0 cannot be stored in base3");
  EXPECT_EQ(messageOf(pack(Packing::SignMagnitude, negZero, 1, 1, out)), "");
}

TEST(PackingTest, UnpackRejectsBadBytes) {
  uint8_t codes[8];
  const uint8_t reserved[] = {0xF3};
  EXPECT_EQ(
      messageOf(unpack(Packing::Base3, Alphabet::Trit, reserved, 1, 5, codes)),
      "reserved base3 byte 243 at row 0, column 0");

  const uint8_t offset[] = {0x35}; // fields 1 1 3 0
  EXPECT_EQ(messageOf(unpack(Packing::OffsetBinary, Alphabet::Trit, offset, 1,
                             4, codes)),
            "reserved offset_binary code 0b11 at row 0, column 2");

  const uint8_t negZero[] = {0x00, 0x08}; // row 1, column 1 is 0b10
  EXPECT_EQ(messageOf(unpack(Packing::SignMagnitude, Alphabet::Trit, negZero, 2,
                             2, codes)),
            "signed zero (0b10) in a !tern.trit tensor at row 1, "
            "column 1");
  EXPECT_EQ(messageOf(unpack(Packing::SignMagnitude, Alphabet::SZT, negZero, 2,
                             2, codes)),
            "");

  const uint8_t padding[] = {0x41}; // +1, then padding holding +1
  EXPECT_EQ(messageOf(unpack(Packing::SignMagnitude, Alphabet::Trit, padding, 1,
                             3, codes)),
            "non-zero padding after the last code of row 0");
}

TEST(PackingTest, KernelBitmapSizes) {
  // One group: K bits rounded up to 64.
  KernelBitmaps perRow = KernelBitmaps::get(100, 0);
  EXPECT_EQ(perRow.groups, 1);
  EXPECT_EQ(perRow.groupSize, 100);
  EXPECT_EQ(perRow.bitmapBytes, 16);
  EXPECT_EQ(perRow.rowBytes(), 32);
  // Groups of 12 start every 16 bits; the last one is read up to 64 bits.
  KernelBitmaps grouped = KernelBitmaps::get(36, 12);
  EXPECT_EQ(grouped.groups, 3);
  EXPECT_EQ(grouped.groupBits, 16);
  EXPECT_EQ(grouped.bitmapBytes, 16); // 2 * 16 + 64 = 96 bits -> 128
  KernelBitmaps aligned = KernelBitmaps::get(256, 64);
  EXPECT_EQ(aligned.bitmapBytes, 32);
}

TEST(PackingTest, KernelBitmapBits) {
  // Two rows of K = 6 in groups of 3: group 1 starts at bit 8.
  const uint8_t codes[] = {kPlus,    kMinus,   kZeroPos, kZeroNeg,
                           kPlus,    kMinus,   kMinus,   kZeroPos,
                           kZeroPos, kZeroPos, kZeroPos, kPlus};
  KernelBitmaps layout = KernelBitmaps::get(6, 3);
  // Group 1 starts at bit 8 and is read up to bit 72: 16 bytes a bitmap.
  ASSERT_EQ(layout.bitmapBytes, 16);
  std::vector<uint8_t> out(2 * layout.rowBytes(), 0xFF);
  packKernelBitmaps(layout, codes, 2, out.data());
  // Row 0: magnitudes 0b011 | 0b110 << 8, signs 0b010 | 0b101 << 8.
  EXPECT_EQ(out[0], 0x03);
  EXPECT_EQ(out[1], 0x06);
  EXPECT_EQ(out[16], 0x02);
  EXPECT_EQ(out[17], 0x05);
  // Row 1: magnitudes 0b001 | 0b100 << 8, signs 0b001.
  EXPECT_EQ(out[32], 0x01);
  EXPECT_EQ(out[33], 0x04);
  EXPECT_EQ(out[48], 0x01);
  EXPECT_EQ(out[49], 0x00);
  for (int64_t i : {2, 15, 18, 31, 34, 47, 50, 63})
    EXPECT_EQ(out[i], 0) << "padding byte " << i;
}

TEST(PackingTest, KernelDotCodes) {
  // 5 rows of K = 40 in groups of 20, blocks of 4 rows: two blocks (the
  // second holds row 4 and three rows of padding), two sets of 16 codes per
  // group (the second holds 4 codes and 12 of padding), 16 bytes a set.
  KernelDotCodes layout = KernelDotCodes::get(40, 20, 4);
  ASSERT_EQ(layout.setsPerGroup, 2);
  ASSERT_EQ(layout.paddedGroup(), 32);
  ASSERT_EQ(layout.setBytes(), 16);
  ASSERT_EQ(layout.groupBytes(), 32);
  ASSERT_EQ(layout.blockBytes(), 64);
  ASSERT_EQ(layout.blocks(5), 2);
  std::vector<uint8_t> codes(5 * 40, kZeroPos);
  codes[0 * 40 + 0] = kPlus;     // row 0, quad 0, code 0: byte 0 bits 0-1
  codes[0 * 40 + 7] = kMinus;    // row 0, quad 1, code 3: byte 3 bits 2-3
  codes[1 * 40 + 13] = kPlus;    // row 1, quad 3, code 1: byte 5 bits 6-7
  codes[3 * 40 + 10] = kZeroNeg; // row 3, quad 2, code 2: byte 14, t = 0
  codes[2 * 40 + 16] = kPlus;    // row 2, set 1: byte 16 + 8 bits 0-1
  codes[4 * 40 + 39] = kMinus;   // row 4 (block 1), group 1, set 1, byte 3
  std::vector<uint8_t> out(2 * layout.blockBytes(), 0xAA);
  packKernelDotCodes(layout, codes.data(), 1, 5, out.data());
  std::vector<uint8_t> expected(out.size(), 0x55);
  expected[0] = 0x56;
  expected[3] = 0x51;
  expected[5] = 0x95;
  expected[24] = 0x56;
  expected[64 + 32 + 16 + 3] = 0x54;
  for (size_t i = 0; i < out.size(); ++i)
    EXPECT_EQ(out[i], expected[i]) << "byte " << i;

  // Unpacking as a kernel does: byte 4i + j of a set, shifted right by 2s
  // and masked to two bits, is t + 1 for code 4s + j of row i; masked in
  // place it is (t + 1) * 4^s.
  for (int64_t n = 0; n < 5; ++n)
    for (int64_t j = 0; j < 40; ++j) {
      int64_t inGroup = j % 20, inSet = inGroup % 16, s = inSet / 4;
      uint8_t byte = out[(n / 4) * 64 + (j / 20) * 32 + (inGroup / 16) * 16 +
                         4 * (n % 4) + inSet % 4];
      EXPECT_EQ(((byte >> (2 * s)) & 3) - 1, codeValue(codes[n * 40 + j]))
          << "row " << n << " code " << j;
      EXPECT_EQ(byte & (3 << (2 * s)), (codeValue(codes[n * 40 + j]) + 1)
                                           << (2 * s))
          << "row " << n << " code " << j;
    }
}

TEST(PackingTest, KernelDotInt8) {
  // 5 rows of K = 10 (one group), blocks of 4 rows: two blocks, three sets
  // of one quad (the last holds 2 weights and 2 of padding), 16 bytes a
  // set. Every byte is w + 128 (Int8) or w (SignedInt8); padding is w = 0.
  for (auto [format, offset] :
       {std::pair{KernelDotCodes::Format::Int8, 128},
        std::pair{KernelDotCodes::Format::SignedInt8, 0}}) {
    KernelDotCodes layout = KernelDotCodes::get(10, 0, 4, format);
    ASSERT_TRUE(layout.isInt8());
    ASSERT_EQ(layout.isSigned(), offset == 0);
    ASSERT_EQ(layout.quads(), 1);
    ASSERT_EQ(layout.codeOffset(), offset);
    ASSERT_EQ(layout.setsPerGroup, 3);
    ASSERT_EQ(layout.paddedGroup(), 12);
    ASSERT_EQ(layout.setBytes(), 16);
    ASSERT_EQ(layout.blockBytes(), 48);
    std::vector<int8_t> weights(5 * 10);
    for (size_t i = 0; i < weights.size(); ++i)
      weights[i] = int8_t(int(i * 37 % 256) - 128);
    std::vector<uint8_t> out(2 * layout.blockBytes(), 0xAA);
    packKernelDotInt8(layout, weights.data(), 5, out.data());
    std::vector<bool> seen(out.size(), false);
    for (int64_t n = 0; n < 5; ++n)
      for (int64_t j = 0; j < 10; ++j) {
        // Block n / 4, set j / 4, lane n % 4, byte j % 4 of the lane.
        size_t at = (n / 4) * 48 + (j / 4) * 16 + 4 * (n % 4) + j % 4;
        EXPECT_EQ(int8_t(uint8_t(out[at] - offset)), weights[n * 10 + j])
            << "row " << n << " weight " << j << " offset " << offset;
        seen[at] = true;
      }
    for (size_t i = 0; i < out.size(); ++i) {
      if (!seen[i]) {
        EXPECT_EQ(out[i], offset) << "padding byte " << i;
      }
    }
  }
  EXPECT_EQ(KernelDotCodes::int8Format(true),
            KernelDotCodes::Format::SignedInt8);
  EXPECT_EQ(KernelDotCodes::int8Format(false), KernelDotCodes::Format::Int8);
  // The longest rows whose sums stay in i32: 383 · 127 · K (from -128 · Σ q,
  // adding (w + 128) · q) or 128 · 127 · K (signed).
  EXPECT_EQ(KernelDotCodes::maxInt8Codes(KernelDotCodes::Format::Int8), 44149);
  EXPECT_EQ(KernelDotCodes::maxInt8Codes(KernelDotCodes::Format::SignedInt8),
            132104);
  EXPECT_LE(383 * 127 * int64_t(44149), std::numeric_limits<int32_t>::max());
  EXPECT_GT(383 * 127 * int64_t(44150), std::numeric_limits<int32_t>::max());
  EXPECT_LE(128 * 127 * int64_t(132104), std::numeric_limits<int32_t>::max());
  EXPECT_GT(128 * 127 * int64_t(132105), std::numeric_limits<int32_t>::max());
}

// Every byte of five base-3 digits is their value with digit 4 most
// significant (docs/Packing.md, "Kernel dot codes"), at most 242.
TEST(PackingTest, Base3BytesArePositional) {
  for (int value = 0; value < 243; ++value) {
    int digits[5];
    for (int s = 0, rest = value; s < 5; ++s, rest /= 3)
      digits[s] = rest % 3;
    EXPECT_EQ(encodeBase3Byte(digits), value);
  }
  int zeros[5] = {1, 1, 1, 1, 1};
  EXPECT_EQ(encodeBase3Byte(zeros), 121);
}

// The kernels' arithmetic for the digits of the rest r = b - 81 · digit 4
// (r <= 93): floor(q / 3) = (86 · q) >> 8 for every q < 128.
TEST(PackingTest, Base3RestDividesByThreeInFixedPoint) {
  for (unsigned q = 0; q < 128; ++q)
    EXPECT_EQ((86 * q) >> 8, q / 3) << "q " << q;
  for (unsigned rest = 0; rest <= 93; ++rest) {
    unsigned quotient = rest, quads = 0;
    for (unsigned s = 0; s < 4; ++s) {
      unsigned next = (86 * quotient) >> 8;
      quads |= (quotient - 3 * next) << (2 * s);
      quotient = next;
    }
    EXPECT_EQ(quads, decodeBase3Quads(rest)) << "rest " << rest;
  }
}

// decodeBase3Byte (the kernels' lookup tables) gives every encoded byte's
// digits back, quads 0-3 as 2-bit fields, and any byte digits of at most 2.
TEST(PackingTest, Base3BytesDecodeToQuads) {
  for (int value = 0; value < 243; ++value) {
    constexpr int kPowers[5] = {81, 27, 9, 3, 1};
    int digits[5];
    for (int s = 0; s < 5; ++s)
      digits[s] = (value / kPowers[s]) % 3;
    Base3Digits decoded = decodeBase3Byte(encodeBase3Byte(digits));
    ASSERT_LE(encodeBase3Byte(digits), 242);
    for (int s = 0; s < 4; ++s)
      EXPECT_EQ((decoded.quads >> (2 * s)) & 3, digits[s])
          << "value " << value << " digit " << s;
    EXPECT_EQ(decoded.fifth, digits[4]) << "value " << value;
  }
  for (int byte = 0; byte < 256; ++byte) {
    Base3Digits decoded = decodeBase3Byte(uint8_t(byte));
    for (int s = 0; s < 4; ++s)
      EXPECT_LE((decoded.quads >> (2 * s)) & 3, 2) << "byte " << byte;
    EXPECT_LE(decoded.fifth, 2) << "byte " << byte;
  }
}

TEST(PackingTest, KernelDotCodesBase3) {
  // 5 rows of K = 40 in groups of 20 in base 3, blocks of 4 rows: one set
  // of 20 codes (5 quads) per group, 16 bytes a set.
  KernelDotCodes layout =
      KernelDotCodes::get(40, 20, 4, KernelDotCodes::Format::Base3);
  ASSERT_EQ(layout.quads(), 5);
  ASSERT_EQ(layout.setsPerGroup, 1);
  ASSERT_EQ(layout.paddedGroup(), 20);
  ASSERT_EQ(layout.blockBytes(), 32);
  std::vector<uint8_t> codes(5 * 40);
  for (size_t i = 0; i < codes.size(); ++i)
    codes[i] = std::array<uint8_t, 4>{kPlus, kZeroPos, kMinus,
                                      kZeroNeg}[(i * 7 + i / 3) % 4];
  std::vector<uint8_t> out(2 * layout.blockBytes(), 0xAA);
  packKernelDotCodes(layout, codes.data(), 1, 5, out.data());
  // Byte 4i + j of a set holds code 4s + j of row i in digit s (t + 1);
  // rows of padding hold t = 0 everywhere.
  for (int64_t block = 0; block < 2; ++block)
    for (int64_t g = 0; g < 2; ++g)
      for (int64_t i = 0; i < 4; ++i)
        for (int64_t j = 0; j < 4; ++j) {
          int b = out[block * 32 + g * 16 + 4 * i + j];
          int64_t n = block * 4 + i;
          for (int64_t s = 0; s < 5; ++s) {
            int expected =
                n < 5 ? codeValue(codes[n * 40 + g * 20 + 4 * s + j]) : 0;
            EXPECT_EQ(b % 3 - 1, expected)
                << "row " << n << " group " << g << " code " << 4 * s + j;
            b /= 3;
          }
        }
}

TEST(PackingTest, SherryQuadFields) {
  // Every 5-bit field decodes to a quad with one zero, which encodes back
  // to the same field; quads without exactly one zero do not encode.
  for (unsigned field = 0; field < 32; ++field) {
    uint32_t word = decodeSherryQuad(field);
    uint8_t quad[4];
    int zeros = 0;
    for (int j = 0; j < 4; ++j) {
      int code = int((word >> (8 * j)) & 0xFF) - 1;
      ASSERT_TRUE(code >= -1 && code <= 1) << "field " << field;
      zeros += code == 0;
      quad[j] = code == 0 ? kZeroPos : code > 0 ? kPlus : kMinus;
    }
    EXPECT_EQ(zeros, 1) << "field " << field;
    unsigned back = 99;
    ASSERT_TRUE(encodeSherryQuad(quad, back));
    EXPECT_EQ(back, field);
    // Bits above the field are ignored.
    EXPECT_EQ(decodeSherryQuad(field | 0xE0), word);
  }
  uint8_t none[4] = {kPlus, kMinus, kPlus, kPlus};
  uint8_t two[4] = {kZeroPos, kMinus, kZeroPos, kPlus};
  unsigned field;
  EXPECT_FALSE(encodeSherryQuad(none, field));
  EXPECT_FALSE(encodeSherryQuad(two, field));
}

TEST(PackingTest, KernelDotCodesSherry) {
  // 9 rows of K = 56 in groups of 28 for registers of 4 i32 lanes: blocks
  // of 8 rows (a register's i16 lanes), three sets of 12 codes (3 quads)
  // per group, the last holding one quad and two of padding; 16 bytes a
  // set.
  KernelDotCodes layout =
      KernelDotCodes::get(56, 28, 4, KernelDotCodes::Format::Sherry);
  ASSERT_EQ(layout.quads(), 3);
  ASSERT_EQ(layout.lanes, 8);
  ASSERT_EQ(layout.setsPerGroup, 3);
  ASSERT_EQ(layout.paddedGroup(), 36);
  ASSERT_EQ(layout.setBytes(), 16);
  ASSERT_EQ(layout.blockBytes(), 96);
  ASSERT_EQ(layout.blocks(9), 2);
  std::vector<uint8_t> codes(9 * 56);
  for (size_t q = 0; q < codes.size() / 4; ++q)
    for (size_t j = 0; j < 4; ++j)
      codes[4 * q + j] = j == (q * 5 + q / 3) % 4 ? kZeroPos
                         : (q * 7 + j) % 3 == 0   ? kMinus
                                                  : kPlus;
  std::vector<uint8_t> out(2 * layout.blockBytes(), 0xAA);
  packKernelDotCodes(layout, codes.data(), 1, 9, out.data());
  // Lane i of a set holds quad s of row i in bits 5s to 5s + 4; padding
  // quads and rows hold field 0, bit 15 is 0.
  for (int64_t block = 0; block < 2; ++block)
    for (int64_t g = 0; g < 2; ++g)
      for (int64_t set = 0; set < 3; ++set)
        for (int64_t i = 0; i < 8; ++i) {
          const uint8_t *lane = &out[block * 96 + g * 48 + set * 16 + 2 * i];
          unsigned fields = unsigned(lane[0]) | unsigned(lane[1]) << 8;
          EXPECT_EQ(fields >> 15, 0u);
          int64_t n = block * 8 + i;
          for (int64_t s = 0; s < 3; ++s) {
            int64_t inGroup = set * 12 + 4 * s;
            uint32_t word = decodeSherryQuad((fields >> (5 * s)) & 31);
            if (n >= 9 || inGroup >= 28) {
              EXPECT_EQ((fields >> (5 * s)) & 31, 0u);
              continue;
            }
            for (int64_t j = 0; j < 4; ++j)
              EXPECT_EQ(int((word >> (8 * j)) & 0xFF) - 1,
                        codeValue(codes[n * 56 + g * 28 + inGroup + j]))
                  << "row " << n << " group " << g << " code " << inGroup + j;
          }
        }
}

} // namespace
