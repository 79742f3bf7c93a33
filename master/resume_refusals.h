// What `sortie run` refuses about what an earlier run left at --out:
// starting over it without --overwrite, and, on --resume, what a plain
// resume refuses and --force accepts besides edited tasks (resume.h): a
// journal damaged before its end. docs/resilience.md has the cases.
#pragma once

#include <cstdint>
#include <string>

#include "master/journal_tail.h"

namespace sortie {

/// Why `sortie run` must not start a new run at `out`, or "" when it may.
/// For a run that is not resumed, or resumed without a journal to resume:
/// an earlier run's RUN.h5 or journal is never replaced unless `overwrite`,
/// and a RUN.h5 without its journal cannot be resumed (nothing records
/// which of its tasks ran).
std::string RefusalToStart(const std::string& out, bool journal_exists,
                           bool run_file_exists, bool resume, bool overwrite);

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

}  // namespace sortie
