// How run.h5 is replaced: written to a tmp file and renamed over the old
// one, so a failure leaves the previous file (and no tmp file) behind, and a
// view that does not hold together is refused before anything is written.
// Also the HDF5 handles and errors the writer is built on.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/h5.h"
#include "master/run_file.h"
#include "run_file_fixtures.h"

namespace sortie::run_file_testing {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(RunFileTest, LeavesNoTmpFileBehind) {
  const fs::path dir = TestDir();
  WriteRunFile(dir / "RUN.h5", SampleRun().View());
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.push_back(entry.path().filename());
  }
  EXPECT_THAT(names, ElementsAre("RUN.h5"));
}

TEST(RunFileTest, ReplacesAnExistingFile) {
  const fs::path path = TestDir() / "RUN.h5";
  std::ofstream(path) << "not an HDF5 file";
  const RunData many = ManyTasks(10, 99);
  WriteRunFile(path, many.View());
  EXPECT_EQ(Rows(OpenFileReadOnly(path).get(), "id"), 10u);

  const RunData run = SampleRun();
  WriteRunFile(path, run.View());
  const H5File file = OpenFileReadOnly(path);
  ExpectColumnsMatch(file.get(), run);
  EXPECT_FALSE(fs::exists(path.string() + ".tmp"));
}

TEST(RunFileTest, MissingDirectoryThrowsAndCreatesNothing) {
  const fs::path dir = TestDir() / "missing";
  try {
    WriteRunFile(dir / "RUN.h5", SampleRun().View());
    FAIL() << "expected H5Error";
  } catch (const H5Error& error) {
    EXPECT_EQ(error.call(), "H5Fcreate");
    EXPECT_THAT(error.what(), HasSubstr((dir / "RUN.h5.tmp").string()));
    // HDF5's own stack, down to the errno of the failed open().
    EXPECT_THAT(error.what(), HasSubstr("No such file or directory"));
  }
  EXPECT_FALSE(fs::exists(dir));
}

TEST(RunFileTest, FailedWriteKeepsThePreviousFile) {
  const fs::path path = TestDir() / "RUN.h5";
  const RunData run = SampleRun();
  WriteRunFile(path, run.View());
  // A directory where the tmp file must go makes H5Fcreate fail.
  fs::create_directory(path.string() + ".tmp");
  EXPECT_THROW(WriteRunFile(path, ManyTasks(10, 99).View()), H5Error);
  ExpectColumnsMatch(OpenFileReadOnly(path).get(), run);
  EXPECT_TRUE(fs::is_directory(path.string() + ".tmp"));  // not ours to delete
}

TEST(RunFileTest, FailedRenameRemovesTheTmpFile) {
  const fs::path path = TestDir() / "RUN.h5";
  // rename() cannot replace a non-empty directory, so the last step fails
  // after the tmp file has been fully written.
  fs::create_directories(path / "keep");
  EXPECT_THROW(WriteRunFile(path, SampleRun().View()), std::system_error);
  EXPECT_FALSE(fs::exists(path.string() + ".tmp"));
  EXPECT_TRUE(fs::is_directory(path / "keep"));
}

TEST(RunFileTest, RejectsInconsistentViewsWithoutWriting) {
  const fs::path path = TestDir() / "RUN.h5";
  RunData short_status = SampleRun();
  short_status.status.pop_back();
  EXPECT_THROW(WriteRunFile(path, short_status.View()), std::runtime_error);
  RunData bad_host = SampleRun();
  bad_host.status[2].host = 2;  // only hosts 0 and 1 exist
  EXPECT_THROW(WriteRunFile(path, bad_host.View()), std::runtime_error);
  RunData short_nodes = SampleRun();
  short_nodes.task_nodes.pop_back();
  EXPECT_THROW(WriteRunFile(path, short_nodes.View()), std::runtime_error);
  RunData short_notes = SampleRun();
  short_notes.notes.pop_back();
  try {
    WriteRunFile(path, short_notes.View());
    ADD_FAILURE() << "accepted 4 notes for 5 tasks";
  } catch (const std::runtime_error& error) {
    EXPECT_THAT(error.what(), HasSubstr("4 notes for 5 tasks"));
  }
  RunData long_notes = SampleRun();
  long_notes.notes.emplace_back();
  EXPECT_THROW(WriteRunFile(path, long_notes.View()), std::runtime_error);
  // Events name an existing task row and a start or an end.
  RunData bad_row = SampleRun();
  bad_row.events[3].row = 5;
  try {
    WriteRunFile(path, bad_row.View());
    ADD_FAILURE() << "accepted an event for task row 5 of 5";
  } catch (const std::runtime_error& error) {
    EXPECT_THAT(error.what(),
                HasSubstr("event 3 names task row 5 but the run has 5 tasks"));
  }
  for (const auto state : {TaskState::kPending, static_cast<TaskState>(7),
                           static_cast<TaskState>(255)}) {
    RunData bad_state = SampleRun();
    bad_state.events[5].state = state;
    try {
      WriteRunFile(path, bad_state.View());
      ADD_FAILURE() << "accepted event state " << static_cast<int>(state);
    } catch (const std::runtime_error& error) {
      EXPECT_THAT(error.what(),
                  HasSubstr("event 5 of task 'done-0' has state " +
                            std::to_string(static_cast<int>(state))));
    }
  }
  // Only /nodes rows 0, 1 and 2 exist, and lists are plain "i,j,k".
  for (const char* list : {"3", "0,3", "0,,1", ",0", "0,", "a", "-1", " 1",
                           "1 ", "1;2", "9999999999"}) {
    RunData bad_list = SampleRun();
    bad_list.task_nodes[2] = list;
    try {
      WriteRunFile(path, bad_list.View());
      ADD_FAILURE() << "accepted node list \"" << list << '"';
    } catch (const std::runtime_error& error) {
      EXPECT_THAT(error.what(), HasSubstr("task 'done-0' ran on nodes \"" +
                                          std::string(list) + '"'));
    }
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path.string() + ".tmp"));
}

TEST(RunFileH5Test, ErrorsNameTheCallAndPrintNothing) {
  const fs::path path = TestDir() / "absent.h5";
  ::testing::internal::CaptureStderr();
  try {
    OpenFileReadOnly(path);
    ADD_FAILURE() << "expected H5Error";
  } catch (const H5Error& error) {
    EXPECT_EQ(error.call(), "H5Fopen");
    EXPECT_THAT(error.what(),
                HasSubstr("H5Fopen failed while opening " + path.string()));
  }
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST(RunFileH5Test, HandlesAreMoveOnlyAndClose) {
  static_assert(!std::is_copy_constructible_v<H5Type>);
  static_assert(!std::is_copy_assignable_v<H5Type>);
  static_assert(std::is_nothrow_move_constructible_v<H5Type>);
  hid_t id = H5I_INVALID_HID;
  {
    H5Type type = MakeStringType(4, H5T_CSET_ASCII);
    id = type.get();
    EXPECT_GT(H5Iis_valid(id), 0);
    H5Type moved(std::move(type));
    EXPECT_FALSE(type);  // NOLINT(bugprone-use-after-move): that is the test
    EXPECT_EQ(moved.get(), id);
  }
  EXPECT_LE(H5Iis_valid(id), 0);
}

}  // namespace
}  // namespace sortie::run_file_testing
