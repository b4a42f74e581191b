// A session-window aggregate's state round trip through a StateStore: the
// restored operator merges sessions across the restart as the one that saved.
#include <doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "config/pipeline_config.hpp"
#include "plan/graph.hpp"
#include "state/state_store.hpp"
#include "operator_test_util.hpp"

using namespace runnel;

namespace {

constexpr const char* kPipeline = R"yaml(
version: 1
sources: {in: {type: stdin, format: json, schema: "user STRING, ts TIMESTAMP, n LONG"}}
transforms:
  t:
    from: in
    steps:
      - aggregate: {group_by: [user, "session_window(ts, '10 seconds')"], aggregates: ["count(*)", "sum(n)", "collect_list(n)"]}
sinks: {out: {from: t, type: stdout, format: json, output_mode: complete}}
)yaml";

constexpr int64_t kSecond = 1'000'000;

Batch rows_of(const Schema& schema, const std::vector<std::tuple<const char*, int64_t, int64_t>>& rows) {
  Batch b = Batch::builder(std::make_shared<Schema>(schema), rows.size());
  for (auto& [user, second, n] : rows) {
    b.columns[0]->append_string(user);
    b.columns[1]->append(second * kSecond);
    b.columns[2]->append(n);
  }
  b.num_rows = rows.size();
  return b;
}

// A session row as "user [start, end) count sum list-size".
std::string session_text(const Batch& b, size_t i) {
  const Column& session = *b.columns[1];
  const Column& list = *b.columns[4];
  return std::string(b.columns[0]->data<std::string_view>()[i]) + " [" +
         std::to_string(session.children()[0]->data<int64_t>()[i] / kSecond) + ", " +
         std::to_string(session.children()[1]->data<int64_t>()[i] / kSecond) + ") " +
         std::to_string(b.columns[2]->data<int64_t>()[i]) + " " + std::to_string(b.columns[3]->data<int64_t>()[i]) +
         " " + std::to_string(list.data<uint32_t>()[i + 1] - list.data<uint32_t>()[i]);
}

std::vector<std::string> run_batch(Operator& op, Batch input, int64_t batch_id) {
  return test::run_batch(op, std::move(input), batch_id, session_text);
}

}  // namespace

TEST_CASE("a session aggregate restored from its saved state merges sessions across the restart") {
  auto config = config::load_pipeline_text(kPipeline, "session.yaml");
  Graph first = plan_graph(config, {});
  Graph second = plan_graph(config, {});
  Operator& a = *first.transforms[0]->ops[0];
  Operator& b = *second.transforms[0]->ops[0];
  const Schema& schema = *first.sources[0]->source->schema();

  CHECK(run_batch(a, rows_of(schema, {{"u", 0, 1}, {"u", 15, 2}, {"v", 0, 5}}), 0) ==
        std::vector<std::string>{"u [0, 10) 1 1 1", "u [15, 25) 1 2 1", "v [0, 10) 1 5 1"});
  MemoryStateStore store;
  a.save_state(store);
  store.commit(0);
  b.load_state(store);

  auto bridge = rows_of(schema, {{"u", 8, 4}, {"v", 30, 1}});  // u 8 bridges u's two sessions
  auto from_a = run_batch(a, bridge, 1);
  CHECK(from_a == run_batch(b, bridge, 1));
  CHECK(from_a == std::vector<std::string>{"u [0, 25) 3 7 3", "v [0, 10) 1 5 1", "v [30, 40) 1 1 1"});
}

namespace {

constexpr const char* kAppendPipeline = R"yaml(
version: 1
sources: {in: {type: stdin, format: json, schema: "user STRING, ts TIMESTAMP, n LONG"}}
transforms:
  t:
    from: in
    steps:
      - watermark: {column: ts, delay: 5 seconds}
      - aggregate: {group_by: ["session_window(ts, '10 seconds')", user], aggregates: ["count(*)", "sum(n)", "collect_list(n)"]}
sinks: {out: {from: t, type: stdout, format: json, output_mode: append}}
)yaml";

// An output row of kAppendPipeline (the session first) as "user [start, end) count sum list".
std::string append_text(const Batch& b, size_t i) {
  const Column& session = *b.columns[0];
  const Column& list = *b.columns[4];
  std::string text = std::string(b.columns[1]->data<std::string_view>()[i]) + " [" +
                     std::to_string(session.children()[0]->data<int64_t>()[i] / kSecond) + ", " +
                     std::to_string(session.children()[1]->data<int64_t>()[i] / kSecond) + ") " +
                     std::to_string(b.columns[2]->data<int64_t>()[i]) + " " +
                     std::to_string(b.columns[3]->data<int64_t>()[i]);
  for (uint32_t j = list.data<uint32_t>()[i]; j < list.data<uint32_t>()[i + 1]; ++j)
    text += " " + std::to_string(list.children()[0]->data<int64_t>()[j]);
  return text;
}

