// When the allocation ends: from --walltime, or asked of the batch system.
#pragma once

#include <optional>
#include <string>

namespace sortie {

/// Parses a duration: "SECONDS", "MM:SS", "HH:MM:SS" or "D-HH:MM:SS"
/// (Slurm's form). Returns nothing for anything else.
std::optional<double> ParseDuration(const std::string& text);

/// Seconds left in this batch job, asked of the batch system: Slurm
/// (`squeue -h -j $SLURM_JOB_ID -o %L`) or PBS (`qstat -f $PBS_JOBID`:
/// Resource_List.walltime minus resources_used.walltime). Nothing when
/// neither answers within a few seconds; `source` names where it came from.
std::optional<double> AskBatchSystemForTimeLeft(std::string* source);

/// Seconds left according to PBS `qstat -f` output.
std::optional<double> TimeLeftFromQstat(const std::string& qstat_output);

}  // namespace sortie
