#include "master/ready_queue.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <set>
#include <vector>

namespace sortie {
namespace {

struct Key {
  int32_t priority = 0;
  uint32_t row = 0;
};
// As the scheduler orders tasks: higher priority first, then lower row.
struct Before {
  bool operator()(const Key& a, const Key& b) const {
    return a.priority != b.priority ? a.priority > b.priority : a.row < b.row;
  }
};

std::vector<uint32_t> Drain(ReadyQueue<Key, Before>* queue) {
  std::vector<uint32_t> rows;
  while (!queue->empty()) {
    rows.push_back(queue->top().row);
    queue->pop();
  }
  return rows;
}

TEST(ReadyQueueTest, InOrderKeysComeOutInOrder) {
  ReadyQueue<Key, Before> queue;
  for (uint32_t row = 0; row < 5; ++row) queue.push({0, row});
  EXPECT_EQ(queue.size(), 5u);
  EXPECT_EQ(Drain(&queue), (std::vector<uint32_t>{0, 1, 2, 3, 4}));
}

TEST(ReadyQueueTest, LateAndUrgentKeysTakeTheirPlace) {
  ReadyQueue<Key, Before> queue;
  queue.push({0, 5});
  queue.push({0, 9});
  queue.push({0, 2});  // a retry of an earlier row
  queue.push({3, 7});  // higher priority
  queue.push({0, 10});
  EXPECT_EQ(Drain(&queue), (std::vector<uint32_t>{7, 2, 5, 9, 10}));
}

TEST(ReadyQueueTest, AgreesWithAnOrderedSetUnderRandomPushesAndPops) {
  std::mt19937 random(42);
  ReadyQueue<Key, Before> queue;
  std::set<Key, Before> reference;
  uint32_t next_row = 0;
  for (int step = 0; step < 20000; ++step) {
    const auto dice = static_cast<unsigned>(random() % 10);
    if (dice < 6 || reference.empty()) {
      // Mostly in order, sometimes an old row or another priority.
      Key key{0, next_row++};
      if (dice == 0) key.priority = static_cast<int32_t>(random() % 3) - 1;
      if (dice == 1 && key.row > 0) {
        key.row = static_cast<uint32_t>(random() % key.row);  // a retry
      }
      if (reference.count(key) > 0) continue;
      queue.push(key);
      reference.insert(key);
    } else {
      ASSERT_EQ(queue.top().row, reference.begin()->row) << "step " << step;
      ASSERT_EQ(queue.top().priority, reference.begin()->priority);
      queue.pop();
      reference.erase(reference.begin());
    }
    ASSERT_EQ(queue.size(), reference.size());
  }
}

}  // namespace
}  // namespace sortie
