// approx_count_distinct, percentile_approx, median and expressions over
// aggregates through a StateStore: an aggregate restored from a save goes on
// exactly as the one that saved it (the hidden accumulators are what is saved).
#include <doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "config/pipeline_config.hpp"
#include "plan/graph.hpp"
#include "state/state_store.hpp"
#include "operator_test_util.hpp"

using namespace runnel;
using runnel::test::run_batch;

namespace {

constexpr const char* kPipeline = R"(
version: 1
sources: {in: {type: stdin, format: json, schema: "k STRING, n LONG"}}
transforms:
  t:
    from: in
    steps:
      - aggregate:
          group_by: [k]
          aggregates: ["approx_count_distinct(n) AS d", "percentile_approx(n, 0.5) AS p", "median(n) AS m",
                       "sum(n) / count(*) AS r", "approx_count_distinct(n) + 1 AS d1"]
sinks: {out: {from: t, type: stdout, format: json, output_mode: complete}}
)";

Batch rows_of(const Schema& schema, const std::vector<std::pair<std::string, int64_t>>& rows) {
  Batch b = Batch::builder(std::make_shared<Schema>(schema), rows.size());
  for (auto& [k, n] : rows) {
    b.columns[0]->append_string(k);
    b.columns[1]->append(n);
  }
  b.num_rows = rows.size();
  return b;
}

}  // namespace

TEST_CASE("approx_count_distinct, percentile_approx, median and expressions over them survive a save and restore") {
  auto config = config::load_pipeline_text(kPipeline, "state.yaml");
  Graph first = plan_graph(config, {});
  Graph second = plan_graph(config, {});
  Operator& a = *first.transforms[0]->ops[0];
  Operator& b = *second.transforms[0]->ops[0];
  const Schema& schema = *first.sources[0]->source->schema();
  CHECK(a.output_schema()->fields.size() == 6);  // k and the five entries; the repeated call is folded once

  run_batch(a, rows_of(schema, {{"x", 3}, {"x", 1}, {"x", 3}, {"y", 9}}));
  MemoryStateStore store;
  a.save_state(store);
  store.commit(0);
  b.load_state(store);

  auto next = rows_of(schema, {{"x", 8}, {"x", 0}, {"z", 4}});
  auto from_a = run_batch(a, next);
  auto from_b = run_batch(b, next);
  CHECK(from_a == from_b);
  // x: 0 1 3 3 8 -> 4 distinct, rank ceil(2.5) = 3 -> 3, median 3, 15 / 5
  CHECK(from_a == std::vector<std::string>{"x|4|3|3.000000|3.000000|5", "y|1|9|9.000000|9.000000|2",
                                           "z|1|4|4.000000|4.000000|2"});
}

TEST_CASE("approx_count_distinct with and without an rsd are two accumulators, though Spark names both alike") {
  auto config = config::load_pipeline_text(R"yaml(
version: 1
sources: {in: {type: stdin, format: json, schema: "k STRING, n LONG"}}
transforms:
  t:
    from: in
    steps:
      - aggregate: {group_by: [k], aggregates: ["approx_count_distinct(n)", "approx_count_distinct(n, 0.01)"]}
sinks: {out: {from: t, type: stdout, format: json, output_mode: complete}}

)yaml",
                                           "two.yaml");
  Graph graph = plan_graph(config, {});
  Operator& op = *graph.transforms[0]->ops[0];
  const Schema& schema = *graph.sources[0]->source->schema();
  std::vector<std::pair<std::string, int64_t>> rows;
  for (int64_t i = 0; i < 1000; ++i) rows.emplace_back("k", i);
  // Longs 0..999: p = 9 by linear counting (V = 69) -> 1026; p = 14 (V = 15418) -> 996.
  CHECK(run_batch(op, rows_of(schema, rows)) == std::vector<std::string>{"k|1026|996"});
  CHECK(op.output_schema()->fields[1].name == "approx_count_distinct(n)");
  CHECK(op.output_schema()->fields[2].name == "approx_count_distinct(n)");
}
