#include "master/resume.h"

namespace sortie {

ReplayOutcome ReplayIntoState(const std::string& path, RunState* state,
                              bool cut_damage) {
  ReplayOutcome outcome;
  bool seen_start = false;
  std::vector<bool> changed(state->specs().size(), false);
  ReplayResult replay = ReplayJournal(path, [&](const JournalRecord& record) {
    if (record.type == JournalRecordType::kRunStarted && !seen_start) {
      seen_start = true;
      outcome.started_at = record.time;
    }
    bool known_row = record.row < state->specs().size();
    // Only the latest start counts: once a resume with --force has run the
    // task as it is now, it is no longer changed.
    if (record.type == JournalRecordType::kTaskStarted && known_row) {
      changed[record.row] = record.count != state->SpecHash(record.row);
    }
    NoteTaskBeyondManifest(record, state->specs().size(), &outcome.missing);
    state->Apply(record);
    ++outcome.records;
  });
  if (!replay.error.empty()) {
    outcome.error = replay.error;
    return outcome;
  }
  if (!seen_start) {
    outcome.error = path + ": no run-start record; not a sortie journal";
    return outcome;
  }
  if (replay.torn_tail) {
    if (!AcceptTail(path, replay.valid_bytes, cut_damage, &outcome.tail,
                    &outcome.damage_copy, &outcome.error)) {
      return outcome;
    }
    std::string error;
    if (!TruncateJournal(path, replay.valid_bytes, &error)) {
      outcome.error = error;
      return outcome;
    }
    outcome.truncated = true;
  }
  for (uint32_t row = 0; row < changed.size(); ++row) {
    if (changed[row]) outcome.changed.push_back(row);
  }
  return outcome;
}

size_t RecordLostAttempts(RunState* state, JournalSink* journal) {
  const std::vector<JournalRecord> lost =
      state->LostAttemptRecords(state->LatestRecordedTime());
  for (const JournalRecord& record : lost) {
    journal->Append(record);
    state->Apply(record);
  }
  return lost.size();
}

std::vector<ManifestError> ChangedTaskErrors(
    const std::string& manifest_path, const RunState& state,
    const std::vector<uint32_t>& rows) {
  std::vector<ManifestError> errors;
  for (uint32_t row : rows) {
    const TaskSpec& spec = state.specs()[row];
    errors.push_back(ManifestError{
        manifest_path, spec.line,
        "task \"" + spec.id + "\" changed since it ran (state " +
            std::string(StateName(state.status()[row].state)) +
            "); resume with --force to run it again as it is now"});
  }
  return errors;
}

}  // namespace sortie
