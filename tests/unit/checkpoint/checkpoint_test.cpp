// The checkpoint's files (atomic, checksummed), its batch protocol and the
// compatibility check. End-to-end crash tests are tests/cases/checkpoint/.
#include <doctest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include "../config/config_test_util.hpp"
#include "checkpoint/checkpoint.hpp"
#include "checkpoint/log_file.hpp"
#include "exec/executor.hpp"
#include "plan/graph.hpp"

namespace runnel {
namespace {

using config::testing::catch_error;
using config::testing::TempDir;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

const char* kPipeline = R"(version: 1
checkpoint: ckpt
min_batches_to_retain: 3
sources: {in: {type: file, path: in/, format: json, schema: "k STRING, n LONG"}}
transforms:
  t:
    from: in
    steps:
      - where: "n > 0"
      - aggregate: {group_by: [k], aggregates: ["count(*) AS c"]}
sinks: {out: {from: t, type: stdout, format: json, output_mode: update}}
)";

}  // namespace

TEST_CASE("log files round-trip and leave no temporary file behind") {
  TempDir dir;
  std::string path = (dir.path() / "0").string();
  write_log_file(path, {{"a", 1}, {"b", "x"}});
  CHECK(read_log_file(path) == nlohmann::json{{"a", 1}, {"b", "x"}});
  write_log_file(path, {{"a", 2}});  // replaces atomically
  CHECK(read_log_file(path) == nlohmann::json{{"a", 2}});
  int entries = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path())) entries += e.path().filename() == "0" ? 1 : 100;
  CHECK(entries == 1);
}

TEST_CASE("a large body (a write-ahead log segment) goes through the direct write and reads back byte for byte") {
  TempDir dir;
  std::string body;
  for (size_t i = 0; body.size() < (3u << 20) + 123; ++i) body += "{\"line\": " + std::to_string(i) + "}\n";
  const std::string path = (dir.path() / ("0-" + std::to_string(body.size()))).string();
  write_log_bytes_deferred(path, body);
  write_log_bytes_deferred((dir.path() / "small").string(), "after it");  // renamed after the large one
  wait_for_log_writes();
  CHECK(read_log_bytes(path) == body);
  CHECK(std::filesystem::file_size(path) == body.size() + std::string("v1\n\ncrc32 01234567\n").size());
  CHECK(read_log_bytes((dir.path() / "small").string()) == "after it");
  // The checksum is zlib's crc32, as checkpoints already on disk carry it.
  write_log_bytes(path, "123456789");
  CHECK(slurp(path) == "v1\n123456789\ncrc32 cbf43926\n");
}

TEST_CASE("a borrowed body may change once released: the file holds it as it was") {
  TempDir dir;
  std::string body(100000, 'a');
  const std::string path = (dir.path() / "0-100000").string();
  uint64_t ticket = write_log_bytes_borrowed(path, body);
  CHECK(ticket > 0);
  wait_until_released(ticket);
  body.assign(body.size(), 'b');
  wait_for_log_writes();
  CHECK(read_log_bytes(path) == std::string(100000, 'a'));
  CHECK(write_log_bytes_borrowed((dir.path() / "small").string(), "tiny") == 0);  // copied at once
  wait_for_log_writes();
  CHECK(read_log_bytes((dir.path() / "small").string()) == "tiny");
}

TEST_CASE("a borrowed body with head room is written from the caller's memory, which keeps the bytes after it") {
  TempDir dir;
  // The head room and the body in one aligned buffer, with bytes of the caller's after the body.
  const size_t capacity = 64 << 10;
  std::unique_ptr<char, decltype(&std::free)> buffer(static_cast<char*>(std::aligned_alloc(4096, capacity)), &std::free);
  char* head = buffer.get();
  char* body = head + kLogHeadBytes;
  for (size_t i = 0; i < capacity - kLogHeadBytes; ++i) body[i] = static_cast<char>('a' + i % 26);
  const std::string before(body, capacity - kLogHeadBytes);
  // Ragged, ending on a block with its version line, and one block past that.
  for (size_t n : {size_t{40000}, size_t{5 * 4096 - kLogHeadBytes}, size_t{6 * 4096 - kLogHeadBytes + 1}}) {
    CAPTURE(n);
    const std::string path = (dir.path() / ("0-" + std::to_string(n))).string();
    uint64_t ticket = write_log_bytes_borrowed(path, std::string_view(body, n), head);
    CHECK(ticket > 0);
    wait_until_released(ticket);
    std::memset(body, '#', n);  // the caller's again
    wait_for_log_writes();
    CHECK(read_log_bytes(path) == before.substr(0, n));
    CHECK(std::string(body + n, capacity - kLogHeadBytes - n) == before.substr(n));
    std::memcpy(body, before.data(), n);
  }
}

