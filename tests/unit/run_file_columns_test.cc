// The run.h5 column writers: what is read back equals what was written,
// whether or not chunks were skipped for holding only the fill value.
#include "master/run_file_columns.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "test_dir.h"

namespace sortie::run_file_internal {
namespace {

namespace fs = std::filesystem;

class ColumnsTest : public TestWithDir {
 protected:
  void SetUp() override {
    TestWithDir::SetUp();
    path_ = (dir_ / "columns.h5").string();
    file_ = H5File(
        H5Fcreate(path_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
    ASSERT_GE(file_.get(), 0);
  }

  Table MakeTable(size_t rows) { return Table{file_.get(), "/", path_, rows}; }

  H5Dataset Open(const char* name) {
    return H5Dataset(H5Dopen2(file_.get(), name, H5P_DEFAULT));
  }

  template <class T>
  std::vector<T> Read(const char* name, hid_t mem_type, size_t rows) {
    const H5Dataset dataset = Open(name);
    std::vector<T> values(rows);
    EXPECT_GE(H5Dread(dataset.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                      values.data()),
              0);
    return values;
  }

  hsize_t StoredBytes(const char* name) {
    return H5Dget_storage_size(Open(name).get());
  }

  std::string path_;
  H5File file_;
};

// Far more rows than one chunk holds (128 KiB / 4 bytes), so whole chunks
// of the first value are skipped and others are written.
constexpr size_t kRows = 200000;

TEST_F(ColumnsTest, ConstantColumnReadsBackWhole) {
  WriteInt32Column(MakeTable(kRows), "ones", [](size_t) { return 1; });
  EXPECT_EQ(Read<int32_t>("ones", H5T_NATIVE_INT32, kRows),
            std::vector<int32_t>(kRows, 1));
  EXPECT_EQ(StoredBytes("ones"), 0u);  // nothing but the fill value
}

TEST_F(ColumnsTest, ChunksThatDifferAreWrittenAndTheRestFilled) {
  auto value = [](size_t row) { return row == 150000 ? 7 : 3; };
  WriteInt32Column(MakeTable(kRows), "mostly", value);
  const std::vector<int32_t> got =
      Read<int32_t>("mostly", H5T_NATIVE_INT32, kRows);
  for (size_t row = 0; row < kRows; ++row) {
    ASSERT_EQ(got[row], value(row)) << "row " << row;
  }
  EXPECT_GT(StoredBytes("mostly"), 0u);
}

TEST_F(ColumnsTest, FirstValueFillsEvenWhenItIsNotZero) {
  // The fill value is row 0's; zero rows later must not read back as it.
  auto value = [](size_t row) { return row < 40000 ? -1.5 : 0.0; };
  WriteFloat64Column(MakeTable(kRows), "times", value);
  const std::vector<double> got =
      Read<double>("times", H5T_NATIVE_DOUBLE, kRows);
  for (size_t row = 0; row < kRows; ++row) {
    ASSERT_EQ(got[row], value(row)) << "row " << row;
  }
}

TEST_F(ColumnsTest, StringColumnFillsWithItsFirstValue) {
  auto value = [](size_t row) -> std::string {
    return row % 70000 == 69999 ? "FAILED" : "DONE";
  };
  WriteStringColumn(MakeTable(kRows), "state", H5T_CSET_ASCII, 8, value);
  const H5Type type = MakeStringType(8, H5T_CSET_ASCII);
  const std::vector<char> bytes = Read<char>("state", type.get(), kRows * 8);
  for (size_t row = 0; row < kRows; ++row) {
    ASSERT_EQ(std::string(bytes.data() + row * 8), value(row)) << "row " << row;
  }
}

// Every byte of every row differs from its neighbours', so each chunk is
// shuffled and deflated by the writer and unfiltered by HDF5 on reading:
// one element size per way the writer shuffles (8, 4, and a width it has no
// special case for).
TEST_F(ColumnsTest, VariedValuesOfEveryWidthReadBackThroughTheFilters) {
  auto number = [](size_t row) { return row * 2654435761u ^ (row << 40); };
  WriteFloat64Column(MakeTable(kRows), "times", [&](size_t row) {
    return static_cast<double>(number(row)) / 3.0;
  });
  WriteInt32Column(MakeTable(kRows), "ints", [&](size_t row) {
    return static_cast<int32_t>(number(row));
  });
  auto text = [&](size_t row) {
    return std::to_string(number(row) % 1000).substr(0, 3);
  };
  WriteStringColumn(MakeTable(kRows), "texts", H5T_CSET_ASCII, 3, text);
  const std::vector<double> times =
      Read<double>("times", H5T_NATIVE_DOUBLE, kRows);
  const std::vector<int32_t> ints =
      Read<int32_t>("ints", H5T_NATIVE_INT32, kRows);
  const H5Type type = MakeStringType(3, H5T_CSET_ASCII);
  const std::vector<char> bytes = Read<char>("texts", type.get(), kRows * 3);
  for (size_t row = 0; row < kRows; ++row) {
    ASSERT_EQ(times[row], static_cast<double>(number(row)) / 3.0) << row;
    ASSERT_EQ(ints[row], static_cast<int32_t>(number(row))) << row;
    ASSERT_EQ(std::string(bytes.data() + row * 3, 3).c_str(), text(row)) << row;
  }
  // Filtered, not stored raw: the texts repeat enough to shrink.
  EXPECT_LT(StoredBytes("texts"), kRows * 3);
}

// Columns packed two at a time come back under their names, each its own,
// and written they read back whole; a failing job fails the lot.
TEST_F(ColumnsTest, ColumnsPackedSideBySideKeepTheirNames) {
  std::vector<ColumnJob> jobs;
  for (int k = 0; k < 7; ++k) {
    jobs.emplace_back("c" + std::to_string(k), [k] {
      return PackNumberColumn<int32_t>(
          kRows, [k](size_t row) { return static_cast<int32_t>(row) * k; },
          false);
    });
  }
  const PackedColumns packed = PackColumns(std::move(jobs));
  ASSERT_EQ(packed.columns.size(), 7u);
  EXPECT_EQ(packed.Find("c7"), nullptr);
  for (int k = 0; k < 7; ++k) {
    const std::string name = "c" + std::to_string(k);
    EXPECT_EQ(packed.columns[static_cast<size_t>(k)].first, name);
    WritePackedColumn(MakeTable(kRows), name.c_str(), packed.Get(name));
    const std::vector<int32_t> got =
        Read<int32_t>(name.c_str(), H5T_NATIVE_INT32, kRows);
    for (size_t row = 0; row < kRows; ++row) {
      ASSERT_EQ(got[row], static_cast<int32_t>(row) * k) << name << " " << row;
    }
  }
  std::vector<ColumnJob> failing;
  failing.emplace_back("fine", [] {
    return PackNumberColumn<double>(
        10, [](size_t) { return 1.0; }, false);
  });
  failing.emplace_back(
      "bad", []() -> PackedColumn { throw std::runtime_error("no values"); });
  EXPECT_THROW(PackColumns(std::move(failing)), std::runtime_error);
}

TEST_F(ColumnsTest, EmptyBlobsStoreNothing) {
  WriteBlobColumn(MakeTable(kRows), "tail",
                  [](size_t) { return std::string_view(); });
  EXPECT_EQ(Read<int64_t>("tail_offsets", H5T_NATIVE_INT64, kRows + 1),
            std::vector<int64_t>(kRows + 1, 0));
  EXPECT_EQ(StoredBytes("tail_offsets"), 0u);
}

}  // namespace
}  // namespace sortie::run_file_internal
