// The stream-stream join under a memory budget, against the same join all in
// memory: random rows on both sides (few keys, times around an advancing
// clock, some late), for inner, outer and semi joins, with budgets that spill
// every key or some; the spilling one saves, commits and spills after every
// batch, as the executor does, and restarts from its store now and then,
// sometimes without the limit.
// Every batch's output and row count must be the in-memory join's.
#include <doctest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "config/pipeline_config.hpp"
#include "plan/graph.hpp"
#include "state/state_store.hpp"

using namespace runnel;

namespace {

constexpr int64_t kSecond = 1'000'000;
const char* const kRange = "k = rk AND rt >= t AND rt <= t + INTERVAL 30 SECONDS";
const char* const kTimeKey = "k = rk AND t = rt";

std::string pipeline(const std::string& type, const std::string& on) {
  return R"(
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
      - join: {with: rw, type: )" +
         type + R"(, on: ")" + on + R"("}
sinks: {out: {from: j, type: stdout, format: json}}
)";
}

// The join of a planned pipeline, with a budget (0: all in memory) and the store it restarts from.
struct Driven {
  Graph graph;
  Operator* join;
  Driven(const config::PipelineConfig& config, size_t budget, const StateStore* store)
      : graph(plan_graph(config, {})), join(graph.transforms[1]->ops[1].get()) {
    if (budget) join->set_state_memory(budget);
    if (store) join->load_state(*store);
  }

  // One micro-batch: both sides' rows, the end of the batch, and with a store the executor's save,
  // commit and spill. Returns the output rows, each as its values, sorted.
  std::vector<std::string> run(const BatchContext& ctx, Batch left, Batch right, MemoryStateStore* store) {
    std::vector<std::string> rows;
    Emit out = [&](Batch& b) {
      for (size_t i = 0; i < b.size(); ++i) {
        std::string row;
        for (auto& c : b.columns) row += (c->is_null(i) ? "-" : std::to_string(c->data<int64_t>()[i])) + " ";
        rows.push_back(row);
      }
    };
    join->push_port(0, ctx, left, out);
    join->push_port(1, ctx, right, out);
    join->end_batch(ctx, out);
    if (store) {
      join->save_state(*store);
      store->commit(ctx.batch_id);
      join->spill(*store);
    }
    std::sort(rows.begin(), rows.end());
    return rows;
  }
};

struct Random {
  uint64_t seed;
  uint64_t next(uint64_t n) { return ((seed = seed * 6364136223846793005ULL + 1442695040888963407ULL) >> 33) % n; }
};

// Up to `n` rows of (key, seconds) around `clock`.
Batch random_rows(const Schema& schema, Random& random, int64_t clock, size_t n) {
  const size_t rows = random.next(n + 1);
  Batch b = Batch::builder(std::make_shared<Schema>(schema), rows);
  for (size_t i = 0; i < rows; ++i) {
    b.columns[0]->append(static_cast<int64_t>(random.next(25)));
    b.columns[1]->append((clock + static_cast<int64_t>(random.next(60)) - 30) * kSecond);
  }
  b.num_rows = rows;
  return b;
}

}  // namespace

TEST_CASE("a spilling stream-stream join gives the in-memory join's output, batch by batch, across restarts") {
  // Rows evicted by a time range, or by the event times in the key (inner and full outer only: the
  // other types need the range or a key on a window).
  const std::vector<std::pair<std::string, std::string>> joins = {
      {"inner", kRange}, {"left_outer", kRange}, {"right_outer", kRange}, {"full_outer", kRange},
      {"left_semi", kRange}, {"inner", kTimeKey}, {"full_outer", kTimeKey}};
  for (auto& [type, on] : joins) {
    for (size_t budget : {size_t{1}, size_t{6000}, size_t{20000}}) {
      CAPTURE(type);
      CAPTURE(on);
      CAPTURE(budget);
      const auto config = config::load_pipeline_text(pipeline(type, on), "join.yaml");
      Driven memory(config, 0, nullptr);
      MemoryStateStore store;
      auto spilling = std::make_unique<Driven>(config, budget, &store);
      const Schema& left = *memory.graph.sources[0]->source->schema();
      const Schema& right = *memory.graph.sources[1]->source->schema();
      Random random{budget * 31 + static_cast<uint64_t>(type[0]) + on.size()};
      BatchContext ctx;
      uint64_t spilled_batches = 0;
      for (int64_t b = 0; b < 60; ++b) {
        CAPTURE(b);
        ctx.batch_id = b;
        ctx.late_watermark_us = ctx.watermark_us;
        if (b % 3 == 2) ctx.watermark_us = (b * 10 - 50) * kSecond;  // moves on some batches only
        Batch l = random_rows(left, random, b * 10, 40), r = random_rows(right, random, b * 10, 40);
        Batch l2 = l, r2 = r;
        CHECK(spilling->run(ctx, std::move(l2), std::move(r2), &store) == memory.run(ctx, l, r, nullptr));
        CHECK(spilling->join->state_progress()->rows_total == memory.join->state_progress()->rows_total);
        const uint64_t in_memory = spilling->join->state_progress()->memory_used_bytes;
        if (in_memory < memory.join->state_progress()->memory_used_bytes) ++spilled_batches;
        // A restart, now and then without the limit (its first save drops the eviction-time index, which
        // the next restart under the limit writes again).
        if (random.next(8) == 0) spilling = std::make_unique<Driven>(config, random.next(4) ? budget : 0, &store);
      }
      CHECK(spilled_batches > 10);  // the budgets do make it spill
      ctx.batch_id = 60;
      ctx.late_watermark_us = ctx.watermark_us;
      ctx.watermark_us = kEndOfTime;
      ctx.end_of_stream = true;
      Batch none_l = random_rows(left, random, 0, 0), none_r = random_rows(right, random, 0, 0);
      CHECK(spilling->run(ctx, none_l, none_r, &store) == memory.run(ctx, none_l, none_r, nullptr));
      CHECK(spilling->join->state_progress()->rows_total == 0);
    }
  }
}
