// run.h5's layout as docs/hdf5.md specifies it: the root attributes, the
// /tasks columns with their names, order, types and widths, how columns are
// chunked and filtered, and a run of zero tasks.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "common/h5.h"
#include "master/run_file.h"
#include "run_file_fixtures.h"

namespace sortie::run_file_testing {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;

const std::vector<std::string> kTextColumns = {
    "id",   "host",     "stdout",   "stderr", "command",
    "tags", "node_ids", "function", "reason"};
// The datasets that hold kBlobs.
const std::vector<std::string> kBlobDatasets = {
    "stdout_tail_blob", "stdout_tail_offsets", "stderr_tail_blob",
    "stderr_tail_offsets"};
const std::vector<std::string> kInt32Columns = {
    "exit_code",      "signal",         "attempts",      "rank",    "nodes",
    "ranks_per_node", "cores_per_rank", "gpus_per_rank", "priority"};
const std::vector<std::string> kFloat64Columns = {"start_time", "end_time",
                                                  "est_runtime"};

H5Type AttributeType(hid_t object, const char* name) {
  const H5Attribute attribute(H5Aopen(object, name, H5P_DEFAULT));
  return H5Type(H5Aget_type(attribute.get()));
}

TEST(RunFileTest, WritesEveryRootAttribute) {
  const fs::path path = TestDir() / "RUN.h5";
  const RunData run = SampleRun();
  WriteRunFile(path, run.View());

  const H5File file = OpenFileReadOnly(path);
  const hid_t root = file.get();
  EXPECT_EQ(ReadIntAttribute(root, "schema_version"), 1);
  EXPECT_EQ(ReadStringAttribute(root, "sortie_version"), "0.1.0");
  EXPECT_EQ(ReadStringAttribute(root, "manifest"), "/home/ü/manifest.jsonl");
  EXPECT_EQ(ReadStringAttribute(root, "manifest_sha256"), std::string(64, 'a'));
  EXPECT_EQ(ReadStringAttribute(root, "mpi_library"), "MPICH Version: 4.0.2");
  EXPECT_EQ(ReadIntAttribute(root, "world_size"), 4);
  EXPECT_EQ(ReadDoubleAttribute(root, "started_at"), 1700000000.25);
  EXPECT_TRUE(std::isnan(ReadDoubleAttribute(root, "finished_at")));
  EXPECT_EQ(ReadIntAttribute(root, "exit_status"), -1);
  EXPECT_EQ(ReadDoubleAttribute(root, "written_at"), 1700000030.5);
  H5O_info_t info;
  ASSERT_GE(H5Oget_info2(root, &info, H5O_INFO_NUM_ATTRS), 0);
  EXPECT_EQ(info.num_attrs, 10u);
}

TEST(RunFileTest, RootAttributeTypes) {
  const fs::path path = TestDir() / "RUN.h5";
  WriteRunFile(path, SampleRun().View());
  const H5File file = OpenFileReadOnly(path);
  for (const char* name : {"schema_version", "world_size", "exit_status"}) {
    EXPECT_GT(H5Tequal(AttributeType(file.get(), name).get(), H5T_STD_I32LE), 0)
        << name;
  }
  for (const char* name : {"started_at", "finished_at", "written_at"}) {
    EXPECT_GT(H5Tequal(AttributeType(file.get(), name).get(), H5T_IEEE_F64LE),
              0)
        << name;
  }
  for (const char* name :
       {"sortie_version", "manifest", "manifest_sha256", "mpi_library"}) {
    const H5Type type = AttributeType(file.get(), name);
    EXPECT_GT(H5Tis_variable_str(type.get()), 0) << name;
    EXPECT_EQ(H5Tget_cset(type.get()), H5T_CSET_UTF8) << name;
  }
}

TEST(RunFileTest, WritesEveryTaskColumnInManifestOrder) {
  const fs::path path = TestDir() / "RUN.h5";
  const RunData run = SampleRun();
  WriteRunFile(path, run.View());

  const H5File file = OpenFileReadOnly(path);
  ExpectColumnsMatch(file.get(), run);
  // Spelled out once, so a shared mistake in ExpectedColumns cannot hide.
  EXPECT_THAT(StringColumn(file.get(), "id"),
              ElementsAre("タスク-1", "naïve", "done-0", "failed-exit",
                          "failed-signal"));
  EXPECT_THAT(StringColumn(file.get(), "state"),
              ElementsAre("PENDING", "RUNNING", "DONE", "FAILED", "FAILED"));
  EXPECT_THAT(StringColumn(file.get(), "host"),
              ElementsAre("", "nœud-02", "node-01", "node-01", "nœud-02"));
  EXPECT_EQ(StringColumn(file.get(), "command")[1],
            R"x(["python3", "-c", "print(\"é\")"])x");
  EXPECT_THAT(StringColumn(file.get(), "tags"),
              ElementsAre("{}", R"({"kind":"ü"})", "{}", "{}", "{}"));
  EXPECT_THAT(Int32Column(file.get(), "exit_code"),
              ElementsAre(-1, -1, 0, 3, -1));
  EXPECT_THAT(Int32Column(file.get(), "signal"), ElementsAre(0, 0, 0, 0, 9));
}

TEST(RunFileTest, WritesTheResourceColumns) {
  const fs::path path = TestDir() / "RUN.h5";
  WriteRunFile(path, SampleRun().View());
  const H5File file = OpenFileReadOnly(path);
  const hid_t f = file.get();
  EXPECT_THAT(Int32Column(f, "nodes"), ElementsAre(1, 2, 1, 1, 1));
  EXPECT_THAT(Int32Column(f, "ranks_per_node"), ElementsAre(1, 4, 1, 1, 1));
  EXPECT_THAT(Int32Column(f, "cores_per_rank"), ElementsAre(1, 8, 16, 1, 1));
  EXPECT_THAT(Int32Column(f, "gpus_per_rank"), ElementsAre(0, 1, 0, 0, 0));
  EXPECT_THAT(Int32Column(f, "priority"), ElementsAre(0, 5, 0, 0, -3));
  const std::vector<double> est = Float64Column(f, "est_runtime");
  ASSERT_EQ(est.size(), 5u);
  EXPECT_EQ(est[1], 120.5);
  for (size_t row : {0u, 2u, 3u, 4u}) EXPECT_TRUE(std::isnan(est[row])) << row;
  // Never started: ""; a two-node placement lists both /nodes rows.
  EXPECT_THAT(StringColumn(f, "node_ids"),
              ElementsAre("", "1,0", "0", "2", "0"));
}

TEST(RunFileTest, FunctionTasksHaveAFunctionAndNoCommand) {
  const fs::path path = TestDir() / "RUN.h5";
  WriteRunFile(path, SampleRun().View());
  const H5File file = OpenFileReadOnly(path);
  EXPECT_THAT(StringColumn(file.get(), "function"),
              ElementsAre("", "", "/opt/lib/libwörk.so:run_step", "", ""));
  EXPECT_THAT(StringColumn(file.get(), "command"),
              ElementsAre("echo hi", R"x(["python3", "-c", "print(\"é\")"])x",
                          "", "exit 3", "kill -9 $$"));
}
TEST(RunFileTest, TasksGroupHoldsExactlyTheSchemaColumns) {
  const fs::path path = TestDir() / "RUN.h5";
  WriteRunFile(path, SampleRun().View());
  const H5File file = OpenFileReadOnly(path);
  const H5Group tasks(H5Gopen2(file.get(), "tasks", H5P_DEFAULT));
  ASSERT_TRUE(tasks);
  EXPECT_EQ(ReadStringListAttribute(tasks.get(), "columns"), kColumns);
  EXPECT_EQ(ReadStringListAttribute(tasks.get(), "blobs"), kBlobs);
  H5G_info_t info;
  ASSERT_GE(H5Gget_info(tasks.get(), &info), 0);
  EXPECT_EQ(info.nlinks, kColumns.size() + kBlobDatasets.size());
  for (const std::string& column : kColumns) {
    EXPECT_EQ(Rows(file.get(), column), 5u) << column;
  }
  for (const std::string& blob : kBlobs) {
    EXPECT_EQ(Rows(file.get(), blob + "_offsets"), 6u) << blob;
  }
}

