#include "master/run_command.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <iomanip>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <thread>

#include "common/idle_priority.h"
#include "common/mpi.h"
#include "common/mpi_transport.h"
#include "common/run_beside.h"
#include "common/stderr_line.h"
#include "common/version.h"
#include "master/fit_check.h"
#include "master/manifest_ahead.h"
#include "master/master.h"
#include "master/resume.h"
#include "master/resume_refusals.h"
#include "master/roster.h"
#include "master/run_file.h"
#include "master/run_lock.h"
#include "master/validate_command.h"
#include "master/walltime.h"
#include "worker/environment.h"
#include "worker/mpi_function_runner.h"
#include "worker/process_launcher.h"
#include "worker/scratch_dir.h"
#include "worker/worker.h"

extern char** environ;

namespace sortie {
namespace {

namespace fs = std::filesystem;

// Set by SIGTERM, SIGINT or SIGUSR1 (batch systems send SIGTERM before the
// walltime's SIGKILL; Hydra's mpiexec forwards all three to every rank).
volatile std::sig_atomic_t g_stop_requested = 0;

void OnStopSignal(int) { g_stop_requested = 1; }

void InstallStopHandlers() {
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  for (int signal : {SIGTERM, SIGINT, SIGUSR1})
    sigaction(signal, &action, nullptr);
}

std::string Hostname() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "unknown";
  return name;
}

void PrintSummary(const RunState& state, double seconds,
                  const std::string& out) {
  const size_t tasks = state.specs().size();
  std::cout << "sortie: " << tasks << (tasks == 1 ? " task" : " tasks")
            << " in " << std::fixed << std::setprecision(2) << seconds << " s:";
  for (TaskState s : {TaskState::kDone, TaskState::kFailed, TaskState::kTimeout,
                      TaskState::kSkipped, TaskState::kInterrupted,
                      TaskState::kPending, TaskState::kRunning}) {
    if (state.Count(s) > 0)
      std::cout << " " << state.Count(s) << " " << StateName(s);
  }
  std::cout << "\nsortie: results in " << out << "\n";
}

// Rank 0 refuses bad input before anything runs and before any earlier
// result is touched: every worker is sent home with status 2.
int Refuse(Transport& transport, Clock& clock, const std::string& path,
           const std::vector<ManifestError>& errors) {
  ReportManifestErrors(path, errors, "; nothing was run");
  DismissWorkers(transport, clock, 2, "");
  return 2;
}

RunInfo MakeRunInfo(const RunOptions& options, const Manifest& manifest,
                    int world_size, double started_at) {
  RunInfo info;
  info.sortie_version = kSortieVersion;
  info.manifest_path =
      fs::absolute(options.manifest).lexically_normal().string();
  info.manifest_sha256 = manifest.sha256;
  info.mpi_library = mpi::LibraryVersion();
  info.world_size = world_size;
  info.started_at = started_at;
  return info;
}

// Seconds-since-epoch end of the allocation, or +inf when unknown.
double WalltimeEnd(const RunOptions& options, double now) {
  if (!options.walltime.empty()) {
    std::optional<double> length = ParseDuration(options.walltime);
    if (!length) {
      throw std::invalid_argument("--walltime " + options.walltime +
                                  ": expected HH:MM:SS");
    }
    return now + *length;
  }
  std::string source;
  std::optional<double> left = AskBatchSystemForTimeLeft(&source);
  if (!left) return std::numeric_limits<double>::infinity();
  std::cout << "sortie: " << source << " says " << *left
            << " s of walltime are left\n";
  return now + *left;
}

// A journal this small holds at most its header: a run killed at its start.
constexpr uintmax_t kEmptyJournalBytes = 12;

// True when this run may go on: it holds the lock on its journal, or the
// file system cannot lock (said once). False: refused (the reason printed).
bool LockedForThisRun(const RunLock& lock, const std::string& out) {
  switch (lock.outcome()) {
    case RunLock::Outcome::kHeld:
      return true;
    case RunLock::Outcome::kInUse:
      std::cerr << "sortie: " << out << " is in use by another sortie run "
                << "(its journal is locked); nothing was run\n";
      return false;
    case RunLock::Outcome::kUnsupported:
      std::cerr << "sortie: warning: cannot lock " << lock.path() << " ("
                << lock.why_unsupported() << "): this file system has no "
                << "flock, so nothing keeps a second sortie run off " << out
                << " while this one runs\n";
      return true;
  }
  return false;
}

// Opens the journal for this run: replays an earlier one on --resume, and
// refuses to clobber one without --overwrite. Empty pointer: refused (the
// reason is printed). The caller holds the run's lock.
std::unique_ptr<JournalWriter> OpenJournal(const RunOptions& options,
                                           const std::string& out,
                                           bool journal_exists, RunState* state,
                                           bool* resumed) {
  std::string path = JournalPathFor(out);
  if (!options.resume || !journal_exists) {
    const std::string refusal =
        RefusalToStart(out, journal_exists, fs::exists(out), options.resume,
                       options.overwrite);
    if (!refusal.empty()) {
      std::cerr << "sortie: " << refusal << "; nothing was run\n";
      return nullptr;
    }
    return std::make_unique<JournalWriter>(path);
  }
  ReplayOutcome replay = ReplayIntoState(path, state, options.force);
  if (replay.records == 0 && fs::file_size(path) <= kEmptyJournalBytes) {
    // Killed before it recorded anything: there is nothing to resume.
    return std::make_unique<JournalWriter>(path);
  }
  if (!replay.error.empty()) {
    std::cerr << "sortie: cannot resume: " << replay.error
              << "; nothing was run\n";
    return nullptr;
  }
  if (!replay.damage_copy.empty()) {
    std::cerr << CutDamageNotice(path, replay.tail, replay.damage_copy);
  }
  if (!AcceptMissingTasks(options.manifest, state->specs().size(), out,
                          replay.missing, options.force)) {
    return nullptr;
  }
  if (!replay.changed.empty() && !options.force) {
    ReportManifestErrors(
        options.manifest,
        ChangedTaskErrors(options.manifest, *state, replay.changed),
        "; nothing was run");
    return nullptr;
  }
  std::unique_ptr<JournalWriter> journal = JournalWriter::OpenForAppend(path);
  const size_t lost = RecordLostAttempts(state, journal.get());
  for (uint32_t row : replay.changed) state->Reset(row);
  state->PrepareResume(options.retry_failed);
  state->info().started_at = replay.started_at;
  std::cout << "sortie: resuming " << path << ": "
            << state->Count(TaskState::kDone) << " tasks DONE, "
            << state->Count(TaskState::kPending) << " to run"
            << (!replay.truncated            ? ""
                : replay.damage_copy.empty() ? " (torn tail cut off)"
                                             : " (damaged journal cut)");
  if (lost > 0) {
    std::cout << "; " << lost << (lost == 1 ? " attempt" : " attempts")
              << " lost when the run stopped, recorded INTERRUPTED";
  }
  std::cout << "\n";
  *resumed = true;
  return journal;
}

// run.h5's spec columns, packed on a thread that runs only when a core is
// otherwise idle (SCHED_IDLE): during dispatch the workers leave part of a
// core free, and each snapshot then packs only the columns that change.
class SpecColumnsAhead {
 public:
  SpecColumnsAhead(const std::vector<TaskSpec>& specs, std::string logs_dir)
      : pending_(RunBeside(
            [&specs,
             caller = std::this_thread::get_id()](const std::string& logs) {
              // Deferred (no thread could be made), this runs in Get(true)
              // on the caller's thread, whose priority must stay.
              if (std::this_thread::get_id() != caller) {
                LowerThisThreadsPriority();
              }
              return PackSpecColumns(specs, logs, false);
            },
            std::move(logs_dir))) {}

