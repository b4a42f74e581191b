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
