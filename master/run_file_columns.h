// The column writers behind run.h5: one 1-D dataset per column, chunked,
// shuffled and deflated, written one chunk at a time (see docs/hdf5.md,
// "Storage choices"). Internal to master/run_file.cc.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/h5.h"

namespace sortie::run_file_internal {

/// A group of equally long columns: where they go, and names for messages.
struct Table {
  hid_t group;
  std::string_view path;  ///< the group's path, e.g. "/tasks"
  const std::string& file;
  size_t rows;
};

/// The element types of run.h5 columns, all little-endian.
enum class ColumnType { kInt32, kInt64, kUInt8, kFloat64, kString };

/// A column's chunks, filtered and ready to store, made without any HDF5
/// call: a column can be packed on another thread while HDF5 is busy (the
/// library is not thread-safe), and kept for later snapshots.
struct PackedColumn {
  ColumnType type = ColumnType::kInt32;
  H5T_cset_t cset = H5T_CSET_ASCII;  ///< kString only
  size_t row_bytes = 0;
  size_t rows = 0;
  hsize_t chunk_rows = 0;  ///< 0 when rows is 0 (no chunking)
  /// One row's bytes: the dataset's fill value, which every chunk not in
  /// `chunks` holds throughout.
  std::string fill;
  /// First row of each stored chunk and its shuffled, deflated bytes.
  std::vector<std::pair<hsize_t, std::string>> chunks;
};

/// Packs one column a whole chunk at a time. A chunk whose every row equals
/// the fill value is dropped: HDF5 reads an unwritten chunk as the fill
/// value, so a column that holds one value throughout (exit codes of a run
/// that went well, states, resources) costs neither deflate time nor file
/// space. The other chunks are filtered here, as HDF5's shuffle and deflate
/// filters would, a batch at a time, on two threads when `parallel`.
class ChunkPacker {
 public:
  /// A column of `rows` rows of `row_bytes` bytes; `fill_row`, when not
  /// null, is one row's bytes and becomes the fill value; otherwise the
  /// fill value is all zero bytes, HDF5's default.
  ChunkPacker(ColumnType type, H5T_cset_t cset, size_t row_bytes, size_t rows,
              const void* fill_row, bool parallel = true);

  /// Rows per chunk; Add() is called with chunk-aligned blocks of this many.
  hsize_t chunk_rows() const { return column_.chunk_rows; }

  /// Takes rows [first, first + count) from `data`. `first` is a multiple
  /// of chunk_rows(), and `count` is chunk_rows() except for the last chunk.
  void Add(hsize_t first, hsize_t count, const void* data);

  /// Filters what is pending and returns the column.
  PackedColumn Finish();

 private:
  void PackPending();

  PackedColumn column_;
  bool parallel_;
  std::vector<std::pair<hsize_t, std::string>> pending_;  // raw chunks
};

/// Creates dataset `name` in `table` (which must have column.rows rows) and
/// stores the packed chunks. Throws H5Error.
void WritePackedColumn(const Table& table, const char* name,
                       const PackedColumn& column);

/// Packed columns by name.
struct PackedColumns {
  /// In the order they were added.
  std::vector<std::pair<std::string, PackedColumn>> columns;

  /// The column named `name`, or null.
  const PackedColumn* Find(std::string_view name) const;
  /// The column named `name`; throws std::logic_error when there is none.
  const PackedColumn& Get(std::string_view name) const;
};

/// What makes one column: its name and a function that packs it.
using ColumnJob = std::pair<std::string, std::function<PackedColumn()>>;

/// Runs `jobs`, each packing one whole column on one thread, two at a time
/// (this thread and one more) when `two_threads`, else one after another
/// here: gathering a column's values is as costly as filtering them, and
/// this way both run on both cores. The jobs must only read shared data.
/// Rethrows the first failure.
PackedColumns PackColumns(std::vector<ColumnJob> jobs, bool two_threads = true);

/// One dataset written a chunk at a time: a ChunkPacker whose column is
/// stored by Finish().
class ColumnWriter {
 public:
  /// Dataset `name` in `table`, `table.rows` rows of `row_bytes` bytes of
  /// `type`; see ChunkPacker for `fill_row`.
  ColumnWriter(const Table& table, const char* name, ColumnType type,
               size_t row_bytes, const void* fill_row = nullptr);

  /// See ChunkPacker::chunk_rows().
  hsize_t chunk_rows() const { return packer_.chunk_rows(); }
  /// See ChunkPacker::Add().
  void Write(hsize_t first, hsize_t count, const void* data) {
    packer_.Add(first, count, data);
  }
  /// Stores the column. Throws H5Error.
  void Finish();