  /// The packed columns; null while they are not ready (the writer packs
  /// its own then) unless `wait`, or when packing failed.
  const SpecColumns* Get(bool wait) {
    if (!ready_ && pending_.valid() &&
        (wait || pending_.wait_for(std::chrono::seconds(0)) ==
                     std::future_status::ready)) {
      try {
        ready_ = pending_.get();
      } catch (const std::exception& error) {
        std::cerr << "sortie: warning: run.h5 columns packed ahead failed: "
                  << error.what() << "\n";
      }
    }
    return ready_.get();
  }

 private:
  std::future<std::shared_ptr<const SpecColumns>> pending_;
  std::shared_ptr<const SpecColumns> ready_;
};

int RunMaster(const RunOptions& options, Transport& transport, Clock& clock,
              const NodeResources& node, ExecutorContext context,
              ManifestAhead* manifest_ahead) {
  double started_at = clock.Now();
  LoadedManifest loaded = manifest_ahead->Take();
  Manifest& manifest = loaded.manifest;
  std::vector<ManifestError>& errors = loaded.errors;
  const bool valid = loaded.valid;
  std::string problem;
  std::vector<HelloMsg> hellos = GatherHellos(transport, clock, &problem);
  if (!valid) return Refuse(transport, clock, options.manifest, errors);
  if (!problem.empty()) {
    std::cerr << "sortie: " << problem << "\n";
    DismissWorkers(transport, clock, 2, problem);
    return 2;
  }
  std::vector<ClusterNode> nodes =
      BuildRoster(node, options.master_only, hellos);
  errors = CheckFits(manifest, nodes);
  if (!errors.empty())
    return Refuse(transport, clock, options.manifest, errors);
  // Virtual nodes share the host's CPUs by design (docs/running.md).
  if (!options.node.virtual_nodes) {
    for (const std::string& warning : SharedCoreWarnings(nodes)) {
      WriteToStderr(warning);
    }
  }

  std::string out = fs::absolute(options.out).lexically_normal().string();
  fs::create_directories(fs::path(out).parent_path());
  std::string logs = options.logs_dir.empty()
                         ? DefaultLogsDir(out)
                         : fs::absolute(options.logs_dir).string();
  // Default output paths are derived from `logs` when needed, not stored.
  RunState state(std::move(manifest.tasks),
                 MakeRunInfo(options, manifest, transport.size(), started_at),
                 logs);
  MasterOptions master_options;
  // Held until this function returns, after the journal is closed.
  RunLock lock = RunLock::Take(JournalPathFor(out));
  if (!LockedForThisRun(lock, out)) {
    DismissWorkers(transport, clock, 2, "");
    return 2;
  }
  std::unique_ptr<JournalWriter> journal = OpenJournal(
      options, out, !lock.created(), &state, &master_options.resumed);
  if (!journal) {
    if (std::string why = lock.RemoveWhatTakeCreated(); !why.empty()) {
      std::cerr << "sortie: warning: " << lock.path() << ": " << why << "\n";
    }
    DismissWorkers(transport, clock, 2, "");
    return 2;
  }

  PosixLauncher launcher;
  std::unique_ptr<Executor> local;
  if (!options.master_only) {
    local = std::make_unique<Executor>(launcher, clock, std::move(context));
  }
  master_options.snapshot_interval = options.snapshot_interval;
  master_options.drain_requested = [] { return g_stop_requested != 0; };
  master_options.walltime_end = WalltimeEnd(options, clock.Now());
  master_options.walltime_margin = options.walltime_margin;
  // stderr, as progress meters do: stdout keeps only the run's own lines.
  master_options.progress =
      ProgressFor(options.progress_interval, StderrReachesTerminal());
  SpecColumnsAhead spec_columns(state.specs(), logs);
  Master master(
      state, transport, clock, *journal,
      [&](const RunView& view) {
        // The last snapshot waits for them; earlier ones do not, since on a
        // node kept busy by tasks the idle-priority thread may not run.
        const bool last = !std::isnan(view.info.finished_at);
        WriteRunFile(out, view, spec_columns.Get(last));
      },
      local.get(), std::move(nodes), master_options);
  int exit_code = master.Run();
  PrintSummary(state, clock.Now() - started_at, out);
  return exit_code;
}

}  // namespace

