// One JSON Lines manifest line to one TaskSpec, with every problem on the
// line described in words a user can act on.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/task.h"
#include "master/manifest_graph.h"

namespace sortie::manifest_internal {

/// Parses task objects line by line, reusing one simdjson parser and its
/// buffers for the whole manifest.
class JsonLineParser {
 public:
  /// Returns true when `line` held a JSON object, so `task` holds whatever
  /// fields were readable (the caller may check its id against others even
  /// if `problems` is not empty). Appends one message per problem found.
  /// `line` must be followed by SIMDJSON_PADDING readable bytes, and an
  /// absent id becomes `line_number` as text.
  bool Parse(std::string_view line, uint64_t line_number, TaskSpec* task,
             std::vector<std::string>* problems);
  /// The ids the `after` keys of every line parsed so far named; a task's
  /// `after` holds indexes into it.
  const NamePool& after_names() const { return after_names_; }

 private:
  /// Grows the parser geometrically so slowly lengthening lines do not
  /// reallocate it line after line. The caller bounds `size` (see
  /// kMaxLineBytes).
  bool Reserve(size_t size, std::vector<std::string>* problems);
  /// The message for `line`, which simdjson rejected with `error`: text
  /// after a complete value, or the error in words a user can act on.
  std::string DescribeParseError(std::string_view line,
                                 simdjson::error_code error);

  simdjson::dom::parser parser_;
  size_t capacity_ = 0;
  // Scratch space kept across lines so a typical line allocates nothing
  // beyond the TaskSpec's own strings.
  std::vector<std::string_view> keys_;
  simdjson::internal::string_builder<> builder_;
  NamePool after_names_;
};

}  // namespace sortie::manifest_internal
