//===- NpyTest.cpp - NumPy .npy files -------------------------------------===//

#include "tern/Support/Npy.h"
#include "ErrorMessage.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace tern::support;
using ::tern::unittest::messageOf;

namespace {

Array floats(std::vector<int64_t> shape) {
  Array a;
  a.type = DType::F32;
  a.shape = shape;
  a.data.resize(a.numElements() * 4);
  for (int64_t i = 0; i < a.numElements(); ++i) {
    float v = float(i) * 0.5f;
    std::memcpy(&a.data[i * 4], &v, 4);
  }
  return a;
}

TEST(NpyTest, RoundTripsEveryRankAndType) {
  for (std::vector<int64_t> shape :
       {std::vector<int64_t>{}, {3}, {2, 3}, {1, 3, 4, 5}, {0, 2}}) {
    Array a = floats(shape);
    std::string bytes = formatNpy(a);
    EXPECT_EQ((bytes.size() - a.data.size()) % 64, 0u);
    llvm::Expected<Array> b = parseNpy(bytes);
    ASSERT_EQ(messageOf(b), "");
    EXPECT_EQ(b->shape, a.shape);
    EXPECT_EQ(b->data, a.data);
  }
  for (DType t : {DType::F64, DType::F16, DType::I64, DType::I32, DType::I16,
                  DType::I8, DType::Bool}) {
    Array a;
    a.type = t;
    a.shape = {2};
    a.data.assign(2 * dtypeSize(t), 1);
    llvm::Expected<Array> b = parseNpy(formatNpy(a));
    ASSERT_EQ(messageOf(b), "");
    EXPECT_EQ(b->type, t);
    EXPECT_EQ(b->data, a.data);
  }
}

TEST(NpyTest, ReadsNumpysOwnHeader) {
  // What numpy 1.24 writes for np.zeros((2, 3), np.int64).
  std::string header = "{'descr': '<i8', 'fortran_order': False, 'shape': "
                       "(2, 3), }";
  header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::string bytes = std::string("\x93NUMPY\x01\x00", 8);
  bytes += char(header.size());
  bytes += char(0);
  bytes += header;
  bytes.append(48, '\0');
  llvm::Expected<Array> a = parseNpy(bytes);
  ASSERT_EQ(messageOf(a), "");
  EXPECT_EQ(a->type, DType::I64);
  EXPECT_EQ(a->shape, (std::vector<int64_t>{2, 3}));
}

TEST(NpyTest, RejectsBadFiles) {
  auto errorOf = [](const std::string &bytes) {
    llvm::Expected<Array> a = parseNpy(bytes);
    return messageOf(a);
  };
  EXPECT_EQ(errorOf("hello world"), "not a .npy file (bad magic)");

  std::string good = formatNpy(floats({2, 2}));
  EXPECT_EQ(errorOf(good.substr(0, good.size() - 4)),
            "the .npy data holds 12 bytes, shape (2, 2) of float32 "
            "needs 16");

  std::string fortran = good;
  fortran.replace(fortran.find("False"), 5, "True ");
  EXPECT_EQ(errorOf(fortran), "Fortran-order arrays are not supported");

  std::string complex = good;
  complex.replace(complex.find("<f4"), 3, "<c8");
  EXPECT_EQ(errorOf(complex), "unsupported .npy dtype '<c8'");

  llvm::Expected<Array> missing = readNpy("/nonexistent/x.npy");
  EXPECT_EQ(messageOf(missing), "cannot open '/nonexistent/x.npy'");
}

// Shapes that are not tuples (found while writing tern-npy-fuzzer: an empty
// one threw from std::string::substr). The header keeps its length.
TEST(NpyTest, RejectsShapesThatAreNotTuples) {
  std::string good = formatNpy(floats({2, 2}));
  for (const char *shape : {"      ", "7     ", "2, 2  "}) {
    std::string bad = good;
    bad.replace(bad.find("(2, 2)"), 6, shape);
    llvm::Expected<Array> a = parseNpy(bad);
    std::string error = messageOf(a);
    EXPECT_EQ(error.rfind("malformed .npy shape", 0), 0u) << shape << error;
  }
}

} // namespace