// A memory store that counts the seeks of for_each_with_prefix.
struct SeekCountingStore final : StateStore {
  MemoryStateStore inner;
  mutable int seeks = 0;
  int64_t version() const override { return inner.version(); }
  std::optional<std::string> get(std::string_view key) const override { return inner.get(key); }
  void put(std::string_view key, std::string_view value) override { inner.put(key, value); }
  void remove(std::string_view key) override { inner.remove(key); }
  void for_each(const std::function<void(std::string_view, std::string_view)>& fn) const override { inner.for_each(fn); }
  void for_each_with_prefix(std::string_view prefix,
                            const std::function<void(std::string_view, std::string_view)>& fn) const override {
    ++seeks;
    inner.for_each_with_prefix(prefix, fn);
  }
  void for_each_in_range(std::string_view begin, std::string_view end,
                         const std::function<void(std::string_view, std::string_view)>& fn) const override {
    inner.for_each_in_range(begin, end, fn);
  }
  void commit(int64_t version) override { inner.commit(version); }
  void abort() override { inner.abort(); }
};

// An append-mode session aggregate driven batch by batch as the executor
// does: with a memory budget, it saves, commits and spills after each batch.
struct Driven {
  Graph graph;
  Operator* op;
  Driven(const config::PipelineConfig& config, size_t budget, const StateStore* store)
      : graph(plan_graph(config, {})), op(graph.transforms[0]->ops[1].get()) {
    if (budget) op->set_state_memory(budget);
    if (store) op->load_state(*store);
  }
  std::vector<std::string> run(const BatchContext& ctx, Batch input, SeekCountingStore* store) {
    std::vector<std::string> rows;
    Emit out = [&](Batch& b) {
      for (size_t i = 0; i < b.size(); ++i) rows.push_back(append_text(b, b.row(i)));
    };
    op->push(ctx, input, out);
    op->end_batch(ctx, out);
    if (store) {
      op->save_state(*store);
      store->commit(ctx.batch_id);
      op->spill(*store);
    }
    std::sort(rows.begin(), rows.end());
    return rows;
  }
};

}  // namespace

TEST_CASE("spilled session windows (whole keys, found by a seek, closed by a scan) give the output of memory") {
  auto config = config::load_pipeline_text(kAppendPipeline, "session.yaml");
  const Graph plan = plan_graph(config, {});
  const Schema& schema = *plan.sources[0]->source->schema();
  for (size_t budget : {size_t{1}, size_t{3000}}) {
    CAPTURE(budget);
    Driven memory(config, 0, nullptr);
    SeekCountingStore store;
    auto spilling = std::make_unique<Driven>(config, budget, &store);
    uint64_t seed = 42;
    auto next = [&] { return (seed = seed * 6364136223846793005ULL + 1442695040888963407ULL) >> 33; };
    std::vector<std::string> users;
    for (int u = 0; u < 40; ++u) users.push_back("user" + std::to_string(u));
    BatchContext ctx;
    int64_t max_seen = INT64_MIN;
    size_t emitted = 0;
    for (int64_t b = 0; b < 40; ++b) {
      std::vector<std::tuple<const char*, int64_t, int64_t>> rows;
      for (int r = 0; r < 30; ++r)  // seconds around b * 4: some late, some bridging sessions
        rows.emplace_back(users[next() % users.size()].c_str(), b * 4 - 12 + static_cast<int64_t>(next() % 16),
                          static_cast<int64_t>(next() % 100));
      ctx.batch_id = b;
      ctx.late_watermark_us = ctx.watermark_us;
      if (max_seen != INT64_MIN) ctx.watermark_us = max_seen - 5 * kSecond;
      if (b % 7 == 3) spilling = std::make_unique<Driven>(config, budget, &store);  // a restart
      auto expected = memory.run(ctx, rows_of(schema, rows), nullptr);
      CHECK(spilling->run(ctx, rows_of(schema, rows), &store) == expected);
      CHECK(spilling->op->state_progress()->rows_total == memory.op->state_progress()->rows_total);
      emitted += expected.size();
      for (auto& [user, second, n] : rows) max_seen = std::max(max_seen, second * kSecond);
    }
    ctx.batch_id = 40;
    ctx.late_watermark_us = ctx.watermark_us;
    ctx.watermark_us = kEndOfTime;
    auto last = memory.run(ctx, rows_of(schema, {}), nullptr);
    CHECK(spilling->run(ctx, rows_of(schema, {}), &store) == last);
    CHECK(emitted + last.size() > 100);
    CHECK(store.seeks > 50);  // rows found their keys' sessions in the store
    store.inner.for_each([](std::string_view, std::string_view) { FAIL("a session left in the store"); });
  }
}
