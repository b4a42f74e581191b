// The Kafka sink, after Spark's: one record per row, to the `topic` option or
// the row's `topic` column; `key`, `value` and `headers` are expressions
// (value by default the row as JSON, no key). Without `transactional` the
// producer is idempotent and the sink at-least-once: commit() waits for every
// delivery and a failed one fails the batch.
//
// transactional: true makes it exactly-once. Each micro-batch is one Kafka
// transaction, with transactional.id "runnel-<query id>-<sink>" (the
// checkpoint's query id: stable across restarts, distinct across pipelines).
// init_transactions() at the start fences a crashed predecessor and aborts
// its open transaction. The transaction also commits, for the consumer group
// of the same name, offset batch+1 of partition 0 of the topic: so the batch
// id is committed atomically with the rows, and a restart that re-runs a
// batch whose transaction did commit (a crash after the sink's commit, before
// the checkpoint's) finds it there and skips the batch.
#pragma once
#include <memory>

#include "sinks/sink.hpp"

namespace runnel {

const config::OptionTable& kafka_sink_options();
std::unique_ptr<Sink> create_kafka_sink(const SinkContext& ctx);

}  // namespace runnel
