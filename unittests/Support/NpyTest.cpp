//===- NpyTest.cpp - NumPy .npy files -------------------------------------===//

#include "tern/Support/Npy.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace tern::support;

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
    Array b;
    std::string error;
    ASSERT_TRUE(parseNpy(bytes, b, error)) << error;
    EXPECT_EQ(b.shape, a.shape);
    EXPECT_EQ(b.data, a.data);
  }
  for (DType t : {DType::F64, DType::F16, DType::I64, DType::I32, DType::I16,
                  DType::I8, DType::Bool}) {
    Array a;
    a.type = t;
    a.shape = {2};
    a.data.assign(2 * dtypeSize(t), 1);
    Array b;
    std::string error;
    ASSERT_TRUE(parseNpy(formatNpy(a), b, error)) << error;
    EXPECT_EQ(b.type, t);
    EXPECT_EQ(b.data, a.data);
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
  Array a;
  std::string error;
  ASSERT_TRUE(parseNpy(bytes, a, error)) << error;
  EXPECT_EQ(a.type, DType::I64);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
}

TEST(NpyTest, RejectsBadFiles) {
  Array a;
  std::string error;
  EXPECT_FALSE(parseNpy("hello world", a, error));
  EXPECT_EQ(error, "not a .npy file (bad magic)");

  std::string good = formatNpy(floats({2, 2}));
  EXPECT_FALSE(parseNpy(good.substr(0, good.size() - 4), a, error));
  EXPECT_EQ(error, "the .npy data holds 12 bytes, shape (2, 2) of float32 "
                   "needs 16");

  std::string fortran = good;
  fortran.replace(fortran.find("False"), 5, "True ");
  EXPECT_FALSE(parseNpy(fortran, a, error));
  EXPECT_EQ(error, "Fortran-order arrays are not supported");

  std::string complex = good;
  complex.replace(complex.find("<f4"), 3, "<c8");
  EXPECT_FALSE(parseNpy(complex, a, error));
  EXPECT_EQ(error, "unsupported .npy dtype '<c8'");

  EXPECT_FALSE(readNpy("/nonexistent/x.npy", a, error));
  EXPECT_EQ(error, "cannot open '/nonexistent/x.npy'");
}

// Shapes that are not tuples (found while writing tern-npy-fuzzer: an empty
// one threw from std::string::substr). The header keeps its length.
TEST(NpyTest, RejectsShapesThatAreNotTuples) {
  std::string good = formatNpy(floats({2, 2}));
  for (const char *shape : {"      ", "7     ", "2, 2  "}) {
    std::string bad = good;
    bad.replace(bad.find("(2, 2)"), 6, shape);
    Array a;
    std::string error;
    EXPECT_FALSE(parseNpy(bad, a, error)) << shape;
    EXPECT_EQ(error.rfind("malformed .npy shape", 0), 0u) << error;
  }
}

} // namespace
