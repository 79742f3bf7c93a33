// What lies after the point where a journal's replay stopped: the torn tail
// of a killed run, cut quietly on resume, or damage before the end (a bad
// disk block, an edit, a bad copy), which a resume must not cut without
// being told, since the good records after it would be lost.
// docs/journal.md states the rule.
#pragma once

#include <cstdint>
#include <string>

namespace sortie {

/// The bytes after a replay's stop, examined.
struct JournalTail {
  uint64_t stop = 0;       ///< where replay stopped: end of the good prefix
  uint64_t file_size = 0;  ///< bytes in the file
  /// Complete, CRC-valid, decodable records found after the bad bytes.
  uint64_t records_after = 0;
  /// How many of those record a task ending DONE.
  uint64_t done_after = 0;
  /// Offset of the first of them (0 when there is none).
  uint64_t first_after = 0;
  /// Non-empty when the file could not be read.
  std::string error;

  /// True when good records follow the bad bytes: the journal is damaged
  /// before its end. A killed run leaves nothing decodable after its torn
  /// last write.
  bool Damaged() const { return records_after > 0; }
  /// Bytes a cut at `stop` removes.
  uint64_t BytesCut() const { return file_size - stop; }
};

/// Reads the journal at `path` from `stop` (a replay's valid_bytes, where a
/// bad frame starts) to its end and counts the good records there: it tries
/// a frame at every byte offset after `stop` and, from each good one on,
/// follows the frames. The whole tail is read into memory.
JournalTail ExamineJournalTail(const std::string& path, uint64_t stop);

/// Copies the journal at `path` to `path` + ".damaged-YYYYMMDD-HHMMSS" (with
/// "-2", "-3", ... appended when taken) and syncs the copy. Returns the
/// copy's path, or "" with `*error` set.
std::string KeepDamagedCopy(const std::string& path, std::string* error);

}  // namespace sortie
