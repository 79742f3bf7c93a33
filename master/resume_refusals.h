// What `sortie run` refuses about what an earlier run left at --out:
// starting over it without --overwrite, and, on --resume, what a plain
// resume refuses and --force accepts besides edited tasks (resume.h): a
// journal damaged before its end, and a manifest that lost tasks of the run
// that had started. docs/resilience.md has the cases.
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "master/journal.h"
#include "master/journal_tail.h"

namespace sortie {

/// Why `sortie run` must not start a new run at `out`, or "" when it may.
/// For a run that is not resumed, or resumed without a journal to resume:
/// an earlier run's RUN.h5 or journal is never replaced unless `overwrite`,
/// and a RUN.h5 without its journal cannot be resumed (nothing records
/// which of its tasks ran).
std::string RefusalToStart(const std::string& out, bool journal_exists,
                           bool run_file_exists, bool resume, bool overwrite);

/// Tasks of the run at or past the end of the manifest as it is now.
struct MissingTasks {
  /// Tasks the run has had: its start record's count, or more when later
  /// records name rows past it (the manifest grew on a resume).
  uint64_t run_tasks = 0;
  /// Rows past the manifest's end that had started at least once.
  std::set<uint32_t> started;

  /// How many of the run's tasks the manifest lacks.
  uint64_t Count(size_t manifest_tasks) const {
    return run_tasks > manifest_tasks ? run_tasks - manifest_tasks : 0;
  }
};

/// Notes what `record` (replayed from the journal) says about the run's
/// tasks past the manifest's first `manifest_tasks`.
void NoteTaskBeyondManifest(const JournalRecord& record, size_t manifest_tasks,
                            MissingTasks* missing);

/// Decides what happens to the bytes after a replay's stop at `stop`:
/// examines them into `*tail`; when they are damage (good records follow)
/// and not `cut_damage`, returns false with `*error` saying so; when they
/// are damage and `cut_damage`, first copies the journal (`*copy` names the
/// copy; false with `*error` when that fails). True: the caller may cut.
bool AcceptTail(const std::string& path, uint64_t stop, bool cut_damage,
                JournalTail* tail, std::string* copy, std::string* error);

/// The warning printed when --force cut a damaged journal at `tail.stop`
/// after keeping `copy`.
std::string CutDamageNotice(const std::string& path, const JournalTail& tail,
                            const std::string& copy);

/// For a resume whose manifest lacks tasks of the run that had started:
/// prints the refusal and returns false, or with `force` prints what is
/// dropped and returns true. True without a word when none had started.
/// Ids of the rows come from the snapshot at `run_h5` when it has them.
bool AcceptMissingTasks(const std::string& manifest_path, size_t manifest_tasks,
                        const std::string& run_h5, const MissingTasks& missing,
                        bool force);

}  // namespace sortie
