#include "common/utf8.h"

namespace sortie {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

bool IsContinuation(unsigned char byte) { return (byte & 0xC0u) == 0x80u; }

// Length of the valid UTF-8 sequence at text[at], or 0 when it is not one
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
size_t SequenceLength(std::string_view text, size_t at) {
  const auto lead = static_cast<unsigned char>(text[at]);
  size_t length = 0;
  unsigned min = 0;
  if (lead < 0x80u) return 1;
  if ((lead & 0xE0u) == 0xC0u) length = 2, min = 0x80;
  if ((lead & 0xF0u) == 0xE0u) length = 3, min = 0x800;
  if ((lead & 0xF8u) == 0xF0u) length = 4, min = 0x10000;
  if (length == 0 || at + length > text.size()) return 0;
  unsigned code = lead & (0x7Fu >> length);
  for (size_t i = 1; i < length; ++i) {
    const auto byte = static_cast<unsigned char>(text[at + i]);
    if (!IsContinuation(byte)) return 0;
    code = (code << 6) | (byte & 0x3Fu);
  }
  if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
    return 0;
  }
  return length;
}

}  // namespace

std::string SafeText(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  size_t at = 0;
  while (at < bytes.size()) {
    const size_t length = SequenceLength(bytes, at);
    const auto byte = static_cast<unsigned char>(bytes[at]);
    const bool control = length == 1 && (byte < 0x20u || byte == 0x7Fu) &&
                         byte != '\n' && byte != '\t';
    if (length == 0 || control) {
      out += kReplacement;
      ++at;
      continue;
    }
    out.append(bytes.substr(at, length));
    at += length;
  }
  return out;
}

std::string_view LastLine(std::string_view text) {
  auto blank = [](std::string_view line) {
    return line.find_first_not_of(" \t\r") == std::string_view::npos;
  };
  while (!text.empty()) {
    const size_t newline = text.rfind('\n');
    const std::string_view line =
        newline == std::string_view::npos ? text : text.substr(newline + 1);
    if (!blank(line)) return line;
    if (newline == std::string_view::npos) break;
    text = text.substr(0, newline);
  }
  return {};
}

std::string Shorten(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  constexpr std::string_view kEllipsis = "\xE2\x80\xA6";
  // The mark counts against the limit: a reader's column stays that wide.
  const bool marked = max_bytes >= kEllipsis.size();
  size_t cut = marked ? max_bytes - kEllipsis.size() : max_bytes;
  while (cut > 0 && IsContinuation(static_cast<unsigned char>(text[cut]))) {
    --cut;
  }
  std::string shortened(text.substr(0, cut));
  if (marked) shortened += kEllipsis;
  return shortened;
}

}  // namespace sortie