TEST(RunFileTest, ColumnTypesMatchSchema) {
  const fs::path path = TestDir() / "RUN.h5";
  WriteRunFile(path, SampleRun().View());
  const H5File file = OpenFileReadOnly(path);

  const H5Type state = DatasetType(file.get(), "state");
  EXPECT_EQ(H5Tget_class(state.get()), H5T_STRING);
  EXPECT_EQ(H5Tis_variable_str(state.get()), 0);
  EXPECT_EQ(H5Tget_size(state.get()), size_t{kStateNameWidth});
  EXPECT_EQ(H5Tget_strpad(state.get()), H5T_STR_NULLPAD);
  EXPECT_EQ(H5Tget_cset(state.get()), H5T_CSET_ASCII);

  for (const std::string& column : kTextColumns) {
    const H5Type type = DatasetType(file.get(), column);
    EXPECT_EQ(H5Tget_class(type.get()), H5T_STRING) << column;
    EXPECT_EQ(H5Tis_variable_str(type.get()), 0) << column;
    EXPECT_EQ(H5Tget_strpad(type.get()), H5T_STR_NULLPAD) << column;
    EXPECT_EQ(H5Tget_cset(type.get()), H5T_CSET_UTF8) << column;
  }
  // Width is the longest value in bytes: "failed-signal" beats "タスク-1"
  // (11 bytes); "" (host -1) still makes a 1-byte-wide column possible.
  EXPECT_EQ(H5Tget_size(DatasetType(file.get(), "id").get()), 13u);
  EXPECT_EQ(H5Tget_size(DatasetType(file.get(), "host").get()),
            std::string("nœud-02").size());
  EXPECT_EQ(H5Tget_size(DatasetType(file.get(), "tags").get()),
            std::string(R"({"kind":"ü"})").size());
  EXPECT_EQ(H5Tget_size(DatasetType(file.get(), "node_ids").get()), 3u);
  EXPECT_EQ(H5Tget_size(DatasetType(file.get(), "function").get()),
            std::string("/opt/lib/libwörk.so:run_step").size());

  for (const std::string& column : kInt32Columns) {
    EXPECT_GT(H5Tequal(DatasetType(file.get(), column).get(), H5T_STD_I32LE), 0)
        << column;
  }
  for (const std::string& column : kFloat64Columns) {
    EXPECT_GT(H5Tequal(DatasetType(file.get(), column).get(), H5T_IEEE_F64LE),
              0)
        << column;
  }
}

