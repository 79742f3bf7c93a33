// Packing several columns of one table in a single pass over its rows.
// PackNumberColumn and PackTextColumn each read every row once or twice;
// when the rows are large structs (a TaskSpec is 192 bytes) every column
// then pulls the whole array through the cache again. Here each row is read
// once for all columns while it is in cache. Internal to master/run_file*.
#pragma once

#include <algorithm>
#include <array>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "master/run_file_columns.h"

namespace sortie::run_file_internal {

/// Gathers one number column a row at a time into a ChunkPacker; packs the
/// same chunks as PackNumberColumn<T>.
template <class T, class Get>
class NumberFeed {
 public:
  /// `rows` rows; `get(row)` returns one row's value.
  NumberFeed(size_t rows, Get get, bool parallel)
      : get_(std::move(get)),
        fill_(rows > 0 ? static_cast<T>(get_(0)) : T{}),
        packer_(ColumnTypeOf<T>(), H5T_CSET_ASCII, sizeof(T), rows, &fill_,
                parallel) {
    buffer_.reserve(packer_.chunk_rows());
  }

  /// Takes the next row, which must be `row` (rows come in order).
  void Take(size_t row) {
    buffer_.push_back(static_cast<T>(get_(row)));
    if (buffer_.size() == packer_.chunk_rows()) Flush();
  }

  /// The packed column, once every row was taken.
  PackedColumn Finish() {
    Flush();
    return packer_.Finish();
  }

 private:
  void Flush() {
    if (buffer_.empty()) return;
    packer_.Add(first_, buffer_.size(), buffer_.data());
    first_ += buffer_.size();
    buffer_.clear();
  }

  Get get_;
  T fill_;  // the first row's value, likeliest to fill whole chunks
  ChunkPacker packer_;
  std::vector<T> buffer_;
  hsize_t first_ = 0;
};

/// Gathers one UTF-8 text column of `width` bytes per row (NUL-padded) a row
/// at a time; packs the same chunks as PackTextColumn when `width` is the
/// longest value's length (see LongestValues).
template <class Get>
class TextFeed {
 public:
  /// `get(row)` returns something convertible to std::string_view.
  TextFeed(size_t rows, size_t width, Get get, bool parallel)
      : get_(std::move(get)),
        width_(width),
        fill_(FirstRow(rows)),
        packer_(ColumnType::kString, H5T_CSET_UTF8, width, rows, fill_.data(),
                parallel),
        buffer_(packer_.chunk_rows() * width, '\0') {}

  /// Takes the next row, which must be `row` (rows come in order).
  void Take(size_t row) {
    Put(row, buffer_.data() + taken_ * width_);
    if (++taken_ == packer_.chunk_rows()) Flush();
  }

  /// The packed column, once every row was taken.
  PackedColumn Finish() {
    Flush();
    return packer_.Finish();
  }

 private:
  void Put(size_t row, char* out) {
    const auto& value = get_(row);
    const std::string_view text(value);
    if (text.size() > width_) {
      throw std::logic_error("run.h5: value wider than its column");
    }
    // An empty string_view may have a null data(), which memcpy forbids.
    if (!text.empty()) std::memcpy(out, text.data(), text.size());
  }
  std::string FirstRow(size_t rows) {
    std::string row(width_, '\0');
    if (rows > 0) Put(0, row.data());
    return row;
  }
  void Flush() {
    if (taken_ == 0) return;
    packer_.Add(first_, taken_, buffer_.data());
    std::fill_n(buffer_.begin(), taken_ * width_, '\0');
    first_ += taken_;
    taken_ = 0;
  }

  Get get_;
  size_t width_;
  std::string fill_;  // the first row, likeliest to fill whole chunks
  ChunkPacker packer_;
  std::vector<char> buffer_;  // one chunk
  size_t taken_ = 0;          // rows in buffer_
  hsize_t first_ = 0;
};

/// The byte length of the longest value of each getter over `rows` rows, at
/// least 1 (HDF5 has no 0-byte strings), in one pass.
template <class... Gets>
std::array<size_t, sizeof...(Gets)> LongestValues(size_t rows,
                                                  const Gets&... gets) {
  std::array<size_t, sizeof...(Gets)> longest;
  longest.fill(1);
  for (size_t row = 0; row < rows; ++row) {
    size_t column = 0;
    ((longest[column] =
          std::max(longest[column], std::string_view(gets(row)).size()),
      ++column),
     ...);
  }
  return longest;
}

/// Hands rows 0 to `rows` - 1 to every feed, each row to all feeds in turn.
template <class... Feeds>
void FeedRows(size_t rows, Feeds&... feeds) {
  for (size_t row = 0; row < rows; ++row) (feeds.Take(row), ...);
}

}  // namespace sortie::run_file_internal
