#include <doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "base/error.hpp"
#include "checkpoint/log_file.hpp"
#include "source_test_util.hpp"
#include "sources/stdin_source.hpp"

using namespace runnel;
using namespace runnel::test;
using std::chrono::milliseconds;

namespace {

struct Pipe {
  int fds[2];
  Pipe() { REQUIRE(::pipe2(fds, O_CLOEXEC) == 0); }
  ~Pipe() {
    ::close(fds[0]);
    close_write();
  }
  void write(std::string_view s) { REQUIRE(::write(fds[1], s.data(), s.size()) == ssize_t(s.size())); }
  void close_write() {
    if (fds[1] >= 0) ::close(fds[1]);
    fds[1] = -1;
  }
};

}  // namespace

TEST_CASE("stdin source: complete records per batch, tail kept, last record at EOF") {
  Pipe pipe;
  auto log = std::make_shared<ReaderLog>();
  auto src = make_stdin_source(line_input(log), StdinOptions{pipe.fds[0]});
  CHECK_FALSE(src->latest_offset(milliseconds(0)));  // nothing yet
  pipe.write("a\nb\nc");
  auto first = src->latest_offset(milliseconds(100));
  REQUIRE(first);
  CHECK(*first == nlohmann::json{{"offset", 4}, {"line", 2}});
  CHECK(read_values(*src, nullptr, *first) == std::vector<std::string>{"a", "b"});
  CHECK_FALSE(src->latest_offset(milliseconds(0)));  // "c" is incomplete
  pipe.write("x\ny");
  pipe.close_write();
  auto second = src->latest_offset(milliseconds(100));
  REQUIRE(second);
  CHECK(*second == nlohmann::json{{"offset", 8}, {"line", 3}});
  CHECK_FALSE(src->ended());
  CHECK(read_values(*src, *first, *second) == std::vector<std::string>{"cx", "y"});
  CHECK(src->ended());
  CHECK_FALSE(src->latest_offset(milliseconds(0)));
  REQUIRE(log->origins.size() == 2);
  CHECK(log->origins[0].name == "stdin");
  CHECK(log->origins[0].first_line == 1);
  CHECK(log->origins[1].first_line == 3);
  CHECK(log->origins[1].byte_offset == 4);
}

TEST_CASE("stdin source: at most max_bytes_per_trigger per batch") {
  Pipe pipe;
  auto src = make_stdin_source(line_input(std::make_shared<ReaderLog>()), StdinOptions{pipe.fds[0], 8});
  pipe.write("aaa\nbbb\nccc\nddd\neee\n");
  pipe.close_write();
  std::vector<std::string> all;
  nlohmann::json start;
  int batches = 0;
  while (auto end = src->latest_offset(milliseconds(0))) {
    CHECK((*end)["offset"].get<uint64_t>() - (start.is_null() ? 0 : start["offset"].get<uint64_t>()) <= 8);
    for (auto& v : read_values(*src, start, *end)) all.push_back(v);
    start = *end;
    ++batches;
  }
  CHECK(batches == 3);
  CHECK(all == std::vector<std::string>{"aaa", "bbb", "ccc", "ddd", "eee"});
  CHECK(src->ended());
}

TEST_CASE("stdin source: a record longer than the cap is taken whole") {
  Pipe pipe;
  auto src = make_stdin_source(line_input(std::make_shared<ReaderLog>()), StdinOptions{pipe.fds[0], 4});
  pipe.write("abcdefghij\nk\n");
  auto end = src->latest_offset(milliseconds(100));
  REQUIRE(end);
  CHECK(read_values(*src, nullptr, *end).front() == "abcdefghij");
}

TEST_CASE("stdin source: empty input ends without a batch") {
  Pipe pipe;
  pipe.close_write();
  auto src = make_stdin_source(line_input(std::make_shared<ReaderLog>()), StdinOptions{pipe.fds[0]});
  CHECK_FALSE(src->latest_offset(milliseconds(10)));
  CHECK(src->ended());
}

