#include "master/resume_refusals.h"

#include "master/journal.h"

namespace sortie {
namespace {

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

}  // namespace sortie