 private:
  const Table& table_;
  std::string name_;
  ChunkPacker packer_;
};

/// The column type of a C++ number type.
template <class T>
constexpr ColumnType ColumnTypeOf() {
  if constexpr (std::is_same_v<T, int32_t>) return ColumnType::kInt32;
  if constexpr (std::is_same_v<T, int64_t>) return ColumnType::kInt64;
  if constexpr (std::is_same_v<T, double>) return ColumnType::kFloat64;
  static_assert(std::is_same_v<T, int32_t> || std::is_same_v<T, int64_t> ||
                std::is_same_v<T, double>);
  return ColumnType::kUInt8;
}

/// Gathers one number column a row at a time into a ChunkPacker. Feeds
/// let several columns of one table be packed in a single pass over its
/// rows (FeedRows): when the rows are large structs (a TaskSpec is 192
/// bytes), a pass per column pulls the whole array through the cache again.
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

/// Gathers one column of fixed-length strings of `width` bytes per row
/// (NUL-padded) a row at a time. Only one raw chunk is in memory at a time,
/// so a long value in one row costs width x chunk rows, not x rows.
template <class Get>
class TextFeed {
 public:
  /// `get(row)` returns something convertible to std::string_view.
  TextFeed(size_t rows, H5T_cset_t cset, size_t width, Get get, bool parallel)
      : get_(std::move(get)),
        width_(width),
        fill_(FirstRow(rows)),
        packer_(ColumnType::kString, cset, width, rows, fill_.data(), parallel),
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

/// Packs `rows` numbers; `get(row)` returns the value of one row as a T.
template <class T, class Get>
PackedColumn PackNumberColumn(size_t rows, Get get, bool parallel = true) {
  NumberFeed<T, Get> feed(rows, std::move(get), parallel);
  FeedRows(rows, feed);
  return feed.Finish();
}

/// Packs `rows` fixed-length strings of `width` bytes, NUL-padded.
/// `get(row)` returns something convertible to std::string_view.
template <class Get>
PackedColumn PackStringColumn(size_t rows, H5T_cset_t cset, size_t width,
                              Get get, bool parallel = true) {
  TextFeed feed(rows, cset, width, std::move(get), parallel);
  FeedRows(rows, feed);
  return feed.Finish();
}

/// Packs a UTF-8 text column as wide as its longest value.
template <class Get>
PackedColumn PackTextColumn(size_t rows, Get get, bool parallel = true) {
  return PackStringColumn(rows, H5T_CSET_UTF8, LongestValues(rows, get)[0], get,
                          parallel);
}

/// Fixed-length strings of `width` bytes (see PackStringColumn).
template <class Get>
void WriteStringColumn(const Table& table, const char* name, H5T_cset_t cset,
                       size_t width, Get get) {
  WritePackedColumn(table, name,
                    PackStringColumn(table.rows, cset, width, get));
}

/// A text column as wide as its longest value, UTF-8.
template <class Get>
void WriteTextColumn(const Table& table, const char* name, Get get) {
  WritePackedColumn(table, name, PackTextColumn(table.rows, get));
}

/// A little-endian int32 column.
template <class Get>
void WriteInt32Column(const Table& table, const char* name, Get get) {
  WritePackedColumn(table, name, PackNumberColumn<int32_t>(table.rows, get));
}

/// A little-endian IEEE float64 column.
template <class Get>
void WriteFloat64Column(const Table& table, const char* name, Get get) {
  WritePackedColumn(table, name, PackNumberColumn<double>(table.rows, get));
}

/// Adds to `*jobs` one job per column of a table of `rows` rows, named
/// `prefix` + the column's name; each packs on the thread that runs it.
/// `get` must stay valid until the jobs have run.
class ColumnJobs {
 public:
  ColumnJobs(std::vector<ColumnJob>* jobs, std::string prefix, size_t rows)
      : jobs_(jobs), prefix_(std::move(prefix)), rows_(rows) {}

  template <class Get>
  void Int32(const char* name, Get get) {
    Add(name, [rows = rows_, get] {
      return PackNumberColumn<int32_t>(rows, get, false);
    });
  }
  template <class Get>
  void Float64(const char* name, Get get) {
    Add(name, [rows = rows_, get] {
      return PackNumberColumn<double>(rows, get, false);
    });
  }
  /// Fixed-length strings of `width` bytes (see PackStringColumn).
  template <class Get>
  void String(const char* name, H5T_cset_t cset, size_t width, Get get) {
    Add(name, [rows = rows_, cset, width, get] {
      return PackStringColumn(rows, cset, width, get, false);
    });
  }
  /// UTF-8 text as wide as its longest value (see PackTextColumn).
  template <class Get>
  void Text(const char* name, Get get) {
    Add(name, [rows = rows_, get] { return PackTextColumn(rows, get, false); });
  }

 private:
  void Add(const char* name, std::function<PackedColumn()> pack) {
    jobs_->emplace_back(prefix_ + name, std::move(pack));
  }

  std::vector<ColumnJob>* jobs_;
  std::string prefix_;
  size_t rows_;
};

/// Long, mostly empty byte strings (output tails), `get(row)` for each of
/// `table.rows` rows, as two datasets: `<name>_blob`, uint8, every value's
/// bytes back to back, and `<name>_offsets`, int64, rows + 1 entries, so row
/// i is blob[offsets[i]:offsets[i + 1]]. Bytes are stored exactly (NULs and
/// invalid UTF-8 included) and nothing is padded, so a few 4 KiB values cost
/// their own size, not 4 KiB x rows as a fixed-width column would.
void WriteBlobColumn(const Table& table, const std::string& name,
                     const std::function<std::string_view(size_t)>& get);

}  // namespace sortie::run_file_internal
