// The aggregate's state round trip through a StateStore: an operator restored
// from a save goes on exactly as the one that saved it.
#include <doctest.h>

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
sources: {in: {type: stdin, format: json, schema: "word STRING, n LONG"}}
transforms:
  t:
    from: in
    steps:
      - aggregate: {group_by: [word], aggregates: ["count(*) AS c", "sum(n) AS s", "avg(n) AS a", "max(word) AS m", "first(n) AS f"]}
sinks: {out: {from: t, type: stdout, format: json, output_mode: complete}}
)";

Batch words(const Schema& schema, const std::vector<std::pair<std::string, std::optional<int64_t>>>& rows) {
  Batch b = Batch::builder(std::make_shared<Schema>(schema), rows.size());
  for (auto& [w, n] : rows) {
    w.empty() ? b.columns[0]->append_null() : b.columns[0]->append_string(w);
    n ? b.columns[1]->append(*n) : b.columns[1]->append_null();
  }
  b.num_rows = rows.size();
  return b;
}

}  // namespace

TEST_CASE("an aggregate restored from its saved state continues as if never stopped") {
  auto config = config::load_pipeline_text(kPipeline, "state.yaml");
  Graph first = plan_graph(config, {});
  Graph second = plan_graph(config, {});
  Operator& a = *first.transforms[0]->ops[0];
  Operator& b = *second.transforms[0]->ops[0];
  const Schema& schema = *first.sources[0]->source->schema();

  run_batch(a, words(schema, {{"x", 1}, {"y", std::nullopt}, {"", 5}, {"x", 2}}), 0);
  MemoryStateStore store;
  a.save_state(store);
  store.commit(0);
  CHECK(store.version() == 0);
  b.load_state(store);

  auto next = words(schema, {{"x", 10}, {"z", 7}, {"", 1}});
  auto from_a = run_batch(a, next, 1);
  auto from_b = run_batch(b, next, 1);
  CHECK(from_a == from_b);
  CHECK(from_a == std::vector<std::string>{"null|2|6|3.000000|null|5", "x|3|13|4.333333|x|1", "y|1|null|null|y|null",
                                           "z|1|7|7.000000|z|7"});
  // A second save to the same store writes only batch 1's changes; what the
  // store then holds restores the operator as it is after batch 1.
  a.save_state(store);
  store.commit(1);
  Graph third = plan_graph(config, {});
  Operator& c = *third.transforms[0]->ops[0];
  c.load_state(store);
  auto last = words(schema, {{"y", 4}, {"w", 1}});
  CHECK(run_batch(a, last, 2) == run_batch(c, last, 2));
}

TEST_CASE("the memory state store versions its commits") {
  MemoryStateStore s;
  CHECK(s.version() == -1);
  s.put("k", "1");
  s.commit(0);
  s.put("k", "2");
  s.remove("k");
  s.abort();
  CHECK(s.get("k") == std::optional<std::string>("1"));
  CHECK(s.version() == 0);
}