// Dataset `path` is chunked, `chunk_rows` rows a chunk, and filtered by
// shuffle, then deflate at level 1.
void ExpectShuffledAndDeflated(hid_t file, const std::string& path,
                               hsize_t chunk_rows) {
  SCOPED_TRACE(path);
  const H5Dataset dataset = OpenDataset(file, path);
  const H5Plist dcpl(H5Dget_create_plist(dataset.get()));
  ASSERT_EQ(H5Pget_layout(dcpl.get()), H5D_CHUNKED);
  hsize_t chunk[1] = {0};
  ASSERT_EQ(H5Pget_chunk(dcpl.get(), 1, chunk), 1);
  EXPECT_EQ(chunk[0], chunk_rows);
  ASSERT_EQ(H5Pget_nfilters(dcpl.get()), 2);
  unsigned flags = 0;
  size_t count = 1;
  unsigned level = 0;
  EXPECT_EQ(H5Pget_filter2(dcpl.get(), 0, &flags, &count, &level, 0, nullptr,
                           nullptr),
            H5Z_FILTER_SHUFFLE);
  count = 1;
  EXPECT_EQ(H5Pget_filter2(dcpl.get(), 1, &flags, &count, &level, 0, nullptr,
                           nullptr),
            H5Z_FILTER_DEFLATE);
  EXPECT_EQ(level, 1u);
}

