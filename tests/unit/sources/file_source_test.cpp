#include <doctest.h>

#include <filesystem>

#include "base/error.hpp"
#include "source_test_util.hpp"
#include "sources/file_source.hpp"

using namespace runnel;
using namespace runnel::test;
using std::chrono::milliseconds;

namespace {

constexpr int64_t kDay = 24 * 3600;
constexpr int64_t kT0 = 1700000000;  // a fixed, recent-enough epoch second

std::unique_ptr<Source> file_source(const std::string& path, FileSourceOptions o = {},
                                    std::shared_ptr<ReaderLog> log = std::make_shared<ReaderLog>()) {
  o.path = path;
  return make_file_source(line_input(std::move(log)), std::move(o));
}

std::vector<std::string> offset_paths(const nlohmann::json& offset) {
  std::vector<std::string> names;
  for (auto& f : offset["files"]) names.push_back(std::filesystem::path(f["path"].get<std::string>()).filename());
  return names;
}

}  // namespace

TEST_CASE("file source: files in modification-time then name order, each once") {
  TempDir dir;
  write_file(dir / "b.txt", "b1\nb2\n", kT0 + 10);
  write_file(dir / "a.txt", "a1\n", kT0 + 20);
  write_file(dir / "c.txt", "c1", kT0 + 10);  // no final newline: still a record
  auto src = file_source(dir.path());
  auto end = src->latest_offset(milliseconds(0));
  REQUIRE(end);
  CHECK(offset_paths(*end) == std::vector<std::string>{"b.txt", "c.txt", "a.txt"});
  CHECK((*end)["files"][0]["size"] == 6);
  CHECK((*end)["files"][0]["mtime"] == (kT0 + 10) * 1000);
  CHECK(read_values(*src, nullptr, *end) == std::vector<std::string>{"b1", "b2", "c1", "a1"});
  CHECK_FALSE(src->latest_offset(milliseconds(0)));
  CHECK_FALSE(src->ended());
}

TEST_CASE("file source: hidden and underscore files and subdirectories are skipped") {
  TempDir dir;
  write_file(dir / ".tmp.txt", "x\n", kT0);
  write_file(dir / "_SUCCESS", "", kT0);
  write_file(dir / "sub/inner.txt", "x\n", kT0);
  write_file(dir / "real.txt", "r\n", kT0);
  auto src = file_source(dir.path());
  auto end = src->latest_offset(milliseconds(0));
  REQUIRE(end);
  CHECK(offset_paths(*end) == std::vector<std::string>{"real.txt"});
}

TEST_CASE("file source: max_files_per_trigger and latest_first") {
  TempDir dir;
  write_file(dir / "1.txt", "1\n", kT0 + 1);
  write_file(dir / "2.txt", "2\n", kT0 + 2);
  write_file(dir / "3.txt", "3\n", kT0 + 3);
  SUBCASE("oldest first") {
    FileSourceOptions o;
    o.max_files_per_trigger = 2;
    auto src = file_source(dir.path(), o);
    auto first = src->latest_offset(milliseconds(0));
    auto second = src->latest_offset(milliseconds(0));
    REQUIRE(first);
    REQUIRE(second);
    CHECK(offset_paths(*first) == std::vector<std::string>{"1.txt", "2.txt"});
    CHECK(offset_paths(*second) == std::vector<std::string>{"3.txt"});
    CHECK((*second)["batch"] == 1);
    CHECK_FALSE(src->latest_offset(milliseconds(0)));
  }
  SUBCASE("newest first") {
    FileSourceOptions o;
    o.max_files_per_trigger = 2;
    o.latest_first = true;
    auto src = file_source(dir.path(), o);
    auto first = src->latest_offset(milliseconds(0));
    REQUIRE(first);
    CHECK(offset_paths(*first) == std::vector<std::string>{"3.txt", "2.txt"});
    CHECK(offset_paths(*src->latest_offset(milliseconds(0))) == std::vector<std::string>{"1.txt"});
  }
}

TEST_CASE("file source: an empty file is taken into a batch and yields no rows") {
  TempDir dir;
  write_file(dir / "empty.txt", "", kT0);
  auto src = file_source(dir.path());
  auto end = src->latest_offset(milliseconds(0));
  REQUIRE(end);
  CHECK(offset_paths(*end) == std::vector<std::string>{"empty.txt"});
  CHECK(read_values(*src, nullptr, *end).empty());
  CHECK_FALSE(src->latest_offset(milliseconds(0)));
}

TEST_CASE("file source: files appearing between calls form the next batch") {
  TempDir dir;
  write_file(dir / "a.txt", "a\n", kT0);
  auto src = file_source(dir.path());
  auto first = src->latest_offset(milliseconds(0));
  REQUIRE(first);
  CHECK_FALSE(src->latest_offset(milliseconds(0)));
  write_file(dir / "b.txt", "b\n", kT0 + 5);
  auto second = src->latest_offset(milliseconds(0));
  REQUIRE(second);
  CHECK(offset_paths(*second) == std::vector<std::string>{"b.txt"});
  CHECK(read_values(*src, *first, *second) == std::vector<std::string>{"b"});
}

