// std::cerr on every rank goes through WholeLineBuffer: a message written
// in pieces must reach the shared stderr as whole lines.
#include "common/stderr_line.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <thread>
#include <vector>

namespace sortie {
namespace {

// Collects what the buffer passes on, one entry per sink call.
struct Writes {
  std::vector<std::string> calls;
  WholeLineBuffer buffer{
      [this](std::string_view text) { calls.emplace_back(text); }};
  std::ostream out{&buffer};
  Writes() { out.setf(std::ios::unitbuf); }  // like std::cerr
};

TEST(WholeLineBufferTest, AMessageInPiecesGoesOutInOneWrite) {
  Writes w;
  w.out << "sortie: "
        << "run.h5"
        << " is in use by rank " << 3 << "\n";
  EXPECT_EQ(w.calls,
            std::vector<std::string>{"sortie: run.h5 is in use by rank 3\n"});
}

TEST(WholeLineBufferTest, APartialLineWaitsForItsNewline) {
  Writes w;
  w.out << "first\nsecond ";
  EXPECT_EQ(w.calls, std::vector<std::string>{"first\n"});
  w.out << "half\n";
  EXPECT_EQ(w.calls, (std::vector<std::string>{"first\n", "second half\n"}));
}

TEST(WholeLineBufferTest, ALineRedrawnInPlaceGoesAtOnce) {
  Writes w;
  w.out << "\r120 of 1000 tasks done";
  EXPECT_EQ(w.calls, std::vector<std::string>{"\r120 of 1000 tasks done"});
}

TEST(WholeLineBufferTest, WhatIsLeftGoesWhenTheBufferEnds) {
  std::vector<std::string> calls;
  {
    WholeLineBuffer buffer([&](std::string_view t) { calls.emplace_back(t); });
    std::ostream out(&buffer);
    out << "no newline";
    out.flush();
    EXPECT_TRUE(calls.empty());
  }
  EXPECT_EQ(calls, std::vector<std::string>{"no newline"});
}

TEST(WholeLineBufferTest, ARunawayLineIsPassedOnAnyway) {
  Writes w;
  w.out << std::string(100 * 1024, 'x');
  ASSERT_EQ(w.calls.size(), 1u);
  EXPECT_EQ(w.calls[0].size(), 100u * 1024);
}

// Each thread writes each line with one <<: pieces of one line written
// separately by two threads at once may mix (see the header).
TEST(WholeLineBufferTest, LinesFromTwoThreadsStayWhole) {
  Writes w;
  auto write_lines = [&w](char c) {
    for (int i = 0; i < 200; ++i) {
      w.out << std::string(10, c) + " " + std::to_string(i) + "\n";
    }
  };
  std::thread a(write_lines, 'a');
  std::thread b(write_lines, 'b');
  a.join();
  b.join();
  size_t lines = 0;
  for (const std::string& call : w.calls) {
    size_t start = 0;
    for (size_t nl = call.find('\n'); nl != std::string::npos;
         start = nl + 1, nl = call.find('\n', start)) {
      const std::string line = call.substr(start, nl - start);
      ASSERT_TRUE(line.rfind("aaaaaaaaaa ", 0) == 0 ||
                  line.rfind("bbbbbbbbbb ", 0) == 0)
          << line;
      ++lines;
    }
    EXPECT_EQ(start, call.size());
  }
  EXPECT_EQ(lines, 400u);
}

}  // namespace
}  // namespace sortie