namespace {

// The log's files but the spares that retired segments leave (log_file.hpp).
std::vector<std::string> wal_files(const std::string& dir) {
  std::vector<std::string> names;
  for (auto& e : std::filesystem::directory_iterator(dir))
    if (!e.path().filename().string().starts_with(".spare-")) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

size_t spare_files(const std::string& dir) {
  size_t n = 0;
  for (auto& e : std::filesystem::directory_iterator(dir)) n += e.path().filename().string().starts_with(".spare-");
  return n;
}

}  // namespace

TEST_CASE("stdin source with a checkpoint: what it planned is in the write-ahead log by the checkpoint's barrier") {
  TempDir wal;
  Pipe pipe;
  auto log = std::make_shared<ReaderLog>();
  nlohmann::json first;
  {
    auto src = make_stdin_source(line_input(log), StdinOptions{pipe.fds[0]});
    src->recover(wal.path(), nullptr, nullptr);
    pipe.write("a\nb\nc");
    first = *src->latest_offset(milliseconds(100));
    wait_for_log_writes();  // Checkpoint::settle, before the batch's sinks commit
    CHECK(wal_files(wal.path()) == std::vector<std::string>{"0-4"});
    CHECK(read_log_bytes(wal.path() + "/0-4") == "a\nb\n");
  }  // the process dies before batch 0 commits ("c" was read from the pipe, never planned)

  SUBCASE("a restart replays the planned bytes from the log, then goes on with the input") {
    Pipe again;
    auto src = make_stdin_source(line_input(log), StdinOptions{again.fds[0]});
    src->recover(wal.path(), nullptr, first);
    auto end = src->latest_offset(milliseconds(0));
    REQUIRE(end);
    CHECK(*end == first);
    CHECK(read_values(*src, nullptr, *end) == std::vector<std::string>{"a", "b"});
    src->commit(*end);
    wait_for_log_writes();  // the trim runs on the checkpoint's background thread
    CHECK(wal_files(wal.path()).empty());
    again.write("c\nd\n");  // the feeder resends from byte 4, where the log ends
    again.close_write();
    auto next = src->latest_offset(milliseconds(100));
    REQUIRE(next);
    CHECK(*next == nlohmann::json{{"offset", 8}, {"line", 4}});
    CHECK(read_values(*src, *end, *next) == std::vector<std::string>{"c", "d"});
    CHECK(log->origins.back().first_line == 3);
    CHECK(log->origins.back().byte_offset == 4);
  }
  SUBCASE("after a commit the log no longer holds the batch, and the restart starts behind it") {
    {
      auto src = make_stdin_source(line_input(log), StdinOptions{pipe.fds[0]});
      src->recover(wal.path(), nullptr, first);
      src->commit(first);
    }
    Pipe again;
    auto src = make_stdin_source(line_input(log), StdinOptions{again.fds[0]});
    src->recover(wal.path(), first, nullptr);
    CHECK_FALSE(src->latest_offset(milliseconds(0)));
    again.write("e\n");
    auto next = src->latest_offset(milliseconds(100));
    REQUIRE(next);
    CHECK(*next == nlohmann::json{{"offset", 6}, {"line", 3}});
    CHECK(read_values(*src, first, *next) == std::vector<std::string>{"e"});
  }
}

TEST_CASE("stdin source with a checkpoint: large segments are written from the buffer, and a spent one's file is reused") {
  TempDir wal;
  Pipe pipe;
  auto log = std::make_shared<ReaderLog>();
  auto src = make_stdin_source(line_input(log), StdinOptions{pipe.fds[0]});
  src->recover(wal.path(), nullptr, nullptr);
  // Batches of 30,000 bytes: past the direct write's 16 KiB, a ragged last block.
  auto lines = [](char c) {
    std::string bytes;
    for (int i = 0; bytes.size() < 30000; ++i) bytes += std::string(1, c) + std::to_string(i) + "\n";
    return bytes;
  };
  const std::string a = lines('a'), b = lines('b');
  pipe.write(a);
  auto first = src->latest_offset(milliseconds(100));
  REQUIRE(first);
  const std::string segment_a = "0-" + std::to_string(a.size());
  wait_for_log_writes();
  CHECK(wal_files(wal.path()) == std::vector<std::string>{segment_a});
  CHECK(read_log_bytes(wal.path() + "/" + segment_a) == a);
  CHECK(read_values(*src, nullptr, *first).size() == static_cast<size_t>(std::count(a.begin(), a.end(), '\n')));
  src->commit(*first);
  wait_for_log_writes();
  CHECK(wal_files(wal.path()).empty());
  CHECK(spare_files(wal.path()) == 1);
  pipe.write(b);
  auto second = src->latest_offset(milliseconds(100));
  REQUIRE(second);
  const std::string segment_b = std::to_string(a.size()) + "-" + std::to_string(a.size() + b.size());
  wait_for_log_writes();
  CHECK(wal_files(wal.path()) == std::vector<std::string>{segment_b});
  CHECK(spare_files(wal.path()) == 0);  // written over
  CHECK(read_log_bytes(wal.path() + "/" + segment_b) == b);
}

TEST_CASE("stdin source with a checkpoint: a corrupt log segment is an IO error naming it") {
  TempDir wal;
  write_log_bytes(wal.path() + "/0-4", "a\nb\n");
  {
    std::FILE* f = std::fopen((wal.path() + "/0-4").c_str(), "r+");
    std::fseek(f, 4, SEEK_SET);
    std::fputc('X', f);
    std::fclose(f);
  }
  Pipe pipe;
  auto src = make_stdin_source(line_input(std::make_shared<ReaderLog>()), StdinOptions{pipe.fds[0]});
  try {
    src->recover(wal.path(), nullptr, nullptr);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::IO);
    CHECK(std::string(e.what()).find("0-4") != std::string::npos);
  }
}
