// The stream-stream join operator driven port by port with explicit
// watermarks: a save after an eviction that compacted the buffers (rows not
// saved yet renumbered), and a restore that keeps the matched flags, so the
// restored join emits each unmatched row once and a matched one never.
#include <doctest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "config/pipeline_config.hpp"
#include "plan/graph.hpp"
#include "state/state_store.hpp"

using namespace runnel;

namespace {

constexpr int64_t kSecond = 1'000'000;

const char* const kPipeline = R"(
version: 1
sources:
  l: {type: stdin, format: json, schema: "k LONG, t TIMESTAMP"}
  r: {type: stdin, format: json, schema: "rk LONG, rt TIMESTAMP"}
transforms:
  rw: {from: r, steps: [{watermark: {column: rt, delay: 0 seconds}}]}
  j:
    from: l
    steps:
      - watermark: {column: t, delay: 0 seconds}
      - join: {with: rw, type: left_outer, on: "k = rk AND rt >= t AND rt <= t + INTERVAL 1 MINUTE"}
sinks: {out: {from: j, type: stdout, format: json}}
)";

struct Planned {
  Graph graph = plan_graph(config::load_pipeline_text(kPipeline, "join.yaml"), {});
  Operator& join() { return *graph.transforms[1]->ops[1]; }
  const Schema& schema(size_t source) { return *graph.sources[source]->source->schema(); }
};

// Rows of (key, seconds).
Batch rows(const Schema& schema, const std::vector<std::pair<int64_t, int64_t>>& values) {
  Batch b = Batch::builder(std::make_shared<Schema>(schema), values.size());
  for (auto& [key, seconds] : values) {
    b.columns[0]->append(key);
    b.columns[1]->append(seconds * kSecond);
  }
  b.num_rows = values.size();
  return b;
}

// "k@t" or "k@t+rk@rt" per output row, sorted.
struct Output {
  std::vector<std::string> rows;
  Emit emit() {
    return [this](Batch& b) {
      for (size_t i = 0; i < b.size(); ++i) {
        auto side = [&](size_t c) {
          return b.columns[c]->is_null(i)
                     ? std::string()
                     : std::to_string(b.columns[c]->data<int64_t>()[i]) + "@" +
                           std::to_string(b.columns[c + 1]->data<int64_t>()[i] / kSecond);
        };
        std::string right = side(2);
        rows.push_back(side(0) + (right.empty() ? "" : "+" + right));
      }
    };
  }
  std::vector<std::string> take() {
    std::sort(rows.begin(), rows.end());
    return std::exchange(rows, {});
  }
};

BatchContext at(int64_t batch_id, int64_t watermark_seconds) {
  BatchContext ctx;
  ctx.batch_id = batch_id;
  ctx.watermark_us = watermark_seconds * kSecond;
  return ctx;
}

}  // namespace

TEST_CASE("a restored stream-stream join keeps unsaved rows across a compaction and the matched flags") {
  Planned a;
  MemoryStateStore store;
  Output out;
  BatchContext ctx = at(0, 0);
  Batch left = rows(a.schema(0), {{1, 0}, {2, 10}, {3, 20}});
  Batch right = rows(a.schema(1), {{1, 30}});
  a.join().push_port(0, ctx, left, out.emit());
  a.join().push_port(1, ctx, right, out.emit());
  a.join().end_batch(ctx, out.emit());
  CHECK(out.take() == std::vector<std::string>{"1@0+1@30"});
  a.join().save_state(store);
  store.commit(0);

  // Watermark 90 s: left rows at or before 29.999 s go (2 and 3 unmatched), the right one too; the
  // buffers compact with rows 4 and 5 not saved yet.
  ctx = at(1, 90);
  left = rows(a.schema(0), {{4, 80}, {5, 85}});
  a.join().push_port(0, ctx, left, out.emit());
  a.join().end_batch(ctx, out.emit());
  CHECK(out.take() == std::vector<std::string>{"2@10", "3@20"});
  CHECK(a.join().state_progress()->rows_total == 2);
  a.join().save_state(store);
  store.commit(1);

  Planned b;
  b.join().load_state(store);
  ctx = at(2, 90);
  right = rows(b.schema(1), {{4, 100}});
  b.join().push_port(1, ctx, right, out.emit());
  b.join().end_batch(ctx, out.emit());
  CHECK(out.take() == std::vector<std::string>{"4@80+4@100"});
  CHECK(b.join().state_progress()->rows_total == 3);
  b.join().save_state(store);
  store.commit(2);

  Planned c;  // again, through the incremental save of the matched flag
  c.join().load_state(store);
  ctx = at(3, 0);
  ctx.watermark_us = kEndOfTime;
  ctx.end_of_stream = true;
  c.join().end_batch(ctx, out.emit());
  CHECK(out.take() == std::vector<std::string>{"5@85"});
}

TEST_CASE("a stream-stream join evicts rows that arrived out of event-time order exactly when due") {
  // One key, times 50, 10, 40, 20 s: the first queues in order, the others arrive earlier than it.
  // A left row goes once the watermark reaches its time + 60 s; each goes from the middle of its group.
  Planned a;
  Output out;
  BatchContext ctx = at(0, 0);
  Batch left = rows(a.schema(0), {{7, 50}, {7, 10}, {7, 40}, {7, 20}});
  a.join().push_port(0, ctx, left, out.emit());
  a.join().end_batch(ctx, out.emit());
  CHECK(out.take().empty());
  ctx = at(1, 75);
  a.join().end_batch(ctx, out.emit());
  CHECK(out.take() == std::vector<std::string>{"7@10"});
  ctx = at(2, 105);
  a.join().end_batch(ctx, out.emit());
  CHECK(out.take() == std::vector<std::string>{"7@20", "7@40"});
  CHECK(a.join().state_progress()->rows_total == 1);
  ctx = at(3, 0);
  Batch right = rows(a.schema(1), {{7, 100}});  // the one left row still buffered matches
  a.join().push_port(1, ctx, right, out.emit());
  CHECK(out.take() == std::vector<std::string>{"7@50+7@100"});
}
