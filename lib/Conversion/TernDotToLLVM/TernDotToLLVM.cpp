//===- TernDotToLLVM.cpp - Kernel ops to the instructions they name -------===//
//
// This file implements convert-tern-dot-to-llvm: the byte dot products
// (tern.dot2, tern.dot4), the decodes of Sherry and base-3 codes
// (tern.decode_sherry, tern.decode_base3) and the lookups of Sherry's quad
// sums (tern.lookup) of the ternary kernels as the x86 instructions they
// name (LLVM intrinsic calls) or as generic vector arithmetic.
//
//===----------------------------------------------------------------------===//

#include "tern/Conversion/Passes.h"
#include "tern/Dialect/Tern/IR/TernOps.h"
#include "tern/Quant/Packing.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tern {
#define GEN_PASS_DEF_CONVERTTERNDOTTOLLVM
#include "tern/Conversion/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;

namespace {

/// `value` in every lane of `type` (integer lanes).
Value splatConstant(OpBuilder &b, Location loc, VectorType type,
                    uint64_t value) {
  return arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(type,
                             APInt(type.getElementTypeBitWidth(), value)));
}

/// A lookup of `indices` in the 2n-entry table `entry(0) .. entry(2n - 1)`
/// held in two constant registers of `type` (n lanes): `intrinsic`, one of
/// AVX-512's two-source permutes (vpermi2d, vpermi2b).
Value lookupInTwoRegisters(OpBuilder &b, Location loc, StringRef intrinsic,
                           VectorType type, Value indices,
                           function_ref<uint64_t(unsigned)> entry) {
  unsigned lanes = unsigned(type.getNumElements());
  auto table = [&](unsigned first) -> Value {
    SmallVector<APInt> entries;
    for (unsigned i = first; i < first + lanes; ++i)
      entries.push_back(APInt(type.getElementTypeBitWidth(), entry(i)));
    return arith::ConstantOp::create(b, loc,
                                     DenseElementsAttr::get(type, entries));
  };
  return LLVM::CallIntrinsicOp::create(
             b, loc, type, b.getStringAttr(intrinsic),
             ValueRange{table(0), indices, table(lanes)})
      .getResult(0);
}

/// tern.dot2 as vpmaddubsw and an add, or as extensions, a multiply and the
/// sum of each pair of lanes.
struct LowerDot2 : OpRewritePattern<mlir::tern::Dot2Op> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(mlir::tern::Dot2Op op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    VectorType sumType = op.getAcc().getType();
    int64_t lanes = sumType.getNumElements();
    Value pairs;
    if (op.getInstruction() == mlir::tern::DotInstruction::Pmaddubsw) {
      pairs = LLVM::CallIntrinsicOp::create(
                  rewriter, loc, sumType,
                  rewriter.getStringAttr(lanes == 32
                                             ? "llvm.x86.avx512.pmaddubs.w.512"
                                             : "llvm.x86.avx2.pmadd.ub.sw"),
                  ValueRange{op.getLhs(), op.getRhs()})
                  .getResult(0);
    } else {
      auto wideType = VectorType::get({2 * lanes}, rewriter.getI16Type());
      Value products = arith::MulIOp::create(
          rewriter, loc,
          arith::ExtUIOp::create(rewriter, loc, wideType, op.getLhs()),
          arith::ExtSIOp::create(rewriter, loc, wideType, op.getRhs()));
      Value zero = arith::ConstantOp::create(
          rewriter, loc,
          DenseElementsAttr::get(sumType, rewriter.getI16IntegerAttr(0)));
      pairs = vector::MultiDimReductionOp::create(
          rewriter, loc,
          vector::ShapeCastOp::create(
              rewriter, loc, VectorType::get({lanes, 2}, rewriter.getI16Type()),
              products),
          zero, ArrayRef<bool>{false, true}, vector::CombiningKind::ADD);
    }
    rewriter.replaceOpWithNewOp<arith::AddIOp>(op, op.getAcc(), pairs);
    return success();
  }
};

