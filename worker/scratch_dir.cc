#include "worker/scratch_dir.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <string_view>
#include <system_error>

namespace sortie {
namespace {

namespace fs = std::filesystem;

// Takes a run of decimal digits off the front of `*text`; false if none.
bool TakeNumber(std::string_view* text, long long* value) {
  size_t digits = 0;
  long long number = 0;
  while (digits < text->size() && digits < 18 && (*text)[digits] >= '0' &&
         (*text)[digits] <= '9') {
    number = number * 10 + ((*text)[digits] - '0');
    ++digits;
  }
  if (digits == 0) return false;
  text->remove_prefix(digits);
  *value = number;
  return true;
}

// The PID in a name ScratchDirPath made for `host`, or -1.
pid_t PidInName(std::string_view name, const std::string& host) {
  const std::string prefix = "sortie-" + host + "-";
  if (name.substr(0, prefix.size()) != prefix) return -1;
  name.remove_prefix(prefix.size());
  long long pid = 0, rank = 0;
  if (!TakeNumber(&name, &pid) || name.substr(0, 5) != "-rank") return -1;
  name.remove_prefix(5);
  if (!TakeNumber(&name, &rank) || !name.empty() || pid <= 0 ||
      pid > std::numeric_limits<pid_t>::max()) {
    return -1;
  }
  return static_cast<pid_t>(pid);
}

bool OwnDirectory(const fs::path& path) {
  struct stat info {};
  return lstat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode) &&
         info.st_uid == geteuid();
}

// Only hostfiles, which are all a scratch directory holds: anything else
// there was put by someone else and keeps the directory.
bool RemoveHostfilesAndDirectory(const fs::path& dir) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->path().extension() == ".nodes") {
      std::error_code ignored;
      fs::remove(it->path(), ignored);
    }
  }
  return fs::remove(dir, ec);
}

}  // namespace

std::string ScratchDirPath(const std::string& root, const std::string& host,
                           pid_t pid, int rank) {
  return root + "/sortie-" + host + "-" + std::to_string(pid) + "-rank" +
         std::to_string(rank);
}

std::string ScratchRoot() {
  const char* tmp = std::getenv("TMPDIR");
  return tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
}

bool ProcessExists(pid_t pid) { return kill(pid, 0) == 0 || errno == EPERM; }

int RemoveScratchDirsOfGoneRanks(const std::string& root,
                                 const std::string& host,
                                 const std::function<bool(pid_t)>& exists) {
  int removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end;
       it.increment(ec)) {
    const fs::path& path = it->path();
    const pid_t pid = PidInName(path.filename().native(), host);
    if (pid < 0 || !OwnDirectory(path) || exists(pid)) continue;
    if (RemoveHostfilesAndDirectory(path)) ++removed;
  }
  return removed;
}

}  // namespace sortie
