// The column writers behind run.h5: one 1-D dataset per column, chunked,
// shuffled and deflated, written one chunk at a time (see docs/hdf5.md,
// "Storage choices"). Internal to master/run_file.cc.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
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

/// One dataset, written a whole chunk at a time. A chunk whose every row
/// equals the dataset's fill value is not written at all: HDF5 reads an
/// unwritten chunk as the fill value, so a column that holds one value
/// throughout (exit codes of a run that went well, states, resources) costs
/// neither deflate time nor file space. The other chunks are filtered here,
/// as HDF5's shuffle and deflate filters would, a batch at a time on two
/// threads, and stored with H5Dwrite_chunk: compressing is most of the cost
/// of writing run.h5, and HDF5 itself would do it on one thread.
class ColumnWriter {
 public:
  /// Creates dataset `name` in `table` with `table.rows` rows of
  /// `file_type`, chunked for rows of `row_bytes` bytes. `fill_row`, when
  /// not null, is one row's `row_bytes` bytes as `mem_type` and becomes the
  /// fill value; otherwise the fill value is HDF5's default, all zero bytes.
  /// Throws H5Error.
  ColumnWriter(const Table& table, const char* name, hid_t file_type,
               hid_t mem_type, size_t row_bytes,
               const void* fill_row = nullptr);

  /// Rows per chunk; Write() is called with chunk-aligned blocks of this many.
  hsize_t chunk_rows() const { return chunk_rows_; }

  /// Writes rows [first, first + count) from `data`, laid out as mem_type
  /// (which must have the file type's size and byte order), unless every one
  /// of them equals the fill value. `first` is a multiple of chunk_rows(),
  /// and `count` is chunk_rows() except for the last chunk.
  void Write(hsize_t first, hsize_t count, const void* data);

  /// Writes what is pending and closes the dataset.
  void Finish();

 private:
  // A chunk's rows (padded with the fill value to the whole chunk), then
  // the same bytes shuffled and deflated.
  struct Chunk {
    hsize_t first = 0;
    std::string raw;
    std::string packed;
  };
  void FlushChunks();

  H5Dataset dataset_;
  H5Space file_space_;
  std::string doing_;
  hsize_t chunk_rows_;
  std::string fill_;  // one row's bytes
  std::vector<Chunk> pending_;
};

/// Calls write(first, count) for consecutive chunk-sized blocks of rows.
template <class WriteBlock>
void ForEachChunk(const Table& table, hsize_t chunk_rows, WriteBlock write) {
  for (hsize_t first = 0; first < table.rows; first += chunk_rows) {
    write(first, std::min<hsize_t>(chunk_rows, table.rows - first));
  }
}

/// Writes a numeric column; `get(row)` returns the value of one row as a T.
template <class T, class Get>
void WriteNumberColumn(const Table& table, const char* name, hid_t file_type,
                       hid_t mem_type, Get get) {
  // The first row's value is the likeliest to fill whole chunks.
  const T fill = table.rows > 0 ? static_cast<T>(get(0)) : T{};
  ColumnWriter column(table, name, file_type, mem_type, sizeof(T), &fill);
  std::vector<T> buffer;
  ForEachChunk(table, column.chunk_rows(), [&](hsize_t first, hsize_t count) {
    buffer.resize(count);
    for (hsize_t i = 0; i < count; ++i) buffer[i] = get(first + i);
    column.Write(first, count, buffer.data());
  });
  column.Finish();
}

/// Byte length of the longest `get(row)`, at least 1 (HDF5 has no 0-byte
/// strings).
template <class Get>
size_t LongestValue(size_t rows, Get get) {
  size_t longest = 1;
  for (size_t row = 0; row < rows; ++row) {
    const auto& value = get(row);
    longest = std::max(longest, std::string_view(value).size());
  }
  return longest;
}

/// Fixed-length strings of `width` bytes, NULL-padded. `get(row)` returns
/// something convertible to std::string_view. Only one chunk is ever in
/// memory, so a long value in one row costs width x chunk rows, not x rows.
template <class Get>
void WriteStringColumn(const Table& table, const char* name, H5T_cset_t cset,
                       size_t width, Get get) {
  const H5Type type = MakeStringType(width, cset);
  auto put = [&](size_t row, char* out) {
    const auto& value = get(row);
    const std::string_view text(value);
    if (text.size() > width) {
      throw std::logic_error(std::string("run.h5: value wider than column ") +
                             name);
    }
    // An empty string_view may have a null data(), which memcpy forbids.
    if (!text.empty()) std::memcpy(out, text.data(), text.size());
  };
  // The first row's value is the likeliest to fill whole chunks.
  std::vector<char> buffer(width, '\0');
  if (table.rows > 0) put(0, buffer.data());
  ColumnWriter column(table, name, type.get(), type.get(), width,
                      buffer.data());
  ForEachChunk(table, column.chunk_rows(), [&](hsize_t first, hsize_t count) {
    buffer.assign(count * width, '\0');
    for (hsize_t i = 0; i < count; ++i)
      put(first + i, buffer.data() + i * width);
    column.Write(first, count, buffer.data());
  });
  column.Finish();
}

/// A text column as wide as its longest value, UTF-8.
template <class Get>
void WriteTextColumn(const Table& table, const char* name, Get get) {
  WriteStringColumn(table, name, H5T_CSET_UTF8, LongestValue(table.rows, get),
                    get);
}

/// A little-endian int32 column.
template <class Get>
void WriteInt32Column(const Table& table, const char* name, Get get) {
  WriteNumberColumn<int32_t>(table, name, H5T_STD_I32LE, H5T_NATIVE_INT32, get);
}

/// A little-endian IEEE float64 column.
template <class Get>
void WriteFloat64Column(const Table& table, const char* name, Get get) {
  WriteNumberColumn<double>(table, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                            get);
}

/// Long, mostly empty byte strings (output tails), `get(row)` for each of
/// `table.rows` rows, as two datasets: `<name>_blob`, uint8, every value's
/// bytes back to back, and `<name>_offsets`, int64, rows + 1 entries, so row
/// i is blob[offsets[i]:offsets[i + 1]]. Bytes are stored exactly (NULs and
/// invalid UTF-8 included) and nothing is padded, so a few 4 KiB values cost
/// their own size, not 4 KiB x rows as a fixed-width column would.
void WriteBlobColumn(const Table& table, const std::string& name,
                     const std::function<std::string_view(size_t)>& get);

}  // namespace sortie::run_file_internal
