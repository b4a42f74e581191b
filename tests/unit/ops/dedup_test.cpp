// The deduplicate operator driven batch by batch with explicit watermarks:
// first row per key, late rows, eviction at exactly the watermark, expiry
// within the watermark, progress counters and the state round trip.
#include <doctest.h>

#include <optional>
#include <string>
#include <vector>

#include "config/pipeline_config.hpp"
#include "plan/graph.hpp"
#include "state/state_store.hpp"

using namespace runnel;

namespace {

constexpr int64_t kMinute = 60'000'000;

std::string pipeline(const std::string& dedup) {
  return R"(
version: 1
sources: {in: {type: stdin, format: json, schema: "id LONG, ts TIMESTAMP"}}
transforms:
  t:
    from: in
    steps:
      - watermark: {column: ts, delay: 10 minutes}
      - deduplicate: )" + dedup + R"(
sinks: {out: {from: t, type: stdout, format: json, output_mode: append}}
)";
}

struct Planned {
  Graph graph;
  Operator& dedup() { return *graph.transforms[0]->ops[1]; }
  const Schema& schema() { return *graph.sources[0]->source->schema(); }
};

Planned plan(const std::string& dedup) {
  return Planned{plan_graph(config::load_pipeline_text(pipeline(dedup), "dedup.yaml"), {})};
}

// Rows of (id, minutes); a null minute is a null timestamp.
Batch rows(const Schema& schema, const std::vector<std::pair<int64_t, std::optional<int64_t>>>& values) {
  Batch b = Batch::builder(std::make_shared<Schema>(schema), values.size());
  for (auto& [id, minute] : values) {
    b.columns[0]->append(id);
    minute ? b.columns[1]->append(*minute * kMinute) : b.columns[1]->append_null();
  }
  b.num_rows = values.size();
  return b;
}

// Runs one micro-batch with the watermark `minute` (late rows: `late_minute`);
// returns the emitted rows as "id@minute".
std::vector<std::string> run(Operator& op, Batch input, std::optional<int64_t> minute,
                             std::optional<int64_t> late_minute) {
  BatchContext ctx;
  ctx.watermark_us = minute ? *minute * kMinute : kNoWatermark;
  ctx.late_watermark_us = late_minute ? *late_minute * kMinute : kNoWatermark;
  std::vector<std::string> out;
  Emit emit = [&](Batch& b) {
    for (size_t i = 0; i < b.size(); ++i) {
      uint32_t r = b.row(i);
      std::string ts = b.columns[1]->is_null(r) ? "null" : std::to_string(b.columns[1]->data<int64_t>()[r] / kMinute);
      out.push_back(std::to_string(b.columns[0]->data<int64_t>()[r]) + "@" + ts);
    }
  };
  if (!input.empty()) op.push(ctx, input, emit);
  op.end_batch(ctx, emit);
  return out;
}

using Rows = std::vector<std::string>;

}  // namespace

TEST_CASE("deduplicate keeps the first row of each key in input order, through a selection vector") {
  Planned p = plan("{columns: [id]}");
  Batch b = rows(p.schema(), {{1, 5}, {2, 6}, {1, 7}, {3, 8}, {2, 9}, {4, 1}});
  b.sel = std::make_shared<std::vector<uint32_t>>(std::vector<uint32_t>{1, 2, 3, 4, 5});  // row 0 filtered out
  CHECK(run(p.dedup(), b, std::nullopt, std::nullopt) == Rows{"2@6", "1@7", "3@8", "4@1"});
  CHECK(run(p.dedup(), rows(p.schema(), {{1, 50}, {5, 50}}), std::nullopt, std::nullopt) == Rows{"5@50"});
  auto progress = p.dedup().state_progress();
  REQUIRE(progress);
  CHECK(progress->operator_name == "dedupe");
  CHECK(progress->rows_total == 5);
  CHECK(progress->rows_updated == 1);
  CHECK(progress->rows_dropped_by_watermark == 0);
}