TEST_CASE("a retired log file becomes a spare that the next write in its directory takes over, cut to length") {
  TempDir dir;
  auto names = [&] {
    std::vector<std::string> found;
    for (auto& e : std::filesystem::directory_iterator(dir.path())) found.push_back(e.path().filename());
    std::sort(found.begin(), found.end());
    return found;
  };
  const std::string old_path = (dir.path() / "0").string(), new_path = (dir.path() / "1").string();
  write_log_file(old_path, {{"files", std::string(3000, 'x')}});
  retire_log_files({old_path, (dir.path() / "never-written").string()});  // a missing file is no error
  wait_for_log_writes();
  CHECK(names() == std::vector<std::string>{".spare-0"});
  write_log_file(new_path, {{"files", "y"}});  // shorter than what the spare held
  CHECK(names() == std::vector<std::string>{"1"});
  CHECK(read_log_file(new_path) == nlohmann::json{{"files", "y"}});
  // Beyond kSpareFiles a retired file is removed.
  std::vector<std::string> many;
  for (int i = 0; i < kSpareFiles + 3; ++i) {
    many.push_back((dir.path() / std::to_string(10 + i)).string());
    write_log_file(many.back(), {{"i", i}});
  }
  retire_log_files(many);
  wait_for_log_writes();
  CHECK(names().size() == static_cast<size_t>(kSpareFiles) + 1);
}

TEST_CASE("every truncation and a flipped byte of a log file are IO errors naming the file") {
  TempDir dir;
  std::string path = (dir.path() / "7").string();
  write_log_file(path, {{"sources", {{"in", 42}}}});
  const std::string whole = slurp(path);
  for (size_t n = 0; n < whole.size(); ++n) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << whole.substr(0, n);
    auto c = catch_error([&] { read_log_file(path); });
    CHECK_MESSAGE(c.kind == ErrorKind::IO, "length ", n);
    CHECK(c.message.find(path) != std::string::npos);
  }
  std::string flipped = whole;
  flipped[whole.find("42")] = '5';
  std::ofstream(path, std::ios::binary | std::ios::trunc) << flipped;
  CHECK(catch_error([&] { read_log_file(path); }).message.find("checksum mismatch") != std::string::npos);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << "v9\n{}\ncrc32 00000000\n";
  CHECK(catch_error([&] { read_log_file(path); }).message.find("unknown version line 'v9'") != std::string::npos);
}

TEST_CASE("list_batch_files takes numeric names only, in order") {
  TempDir dir;
  for (const char* name : {"10", "2", "x", ".3.tmp", "01a", "0"}) dir.write(name, "");
  CHECK(list_batch_files(dir.path().string()) == std::vector<int64_t>{0, 2, 10});
  CHECK(list_batch_files((dir.path() / "missing").string()).empty());
}

TEST_CASE("fingerprint_change names what changed") {
  nlohmann::json then{{"sources", {{"a", "file"}}},
                      {"statefulSteps", {{"t/1", {{"kind", "aggregate"}, {"keys", {"k"}}}}}}};
  CHECK(fingerprint_change(then, then).empty());
  auto now = then;
  now["sources"]["a"] = "rate";
  CHECK(fingerprint_change(then, now) == "source 'a' changed type from 'file' to 'rate'");
  now = then;
  now["sources"]["b"] = "file";
  CHECK(fingerprint_change(then, now) == "source 'b' was added");
  now = then;
  now["statefulSteps"]["t/1"]["keys"] = {"k", "j"};
  CHECK(fingerprint_change(then, now) == R"(stateful step 't/1' (aggregate): keys changed from ["k"] to ["k","j"])");
  now = then;
  now["statefulSteps"].erase("t/1");
  CHECK(fingerprint_change(then, now) == "stateful step 't/1' (aggregate) was removed or moved");
  now = then;
  now["statefulSteps"]["t/1"]["sessionStartLast"] = true;  // a checkpoint of before session windows spilled
  CHECK(fingerprint_change(then, now) ==
        "stateful step 't/1' (aggregate): sessionStartLast is new (true), the state was written without it");
}

