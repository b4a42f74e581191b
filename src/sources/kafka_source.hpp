// The Kafka source, after Spark's KafkaSource: the checkpoint, not a
// consumer group, is the truth for offsets. latest_offset() asks the brokers
// for every partition's high watermark and plans the batch's end offsets
// (kafka/offsets.hpp: Spark's JSON form, max_offsets_per_trigger split over
// the partitions in proportion to their lag); read() takes exactly
// [start, end) of each partition with an assign()ed consumer, so a restart
// re-reads the same records. The offsets where the query started are kept in
// the source's checkpoint directory (`initial`, Spark's initial offset log).
//
// Without `format` the rows are Spark's columns: key, value (binary), topic,
// partition, offset, timestamp, timestamp_type, headers
// (array<struct<key: string, value: binary>>, null without headers). With
// `format` each record's value is one record of that format, parsed into the
// schema's columns by the same readers as files; a malformed one is reported
// at its topic, partition and offset.
#pragma once
#include <memory>

#include "sources/source.hpp"

namespace runnel {

const config::OptionTable& kafka_source_options();
std::unique_ptr<Source> create_kafka_source(const SourceContext& ctx);

}  // namespace runnel
