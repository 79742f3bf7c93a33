#include "master/resume_refusals.h"

#include "master/journal.h"

namespace sortie {

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

}  // namespace sortie
