#include "kafka/offsets.hpp"

#include <algorithm>
#include <cmath>

namespace runnel::kafka {

nlohmann::json offsets_to_json(const PartitionOffsets& offsets) {
  nlohmann::json json = nlohmann::json::object();
  for (const auto& [tp, offset] : offsets) json[tp.topic][std::to_string(tp.partition)] = offset;
  return json;
}

PartitionOffsets offsets_from_json(const nlohmann::json& json) {
  PartitionOffsets offsets;
  for (const auto& [topic, partitions] : json.items()) {
    if (!partitions.is_object())
      throw nlohmann::json::type_error::create(302, "partitions must be an object", &json);
    for (const auto& [partition, offset] : partitions.items())
      offsets[{topic, static_cast<int32_t>(std::stol(partition))}] = offset.get<int64_t>();
  }
  return offsets;
}

PartitionOffsets rate_limit(const PartitionOffsets& from, const PartitionOffsets& until, int64_t limit) {
  double total = 0;
  for (const auto& [tp, end] : until)
    if (auto it = from.find(tp); it != from.end()) total += static_cast<double>(end - it->second);
  if (total < 1) return until;
  PartitionOffsets limited;
  for (const auto& [tp, end] : until) {
    auto it = from.find(tp);
    if (it == from.end()) {
      limited[tp] = end;
      continue;
    }
    double share = static_cast<double>(limit) * (static_cast<double>(end - it->second) / total);
    auto records = static_cast<int64_t>(share < 1 ? std::ceil(share) : std::floor(share));
    int64_t begin = it->second;
    limited[tp] = std::min(end, records > INT64_MAX - begin ? INT64_MAX : begin + records);
  }
  return limited;
}

std::string partition_name(const TopicPartition& tp) { return tp.topic + "/" + std::to_string(tp.partition); }

}  // namespace runnel::kafka
