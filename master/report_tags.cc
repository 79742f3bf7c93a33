// Per-tag aggregates: tasks grouped by the value of one tag key, with their
// runtimes and numeric results. Tags are the manifest's `tags` object, kept
// as compact JSON in /tasks/tags.
#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "master/report_data.h"

namespace sortie {
namespace {

// A tag's value as a group name: a string's own text, anything else as
// compact JSON ("4", "true", "[64,64]").
struct TagValue {
  std::string text;
  double number = kNoTime;
};

// The tags object of one task; empty when it is not an object (never for
// files sortie wrote).
std::map<std::string, TagValue> ParseTags(simdjson::dom::parser& parser,
                                          const std::string& json) {
  std::map<std::string, TagValue> tags;
  simdjson::dom::object object;
  if (parser.parse(json).get_object().get(object) != simdjson::SUCCESS) {
    return tags;
  }
  for (auto field : object) {
    TagValue value;
    std::string_view text;
    double number = 0;
    if (field.value.get_string().get(text) == simdjson::SUCCESS) {
      value.text = std::string(text);
    } else {
      value.text = simdjson::minify(field.value);
      if (field.value.get_double().get(number) == simdjson::SUCCESS) {
        value.number = number;
      }
    }
    tags[std::string(field.key)] = std::move(value);
  }
  return tags;
}

// Numeric results of each task: task row -> key -> values.
std::map<size_t, std::map<std::string, std::vector<double>>> ResultsByTask(
    const RunData& run) {
  std::map<size_t, std::map<std::string, std::vector<double>>> by_task;
  for (const ResultRow& result : run.results) {
    if (std::isnan(result.value) || result.task < 0) continue;
    by_task[static_cast<size_t>(result.task)][result.key].push_back(
        result.value);
  }
  return by_task;
}

void AddTask(const RunData& run, size_t row,
             const std::map<std::string, std::vector<double>>* results,
             TagGroup* group) {
  const TaskRow& task = run.tasks[row];
  ++group->tasks;
  if (task.state == TaskState::kDone) ++group->done;
  if (task.state != TaskState::kRunning) {
    group->runtime.Add(task.end_time - task.start_time);
  }
  if (results == nullptr) return;
  for (const auto& [key, values] : *results) {
    for (double value : values) group->results[key].Add(value);
  }
}

void SortGroups(TagTable* table) {
  table->numeric =
      std::all_of(table->groups.begin(), table->groups.end(),
                  [](const TagGroup& g) { return !std::isnan(g.number); });
  std::sort(table->groups.begin(), table->groups.end(),
            [&](const TagGroup& a, const TagGroup& b) {
              return table->numeric ? a.number < b.number : a.value < b.value;
            });
}

}  // namespace

void Stats::Add(double value) {
  if (std::isnan(value)) return;
  ++count;
  sum += value;
  min = count == 1 ? value : std::min(min, value);
  max = count == 1 ? value : std::max(max, value);
}

double Stats::Mean() const {
  return count == 0 ? kNoTime : sum / static_cast<double>(count);
}

TagTable GroupByTag(const RunData& run, const std::string& key) {
  TagTable table;
  table.key = key;
  simdjson::dom::parser parser;
  const auto results = ResultsByTask(run);
  std::map<std::string, TagGroup> groups;
  for (size_t row = 0; row < run.tasks.size(); ++row) {
    const auto tags = ParseTags(parser, run.tasks[row].tags_json);
    auto found = tags.find(key);
    if (found == tags.end()) {
      ++table.untagged;
      continue;
    }
    TagGroup& group = groups[found->second.text];
    group.value = found->second.text;
    group.number = found->second.number;
    auto task_results = results.find(row);
    AddTask(run, row,
            task_results == results.end() ? nullptr : &task_results->second,
            &group);
  }
  for (auto& entry : groups) table.groups.push_back(std::move(entry.second));
  SortGroups(&table);
  return table;
}

/// Tag keys with at most `max_values` distinct values, sorted.
std::vector<std::string> GroupableTagKeys(const RunData& run,
                                          size_t max_values) {
  simdjson::dom::parser parser;
  std::map<std::string, std::set<std::string>> values;
  for (const TaskRow& task : run.tasks) {
    for (const auto& [key, value] : ParseTags(parser, task.tags_json)) {
      std::set<std::string>& seen = values[key];
      if (seen.size() <= max_values) seen.insert(value.text);
    }
  }
  std::vector<std::string> keys;
  for (const auto& [key, seen] : values) {
    if (seen.size() <= max_values) keys.push_back(key);
  }
  return keys;
}

}  // namespace sortie
