// Writing JSON string literals without a JSON library (for text columns and
// messages built on hot paths).
#pragma once

#include <string>
#include <string_view>

namespace sortie {

/// Appends `text` to `out` as a quoted JSON string. Bytes >= 0x80 are copied
/// as they are (the input is UTF-8, already validated by the manifest reader).
void AppendJsonString(std::string_view text, std::string* out);

}  // namespace sortie
