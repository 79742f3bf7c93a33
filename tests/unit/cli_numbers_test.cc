// The numeric options' checks (master/cli_numbers.h) as CLI11 applies them:
// plain messages naming the option, the bound and what was given, for bad
// numbers, words, fractions and values out of range.

#include "master/cli_numbers.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sortie {
namespace {

// Parses `--opt VALUE` for an option checked by `check`; the error text,
// or "" when accepted.
template <class T>
std::string Parse(const CLI::Validator& check, const std::string& value) {
  CLI::App app;
  T target{};
  app.add_option("--opt", target)->check(check);
  std::vector<std::string> args = {value,
                                   "--opt"};  // parse takes them reversed
  try {
    app.parse(args);
  } catch (const CLI::ParseError& error) {
    return error.what();
  }
  return "";
}

TEST(CliNumbersTest, WholeNumbersBelowTheBoundSayTheBoundAndTheValue) {
  const CLI::Validator at_least_one = WholeNumberAtLeast(1);
  EXPECT_EQ(Parse<int32_t>(at_least_one, "0"),
            "--opt: must be a whole number >= 1 (got 0)");
  EXPECT_EQ(Parse<int32_t>(at_least_one, "-1"),
            "--opt: must be a whole number >= 1 (got -1)");
  EXPECT_EQ(Parse<int32_t>(WholeNumberAtLeast(0), "-1"),
            "--opt: must be a whole number >= 0 (got -1)");
  EXPECT_EQ(Parse<int32_t>(at_least_one, "1"), "");
  EXPECT_EQ(Parse<int32_t>(at_least_one, "2147483647"), "");
  EXPECT_EQ(Parse<int32_t>(WholeNumberAtLeast(0), "0"), "");
}

TEST(CliNumbersTest, WhatIsNoWholeNumberOrTooLargeIsRefusedPlainly) {
  const CLI::Validator at_least_one = WholeNumberAtLeast(1);
  for (const char* bad : {"1.5", "two", "", " 3", "3 ", "0x10", "1e3"}) {
    EXPECT_EQ(
        Parse<int32_t>(at_least_one, bad),
        std::string("--opt: must be a whole number >= 1 (got ") + bad + ")");
  }
  EXPECT_EQ(Parse<int32_t>(at_least_one, "2147483648"),
            "--opt: must be at most 2147483647 (got 2147483648)");
  EXPECT_EQ(Parse<int32_t>(at_least_one, "99999999999999999999999"),
            "--opt: must be a whole number >= 1 (got 99999999999999999999999)");
}

TEST(CliNumbersTest, SecondsMustBeFiniteAndNotNegative) {
  const CLI::Validator seconds = Seconds(false);
  EXPECT_EQ(Parse<double>(seconds, "0"), "");
  EXPECT_EQ(Parse<double>(seconds, "2.5"), "");
  for (const char* bad : {"-1", "-0.001", "nan", "inf", "soon", ""}) {
    EXPECT_EQ(Parse<double>(seconds, bad),
              std::string("--opt: must be a number of seconds >= 0 (got ") +
                  bad + ")");
  }
}

TEST(CliNumbersTest, SecondsAboveZeroRefuseZero) {
  const CLI::Validator seconds = Seconds(true);
  EXPECT_EQ(Parse<double>(seconds, "0"),
            "--opt: must be a number of seconds > 0 (got 0)");
  EXPECT_EQ(Parse<double>(seconds, "0.1"), "");
}

TEST(CliNumbersTest, DurationsTakeTheWalltimeForms) {
  const CLI::Validator duration = Duration();
  for (const char* good : {"01:00:00", "1-00:00:00", "30:00", "3600"}) {
    EXPECT_EQ(Parse<std::string>(duration, good), "") << good;
  }
  EXPECT_EQ(Parse<std::string>(duration, "an hour"),
            "--opt: must be a duration HH:MM:SS (or D-HH:MM:SS, MM:SS, "
            "SECONDS; got an hour)");
}

}  // namespace
}  // namespace sortie