TEST_CASE("file source: glob paths") {
  TempDir dir;
  write_file(dir / "x.json", "1\n", kT0);
  write_file(dir / "y.csv", "2\n", kT0);
  write_file(dir / "z.json", "3\n", kT0);
  auto src = file_source(dir / "*.json");
  auto end = src->latest_offset(milliseconds(0));
  REQUIRE(end);
  CHECK(offset_paths(*end) == std::vector<std::string>{"x.json", "z.json"});
}

TEST_CASE("file source: a missing directory is NoInput naming it") {
  TempDir dir;
  for (std::string path : {dir / "missing", dir / "missing/*.json"}) {
    try {
      file_source(path);
      FAIL("expected an error");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::NoInput);
      CHECK(std::string(e.what()).find(dir / "missing") != std::string::npos);
    }
  }
}

TEST_CASE("file source: max_file_age is relative to the newest file taken") {
  TempDir dir;
  write_file(dir / "old.txt", "o\n", kT0 - 30 * kDay);
  write_file(dir / "new.txt", "n\n", kT0);
  FileSourceOptions o;
  o.max_file_age_ms = 7 * kDay * 1000;
  auto src = file_source(dir.path(), o);
  // Spark: for the first batch all files are valid.
  auto first = src->latest_offset(milliseconds(0));
  REQUIRE(first);
  CHECK(offset_paths(*first) == std::vector<std::string>{"old.txt", "new.txt"});
  write_file(dir / "late-but-old.txt", "l\n", kT0 - 8 * kDay);
  write_file(dir / "late-recent.txt", "r\n", kT0 - 6 * kDay);
  auto second = src->latest_offset(milliseconds(0));
  REQUIRE(second);
  CHECK(offset_paths(*second) == std::vector<std::string>{"late-recent.txt"});
}

TEST_CASE("file source: a bounded run only sees files present at its start") {
  TempDir dir;
  write_file(dir / "a.txt", "a\n", kT0);
  write_file(dir / "b.txt", "b\n", kT0 + 1);
  FileSourceOptions o;
  o.bounded_run = true;
  o.max_files_per_trigger = 1;
  auto src = file_source(dir.path(), o);
  REQUIRE(src->latest_offset(milliseconds(0)));
  write_file(dir / "c.txt", "c\n", kT0 + 2);
  auto second = src->latest_offset(milliseconds(0));
  REQUIRE(second);
  CHECK(offset_paths(*second) == std::vector<std::string>{"b.txt"});
  CHECK_FALSE(src->latest_offset(milliseconds(0)));
}

TEST_CASE("file source: clean_source applies after commit") {
  TempDir dir, archive;
  write_file(dir / "in/a.txt", "a\n", kT0);
  SUBCASE("delete") {
    FileSourceOptions o;
    o.clean_source = CleanSource::Delete;
    auto src = file_source(dir / "in", o);
    auto end = src->latest_offset(milliseconds(0));
    read_values(*src, nullptr, *end);
    CHECK(std::filesystem::exists(dir / "in/a.txt"));
    src->commit(*end);
    CHECK_FALSE(std::filesystem::exists(dir / "in/a.txt"));
  }
  SUBCASE("archive keeps the full path below the archive directory") {
    FileSourceOptions o;
    o.clean_source = CleanSource::Archive;
    o.source_archive_dir = archive.path();
    auto src = file_source(dir / "in", o);
    auto end = src->latest_offset(milliseconds(0));
    src->commit(*end);
    CHECK_FALSE(std::filesystem::exists(dir / "in/a.txt"));
    std::string archived = archive.path() + std::filesystem::path(dir / "in/a.txt").lexically_normal().string();
    CHECK(std::filesystem::exists(archived));
  }
}

TEST_CASE("file source: reads in chunks cut at records, a long record grows the buffer") {
  TempDir dir;
  std::string long_line(50, 'x');
  write_file(dir / "a.txt", "one\ntwo\nthree\n" + long_line + "\nlast", kT0);
  write_file(dir / "b.txt", "b\n", kT0 + 1);
  auto log = std::make_shared<ReaderLog>();
  FileSourceOptions o;
  o.chunk_bytes = 10;
  auto src = file_source(dir.path(), o, log);
  auto end = src->latest_offset(milliseconds(0));
  CHECK(read_values(*src, nullptr, *end) == std::vector<std::string>{"one", "two", "three", long_line, "last", "b"});
  REQUIRE(log->origins.size() >= 4);
  CHECK(log->origins[0].first_line == 1);
  CHECK(log->origins[0].byte_offset == 0);
  CHECK(log->origins[1].first_line == 3);  // "one\ntwo\n" fit the first 10 bytes
  CHECK(log->origins[1].byte_offset == 8);
  CHECK(log->origins.back().name == dir / "b.txt");
  CHECK(log->origins.back().byte_offset == 0);  // per file: csv headers apply per file
  CHECK(log->origins.back().first_line == 1);
}