/// tern.dot4 as the instructions its attribute names: LLVM's x86 intrinsics
/// (vpdpbusd; vpmaddubsw then vpmaddwd by ones), or extensions, a multiply
/// and the sum of each group of four lanes. Signed, the instructions take
/// |lhs| (a select LLVM turns into vpabsb) and rhs with lhs's sign (vpsignb
/// in 256-bit registers; AVX-512 has none, so a negation under a mask):
/// |l| · (sign(l) · r) = l · r, exact unless r = -128, whose negation wraps.
struct LowerDot4 : OpRewritePattern<mlir::tern::Dot4Op> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(mlir::tern::Dot4Op op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    VectorType sumType = op.getAcc().getType();
    int64_t lanes = sumType.getNumElements();
    bool wide = lanes == 16;
    auto intrinsic = [&](Type type, StringRef name, ValueRange args) {
      return LLVM::CallIntrinsicOp::create(rewriter, loc, type,
                                           rewriter.getStringAttr(name), args)
          .getResult(0);
    };
    Value lhs = op.getLhs(), rhs = op.getRhs();
    if (op.getSignedLhs() &&
        op.getInstruction() != mlir::tern::DotInstruction::Generic) {
      auto bytesType = cast<VectorType>(lhs.getType());
      Value zero = splatConstant(rewriter, loc, bytesType, 0);
      Value negative = arith::CmpIOp::create(
          rewriter, loc, arith::CmpIPredicate::slt, lhs, zero);
      auto negate = [&](Value v) -> Value {
        return arith::SubIOp::create(rewriter, loc, zero, v);
      };
      Value magnitude =
          arith::SelectOp::create(rewriter, loc, negative, negate(lhs), lhs);
      rhs = wide ? arith::SelectOp::create(rewriter, loc, negative, negate(rhs),
                                           rhs)
                       .getResult()
                 : intrinsic(bytesType, "llvm.x86.avx2.psign.b", {rhs, lhs});
      lhs = magnitude;
    }
    Value result;
    switch (op.getInstruction()) {
    case mlir::tern::DotInstruction::Vpdpbusd:
      result = intrinsic(sumType,
                         wide ? "llvm.x86.avx512.vpdpbusd.512"
                              : "llvm.x86.avx512.vpdpbusd.256",
                         {op.getAcc(), lhs, rhs});
      break;
    case mlir::tern::DotInstruction::Pmaddubsw: {
      auto pairsType = VectorType::get({2 * lanes}, rewriter.getI16Type());
      Value pairs = intrinsic(pairsType,
                              wide ? "llvm.x86.avx512.pmaddubs.w.512"
                                   : "llvm.x86.avx2.pmadd.ub.sw",
                              {lhs, rhs});
      Value ones = arith::ConstantOp::create(
          rewriter, loc,
          DenseElementsAttr::get(pairsType, rewriter.getI16IntegerAttr(1)));
      Value quads = intrinsic(sumType,
                              wide ? "llvm.x86.avx512.pmaddw.d.512"
                                   : "llvm.x86.avx2.pmadd.wd",
                              {pairs, ones});
      result = arith::AddIOp::create(rewriter, loc, op.getAcc(), quads);
      break;
    }
    case mlir::tern::DotInstruction::Generic: {
      // The sum of each group of four lanes: a reduction along the inner
      // dimension of lanes x 4 (on AVX2 faster than four strided shuffles).
      auto wideType = VectorType::get({4 * lanes}, rewriter.getI32Type());
      Value products = arith::MulIOp::create(
          rewriter, loc,
          op.getSignedLhs()
              ? arith::ExtSIOp::create(rewriter, loc, wideType, lhs).getResult()
              : arith::ExtUIOp::create(rewriter, loc, wideType, lhs)
                    .getResult(),
          arith::ExtSIOp::create(rewriter, loc, wideType, rhs));
      Value quads = vector::ShapeCastOp::create(
          rewriter, loc, VectorType::get({lanes, 4}, rewriter.getI32Type()),
          products);
      result = vector::MultiDimReductionOp::create(
          rewriter, loc, quads, op.getAcc(), ArrayRef<bool>{false, true},
          vector::CombiningKind::ADD);
      break;
    }
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// tern.decode_sherry as a vpermi2d lookup in the 32 quads a field can
/// name (two registers of constants), or as arithmetic on the lanes: with
/// p the zero's position and s_k the signs, the three nonzero codes
/// 2 - 2 s_k as bytes 0-2 of S, spread around a byte 1 at position p:
/// (S & low) | ((S ^ (S & low)) << 8) | 1 << 8p, low = (1 << 8p) - 1.
struct LowerDecodeSherry : OpRewritePattern<mlir::tern::DecodeSherryOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(mlir::tern::DecodeSherryOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    VectorType wordsType = op.getFields().getType();
    auto splat = [&](uint32_t value) -> Value {
      return splatConstant(rewriter, loc, wordsType, value);
    };
    Value fields = op.getFields();
    Value words;
    if (op.getInstruction() == mlir::tern::LookupInstruction::Vpermi2d) {
      assert(wordsType.getNumElements() == 16 && "verified");
      words = lookupInTwoRegisters(
          rewriter, loc, "llvm.x86.avx512.vpermi2var.d.512", wordsType, fields,
          [](unsigned field) -> uint64_t {
            return ::tern::quant::decodeSherryQuad(field);
          });
    } else {
      auto andI = [&](Value a, uint32_t mask) -> Value {
        return arith::AndIOp::create(rewriter, loc, a, splat(mask));
      };
      auto shl = [&](Value a, Value by) -> Value {
        return arith::ShLIOp::create(rewriter, loc, a, by);
      };
      Value position = andI(fields, 3);
      // Sign k (field bit 2 + k) to bit 8k, then S = 0x020202 - 2 · that.
      Value signs = arith::OrIOp::create(
          rewriter, loc,
          arith::OrIOp::create(
              rewriter, loc,
              andI(arith::ShRUIOp::create(rewriter, loc, fields, splat(2)), 1),
              andI(shl(fields, splat(5)), 0x100)),
          andI(shl(fields, splat(12)), 0x10000));
      Value nonzero = arith::SubIOp::create(rewriter, loc, splat(0x020202),
                                            shl(signs, splat(1)));
      Value one = shl(splat(1), shl(position, splat(3)));
      Value low = arith::AndIOp::create(
          rewriter, loc, nonzero,
          arith::SubIOp::create(rewriter, loc, one, splat(1)));
      Value high = arith::XOrIOp::create(rewriter, loc, nonzero, low);
      words = arith::OrIOp::create(
          rewriter, loc,
          arith::OrIOp::create(rewriter, loc, low, shl(high, splat(8))), one);
    }
    rewriter.replaceOpWithNewOp<vector::BitCastOp>(op, op.getCodes().getType(),
                                                   words);
    return success();
  }
};

/// tern.lookup as a vpermw (table first, then the indices, as the
/// intrinsic takes them), or lane by lane: each index masked to the table's
/// length, its entry extracted and the entries gathered into a vector.
struct LowerLookup : OpRewritePattern<mlir::tern::LookupOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(mlir::tern::LookupOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    VectorType type = op.getTable().getType();
    if (op.getInstruction() == mlir::tern::LookupInstruction::Vpermw) {
      assert(type.getNumElements() == 32 && "verified");
      rewriter.replaceOpWithNewOp<LLVM::CallIntrinsicOp>(
          op, type, rewriter.getStringAttr("llvm.x86.avx512.permvar.hi.512"),
          ValueRange{op.getTable(), op.getIndices()});
      return success();
    }
    int64_t lanes = type.getNumElements();
    Value indices = arith::AndIOp::create(
        rewriter, loc, op.getIndices(),
        splatConstant(rewriter, loc, type, uint64_t(lanes - 1)));
    SmallVector<Value> entries;
    for (int64_t i = 0; i < lanes; ++i) {
      Value at = arith::IndexCastUIOp::create(
          rewriter, loc, rewriter.getIndexType(),
          vector::ExtractOp::create(rewriter, loc, indices, i));
      entries.push_back(vector::ExtractOp::create(rewriter, loc, op.getTable(),
                                                  ArrayRef<OpFoldResult>{at}));
    }
    rewriter.replaceOpWithNewOp<vector::FromElementsOp>(op, type, entries);
    return success();
  }
};

