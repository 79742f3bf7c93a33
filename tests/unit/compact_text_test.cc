#include "common/compact_text.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "common/flat_archive.h"
#include "common/task.h"

namespace sortie {
namespace {

using Tags = CompactText<"{}">;

TEST(CompactTextTest, HoldsItsDefaultUntilSetAndAfterBeingSetBack) {
  Tags tags;
  EXPECT_EQ(tags, "{}");
  EXPECT_STREQ(tags.c_str(), "{}");
  tags = std::string(R"({"n":1})");
  EXPECT_EQ(tags.view(), R"({"n":1})");
  EXPECT_EQ(tags.size(), 7u);
  EXPECT_STREQ(tags.c_str(), R"({"n":1})");
  tags.assign("");
  EXPECT_TRUE(tags.empty());
  tags = "{}";
  EXPECT_EQ(tags, "{}");
}

TEST(CompactTextTest, CopiesAreDeepAndMovesLeaveTheDefault) {
  Tags a;
  a = "[1,2,3]";
  Tags b = a;
  a = "x";
  EXPECT_EQ(b, "[1,2,3]");
  Tags c = std::move(b);
  EXPECT_EQ(c, "[1,2,3]");
  EXPECT_EQ(b, "{}");  // NOLINT: moved from, which leaves the default
  a = std::move(c);
  EXPECT_EQ(a, "[1,2,3]");
  EXPECT_EQ(c, "{}");  // NOLINT: the same for a move assignment
}

TEST(CompactTextTest, SerialisesAsAStdStringDoes) {
  for (const std::string text : {"{}", "", R"({"k":"v"})"}) {
    Tags tags;
    tags = text;
    std::string as_compact, as_string;
    FlatWriter(&as_compact) & tags;
    FlatWriter(&as_string) & text;
    EXPECT_EQ(as_compact, as_string);
    Tags back;
    back = "something else";
    FlatReader(as_compact) & back;
    EXPECT_EQ(back, text);
  }
}

TEST(CompactTextTest, KeepsTheTaskSpecSmall) {
  // Rank 0 holds one TaskSpec per task: it was 240 bytes with the tags and
  // args as std::string.
  EXPECT_LE(sizeof(TaskSpec), 192u);
}

}  // namespace
}  // namespace sortie
