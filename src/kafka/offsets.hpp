// Kafka offsets as the checkpoint stores them, in Spark's form: per topic,
// per partition, the offset of the next record to read,
//   {"events": {"0": 23, "1": 7}}
// so batch N reads [offsets of N-1, offsets of N) of every partition. In
// starting_offsets/ending_offsets JSON, -2 stands for earliest and -1 for
// latest (Spark's sentinels).
#pragma once
#include <compare>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace runnel::kafka {

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const TopicPartition&) const = default;
};

using PartitionOffsets = std::map<TopicPartition, int64_t>;

constexpr int64_t kEarliest = -2;
constexpr int64_t kLatest = -1;

nlohmann::json offsets_to_json(const PartitionOffsets& offsets);
// Throws nlohmann::json::exception when `json` is not of that form.
PartitionOffsets offsets_from_json(const nlohmann::json& json);

// Spark's KafkaSource rate limit (maxOffsetsPerTrigger): `limit` records
// split over the partitions of `until` in proportion to their lag
// (until - from); a partition's share below 1 is rounded up so none starves,
// other shares are rounded down. A partition missing from `from` is not
// limited. REQUIRES: limit > 0.
PartitionOffsets rate_limit(const PartitionOffsets& from, const PartitionOffsets& until, int64_t limit);

// "events/3": how logs and errors name a partition.
std::string partition_name(const TopicPartition& tp);

}  // namespace runnel::kafka
