#include "master/run_file_columns.h"

#include <zlib.h>

#include <atomic>
#include <bit>
#include <exception>
#include <thread>

namespace sortie::run_file_internal {
namespace {

// HDF5's default chunk cache is 1 MiB per dataset: chunks well below that
// stay cached while h5py slices through a column, and are big enough for
// deflate to find the repetition in ids, paths and commands.
constexpr size_t kTargetChunkBytes = 128 * 1024;
// Level 1 gets most of the size win; higher levels cost time every snapshot.
constexpr unsigned kDeflateLevel = 1;

// Rows per chunk so one chunk holds about kTargetChunkBytes; 0 (no chunking)
// for an empty table, since a fixed-size chunked dataset needs rows > 0.
hsize_t ChunkRows(size_t row_bytes, size_t rows) {
  if (rows == 0) return 0;
  return std::clamp<size_t>(kTargetChunkBytes / row_bytes, 1, rows);
}

H5Plist MakeColumnPlist(hsize_t chunk_rows, hid_t mem_type,
                        const void* fill_row, std::string_view doing) {
  H5Plist dcpl(H5Check(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate", doing));
  if (fill_row != nullptr) {
    H5Check(H5Pset_fill_value(dcpl.get(), mem_type, fill_row),
            "H5Pset_fill_value", doing);
  }
  if (chunk_rows == 0) return dcpl;
  const hsize_t chunk[1] = {chunk_rows};
  H5Check(H5Pset_chunk(dcpl.get(), 1, chunk), "H5Pset_chunk", doing);
  H5Check(H5Pset_shuffle(dcpl.get()), "H5Pset_shuffle", doing);
  H5Check(H5Pset_deflate(dcpl.get(), kDeflateLevel), "H5Pset_deflate", doing);
  return dcpl;
}

// The little-endian file type of a column whose memory type is `native`
// (strings are stored as they are in memory).
hid_t FileType(const PackedColumn& column, hid_t native) {
  switch (column.type) {
    case ColumnType::kInt32:
      return H5T_STD_I32LE;
    case ColumnType::kInt64:
      return H5T_STD_I64LE;
    case ColumnType::kUInt8:
      return H5T_STD_U8LE;
    case ColumnType::kFloat64:
      return H5T_IEEE_F64LE;
    case ColumnType::kString:
      return native;
  }
  return native;
}

// Chunks are stored as the bytes of the native values; the file types are
// little-endian.
static_assert(std::endian::native == std::endian::little,
              "run.h5 chunks are written in native byte order");

// Chunks filtered together, on two threads: enough to keep both busy, few
// enough that a batch holds a few MiB.
constexpr size_t kChunksPerBatch = 16;

// HDF5's shuffle filter: byte j of element i goes to j * n + i (n elements
// of `Bytes` bytes); bytes past the last whole element stay at the end. A
// fixed element size lets the compiler unroll the inner loop: shuffling was
// a fifth of the cost of filtering.
template <size_t Bytes>
void ShuffleFixed(const char* raw, size_t n, char* out) {
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < Bytes; ++j) out[j * n + i] = raw[i * Bytes + j];
  }
}

void Shuffle(const std::string& raw, size_t element_bytes,
             std::vector<char>* out) {
  const size_t n = raw.size() / element_bytes;
  out->resize(raw.size());
  char* to = out->data();
  if (element_bytes <= 1 || n <= 1) {
    std::memcpy(to, raw.data(), raw.size());
    return;
  }
  switch (element_bytes) {
    case 2:
      ShuffleFixed<2>(raw.data(), n, to);
      break;
    case 4:
      ShuffleFixed<4>(raw.data(), n, to);
      break;
    case 8:
      ShuffleFixed<8>(raw.data(), n, to);
      break;
    default:
      for (size_t i = 0; i < n; ++i) {
        for (size_t j = 0; j < element_bytes; ++j) {
          to[j * n + i] = raw[i * element_bytes + j];
        }
      }
  }
  const size_t whole = n * element_bytes;
  std::memcpy(to + whole, raw.data() + whole, raw.size() - whole);
}

// HDF5's deflate filter: the zlib stream compress2 would make at
// kDeflateLevel. One stream is reset between chunks rather than set up for
// each, which costs a few hundred KiB of zeroed state every time.
class Deflater {
 public:
  Deflater() {
    if (deflateInit(&stream_, static_cast<int>(kDeflateLevel)) != Z_OK) {
      throw std::runtime_error("zlib deflateInit failed");
    }
  }
  ~Deflater() { deflateEnd(&stream_); }
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;

