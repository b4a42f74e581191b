#include <doctest.h>
#include <fcntl.h>
#include <unistd.h>

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
  CHECK(*first == nlohmann::json{{"offset", 4}});
  CHECK(read_values(*src, nullptr, *first) == std::vector<std::string>{"a", "b"});
  CHECK_FALSE(src->latest_offset(milliseconds(0)));  // "c" is incomplete
  pipe.write("x\ny");
  pipe.close_write();
  auto second = src->latest_offset(milliseconds(100));
  REQUIRE(second);
  CHECK(*second == nlohmann::json{{"offset", 8}});
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
