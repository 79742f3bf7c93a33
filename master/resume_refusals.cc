#include "master/resume_refusals.h"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <vector>

#include "common/h5.h"
#include "master/journal.h"

namespace sortie {
namespace {

// Rows listed by number in a message; the rest are counted.
constexpr size_t kRowsListed = 10;

// Ids of the run's rows in its last snapshot; empty when it has none.
std::vector<std::string> SnapshotIds(const std::string& run_h5) {
  if (!std::filesystem::exists(run_h5)) return {};
  try {
    const H5File file = OpenFileReadOnly(run_h5);
    return ReadStrings(OpenDataset(file.get(), "tasks/id").get());
  } catch (const std::exception&) {
    return {};  // only for naming rows: the journal is what counts
  }
}

// "rows 3 (id "c3"), 4 (id "c4")": the first few, then how many more.
std::string ListRows(const std::set<uint32_t>& rows,
                     const std::vector<std::string>& ids) {
  std::string text = rows.size() == 1 ? "row " : "rows ";
  size_t listed = 0;
  for (uint32_t row : rows) {
    if (listed == kRowsListed) {
      text += ", and " + std::to_string(rows.size() - listed) + " more";
      break;
    }
    if (listed++ > 0) text += ", ";
    text += std::to_string(row);
    if (row < ids.size()) text += " (id \"" + ids[row] + "\")";
  }
  return text;
}

std::string Plural(uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

std::string RefusalToStart(const std::string& out, bool journal_exists,
                           bool run_file_exists, bool resume, bool overwrite) {
  if (overwrite || (!journal_exists && !run_file_exists)) return "";
  if (journal_exists) {
    return out +
           " or its journal exists: add --resume to continue that run, "
           "or --overwrite to start a new one";
  }
  const std::string journal = JournalPathFor(out);
  if (resume) {
    return "cannot resume " + out + ": its journal " + journal +
           " does not exist, so nothing records which of its tasks ran; "
           "--overwrite starts a new run in its place";
  }
  return out + " exists without its journal " + journal +
         ", so it cannot be resumed: --overwrite starts a new run in its place";
}

void NoteTaskBeyondManifest(const JournalRecord& record, size_t manifest_tasks,
                            MissingTasks* missing) {
  switch (record.type) {
    case JournalRecordType::kRunStarted:
      missing->run_tasks = std::max(missing->run_tasks, record.count);
      return;
    case JournalRecordType::kTaskStarted:
      if (record.row >= manifest_tasks) missing->started.insert(record.row);
      [[fallthrough]];
    case JournalRecordType::kTaskEnded:
    case JournalRecordType::kTaskResults:
    case JournalRecordType::kTaskNodes:
      missing->run_tasks =
          std::max(missing->run_tasks, uint64_t{record.row} + 1);
      return;
    case JournalRecordType::kRunFinished:
    case JournalRecordType::kRunResumed:
    case JournalRecordType::kAllocationNodes:
      return;
  }
}

bool AcceptTail(const std::string& path, uint64_t stop, bool cut_damage,
                JournalTail* tail, std::string* copy, std::string* error) {
  *tail = ExamineJournalTail(path, stop);
  if (!tail->error.empty()) {
    *error = tail->error;
    return false;
  }
  if (!tail->Damaged()) return true;
  if (cut_damage) {
    *copy = KeepDamagedCopy(path, error);
    return !copy->empty();
  }
  *error = "journal " + path + " is damaged at byte " +
           std::to_string(tail->stop) + " of " +
           std::to_string(tail->file_size) + ": " +
           Plural(tail->records_after, "good record follows",
                  "good records follow") +
           " the damage, so it is not the torn last write of a killed run. "
           "Cutting it at byte " +
           std::to_string(tail->stop) + " would lose " +
           Plural(tail->BytesCut(), "byte", "bytes") + " with those " +
           Plural(tail->records_after, "record", "records") + " (at least " +
           Plural(tail->done_after, "task", "tasks") +
           " recorded DONE would run again). Keep a copy of the "
           "journal; resume with --force to cut it there (sortie keeps a "
           "copy beside it first)";
  return false;
}

std::string CutDamageNotice(const std::string& path, const JournalTail& tail,
                            const std::string& copy) {
  return "sortie: warning: journal " + path + " was damaged at byte " +
         std::to_string(tail.stop) + " of " + std::to_string(tail.file_size) +
         "; --force: kept a copy in " + copy + ", then cut it at byte " +
         std::to_string(tail.stop) + ", dropping " +
         Plural(tail.records_after, "good record", "good records") +
         " after the damage (at least " +
         Plural(tail.done_after, "task", "tasks") +
         " recorded DONE run again)\n";
}

bool AcceptMissingTasks(const std::string& manifest_path, size_t manifest_tasks,
                        const std::string& run_h5, const MissingTasks& missing,
                        bool force) {
  if (missing.started.empty()) return true;
  const uint64_t count = missing.Count(manifest_tasks);
  const std::string rows = ListRows(missing.started, SnapshotIds(run_h5));
  if (force) {
    std::cerr << "sortie: --force: dropping the last "
              << Plural(count, "task", "tasks") << " of the run, missing from "
              << manifest_path << " (" << missing.started.size()
              << " of them had started: " << rows << "); " << run_h5
              << " loses their rows and events\n";
    return true;
  }
  std::cerr << "sortie: " << manifest_path << " has "
            << Plural(manifest_tasks, "task", "tasks") << ", but the run in "
            << JournalPathFor(run_h5) << " has " << missing.run_tasks << ": "
            << (count == 1 ? "its last task is"
                           : "its last " + std::to_string(count) + " tasks are")
            << " missing from the manifest, and " << missing.started.size()
            << " of those had started (" << rows
            << "); resuming would drop them, with their events and results, "
            << "from " << run_h5 << ". Put them back at the end of "
            << manifest_path << ", or resume with --force to drop them; "
            << "nothing was run\n";
  return false;
}

}  // namespace sortie