std::string DefaultLogsDir(const std::string& out) {
  fs::path path(out);
  fs::path stem = path.extension() == ".h5" ? path.stem() : path.filename();
  return (path.parent_path() / (stem.string() + ".logs")).string();
}

int RunCommand(const RunOptions& options, int* argc, char*** argv) {
  // Before MPI_Init, so a SIGTERM during a slow start-up drains the run
  // instead of killing the rank; again after it, because the MPI library
  // may take signals for itself (MPICH with UCX takes SIGUSR1).
  InstallStopHandlers();
  // Before MPI_Init and the manifest thread: left unblocked in any thread,
  // each task's exit woke it (the MPI library's progress thread, asleep in
  // epoll_wait), up to 2% of a core at a thousand tasks a second. Tasks
  // start with an empty mask.
  BlockChildSignals();
  // Read on a thread while MPI_Init waits for the other ranks, when the
  // launcher says this is rank 0; otherwise rank 0 reads it after.
  ManifestAhead manifest_ahead(
      options.manifest, options.format,
      LauncherSaysRankZero(
          [](const char* name) -> const char* { return std::getenv(name); }));
  mpi::Environment environment(argc, argv);
  try {
    SystemClock clock;
    // The start-up collectives run side by side and are waited for with
    // back-off, not one blocking call after another: with 8 ranks on 2 cores
    // each blocking collective cost ~0.06 s, mostly waiting for ranks the
    // spinning ones kept off the cores. The duplication starts last, and the
    // next one only once it is complete (see PendingComm::IdupWorld).
    mpi::PendingPlacement placement = mpi::PendingPlacement::Start();
    mpi::PendingComm pilot_world = mpi::PendingComm::IdupWorld();
    PollUntil(clock, [&] { return pilot_world.Test() && placement.Test(); });
    const mpi::Comm& comm = pilot_world.comm();
    // Function tasks build their communicators on a world of their own: Open
    // MPI's MPI_Comm_create_group sends point-to-point messages on the parent
    // communicator, which the transport's probe for any tag would take. Only
    // function tasks wait for it; the transport's polling completes it.
    mpi::PendingComm function_world = mpi::PendingComm::IdupWorld();
    MpiTransport transport(comm);
    auto [local_rank, local_size] = placement.LocalRankAndSize();
    const std::string host = Hostname();
    NodeResources node =
        ShareOfHost(host, AllowedCpus(), DetectGpus(),
                    HostPlacement{local_rank, local_size}, options.node);
    MpiFunctionRunner functions(function_world, clock);
    ExecutorContext context;
    context.rank = comm.rank();
    context.base_env = ScrubbedEnvironment(environ);
    context.mpi_launcher = options.launcher.empty()
                               ? MpiLauncher::Detect(environ)
                               : MpiLauncher::FromSpec(options.launcher);
    context.functions = comm.rank() == 0 ? nullptr : &functions;
    const std::string scratch_root = ScratchRoot();
    context.scratch_dir =
        ScratchDirPath(scratch_root, host, getpid(), comm.rank());
    context.after_making_scratch_dir = [scratch_root, host] {
      RemoveScratchDirsOfGoneRanks(scratch_root, host, ProcessExists);
    };
    context.kill_grace = options.grace;
    InstallStopHandlers();
    int status = 0;
    if (comm.rank() == 0) {
      status = RunMaster(options, transport, clock, node, std::move(context),
                         &manifest_ahead);
    } else {
      PosixLauncher launcher;
      Executor executor(launcher, clock, std::move(context));
      WorkerTiming timing;
      timing.drain_requested = [] { return g_stop_requested != 0; };
      status = RunWorker(transport, executor, clock, node, timing);
    }
    // MPI_Finalize wants every operation complete: every rank gets here.
    PollUntil(clock, [&] { return function_world.Test(); });
    return status;
  } catch (const std::exception& error) {
    // The other ranks are waiting for this one, and MPI_Finalize would wait
    // for them: only an abort ends the job.
    // One write: every rank may fail at once, into the launcher's stream.
    WriteToStderr("sortie: error: " + std::string(error.what()) + "\n");
    MPI_Abort(MPI_COMM_WORLD, kInternalErrorStatus);
    return kInternalErrorStatus;
  }
}

}  // namespace sortie
