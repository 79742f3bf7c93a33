// Where a rank keeps its hostfiles, and the clean-up of what killed ranks
// left there. A rank removes its own directory when it ends; a rank killed
// with SIGKILL cannot, so the next rank on the same host to make one
// removes the directories of ranks that are gone.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

namespace sortie {

/// `root`/sortie-HOST-PID-rankN: the host in the name, because TMPDIR may be
/// shared between nodes and a PID means something only on its own host.
std::string ScratchDirPath(const std::string& root, const std::string& host,
                           pid_t pid, int rank);

/// TMPDIR, or /tmp when it is unset or empty.
std::string ScratchRoot();

/// Whether a process with this PID exists on this host (kill with signal 0).
bool ProcessExists(pid_t pid);

/// Removes from `root` each directory ScratchDirPath names for `host` that
/// belongs to this user (not a symbolic link) and whose PID `exists` says is
/// gone: its `*.nodes` files, then the directory, which stays when anything
/// else is in it. A PID taken again by another process keeps its directory.
/// Never throws: errors (another rank sweeping at the same time, an
/// unreadable `root`) leave things as they are. Returns how many
/// directories it removed.
int RemoveScratchDirsOfGoneRanks(const std::string& root,
                                 const std::string& host,
                                 const std::function<bool(pid_t)>& exists);

}  // namespace sortie
