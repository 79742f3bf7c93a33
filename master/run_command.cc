#include "master/run_command.h"

#include <unistd.h>

#include <filesystem>
#include <iomanip>
#include <iostream>

#include "common/mpi.h"
#include "common/mpi_transport.h"
#include "common/version.h"
#include "master/master.h"
#include "master/run_file.h"
#include "master/validate_command.h"
#include "worker/environment.h"
#include "worker/worker.h"

extern char** environ;

namespace sortie {
namespace {

namespace fs = std::filesystem;

std::string Hostname() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "unknown";
  return name;
}

// Workers are already waiting for tasks when rank 0 finds the manifest bad:
// collect every hello (so no message is left unreceived) and send them home.
void DismissWorkers(Transport& transport, Clock& clock, int exit_code) {
  Backoff backoff(20e-6, 4e-3);
  for (int hellos = 1; hellos < transport.size();) {
    if (std::optional<Envelope> envelope = transport.Poll()) {
      if (envelope->tag == static_cast<int>(MessageTag::kHello)) ++hellos;
      backoff.Reset();
    } else {
      clock.SleepFor(backoff.Next());
    }
  }
  for (int rank = 1; rank < transport.size(); ++rank) {
    transport.SendMsg(rank, MessageTag::kShutdown, ShutdownMsg{exit_code, ""});
  }
  while (!transport.Flushed()) clock.SleepFor(backoff.Next());
}

void FillDefaultOutputs(const std::string& logs_dir,
                        std::vector<TaskSpec>* tasks) {
  for (size_t row = 0; row < tasks->size(); ++row) {
    TaskSpec& spec = (*tasks)[row];
    if (!spec.stdout_path.empty() && !spec.stderr_path.empty()) continue;
    std::string stem =
        logs_dir + "/" + LogFileStem(spec.id, static_cast<uint32_t>(row));
    if (spec.stdout_path.empty()) spec.stdout_path = stem + ".out";
    if (spec.stderr_path.empty()) spec.stderr_path = stem + ".err";
  }
}

void PrintSummary(const RunState& state, double seconds,
                  const std::string& out) {
  std::cout << "sortie: " << state.specs().size() << " tasks in "
            << std::fixed << std::setprecision(2) << seconds << " s:";
  for (TaskState s : {TaskState::kDone, TaskState::kFailed, TaskState::kPending,
                      TaskState::kRunning}) {
    if (state.Count(s) > 0) std::cout << " " << state.Count(s) << " " << StateName(s);
  }
  std::cout << "\nsortie: results in " << out << "\n";
}

int RunMaster(const RunOptions& options, Transport& transport, Clock& clock,
              const std::string& host) {
  double started_at = clock.Now();
  Manifest manifest;
  std::vector<ManifestError> errors;
  if (!LoadManifest(options.manifest, options.format, &manifest, &errors)) {
    ReportManifestErrors(options.manifest, errors, "; nothing was run");
    DismissWorkers(transport, clock, 2);
    return 2;
  }
  std::string out = fs::absolute(options.out).lexically_normal().string();
  fs::create_directories(fs::path(out).parent_path());
  std::string logs = options.logs_dir.empty() ? DefaultLogsDir(out)
                                              : fs::absolute(options.logs_dir).string();
  FillDefaultOutputs(logs, &manifest.tasks);

  RunInfo info;
  info.sortie_version = kSortieVersion;
  info.manifest_path = fs::absolute(options.manifest).lexically_normal().string();
  info.manifest_sha256 = manifest.sha256;
  info.mpi_library = mpi::LibraryVersion();
  info.world_size = transport.size();
  info.started_at = started_at;
  RunState state(std::move(manifest.tasks), info);

  JournalWriter journal(JournalPathFor(out));
  PosixLauncher launcher;
  std::unique_ptr<Executor> local;
  if (transport.size() == 1) {
    local = std::make_unique<Executor>(launcher, clock,
                                       ScrubbedEnvironment(environ), 0);
  }
  MasterOptions master_options;
  master_options.snapshot_interval = options.snapshot_interval;
  master_options.host = host;
  Master master(state, transport, clock, journal,
                [&out](const RunView& view) { WriteRunFile(out, view); },
                local.get(), master_options);
  int exit_code = master.Run();
  PrintSummary(state, clock.Now() - started_at, out);
  return exit_code;
}

int RunWorkerRank(Transport& transport, Clock& clock, const std::string& host) {
  PosixLauncher launcher;
  Executor executor(launcher, clock, ScrubbedEnvironment(environ),
                    transport.rank());
  return RunWorker(transport, executor, clock, host);
}

}  // namespace

std::string DefaultLogsDir(const std::string& out) {
  fs::path path(out);
  fs::path stem = path.extension() == ".h5" ? path.stem() : path.filename();
  return (path.parent_path() / (stem.string() + ".logs")).string();
}

std::string LogFileStem(const std::string& id, uint32_t row) {
  constexpr size_t kMaxStem = 200;
  std::string stem = id.substr(0, kMaxStem);
  for (char& c : stem) {
    unsigned char byte = static_cast<unsigned char>(c);
    if (c == '/' || byte < 0x20 || byte == 0x7f) c = '_';
  }
  if (stem.empty() || stem[0] == '.') stem.insert(0, "_");
  if (stem != id) stem += "." + std::to_string(row);
  return stem;
}

int RunCommand(const RunOptions& options, int* argc, char*** argv) {
  mpi::Environment environment(argc, argv);
  try {
    mpi::Comm comm = mpi::Comm::DupWorld();
    MpiTransport transport(comm);
    SystemClock clock;
    std::string host = Hostname();
    if (comm.rank() == 0) return RunMaster(options, transport, clock, host);
    return RunWorkerRank(transport, clock, host);
  } catch (const std::exception& error) {
    // The other ranks are waiting for this one, and MPI_Finalize would wait
    // for them: only an abort ends the job.
    std::cerr << "sortie: error: " << error.what() << std::endl;
    MPI_Abort(MPI_COMM_WORLD, kInternalErrorStatus);
    return kInternalErrorStatus;
  }
}

}  // namespace sortie
