// sortie: one binary, subcommands `run`, `validate`, `simulate`, `status` and
// `report`.
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>
#include <map>

#include "common/stderr_line.h"
#include "common/version.h"
#include "master/cli_numbers.h"
#include "master/report_command.h"
#include "master/run_command.h"
#include "master/simulate_command.h"
#include "master/status_command.h"
#include "master/validate_command.h"

namespace {

const std::map<std::string, sortie::ManifestFormat> kFormats = {
    {"auto", sortie::ManifestFormat::kAuto},
    {"jsonl", sortie::ManifestFormat::kJsonLines},
    {"plain", sortie::ManifestFormat::kPlain}};

// Exit statuses: 0 all DONE, 1 some task not DONE, 2 usage or input error,
// 3 internal error (RunCommand aborts the MPI job itself).
constexpr int kUsageError = 2;

}  // namespace

int main(int argc, char** argv) {
  // Every rank's stderr meets in one stream: a message written in pieces
  // could be cut by another rank's line.
  sortie::WriteStandardErrorInWholeLines();
  CLI::App app{"sortie: run a manifest of tasks across an MPI allocation"};
  app.set_version_flag("--version", sortie::kSortieVersion);
  app.require_subcommand(1);

  sortie::RunOptions run;
  CLI::App* run_cmd = app.add_subcommand(
      "run", "Run MANIFEST under mpiexec; rank 0 is the master");
  run_cmd
      ->add_option("manifest", run.manifest,
                   "Task manifest (JSON Lines or plain list)")
      ->required();
  run_cmd->add_option("--out,-o", run.out, "Result file (HDF5)")
      ->capture_default_str();
  run_cmd->add_option("--format", run.format, "Manifest format")
      ->transform(CLI::CheckedTransformer(kFormats, CLI::ignore_case))
      ->default_str("auto");
  run_cmd
      ->add_option("--snapshot-interval", run.snapshot_interval,
                   "Seconds between run.h5 snapshots (0: only at the end)")
      ->capture_default_str()
      ->check(sortie::Seconds(false));
  run_cmd
      ->add_option("--progress", run.progress_interval,
                   "Seconds between progress lines on stderr (0: none; a "
                   "terminal gets one live line, redrawn every second)")
      ->capture_default_str()
      ->check(sortie::Seconds(false));
  run_cmd->add_option("--logs", run.logs_dir,
                      "Directory for per-task stdout/stderr (default: OUT's "
                      "name with .logs, beside it)");
  run_cmd
      ->add_option("--cores-per-node", run.node.cores_per_node,
                   "Cores each node offers (default: detected)")
      ->check(sortie::WholeNumberAtLeast(1));
  run_cmd
      ->add_option("--gpus-per-node", run.node.gpus_per_node,
                   "GPUs each node offers (default: detected)")
      ->check(sortie::WholeNumberAtLeast(0));
  run_cmd->add_flag("--virtual-nodes", run.node.virtual_nodes,
                    "Every rank acts as a node of its own (for testing "
                    "multi-node behaviour on one machine)");
  run_cmd->add_flag("--master-only", run.master_only,
                    "Rank 0 only coordinates and runs no task itself");
  run_cmd->add_flag("--resume", run.resume,
                    "Continue the run recorded in OUT's journal: DONE tasks "
                    "are kept, interrupted ones run again");
  // Without --resume they would do nothing; say so rather than run anyway.
  run_cmd
      ->add_flag("--retry-failed", run.retry_failed,
                 "With --resume: also rerun FAILED, TIMEOUT and SKIPPED tasks")
      ->needs("--resume");
  run_cmd
      ->add_flag("--force", run.force,
                 "With --resume: rerun tasks whose spec changed since they "
                 "ran, drop tasks the manifest no longer has, cut a damaged "
                 "journal (keeping a copy)")
      ->needs("--resume");
  run_cmd
      ->add_flag("--overwrite", run.overwrite,
                 "Replace an existing OUT and journal with a new run")
      ->excludes("--resume");
  run_cmd
      ->add_option("--grace", run.grace,
                   "Seconds between SIGTERM and SIGKILL when stopping a "
                   "task")
      ->capture_default_str()
      ->check(sortie::Seconds(false));
  run_cmd
      ->add_option("--walltime", run.walltime,
                   "Allocation length HH:MM:SS (default: asked of Slurm "
                   "or PBS)")
      ->check(sortie::Duration());
  run_cmd
      ->add_option("--walltime-margin", run.walltime_margin,
                   "Seconds before the walltime at which the run drains")
      ->capture_default_str()
      ->check(sortie::Seconds(false));
  run_cmd->add_option("--launcher", run.launcher,
                      "MPI launcher for multi-rank tasks: hydra, pals, srun, "
                      "openmpi, or a template (default: detected)");

  std::string validate_path;
  sortie::ManifestFormat validate_format = sortie::ManifestFormat::kAuto;
  CLI::App* validate_cmd = app.add_subcommand(
      "validate", "Check MANIFEST and print FILE:LINE for every problem");
  validate_cmd->add_option("manifest", validate_path, "Task manifest")
      ->required();
  validate_cmd->add_option("--format", validate_format, "Manifest format")
      ->transform(CLI::CheckedTransformer(kFormats, CLI::ignore_case))
      ->default_str("auto");

  std::string status_path;
  bool status_json = false;
  CLI::App* status_cmd = app.add_subcommand(
      "status", "Where RUN.h5's run stands (from its journal while it runs)");
  status_cmd->add_option("run", status_path, "The run's RUN.h5")->required();
  status_cmd->add_flag("--json", status_json, "One JSON object, for scripts");

  sortie::ReportOptions report;
  CLI::App* report_cmd = app.add_subcommand(
      "report", "Summarise RUN.h5: accounting, failures, per-tag tables");
  report_cmd->add_option("run", report.path, "The run's RUN.h5")->required();
  report_cmd->add_option("--html", report.html,
                         "Also write a self-contained HTML page with charts");
  report_cmd->add_option("--by", report.by,
                         "Tag keys to group by (default: every tag with at "
                         "most 50 values)");
  sortie::SimulateCommandOptions simulate;
  CLI::App* simulate_cmd = app.add_subcommand(
      "simulate",
      "Run MANIFEST through the scheduler on a virtual clock: makespan, "
      "utilization and a lower bound on NODES nodes (no MPI)");
  simulate_cmd->add_option("manifest", simulate.manifest, "Task manifest")
      ->required();
  simulate_cmd->add_option("--nodes", simulate.nodes, "Nodes to simulate")
      ->required()
      ->check(sortie::WholeNumberAtLeast(1));
  simulate_cmd
      ->add_option("--cores-per-node", simulate.cores_per_node,
                   "Cores per node (default: the most any task needs)")
      ->check(sortie::WholeNumberAtLeast(1));
  simulate_cmd
      ->add_option("--gpus-per-node", simulate.gpus_per_node,
                   "GPUs per node (default: the most any task needs)")
      ->check(sortie::WholeNumberAtLeast(0));
  simulate_cmd
      ->add_option("--default-runtime", simulate.default_runtime,
                   "Seconds a task without est_runtime runs")
      ->check(sortie::Seconds(true));
  simulate_cmd->add_option("--format", simulate.format, "Manifest format")
      ->transform(CLI::CheckedTransformer(kFormats, CLI::ignore_case))
      ->default_str("auto");
  simulate_cmd->add_flag("--json", simulate.json,
                         "Print one JSON object instead of a summary");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kUsageError;
  }
  try {
    if (*validate_cmd)
      return sortie::ValidateCommand(validate_path, validate_format);
    if (*status_cmd) return sortie::StatusCommand(status_path, status_json);
    if (*report_cmd) return sortie::ReportCommand(report);
    if (*simulate_cmd) return sortie::SimulateCommand(simulate);
    return sortie::RunCommand(run, &argc, &argv);
  } catch (const std::exception& error) {
    std::cerr << "sortie: error: " << error.what() << "\n";
    return sortie::kInternalErrorStatus;
  }
}
