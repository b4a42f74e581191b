#include <doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/error.hpp"
#include "checkpoint/log_file.hpp"
#include "sinks/file_sink.hpp"
#include "sinks/sink.hpp"
#include "sinks/stdout_sink.hpp"
#include "sinks/value_text.hpp"
#include "../sources/source_test_util.hpp"

using namespace runnel;
namespace fs = std::filesystem;

namespace {

// Writes each visible row as its columns' text joined by ','; the header names the columns.
class TextWriter final : public RecordWriter {
 public:
  explicit TextWriter(SchemaRef schema) : schema_(std::move(schema)) {}
  void begin(AlignedBytes& out) override {
    for (size_t c = 0; c < schema_->size(); ++c) out.append((c ? "," : "#") + (*schema_)[c].name);
    out.push_back('\n');
  }
  void write(const Batch& batch, AlignedBytes& out) override {
    std::string text;
    for (size_t i = 0; i < batch.size(); ++i) {
      for (size_t c = 0; c < batch.columns.size(); ++c) {
        if (c) text += ',';
        append_value_text(*batch.columns[c], batch.row(i), text);
      }
      text += '\n';
    }
    out.append(text);
  }

 private:
  SchemaRef schema_;
};

SchemaRef sample_schema() {
  return std::make_shared<const Schema>(
      Schema{{{"id", DataType::of(TypeId::Long)}, {"p", DataType::of(TypeId::String)}}});
}

Batch sample_batch(std::vector<std::pair<int64_t, const char*>> rows) {
  Batch b = Batch::builder(sample_schema(), rows.size());
  for (auto& [id, p] : rows) {
    b.columns[0]->append<int64_t>(id);
    if (p) b.columns[1]->append_string(p);
    else b.columns[1]->append_null();
  }
  b.num_rows = rows.size();
  return b;
}

std::unique_ptr<Sink> file_sink(const std::string& path, std::vector<std::string> partition_by = {}) {
  FileSinkOptions o;
  o.path = path;
  o.extension = "csv";
  o.partition_by = std::move(partition_by);
  return make_file_sink(sample_schema(), o, [](SchemaRef s) { return std::make_unique<TextWriter>(s); });
}

// Files below `dir` (relative paths), hidden ones included, sorted.
std::vector<std::string> files_under(const std::string& dir) {
  std::vector<std::string> out;
  if (!fs::exists(dir)) return out;
  for (auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) out.push_back(fs::relative(e.path(), dir).string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("file sink: temporary files until commit, then renamed into place") {
  test::TempDir dir;
  auto sink = file_sink(dir / "out");
  sink->begin_batch(3);
  sink->write(sample_batch({{1, "a"}, {2, "b"}}));
  auto pending = files_under(dir / "out");
  REQUIRE(pending.size() == 1);
  CHECK(pending[0].rfind(".part-00000-", 0) == 0);
  CHECK(pending[0].find("-b3.c000.csv.tmp") != std::string::npos);
  sink->commit(3);
  auto done = files_under(dir / "out");
  REQUIRE(done.size() == 1);
  CHECK(done[0].rfind("part-00000-", 0) == 0);
  CHECK(done[0].size() == std::string("part-00000-").size() + 36 + std::string("-b3.c000.csv").size());
  CHECK(slurp(dir / ("out/" + done[0])) == "#id,p\n1,a\n2,b\n");
}

TEST_CASE("file sink: a batch with no rows writes no file") {
  test::TempDir dir;
  auto sink = file_sink(dir / "out");
  sink->begin_batch(0);
  sink->write(sample_batch({}));
  sink->commit(0);
  CHECK(files_under(dir / "out").empty());
}

TEST_CASE("file sink: an uncommitted batch leaves nothing behind") {
  test::TempDir dir;
  auto sink = file_sink(dir / "out");
  sink->begin_batch(0);
  sink->write(sample_batch({{1, "a"}}));
  sink->begin_batch(0);  // the executor retries the batch
  sink->close();
  CHECK(files_under(dir / "out").empty());
}

TEST_CASE("file sink: partition_by directories, escaping, nulls; partition columns left out") {
  test::TempDir dir;
  auto sink = file_sink(dir / "out", {"p"});
  sink->begin_batch(1);
  sink->write(sample_batch({{1, "x"}, {2, "a/b:c"}, {3, nullptr}, {4, "x"}, {5, ""}}));
  sink->commit(1);
  auto files = files_under(dir / "out");
  REQUIRE(files.size() == 3);
  CHECK(files[0].rfind("p=__HIVE_DEFAULT_PARTITION__/part-00002-", 0) == 0);
  CHECK(files[1].rfind("p=a%2Fb%3Ac/part-00001-", 0) == 0);
  CHECK(files[2].rfind("p=x/part-00000-", 0) == 0);
  CHECK(slurp(dir / ("out/" + files[0])) == "#id\n3\n5\n");
  CHECK(slurp(dir / ("out/" + files[2])) == "#id\n1\n4\n");
}

TEST_CASE("file sink: bad partition columns are config errors") {
  test::TempDir dir;
  CHECK_THROWS_AS(file_sink(dir / "out", {"nope"}), Error);
  CHECK_THROWS_AS(file_sink(dir / "out", {"id", "p"}), Error);
}

TEST_CASE("escape_path_name follows Spark's ExternalCatalogUtils") {
  CHECK(escape_path_name("plain-text_1.0 ok") == "plain-text_1.0 ok");
  CHECK(escape_path_name("a/b=c%d") == "a%2Fb%3Dc%25d");
  CHECK(escape_path_name("2024-01-02 10:11:12") == "2024-01-02 10%3A11%3A12");
  CHECK(escape_path_name("{[^]}\"#'*?\\") == "%7B%5B%5E%5D}%22%23%27%2A%3F%5C");
  CHECK(escape_path_name("\x01\x7f") == "%01%7F");
  CHECK(escape_path_name("日本") == "日本");
}

TEST_CASE("stdout sink: header once, rows flushed at commit; a closed reader is OutputClosed") {
  ::signal(SIGPIPE, SIG_IGN);
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  auto sink = make_stdout_sink(std::make_unique<TextWriter>(sample_schema()), StdoutOptions{fds[1]});
  sink->begin_batch(0);
  sink->write(sample_batch({{1, "a"}}));
  sink->commit(0);
  char buf[256];
  ssize_t n = ::read(fds[0], buf, sizeof buf);
  CHECK(std::string(buf, size_t(std::max<ssize_t>(n, 0))) == "#id,p\n1,a\n");
  ::close(fds[0]);
  sink->begin_batch(1);
  sink->write(sample_batch({{2, "b"}}));
  CHECK_THROWS_AS(sink->commit(1), OutputClosed);
  ::close(fds[1]);
}

namespace {

std::unique_ptr<Sink> checkpointed_file_sink(const test::TempDir& dir, const std::string& query_id) {
  fs::create_directories(dir / "ckpt");
  write_log_file(dir / "ckpt/metadata", {{"id", query_id}});
  FileSinkOptions o;
  o.path = dir / "out";
  o.extension = "csv";
  o.checkpoint = dir / "ckpt";
  return make_file_sink(sample_schema(), o, [](SchemaRef s) { return std::make_unique<TextWriter>(s); });
}

}  // namespace

TEST_CASE("file sink with a checkpoint: a manifest entry per batch; a batch in it is not written again") {
  test::TempDir dir;
  {
    auto sink = checkpointed_file_sink(dir, "q1");
    sink->begin_batch(0);
    sink->write(sample_batch({{1, "a"}}));
    sink->commit(0);
    sink->begin_batch(1);  // no rows: an entry with no files
    sink->commit(1);
  }
  auto files = files_under(dir / "out");
  REQUIRE(files.size() == 4);  // the data file, _runnel_log/0, 1 and query
  nlohmann::json entry = read_log_file(dir / "out/_runnel_log/0");
  CHECK(entry["queryId"] == "q1");
  REQUIRE(entry["files"].size() == 1);
  CHECK(fs::exists(dir / ("out/" + entry["files"][0].get<std::string>())));
  CHECK(read_log_file(dir / "out/_runnel_log/1")["files"].empty());

  // Restarted at batch 1 (its commit marker was lost): skipped; batch 2 is new.
  auto sink = checkpointed_file_sink(dir, "q1");
  sink->begin_batch(1);
  sink->write(sample_batch({{2, "b"}}));
  sink->commit(1);
  CHECK(files_under(dir / "out").size() == 4);
  sink->begin_batch(2);
  sink->write(sample_batch({{3, "c"}}));
  sink->commit(2);
  CHECK(files_under(dir / "out").size() == 6);
}

TEST_CASE("file sink with a checkpoint: every 10th batch compacts the manifest; a restart still skips compacted batches") {
  test::TempDir dir;
  auto log_names = [&] {
    std::vector<std::string> names;
    for (auto& e : fs::directory_iterator(dir / "out/_runnel_log")) names.push_back(e.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  };
  {
    auto sink = checkpointed_file_sink(dir, "q1");
    for (int64_t b = 0; b < 21; ++b) {
      sink->begin_batch(b);
      if (b % 2 == 0) sink->write(sample_batch({{b, "x"}}));
      sink->commit(b);
    }
  }
  // Batches 0..9 went into 9.compact, which 19.compact replaced; 20 stands alone.
  CHECK(log_names() == std::vector<std::string>{"19.compact", "20", "query"});
  nlohmann::json compact = read_log_file(dir / "out/_runnel_log/19.compact");
  CHECK(compact["queryId"] == "q1");
  CHECK(compact["files"].size() == 10);  // the even batches 0..18
  for (auto& f : compact["files"]) CHECK(fs::exists(dir / ("out/" + f.get<std::string>())));

  // Re-run batch 15 (covered by the compaction): nothing is written.
  auto sink = checkpointed_file_sink(dir, "q1");
  sink->begin_batch(15);
  sink->write(sample_batch({{99, "y"}}));
  sink->commit(15);
  CHECK(files_under(dir / "out").size() == 11 + 3);  // 11 data files, 2 log entries, query
}

TEST_CASE("file sink with a checkpoint: a crashed batch's files go at restart; files from before the query stay") {
  test::TempDir dir;
  fs::create_directories(dir / "out");
  std::ofstream(dir / "out/part-00000-old-b7.c000.csv") << "#id,p\n9,z\n";  // not ours: older than the claim
  std::filesystem::last_write_time(dir / "out/part-00000-old-b7.c000.csv",
                                   fs::file_time_type::clock::now() - std::chrono::hours(1));
  {
    auto sink = checkpointed_file_sink(dir, "q1");
    sink->begin_batch(0);
    sink->write(sample_batch({{1, "a"}}));
    sink->commit(0);
  }
  // A crash in batch 1 after renaming (no manifest entry), with a temp file left.
  std::ofstream(dir / "out/part-00000-x-b1.c000.csv") << "#id,p\n2,b\n";
  std::ofstream(dir / "out/.part-00001-x-b1.c000.csv.tmp") << "#id,p\n";
  auto sink = checkpointed_file_sink(dir, "q1");
  sink->begin_batch(1);
  auto files = files_under(dir / "out");
  CHECK(std::count(files.begin(), files.end(), "part-00000-old-b7.c000.csv") == 1);
  CHECK(std::count(files.begin(), files.end(), "part-00000-x-b1.c000.csv") == 0);
  CHECK(std::count(files.begin(), files.end(), ".part-00001-x-b1.c000.csv.tmp") == 0);
  CHECK(files.size() == 4);  // old, batch 0's file, _runnel_log/0, query
}

TEST_CASE("file sink with a checkpoint: another query's output directory is a config error") {
  test::TempDir dir;
  {
    auto sink = checkpointed_file_sink(dir, "q1");
    sink->begin_batch(0);
  }
  auto sink = checkpointed_file_sink(dir, "q2");
  try {
    sink->begin_batch(0);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::Config);
    CHECK(std::string(e.what()).find("holds the output of another query (q1)") != std::string::npos);
  }
}