  /// The compressed bytes of `data`, in a string of just their size: a
  /// column's chunks are kept until it is stored, and spec columns for the
  /// whole run.
  std::string Pack(const std::vector<char>& data) {
    scratch_.resize(deflateBound(&stream_, static_cast<uLong>(data.size())));
    stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    stream_.avail_in = static_cast<uInt>(data.size());
    stream_.next_out = reinterpret_cast<Bytef*>(scratch_.data());
    stream_.avail_out = static_cast<uInt>(scratch_.size());
    const int status = deflate(&stream_, Z_FINISH);
    if (status != Z_STREAM_END) {
      throw std::runtime_error("zlib deflate failed with status " +
                               std::to_string(status));
    }
    std::string out(scratch_.data(), stream_.total_out);
    if (deflateReset(&stream_) != Z_OK) {
      throw std::runtime_error("zlib deflateReset failed");
    }
    return out;
  }

 private:
  z_stream stream_{};
  std::vector<char> scratch_;  // deflateBound bytes, reused for every chunk
};

// Runs work(0) on this thread and, when `two`, work(1) on a helper thread
// at the same time; then rethrows the first failure, this thread's first.
template <class Work>
void OnTwoThreads(bool two, Work work) {
  std::exception_ptr failures[2];
  auto run = [&](size_t index) {
    try {
      work(index);
    } catch (...) {
      failures[index] = std::current_exception();
    }
  };
  std::thread helper;
  if (two) helper = std::thread(run, size_t{1});
  run(0);
  if (helper.joinable()) helper.join();
  for (const std::exception_ptr& failure : failures) {
    if (failure) std::rethrow_exception(failure);
  }
}

// Whether all `count` rows of `row_bytes` at `data` equal `row`. Comparing
// the block with itself shifted by one row checks that it repeats its first
// row, without a loop over rows.
bool EveryRowIs(const char* data, size_t count, const std::string& row) {
  if (count == 0) return true;
  const size_t row_bytes = row.size();
  return std::memcmp(data, row.data(), row_bytes) == 0 &&
         std::memcmp(data, data + row_bytes, (count - 1) * row_bytes) == 0;
}

// Takes values one or a few at a time and hands them to a ColumnWriter a
// whole chunk per Write, as it requires; holds at most one chunk.
template <class T>
class ChunkAppender {
 public:
  explicit ChunkAppender(ColumnWriter& column)
      : column_(column), chunk_(static_cast<size_t>(column.chunk_rows())) {
    buffer_.reserve(chunk_);
  }

  void Append(const T* values, size_t count) {
    while (count > 0) {
      const size_t n = std::min(count, chunk_ - buffer_.size());
      buffer_.insert(buffer_.end(), values, values + n);
      values += n;
      count -= n;
      if (buffer_.size() == chunk_) Flush();
    }
  }

  void Finish() {
    Flush();
    column_.Finish();
  }

 private:
  void Flush() {
    if (buffer_.empty()) return;
    column_.Write(first_, buffer_.size(), buffer_.data());
    first_ += buffer_.size();
    buffer_.clear();
  }

