// The file source's log in the checkpoint (FileSource::recover): what a
// restarted source must not offer again, and what it must offer again.
#include <doctest.h>

#include <chrono>

#include "../sources/source_test_util.hpp"
#include "checkpoint/log_file.hpp"
#include "sources/file_source.hpp"

namespace runnel {

using namespace runnel::test;
using std::chrono::milliseconds;

namespace {

constexpr int64_t kT0 = 1700000000;

std::unique_ptr<Source> one_file_per_batch(const std::string& path) {
  FileSourceOptions o;
  o.path = path;
  o.max_files_per_trigger = 1;
  return make_file_source(line_input(std::make_shared<ReaderLog>()), std::move(o));
}

std::string first_file(const nlohmann::json& offset) {
  return std::filesystem::path(offset["files"][0]["path"].get<std::string>()).filename();
}

}  // namespace

TEST_CASE("file source log: a restart offers neither committed nor replayed files, and re-plans lost ones") {
  TempDir in, log;
  for (int i = 0; i < 14; ++i) write_file(in / ("f" + std::to_string(100 + i)), "x\n", kT0 + i);
  std::vector<nlohmann::json> offsets;
  {
    auto src = one_file_per_batch(in.path());
    src->recover(log.path(), nullptr, nullptr);
    for (int i = 0; i < 13; ++i) offsets.push_back(*src->latest_offset(milliseconds(0)));
    wait_for_log_writes();  // the executor's barrier before sources commit
    // Until the compaction's batch commits, the entries it replaces stay.
    for (int i = 0; i < 9; ++i) src->commit(offsets[i]);
    CHECK(list_batch_files(log.path()).size() == 13);
    src->commit(offsets[9]);
    wait_for_log_writes();  // the replaced entries go on the checkpoint's background thread
  }
  // Compacted at the 10th batch (9): entries 9..12 remain.
  CHECK(list_batch_files(log.path()) == std::vector<int64_t>{9, 10, 11, 12});

  SUBCASE("batch 10 committed, 11 to replay: 12 was never in the offsets, so it is planned again") {
    auto src = one_file_per_batch(in.path());
    src->recover(log.path(), offsets[10], offsets[11]);
    CHECK(list_batch_files(log.path()) == std::vector<int64_t>{9, 10, 11});
    auto next = src->latest_offset(milliseconds(0));
    REQUIRE(next);
    CHECK((*next)["batch"] == 12);
    CHECK(first_file(*next) == "f112");
  }
  SUBCASE("batch 12 committed: only the file never taken is new") {
    auto src = one_file_per_batch(in.path());
    src->recover(log.path(), offsets[12], nullptr);
    auto next = src->latest_offset(milliseconds(0));
    REQUIRE(next);
    CHECK((*next)["batch"] == 13);
    CHECK(first_file(*next) == "f113");
    CHECK_FALSE(src->latest_offset(milliseconds(0)));
  }
}

TEST_CASE("file source log: a crash after a compaction was planned, before its batch committed, loses no seen file") {
  TempDir in, log;
  for (int i = 0; i < 12; ++i) write_file(in / ("f" + std::to_string(100 + i)), "x\n", kT0 + i);
  std::vector<nlohmann::json> offsets;
  {
    auto src = one_file_per_batch(in.path());
    src->recover(log.path(), nullptr, nullptr);
    for (int i = 0; i < 10; ++i) offsets.push_back(*src->latest_offset(milliseconds(0)));
    wait_for_log_writes();
    for (int i = 0; i < 9; ++i) src->commit(offsets[i]);
  }  // the process dies: batch 9 (the compaction) never reached the offsets
  auto src = one_file_per_batch(in.path());
  src->recover(log.path(), offsets[8], nullptr);
  auto next = src->latest_offset(milliseconds(0));
  REQUIRE(next);
  CHECK((*next)["batch"] == 9);
  CHECK(first_file(*next) == "f109");
}

}  // namespace runnel
