// Continuing a run in a new allocation: the journal is replayed into the
// run's state, a torn tail (the last write of a killed run) is cut off, and
// tasks whose spec changed since they ran are found.
#pragma once

#include <string>
#include <vector>

#include "master/journal_tail.h"
#include "master/manifest.h"
#include "master/resume_refusals.h"
#include "master/run_state.h"

namespace sortie {

/// What replaying a journal found.
struct ReplayOutcome {
  std::string error;       ///< non-empty: the journal cannot be used
  uint64_t records = 0;    ///< records applied
  bool truncated = false;  ///< a torn tail was cut off
  double started_at = 0;   ///< when the first run of this journal started
  /// Rows of tasks that started in an earlier run with a different spec.
  std::vector<uint32_t> changed;
  /// Tasks of the run past the manifest's end (resume_refusals.h).
  MissingTasks missing;
  /// What followed the bad bytes, when replay stopped before the end.
  JournalTail tail;
  /// Where a damaged journal was copied before it was cut (cut_damage).
  std::string damage_copy;
};

/// Replays the journal at `path` into `state` (built from the current
/// manifest) and truncates a torn tail. Tasks are matched by row (their
/// position in the manifest); the manifest may have grown at its end.
/// Damage before the end (good records after the bad bytes) is an error
/// and nothing is cut, unless `cut_damage`: then a copy of the journal is
/// kept and it is cut all the same.
ReplayOutcome ReplayIntoState(const std::string& path, RunState* state,
                              bool cut_damage = false);

/// Journals (to `journal`, the replayed journal reopened) and applies an
/// INTERRUPTED end for every attempt the replay left RUNNING: the run
/// stopped before their ends were recorded. Each ends at the latest time
/// the journal recorded, on the rank it started on, with reason
/// kLostReason; like any interruption it uses up no retry. Call before the
/// run's RunResumed record. Returns how many there were.
size_t RecordLostAttempts(RunState* state, JournalSink* journal);

/// One FILE:LINE error per changed task, for refusing the resume.
std::vector<ManifestError> ChangedTaskErrors(const std::string& manifest_path,
                                             const RunState& state,
                                             const std::vector<uint32_t>& rows);

}  // namespace sortie
