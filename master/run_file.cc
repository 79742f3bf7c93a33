#include "master/run_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include "common/h5.h"

namespace sortie {
namespace {

// HDF5's default chunk cache is 1 MiB per dataset: chunks well below that
// stay cached while h5py slices through a column, and are big enough for
// deflate to find the repetition in ids, paths and commands.
constexpr size_t kTargetChunkBytes = 128 * 1024;
// Level 1 gets most of the size win; higher levels cost time every snapshot.
constexpr unsigned kDeflateLevel = 1;

/// Column names of /tasks in schema order (also the `columns` attribute).
const std::vector<std::string>& ColumnNames() {
  static const std::vector<std::string> names = {
      "id",         "state",    "exit_code", "signal", "attempts",
      "start_time", "end_time", "rank",      "host",   "stdout",
      "stderr",     "command",  "tags"};
  return names;
}

// Where the columns go, and the file name for messages.
struct Table {
  hid_t group;
  const std::string& file;
  size_t rows;
};

// Rows per chunk so one chunk holds about kTargetChunkBytes; 0 (no chunking)
// for an empty table, since a fixed-size chunked dataset needs rows > 0.
hsize_t ChunkRows(size_t row_bytes, size_t rows) {
  if (rows == 0) return 0;
  return std::clamp<size_t>(kTargetChunkBytes / row_bytes, 1, rows);
}

H5Plist MakeColumnPlist(hsize_t chunk_rows, std::string_view doing) {
  H5Plist dcpl(H5Check(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate", doing));
  if (chunk_rows == 0) return dcpl;
  const hsize_t chunk[1] = {chunk_rows};
  H5Check(H5Pset_chunk(dcpl.get(), 1, chunk), "H5Pset_chunk", doing);
  H5Check(H5Pset_shuffle(dcpl.get()), "H5Pset_shuffle", doing);
  H5Check(H5Pset_deflate(dcpl.get(), kDeflateLevel), "H5Pset_deflate", doing);
  return dcpl;
}

// One /tasks dataset, written a whole chunk per H5Dwrite: a chunk is complete
// the first time HDF5 compresses it, so no compressed chunk is ever read back
// and rewritten, and only one chunk's rows are ever in our buffer.
class ColumnWriter {
 public:
  ColumnWriter(const Table& table, const char* name, hid_t file_type,
               hid_t mem_type, size_t row_bytes)
      : mem_type_(mem_type),
        doing_(std::string("writing dataset /tasks/") + name + " in " +
               table.file),
        chunk_rows_(ChunkRows(row_bytes, table.rows)) {
    const hsize_t dims[1] = {table.rows};
    file_space_ = H5Space(H5Check(H5Screate_simple(1, dims, nullptr),
                                  "H5Screate_simple", doing_));
    const H5Plist dcpl = MakeColumnPlist(chunk_rows_, doing_);
    dataset_ = H5Dataset(
        H5Check(H5Dcreate2(table.group, name, file_type, file_space_.get(),
                           H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                "H5Dcreate2", doing_));
  }

  /// Rows per chunk; Write() is called with chunk-aligned blocks of this many.
  hsize_t chunk_rows() const { return chunk_rows_; }

  /// Writes rows [first, first + count) from `data`, laid out as mem_type.
  void Write(hsize_t first, hsize_t count, const void* data) {
    const hsize_t start[1] = {first};
    const hsize_t block[1] = {count};
    H5Check(H5Sselect_hyperslab(file_space_.get(), H5S_SELECT_SET, start,
                                nullptr, block, nullptr),
            "H5Sselect_hyperslab", doing_);
    const H5Space mem_space(H5Check(H5Screate_simple(1, block, nullptr),
                                    "H5Screate_simple", doing_));
    H5Check(H5Dwrite(dataset_.get(), mem_type_, mem_space.get(),
                     file_space_.get(), H5P_DEFAULT, data),
            "H5Dwrite", doing_);
  }

  /// Closes the dataset, reporting a failure to flush its last chunks.
  void Finish() {
    file_space_.Close(doing_);
    dataset_.Close(doing_);
  }

 private:
  H5Dataset dataset_;
  H5Space file_space_;
  hid_t mem_type_;
  std::string doing_;
  hsize_t chunk_rows_;
};

// Calls write(first, count) for consecutive chunk-sized blocks of rows.
template <class WriteBlock>
void ForEachChunk(const Table& table, hsize_t chunk_rows, WriteBlock write) {
  for (hsize_t first = 0; first < table.rows; first += chunk_rows) {
    write(first, std::min<hsize_t>(chunk_rows, table.rows - first));
  }
}

// `get(row)` returns the value of one row as a T.
template <class T, class Get>
void WriteNumberColumn(const Table& table, const char* name, hid_t file_type,
                       hid_t mem_type, Get get) {
  ColumnWriter column(table, name, file_type, mem_type, sizeof(T));
  std::vector<T> buffer;
  ForEachChunk(table, column.chunk_rows(), [&](hsize_t first, hsize_t count) {
    buffer.resize(count);
    for (hsize_t i = 0; i < count; ++i) buffer[i] = get(first + i);
    column.Write(first, count, buffer.data());
  });
  column.Finish();
}

// Byte length of the longest `get(row)`, at least 1 (HDF5 has no 0-byte
// strings).
template <class Get>
size_t LongestValue(size_t rows, Get get) {
  size_t longest = 1;
  for (size_t row = 0; row < rows; ++row) {
    const auto& value = get(row);
    longest = std::max(longest, std::string_view(value).size());
  }
  return longest;
}

// Fixed-length strings of `width` bytes, NULL-padded. `get(row)` returns
// something convertible to std::string_view. Only one chunk is ever in
// memory, so a long command in one row costs width x chunk rows, not x rows.
template <class Get>
void WriteStringColumn(const Table& table, const char* name, H5T_cset_t cset,
                       size_t width, Get get) {
  const H5Type type = MakeStringType(width, cset);
  ColumnWriter column(table, name, type.get(), type.get(), width);
  std::vector<char> buffer;
  ForEachChunk(table, column.chunk_rows(), [&](hsize_t first, hsize_t count) {
    buffer.assign(count * width, '\0');
    for (hsize_t i = 0; i < count; ++i) {
      const auto& value = get(first + i);
      const std::string_view text(value);
      if (text.size() > width) {
        throw std::logic_error(std::string("run.h5: value wider than column ") +
                               name);
      }
      // An empty string_view may have a null data(), which memcpy forbids.
      if (text.empty()) continue;
      std::memcpy(buffer.data() + i * width, text.data(), text.size());
    }
    column.Write(first, count, buffer.data());
  });
  column.Finish();
}

// A text column as wide as its longest value, UTF-8.
template <class Get>
void WriteTextColumn(const Table& table, const char* name, Get get) {
  WriteStringColumn(table, name, H5T_CSET_UTF8, LongestValue(table.rows, get),
                    get);
}

template <class Get>
void WriteInt32Column(const Table& table, const char* name, Get get) {
  WriteNumberColumn<int32_t>(table, name, H5T_STD_I32LE, H5T_NATIVE_INT32, get);
}

template <class Get>
void WriteFloat64Column(const Table& table, const char* name, Get get) {
  WriteNumberColumn<double>(table, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                            get);
}

void WriteTaskColumns(const Table& table, const RunView& view) {
  const auto& specs = view.specs;
  const auto& status = view.status;
  WriteTextColumn(table, "id",
                  [&](size_t i) -> const std::string& { return specs[i].id; });
  WriteStringColumn(table, "state", H5T_CSET_ASCII, kStateNameWidth,
                    [&](size_t i) { return StateName(status[i].state); });
  WriteInt32Column(table, "exit_code",
                   [&](size_t i) { return status[i].exit_code; });
  WriteInt32Column(table, "signal", [&](size_t i) { return status[i].signal; });
  WriteInt32Column(table, "attempts",
                   [&](size_t i) { return status[i].attempts; });
  WriteFloat64Column(table, "start_time",
                     [&](size_t i) { return status[i].start_time; });
  WriteFloat64Column(table, "end_time",
                     [&](size_t i) { return status[i].end_time; });
  WriteInt32Column(table, "rank", [&](size_t i) { return status[i].rank; });
  WriteTextColumn(table, "host", [&](size_t i) -> std::string_view {
    const int32_t host = status[i].host;
    return host < 0 ? std::string_view()
                    : view.hosts[static_cast<size_t>(host)];
  });
  WriteTextColumn(table, "stdout", [&](size_t i) -> const std::string& {
    return specs[i].stdout_path;
  });
  WriteTextColumn(table, "stderr", [&](size_t i) -> const std::string& {
    return specs[i].stderr_path;
  });
  // CommandText builds a string per row (twice: width, then data); still
  // cheaper than holding every command text in memory at once.
  WriteTextColumn(table, "command",
                  [&](size_t i) { return CommandText(specs[i]); });
  WriteTextColumn(table, "tags", [&](size_t i) -> const std::string& {
    return specs[i].tags_json;
  });
}

void WriteRootAttributes(hid_t file, const RunInfo& info) {
  WriteAttribute(file, "schema_version", int32_t{kRunFileSchemaVersion});
  WriteAttribute(file, "sortie_version", info.sortie_version);
  WriteAttribute(file, "manifest", info.manifest_path);
  WriteAttribute(file, "manifest_sha256", info.manifest_sha256);
  WriteAttribute(file, "mpi_library", info.mpi_library);
  WriteAttribute(file, "world_size", int32_t{info.world_size});
  WriteAttribute(file, "started_at", info.started_at);
  WriteAttribute(file, "finished_at", info.finished_at);
}

// Everything but the rename: a complete, closed HDF5 file at `file_name`.
void WriteHdf5File(const std::string& file_name, const RunView& view) {
  const H5Plist fapl = MakeFileAccessPlist();
  H5File file(H5Check(
      H5Fcreate(file_name.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()),
      "H5Fcreate", "creating " + file_name));
  WriteRootAttributes(file.get(), view.info);
  {
    const std::string doing = "creating group /tasks in " + file_name;
    H5Group tasks(H5Check(
        H5Gcreate2(file.get(), "tasks", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
        "H5Gcreate2", doing));
    WriteAttribute(tasks.get(), "columns", ColumnNames());
    WriteTaskColumns(Table{tasks.get(), file_name, view.specs.size()}, view);
    tasks.Close(doing);
  }
  file.Close("closing " + file_name);
}

// Rejects views that would make a wrong file, before anything is written.
void CheckView(const RunView& view) {
  if (view.status.size() != view.specs.size()) {
    throw std::runtime_error("run.h5: " + std::to_string(view.status.size()) +
                             " statuses for " +
                             std::to_string(view.specs.size()) + " tasks");
  }
  for (size_t i = 0; i < view.status.size(); ++i) {
    const int32_t host = view.status[i].host;
    if (host < -1 ||
        (host >= 0 && static_cast<size_t>(host) >= view.hosts.size())) {
      throw std::runtime_error("run.h5: task '" + view.specs[i].id +
                               "' has host index " + std::to_string(host) +
                               " but the run knows " +
                               std::to_string(view.hosts.size()) + " hosts");
    }
  }
}

// Flushes `path` (a file or directory) to stable storage.
int SyncPath(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return errno;
  const int result = ::fsync(fd) == 0 ? 0 : errno;
  ::close(fd);
  return result;
}

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// The data must be on disk before the rename makes it RUN.h5, or a crash
// could leave a RUN.h5 that names unwritten blocks.
void PublishFile(const std::string& tmp, const std::string& path) {
  if (const int error = SyncPath(tmp, O_RDONLY)) {
    throw std::system_error(error, std::generic_category(),
                            "run.h5: fsync " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    throw std::system_error(errno, std::generic_category(),
                            "run.h5: rename " + tmp + " to " + path);
  }
  // Best effort: makes the rename itself durable; not every file system
  // supports fsync on a directory, and the file is complete either way.
  (void)SyncPath(DirectoryOf(path), O_RDONLY | O_DIRECTORY);
}

}  // namespace

void WriteRunFile(const std::string& path, const RunView& view) {
  CheckView(view);
  const std::string tmp = path + ".tmp";
  try {
    WriteHdf5File(tmp, view);
    PublishFile(tmp, path);
  } catch (...) {
    // unlink, not remove: never delete a directory someone put at `tmp`.
    (void)::unlink(tmp.c_str());
    throw;
  }
}

}  // namespace sortie
