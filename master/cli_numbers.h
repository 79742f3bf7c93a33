// Checks for the numeric options of the command line, with plain messages:
// CLI11's own range checks print the range's bounds in full, a 309-digit
// number for "not negative" ("--nodes: Value 0 not in range 0.000000 to
// 17976931348623157081...").
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>

namespace sortie {

/// Accepts a whole number from `min` to INT32_MAX. Otherwise the option's
/// error reads "--NAME: must be a whole number >= MIN (got TEXT)" (or "must
/// be at most 2147483647 (got TEXT)").
CLI::Validator WholeNumberAtLeast(int32_t min);

/// Accepts a finite number of seconds, >= 0 or, with `above_zero`, > 0.
/// Otherwise: "--NAME: must be a number of seconds >= 0 (got TEXT)".
CLI::Validator Seconds(bool above_zero);

/// Accepts what ParseDuration does ("HH:MM:SS", "D-HH:MM:SS", "MM:SS",
/// "SECONDS"). Otherwise: "--NAME: must be a duration HH:MM:SS (got TEXT)".
CLI::Validator Duration();

}  // namespace sortie