TEST(RunFileTest, ColumnsAreChunkedWithShuffleThenDeflateLevel1) {
  const fs::path path = TestDir() / "RUN.h5";
  const RunData run = SampleRun();
  WriteRunFile(path, run.View());
  const H5File file = OpenFileReadOnly(path);
  // A chunk never exceeds a fixed-size dataset: 5 rows, 3 nodes, 13 events.
  for (const std::string& column : kColumns) {
    ExpectShuffledAndDeflated(file.get(), "tasks/" + column, 5);
  }
  for (const std::string& column : kNodeColumns) {
    ExpectShuffledAndDeflated(file.get(), "nodes/" + column, 3);
  }
  for (const std::string& column : kEventColumns) {
    ExpectShuffledAndDeflated(file.get(), "events/" + column, 13);
  }
  // Blobs hold a few KiB here, so one chunk of all their bytes.
  size_t stderr_bytes = 0;
  for (const TaskNotes& notes : run.notes) {
    stderr_bytes += notes.stderr_tail.size();
  }
  ASSERT_GT(stderr_bytes, kOutputTailBytes);
  ExpectShuffledAndDeflated(file.get(), "tasks/stderr_tail_blob", stderr_bytes);
  ExpectShuffledAndDeflated(file.get(), "tasks/stderr_tail_offsets", 6);
  ExpectShuffledAndDeflated(file.get(), "tasks/stdout_tail_offsets", 6);
}

TEST(RunFileTest, ZeroTasksStillHasEveryColumnAndAttribute) {
  const fs::path path = TestDir() / "RUN.h5";
  const RunData empty;
  WriteRunFile(path, empty.View());
  const H5File file = OpenFileReadOnly(path);
  EXPECT_EQ(ReadIntAttribute(file.get(), "schema_version"), 1);
  EXPECT_EQ(ReadStringAttribute(file.get(), "manifest"), "");
  for (const std::string& column : kColumns) {
    EXPECT_EQ(Rows(file.get(), column), 0u) << column;
  }
  for (const std::string& column : kNodeColumns) {
    EXPECT_EQ(Rows(file.get(), column, "nodes"), 0u) << column;
  }
  EXPECT_TRUE(StringColumn(file.get(), "id").empty());
  EXPECT_TRUE(Int32Column(file.get(), "cores", "nodes").empty());
  EXPECT_GT(
      H5Tequal(DatasetType(file.get(), "est_runtime").get(), H5T_IEEE_F64LE),
      0);
  EXPECT_TRUE(Int32Column(file.get(), "rank").empty());
  EXPECT_EQ(H5Tget_size(DatasetType(file.get(), "command").get()), 1u);
  EXPECT_EQ(H5Tget_size(DatasetType(file.get(), "state").get()),
            size_t{kStateNameWidth});
  EXPECT_EQ(H5Tget_size(DatasetType(file.get(), "reason").get()), 1u);
  for (const std::string& blob : kBlobs) {
    EXPECT_EQ(Rows(file.get(), blob + "_blob"), 0u) << blob;
    EXPECT_THAT(Offsets(file.get(), blob), ElementsAre(0)) << blob;
  }
  for (const std::string& column : kEventColumns) {
    EXPECT_EQ(Rows(file.get(), column, "events"), 0u) << column;
  }
  EXPECT_EQ(H5Tget_size(DatasetType(file.get(), "event", "events").get()),
            size_t{kStateNameWidth});
}

}  // namespace
}  // namespace sortie::run_file_testing
