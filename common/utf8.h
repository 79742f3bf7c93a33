// Making arbitrary bytes (task output tails) safe to show as text: JSON and
// HTML need valid UTF-8, terminals need no control characters.
#pragma once

#include <string>
#include <string_view>

namespace sortie {

/// `bytes` with every invalid or cut UTF-8 sequence replaced by U+FFFD and
/// every control character except newline and tab by U+FFFD, so the result
/// is valid UTF-8 and prints harmlessly.
std::string SafeText(std::string_view bytes);

/// The last line of `text` that is not blank, without its newline; "" when
/// there is none.
std::string_view LastLine(std::string_view text);

/// `text` cut to at most `max_bytes` in all, never inside a UTF-8
/// character, ending in "…" (3 bytes) when cut and `max_bytes` >= 3.
/// `text` must be valid UTF-8.
std::string Shorten(std::string_view text, size_t max_bytes);

}  // namespace sortie