TEST_CASE("without the event time among the keys, dropDuplicates drops late rows but never evicts") {
  Planned p = plan("{columns: [id]}");
  CHECK(run(p.dedup(), rows(p.schema(), {{1, 0}, {2, 100}}), 90, std::nullopt) == Rows{"1@0", "2@100"});
  CHECK(run(p.dedup(), rows(p.schema(), {{1, 95}, {3, 90}, {4, std::nullopt}}), 200, 90) == Rows{"4@null"});
  auto progress = p.dedup().state_progress();
  CHECK(progress->rows_total == 3);
  CHECK(progress->rows_dropped_by_watermark == 1);
}

TEST_CASE("with the event time among the keys, keys at or before the watermark are evicted") {
  Planned p = plan("{columns: [id, ts]}");
  CHECK(run(p.dedup(), rows(p.schema(), {{1, 10}, {1, 11}, {1, std::nullopt}}), 10, std::nullopt) ==
        Rows{"1@10", "1@11", "1@null"});
  CHECK(p.dedup().state_progress()->rows_total == 2);  // 1@10 evicted at exactly the watermark
  CHECK(p.dedup().needs_batch(11 * kMinute));
  CHECK_FALSE(p.dedup().needs_batch(10 * kMinute));
  CHECK(run(p.dedup(), rows(p.schema(), {{1, 10}, {1, 11}, {1, std::nullopt}}), 10, 10).empty());
  CHECK(p.dedup().state_progress()->rows_dropped_by_watermark == 1);
}

TEST_CASE("within the watermark, a key expires at its first event time + the delay and may come back") {
  Planned p = plan("{columns: [id], within_watermark: true}");
  CHECK(run(p.dedup(), rows(p.schema(), {{1, 0}, {1, 5}, {2, 15}}), std::nullopt, std::nullopt) == Rows{"1@0", "2@15"});
  CHECK(p.dedup().state_progress()->operator_name == "dedupeWithinWatermark");
  CHECK(run(p.dedup(), rows(p.schema(), {{1, 12}, {3, 5}}), 10, 5) == Rows{});  // 1 expires at 10, exactly
  CHECK(p.dedup().state_progress()->rows_total == 1);
  CHECK(p.dedup().state_progress()->rows_dropped_by_watermark == 1);
  CHECK(run(p.dedup(), rows(p.schema(), {{1, 11}, {2, 11}}), 24, 10) == Rows{"1@11"});
  CHECK(p.dedup().state_progress()->rows_total == 1);  // 2 expires at 25, the new 1 at 21
}

TEST_CASE("a deduplicate restored from its saved state goes on as the one that saved it") {
  Planned a = plan("{columns: [id], within_watermark: true}");
  Planned b = plan("{columns: [id], within_watermark: true}");
  run(a.dedup(), rows(a.schema(), {{1, 0}, {2, 20}, {3, std::nullopt}}), std::nullopt, std::nullopt);
  MemoryStateStore store;
  a.dedup().save_state(store);
  store.commit(0);
  b.dedup().load_state(store);
  auto next = [&](Planned& p) {
    run(p.dedup(), rows(p.schema(), {}), 10, 0);  // the no-data batch that evicts
    return run(p.dedup(), rows(p.schema(), {{1, 11}, {2, 11}, {3, 11}, {4, 11}}), 10, 10);
  };
  CHECK(next(a) == Rows{"1@11", "3@11", "4@11"});  // a null event time expires at the epoch + the delay
  CHECK(next(b) == Rows{"1@11", "3@11", "4@11"});
}

TEST_CASE("explain names the keys and the event time") {
  CHECK(plan("{columns: [id]}").dedup().explain() == "StreamingDeduplicate [keys: id] [event time: ts]");
  CHECK(plan("{within_watermark: true}").dedup().explain() ==
        "StreamingDeduplicateWithinWatermark [keys: id, ts] [event time: ts]");
}
