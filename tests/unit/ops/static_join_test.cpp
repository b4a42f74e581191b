// The stream-static join re-reads its table when the table's files change
// between micro-batches (Spark re-evaluates the static side every batch).
#include <doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config/pipeline_config.hpp"
#include "plan/graph.hpp"
#include "operator_test_util.hpp"

using namespace runnel;
using runnel::test::run_batch;

namespace {

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

Batch users(const Schema& schema, const std::vector<std::string>& names) {
  Batch b = Batch::builder(std::make_shared<Schema>(schema), names.size());
  for (auto& n : names) b.columns[0]->append_string(n);
  b.num_rows = names.size();
  return b;
}

}  // namespace

TEST_CASE("a static join picks up a changed table at the next micro-batch, not within one") {
  char tmpl[] = "/tmp/runnel-static-join-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const std::filesystem::path dir = tmpl;
  write_file(dir / "users.csv", "id,country\nu1,FR\n");
  write_file(dir / "p.yaml", R"(
version: 1
sources: {clicks: {type: stdin, format: json, schema: "user STRING"}}
tables: {users: {type: file, path: users.csv, format: csv, header: true, schema: "id STRING, country STRING"}}
transforms: {t: {from: clicks, steps: [{join: {with: users, on: "user = id"}}]}}
sinks: {out: {from: t, type: stdout, format: json}}
)");
  auto config = config::load_pipeline((dir / "p.yaml").string());
  Graph graph = plan_graph(config, {});
  Operator& join = *graph.transforms[0]->ops[0];
  const Schema& schema = *graph.sources[0]->source->schema();
  CHECK(join.explain() == "StaticJoin Inner [keys: user = id] table users (1 rows)");

  CHECK(run_batch(join, users(schema, {"u1", "u2"}), 0) == std::vector<std::string>{"u1|u1|FR"});
  write_file(dir / "users.csv", "id,country\nu1,DE\nu2,PL\n");
  CHECK(run_batch(join, users(schema, {"u1"}), 0) == std::vector<std::string>{"u1|u1|FR"});  // same micro-batch
  CHECK(run_batch(join, users(schema, {"u1", "u2"}), 1) == std::vector<std::string>{"u1|u1|DE", "u2|u2|PL"});
  std::filesystem::remove_all(dir);
}

namespace {

// A join of a stream of users against `table_csv` (id,country), planned from a pipeline in a fresh directory.
struct JoinFixture {
  std::filesystem::path dir;
  Graph graph;

  JoinFixture(const std::string& type, const std::string& table_csv) {
    char tmpl[] = "/tmp/runnel-static-join-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    write_file(dir / "users.csv", table_csv);
    write_file(dir / "p.yaml", R"(
version: 1
sources: {clicks: {type: stdin, format: json, schema: "user STRING"}}
tables: {users: {type: file, path: users.csv, format: csv, header: true, schema: "id STRING, country STRING"}}
transforms: {t: {from: clicks, steps: [{join: {with: users, type: )" + type + R"(, on: "user = id"}}]}}
sinks: {out: {from: t, type: stdout, format: json}}
)");
    graph = plan_graph(config::load_pipeline((dir / "p.yaml").string()), {});
  }
  ~JoinFixture() { std::filesystem::remove_all(dir); }

  // The join's output for the rows of `names` that `visible` selects.
  std::vector<std::string> run(const std::vector<std::string>& names, std::vector<uint32_t> visible) {
    Batch input = users(*graph.sources[0]->source->schema(), names);
    input.sel = std::make_shared<const std::vector<uint32_t>>(std::move(visible));
    return run_batch(*graph.transforms[0]->ops[0], std::move(input));
  }
};

}  // namespace

TEST_CASE("a static join probes only the rows a selection vector shows") {
  const std::string unique = "id,country\nu1,FR\nu2,DE\nu3,PL\n", twice = "id,country\nu1,FR\nu1,BE\nu2,DE\n";
  const std::vector<std::string> names = {"u1", "u2", "u3", "u9", "u1"};
  const std::vector<uint32_t> visible = {1, 3, 4};  // u2, u9, u1
  using Rows = std::vector<std::string>;
  CHECK(JoinFixture("inner", unique).run(names, visible) == Rows{"u1|u1|FR", "u2|u2|DE"});
  CHECK(JoinFixture("left_outer", unique).run(names, visible) == Rows{"u1|u1|FR", "u2|u2|DE", "u9|null|null"});
  CHECK(JoinFixture("inner", twice).run(names, visible) == Rows{"u1|u1|BE", "u1|u1|FR", "u2|u2|DE"});
  CHECK(JoinFixture("left_outer", twice).run(names, visible) ==
        Rows{"u1|u1|BE", "u1|u1|FR", "u2|u2|DE", "u9|null|null"});
  CHECK(JoinFixture("left_semi", twice).run(names, visible) == Rows{"u1", "u2"});
  CHECK(JoinFixture("left_anti", twice).run(names, visible) == Rows{"u9"});
}

TEST_CASE("a static table whose first rows misjudge its size is read whole") {
  // The columns are sized from the first batch's bytes per row: here far too
  // few rows (long ids first) and far too many (short ids first).
  auto csv = [](int long_rows, int short_rows, bool long_first) {
    std::string rows[2];
    for (int i = 0; i < long_rows; ++i) rows[0] += "long-id-" + std::string(200, 'x') + std::to_string(i) + ",L\n";
    for (int i = 0; i < short_rows; ++i) rows[1] += "s" + std::to_string(i) + ",S\n";
    return "id,country\n" + rows[long_first ? 0 : 1] + rows[long_first ? 1 : 0];
  };
  const std::string last_long = "long-id-" + std::string(200, 'x') + "4999";
  using Rows = std::vector<std::string>;
  const Rows expected = {last_long + "|" + last_long + "|L", "s0|s0|S", "s49999|s49999|S"};
  CHECK(JoinFixture("inner", csv(5000, 50000, true)).run({"s0", last_long, "s49999"}, {0, 1, 2}) == expected);
  CHECK(JoinFixture("inner", csv(5000, 50000, false)).run({"s0", last_long, "s49999"}, {0, 1, 2}) == expected);
  JoinFixture fixture("inner", csv(5000, 50000, false));
  CHECK(fixture.graph.transforms[0]->ops[0]->explain() == "StaticJoin Inner [keys: user = id] table users (55000 rows)");
}

TEST_CASE("a static table's strings are copied whole out of the reader's batches, in runs or one by one") {
  // Batches of short strings hold their bytes in one run (copied at once);
  // long ones spill into further arena chunks (copied string by string).
  std::string csv = "id,country\n";
  std::vector<std::string> ids, expected;
  std::vector<uint32_t> all;
  for (int i = 0; i < 10000; ++i) {
    const std::string id = "k" + std::to_string(i) + (i >= 5000 && i % 7 == 0 ? std::string(300, 'x') : "");
    const std::string country = i % 5 == 0 ? "" : "c" + std::to_string(i);
    csv += id + "," + country + "\n";
    ids.push_back(id);
    all.push_back(static_cast<uint32_t>(i));
    expected.push_back(id + "|" + id + "|" + (country.empty() ? "null" : country));
  }
  std::sort(expected.begin(), expected.end());
  std::vector<std::string> rows = JoinFixture("inner", csv).run(ids, all);
  std::sort(rows.begin(), rows.end());
  CHECK(rows == expected);
}