TEST_CASE("the fingerprint marks a session key before another key: its state keys are in another order") {
  auto shape = [](const std::string& group_by) {
    const std::string text = R"y(version: 1
sources: {in: {type: stdin, format: json, schema: "k STRING, ts TIMESTAMP"}}
transforms: {t: {from: in, steps: [{aggregate: {group_by: )y" + group_by + R"y(, aggregates: ["count(*)"]}}]}}
sinks: {out: {from: t, type: stdout, format: json, output_mode: complete}}
)y";
    auto config = config::load_pipeline_text(text, "p.yaml");
    return pipeline_fingerprint(config, plan_graph(config, {}))["statefulSteps"]["t/0"];
  };
  CHECK(shape(R"y(["Session_Window (ts, '1 minute') AS s", k])y")["sessionStartLast"] == true);
  CHECK_FALSE(shape(R"y([k, "session_window(ts, '1 minute')"])y").contains("sessionStartLast"));
  CHECK_FALSE(shape(R"y(["window(ts, '1 minute')", k])y").contains("sessionStartLast"));
}

TEST_CASE("Checkpoint: metadata once, replay of an uncommitted batch, purge beyond min_batches_to_retain") {
  TempDir dir;
  std::filesystem::create_directory(dir.path() / "in");
  auto config = config::load_pipeline(dir.write("p.yaml", kPipeline));
  Graph graph = plan_graph(config, {});
  nlohmann::json fingerprint = pipeline_fingerprint(config, graph);
  CHECK(fingerprint["statefulSteps"]["t/1"]["keys"] == nlohmann::json{"k"});
  CHECK_FALSE(fingerprint["statefulSteps"].contains("t/0"));  // a filter is not state
  std::string id;
  {
    Checkpoint ckpt(config, fingerprint);
    id = ckpt.query_id();
    Recovery r = ckpt.recover(false);
    CHECK(r.next_batch == 0);
    CHECK_FALSE(r.replay);
    for (int64_t b = 0; b < 5; ++b) {
      OffsetSeq seq;
      seq.sources["in"] = b;
      seq.batch_timestamp_ms = 1000 + b;
      ckpt.write_offsets(b, seq);
      ckpt.write_commit(b, CommitEntry{b * 10, {b * 10}});
      ckpt.settle();  // the executor's barrier: the marker is durable before the purge
      ckpt.purge(b);
    }
    OffsetSeq planned;
    planned.sources["in"] = 5;
    planned.batch_watermark_ms = 40;
    planned.batch_timestamp_ms = 77;
    ckpt.write_offsets(5, planned);
    ckpt.settle();  // then a crash
  }
  CHECK(list_batch_files(config.checkpoint + "/commits") == std::vector<int64_t>{2, 3, 4});
  CHECK(list_batch_files(config.checkpoint + "/offsets") == std::vector<int64_t>{2, 3, 4, 5});
  Checkpoint again(config, fingerprint);
  CHECK(again.query_id() == id);
  Recovery r = again.recover(false);
  CHECK(r.next_batch == 5);
  REQUIRE(r.replay);
  CHECK(r.replay->sources["in"] == 5);
  CHECK(r.replay->batch_timestamp_ms == 77);
  CHECK(r.replay->batch_watermark_ms == 40);
  CHECK(r.committed->sources["in"] == 4);
  CHECK(r.commit->next_batch_watermark_ms == 40);
}

TEST_CASE("Checkpoint: an incompatible pipeline is a config error naming the change") {
  TempDir dir;
  std::filesystem::create_directory(dir.path() / "in");
  auto config = config::load_pipeline(dir.write("p.yaml", kPipeline));
  Checkpoint(config, pipeline_fingerprint(config, plan_graph(config, {})));
  std::string changed = kPipeline;
  changed.replace(changed.find("group_by: [k]"), 13, "group_by: [n]");
  auto config2 = config::load_pipeline(dir.write("p.yaml", changed));
  auto c = catch_error([&] { Checkpoint(config2, pipeline_fingerprint(config2, plan_graph(config2, {}))); });
  CHECK(c.kind == ErrorKind::Config);
  CHECK(c.message.find("stateful step 't/1' (aggregate): keys changed from [\"k\"] to [\"n\"]") != std::string::npos);
}

}  // namespace runnel