  ColumnWriter& column_;
  size_t chunk_;
  std::vector<T> buffer_;
  hsize_t first_ = 0;
};

}  // namespace

ChunkPacker::ChunkPacker(ColumnType type, H5T_cset_t cset, size_t row_bytes,
                         size_t rows, const void* fill_row, bool parallel)
    : parallel_(parallel) {
  column_.type = type;
  column_.cset = cset;
  column_.row_bytes = row_bytes;
  column_.rows = rows;
  column_.chunk_rows = ChunkRows(row_bytes, rows);
  column_.fill =
      fill_row != nullptr
          ? std::string(static_cast<const char*>(fill_row), row_bytes)
          : std::string(row_bytes, '\0');
}

void ChunkPacker::Add(hsize_t first, hsize_t count, const void* data) {
  const auto* bytes = static_cast<const char*>(data);
  if (EveryRowIs(bytes, count, column_.fill)) return;
  auto& [chunk_first, raw] = pending_.emplace_back();
  chunk_first = first;
  const size_t row_bytes = column_.row_bytes;
  raw.reserve(column_.chunk_rows * row_bytes);
  raw.assign(bytes, count * row_bytes);
  // A dataset's last chunk is stored whole: the rows past its end are fill.
  for (hsize_t row = count; row < column_.chunk_rows; ++row) {
    raw += column_.fill;
  }
  if (pending_.size() >= kChunksPerBatch) PackPending();
}

void ChunkPacker::PackPending() {
  if (pending_.empty()) return;
  const size_t element_bytes = column_.row_bytes;
  const size_t stride = parallel_ ? 2 : 1;
  OnTwoThreads(parallel_, [&](size_t from) {
    Deflater deflater;
    std::vector<char> shuffled;
    for (size_t i = from; i < pending_.size(); i += stride) {
      std::string& raw = pending_[i].second;
      Shuffle(raw, element_bytes, &shuffled);
      raw = deflater.Pack(shuffled);
    }
  });
  for (auto& chunk : pending_) column_.chunks.push_back(std::move(chunk));
  pending_.clear();
}

PackedColumn ChunkPacker::Finish() {
  PackPending();
  return std::move(column_);
}

void WritePackedColumn(const Table& table, const char* name,
                       const PackedColumn& column) {
  const std::string doing = "writing dataset " + std::string(table.path) + "/" +
                            name + " in " + table.file;
  if (column.rows != table.rows) {
    throw std::logic_error(doing + ": " + std::to_string(column.rows) +
                           " rows for a table of " +
                           std::to_string(table.rows));
  }
  H5Type string_type;
  hid_t type = H5T_NATIVE_INT32;
  switch (column.type) {
    case ColumnType::kInt32:
      type = H5T_NATIVE_INT32;
      break;
    case ColumnType::kInt64:
      type = H5T_NATIVE_INT64;
      break;
    case ColumnType::kUInt8:
      type = H5T_NATIVE_UINT8;
      break;
    case ColumnType::kFloat64:
      type = H5T_NATIVE_DOUBLE;
      break;
    case ColumnType::kString:
      string_type = MakeStringType(column.row_bytes, column.cset);
      type = string_type.get();
      break;
  }
  const hsize_t dims[1] = {column.rows};
  H5Space space(
      H5Check(H5Screate_simple(1, dims, nullptr), "H5Screate_simple", doing));
  const H5Plist dcpl =
      MakeColumnPlist(column.chunk_rows, type, column.fill.data(), doing);
  H5Dataset dataset(
      H5Check(H5Dcreate2(table.group, name, FileType(column, type), space.get(),
                         H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
              "H5Dcreate2", doing));
  for (const auto& [first, packed] : column.chunks) {
    const hsize_t offset[1] = {first};
    H5Check(H5Dwrite_chunk(dataset.get(), H5P_DEFAULT, 0, offset, packed.size(),
                           packed.data()),
            "H5Dwrite_chunk", doing);
  }
  space.Close(doing);
  dataset.Close(doing);
}

const PackedColumn* PackedColumns::Find(std::string_view name) const {
  for (const auto& [column_name, column] : columns) {
    if (column_name == name) return &column;
  }
  return nullptr;
}

const PackedColumn& PackedColumns::Get(std::string_view name) const {
  const PackedColumn* column = Find(name);
  if (column == nullptr) {
    throw std::logic_error("run.h5: no packed column " + std::string(name));
  }
  return *column;
}

PackedColumns PackColumns(std::vector<ColumnJob> jobs, bool two_threads) {
  std::vector<PackedColumn> packed(jobs.size());
  std::atomic<size_t> next{0};
  OnTwoThreads(two_threads, [&](size_t) {
    for (size_t i = next++; i < jobs.size(); i = next++) {
      try {
        packed[i] = jobs[i].second();
      } catch (...) {
        next = jobs.size();  // the other thread stops after its current job
        throw;
      }
    }
  });
  PackedColumns out;
  for (size_t i = 0; i < jobs.size(); ++i) {
    out.columns.emplace_back(std::move(jobs[i].first), std::move(packed[i]));
  }
  return out;
}

ColumnWriter::ColumnWriter(const Table& table, const char* name,
                           ColumnType type, size_t row_bytes,
                           const void* fill_row)
    : table_(table),
      name_(name),
      packer_(type, H5T_CSET_ASCII, row_bytes, table.rows, fill_row) {}

void ColumnWriter::Finish() {
  WritePackedColumn(table_, name_.c_str(), packer_.Finish());
}

void WriteBlobColumn(const Table& table, const std::string& name,
                     const std::function<std::string_view(size_t)>& get) {
  size_t total = 0;
  for (size_t row = 0; row < table.rows; ++row) total += get(row).size();
  const std::string blob_name = name + "_blob";
  const std::string offsets_name = name + "_offsets";
  const Table blob_table{table.group, table.path, table.file, total};
  const Table offsets_table{table.group, table.path, table.file,
                            table.rows + 1};
  ColumnWriter blob(blob_table, blob_name.c_str(), ColumnType::kUInt8, 1);
  ColumnWriter offsets(offsets_table, offsets_name.c_str(), ColumnType::kInt64,
                       sizeof(int64_t));
  ChunkAppender<char> bytes(blob);
  ChunkAppender<int64_t> ends(offsets);
  int64_t end = 0;
  ends.Append(&end, 1);
  for (size_t row = 0; row < table.rows; ++row) {
    const std::string_view value = get(row);
    bytes.Append(value.data(), value.size());
    end += static_cast<int64_t>(value.size());
    ends.Append(&end, 1);
  }
  bytes.Finish();
  ends.Finish();
}

}  // namespace sortie::run_file_internal