/// The splat value of `value`'s constant, if it is one.
std::optional<APInt> splatValue(Value value) {
  DenseIntElementsAttr attr;
  if (!matchPattern(value, m_Constant(&attr)) || !attr.isSplat())
    return std::nullopt;
  return attr.getSplatValue<APInt>();
}

/// Whether `op` is x & m with m 3 in every byte: a 2-bit field per byte.
bool isFieldMask(Operation *op) {
  auto masked = dyn_cast<arith::AndIOp>(op);
  if (!masked)
    return false;
  std::optional<APInt> mask = splatValue(masked.getRhs());
  return mask && mask->getBitWidth() % 8 == 0 &&
         *mask == APInt::getSplat(mask->getBitWidth(), APInt(8, 3));
}

/// The bits `op` shifts the fields of a register of quads right by before
/// its masks, if it is such a shift.
std::optional<unsigned> fieldShift(Operation *op) {
  if (auto shift = dyn_cast<arith::ShRUIOp>(op)) {
    std::optional<APInt> bits = splatValue(shift.getRhs());
    if (bits && (*bits == 2 || *bits == 4 || *bits == 6))
      return unsigned(bits->getZExtValue());
  }
  return std::nullopt;
}

/// tern.decode_base3 (bytes b = 81 · digit 4 + r, r < 81 holding digits
/// 0-3; decodeBase3Byte): digit 4 is [b >= 81] + [b >= 162], two unsigned
/// compares, and r = b - 81 · digit 4; the quads of r are one vpermi2b in a
/// 128-entry table of decodeBase3Quads; with vpshufb, all in bytes: the
/// compares signed, r's quotient by 9 from vpmaddubsw products, the quads
/// two lookups in 16-entry tables (and each quad that the dot products
/// shift and mask out of them one lookup of its own); generically, r's
/// digits are computed on i16 lanes:
/// floor(r / 3) = (86 · r) >> 8 for r < 128.
struct LowerDecodeBase3 : OpRewritePattern<mlir::tern::DecodeBase3Op> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(mlir::tern::DecodeBase3Op op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    VectorType bytesType = op.getBytes().getType();
    Value bytes = op.getBytes();
    auto splatOf = [&](VectorType type, uint64_t value) -> Value {
      return splatConstant(rewriter, loc, type, value);
    };
    // Digit 4 and the rest, on lanes of `type`: per bound a compare, a
    // select of 1 and one of 81 (masked adds and subtracts; x86 has no byte
    // multiply).
    auto split = [&](VectorType type, Value lanes) -> std::pair<Value, Value> {
      Value zero = splatOf(type, 0), one = splatOf(type, 1),
            third = splatOf(type, 81);
      Value fifth = zero, rest = lanes;
      for (int64_t bound : {81, 162}) {
        Value above =
            arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::uge,
                                  lanes, splatOf(type, bound));
        fifth = arith::AddIOp::create(
            rewriter, loc, fifth,
            arith::SelectOp::create(rewriter, loc, above, one, zero));
        rest = arith::SubIOp::create(
            rewriter, loc, rest,
            arith::SelectOp::create(rewriter, loc, above, third, zero));
      }
      return {fifth, rest};
    };
    if (op.getInstruction() == mlir::tern::LookupInstruction::Vpermi2b) {
      assert(bytesType.getNumElements() == 64 && "verified");
      auto [fifth, rest] = split(bytesType, bytes);
      Value quads = lookupInTwoRegisters(
          rewriter, loc, "llvm.x86.avx512.vpermi2var.qi.512", bytesType, rest,
          [](unsigned r) -> uint64_t {
            return ::tern::quant::decodeBase3Quads(r);
          });
      rewriter.replaceOp(op, {quads, fifth});
      return success();
    }
    auto sub = [&](Value lhs, Value rhs) -> Value {
      return arith::SubIOp::create(rewriter, loc, lhs, rhs);
    };
    if (op.getInstruction() == mlir::tern::LookupInstruction::Vpshufb) {
      // All in bytes (x86 has no byte multiply, but vpmaddubsw multiplies
      // bytes into i16 lanes): digit 4 = [b >= 81] + [b >= 162], two signed
      // compares of b ^ 0x80; r = b - 81 · digit 4, 81 · digit 4 a lookup;
      // h = floor(r / 9) = (114 · r) >> 10 (exact for r < 81), the even
      // bytes' products and the odd bytes' from two vpmaddubsw (114 in
      // every other byte), shifted into their bytes of the i16 lanes;
      // l = r - 9 · h, 9 · h a lookup. r = 9 · h + l holds digits 0-1 in l
      // and 2-3 in h, whose 2-bit fields are one more lookup each. Every
      // table has 16 entries (repeated in every 128-bit lane).
      unsigned lanes = unsigned(bytesType.getNumElements());
      auto byteSplat = [&](uint64_t value) {
        return splatOf(bytesType, value);
      };
      auto table = [&](function_ref<uint64_t(unsigned)> entry) -> Value {
        SmallVector<APInt> entries;
        for (unsigned i = 0; i < lanes; ++i)
          entries.push_back(APInt(8, entry(i % 16)));
        return arith::ConstantOp::create(
            rewriter, loc, DenseElementsAttr::get(bytesType, entries));
      };
      StringRef shuffle = lanes == 16   ? "llvm.x86.ssse3.pshuf.b.128"
                          : lanes == 32 ? "llvm.x86.avx2.pshuf.b"
                                        : "llvm.x86.avx512.pshuf.b.512";
      StringRef multiply = lanes == 16   ? "llvm.x86.ssse3.pmadd.ub.sw.128"
                           : lanes == 32 ? "llvm.x86.avx2.pmadd.ub.sw"
                                         : "llvm.x86.avx512.pmaddubs.w.512";
      auto call = [&](StringRef intrinsic, Type type, Value a,
                      Value b) -> Value {
        return LLVM::CallIntrinsicOp::create(rewriter, loc, type,
                                             rewriter.getStringAttr(intrinsic),
                                             ValueRange{a, b})
            .getResult(0);
      };
      auto lookup = [&](function_ref<uint64_t(unsigned)> entry,
                        Value indices) -> Value {
        return call(shuffle, bytesType, table(entry), indices);
      };
      // Byte masks of b >= bound: (b ^ 0x80) > bound - 1 - 128, signed.
      Value biased =
          arith::XOrIOp::create(rewriter, loc, bytes, byteSplat(0x80));
      auto atLeast = [&](uint64_t bound) -> Value {
        Value above =
            arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::sgt,
                                  biased, byteSplat((bound - 1 - 128) & 0xff));
        return arith::ExtSIOp::create(rewriter, loc, bytesType, above);
      };
      // -digit 4, as the masks' sum (0, -1 or -2).
      Value negated =
          arith::AddIOp::create(rewriter, loc, atLeast(81), atLeast(162));
      Value fifth = sub(byteSplat(0), negated);
      Value rest =
          sub(bytes,
              lookup([](unsigned d) -> uint64_t { return d < 3 ? 81 * d : 0; },
                     fifth));
      auto wordsType =
          VectorType::get({int64_t(lanes / 2)}, rewriter.getI16Type());
      auto wordSplat = [&](uint64_t value) {
        return splatOf(wordsType, value);
      };
      auto products = [&](unsigned odd) -> Value {
        SmallVector<APInt> factors;
        for (unsigned i = 0; i < lanes; ++i)
          factors.push_back(APInt(8, i % 2 == odd ? 114 : 0));
        Value constant = arith::ConstantOp::create(
            rewriter, loc, DenseElementsAttr::get(bytesType, factors));
        return call(multiply, wordsType, rest, constant);
      };
      Value evenQuotients =
          arith::ShRUIOp::create(rewriter, loc, products(0), wordSplat(10));
      Value oddQuotients = arith::AndIOp::create(
          rewriter, loc,
          arith::ShRUIOp::create(rewriter, loc, products(1), wordSplat(2)),
          wordSplat(0xff00));
      Value high = vector::BitCastOp::create(
          rewriter, loc, bytesType,
          arith::OrIOp::create(rewriter, loc, evenQuotients, oddQuotients));
      Value low = sub(
          rest, lookup([](unsigned h) -> uint64_t { return h < 9 ? 9 * h : 0; },
                       high));
      // The 2-bit fields of base-9 digit v (two base-3 digits), at `shift`.
      auto fields = [](unsigned shift) {
        return [shift](unsigned v) -> uint64_t {
          return v < 9 ? (v % 3 + 4 * (v / 3)) << shift : 0;
        };
      };
      // The dot products read quad s as (quads >> 2s) & 3 in each byte of
      // wider lanes: digit s of l (s < 2) or h, one lookup of its own.
      for (Operation *user : op.getQuads().getUsers()) {
        auto lanes = dyn_cast<vector::BitCastOp>(user);
        if (!lanes)
          continue;
        auto replaceField = [&](Operation *masked, unsigned shift) {
          unsigned s = shift / 2;
          rewriter.setInsertionPoint(masked);
          Value digits = lookup(
              [s](unsigned v) -> uint64_t {
                return v < 9 ? (s % 2 ? v / 3 : v % 3) : 0;
              },
              s < 2 ? low : high);
          rewriter.replaceOpWithNewOp<vector::BitCastOp>(
              masked, masked->getResult(0).getType(), digits);
        };
        for (Operation *field : llvm::to_vector(lanes->getUsers())) {
          if (isFieldMask(field)) {
            replaceField(field, 0);
            continue;
          }
          std::optional<unsigned> shift = fieldShift(field);
          if (!shift)
            continue;
          for (Operation *masked : llvm::to_vector(field->getUsers()))
            if (isFieldMask(masked))
              replaceField(masked, *shift);
        }
      }
      // The shifts and the bitcasts those lookups left unused go; the
      // quads' fields as 2-bit fields only for another reader (the block
      // decode's scratch).
      for (Operation *user : llvm::to_vector(op.getQuads().getUsers())) {
        for (Operation *field : llvm::to_vector(user->getUsers()))
          if (isa<arith::ShRUIOp>(field) && field->use_empty())
            rewriter.eraseOp(field);
        if (isa<vector::BitCastOp>(user) && user->use_empty())
          rewriter.eraseOp(user);
      }
      rewriter.setInsertionPoint(op);
      Value quads =
          op.getQuads().use_empty()
              ? Value(LLVM::PoisonOp::create(rewriter, loc, bytesType))
              : Value(arith::OrIOp::create(rewriter, loc,
                                           lookup(fields(0), low),
                                           lookup(fields(4), high)));
      rewriter.replaceOp(op, {quads, fifth});
      return success();
    }
    auto wideType =
        VectorType::get(bytesType.getShape(), rewriter.getI16Type());
    Value wide = arith::ExtUIOp::create(rewriter, loc, wideType, bytes);
    auto mul = [&](Value lanes, uint64_t factor) -> Value {
      return arith::MulIOp::create(rewriter, loc, lanes,
                                   splatOf(wideType, factor));
    };
    auto shr = [&](Value lanes, uint64_t bits) -> Value {
      return arith::ShRUIOp::create(rewriter, loc, lanes,
                                    splatOf(wideType, bits));
    };
    auto narrow = [&](Value lanes) -> Value {
      return arith::TruncIOp::create(rewriter, loc, bytesType, lanes);
    };
    auto [fifth, rest] = split(wideType, wide);
    // digit s = q_s - 3 · q_{s+1}, q_0 = r, q_{s+1} = floor(q_s / 3).
    Value quotient = rest, quads;
    for (int64_t s = 0; s < 4; ++s) {
      Value next = shr(mul(quotient, 86), 8);
      Value digit = sub(quotient, mul(next, 3));
      quads = s == 0 ? digit
                     : arith::OrIOp::create(
                           rewriter, loc, quads,
                           arith::ShLIOp::create(rewriter, loc, digit,
                                                 splatOf(wideType, 2 * s)));
      quotient = next;
    }
    rewriter.replaceOp(op, {narrow(quads), narrow(fifth)});
    return success();
  }
};

struct ConvertTernDotToLLVMPass
    : public mlir::tern::impl::ConvertTernDotToLLVMBase<
          ConvertTernDotToLLVMPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<LowerDecodeBase3, LowerDecodeSherry, LowerDot2, LowerDot4,
                 LowerLookup>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
