// DirectFile: bytes written in pieces of any size come out exactly, through
// O_DIRECT where the file system allows it and plain writes where it does not.
#include <doctest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "base/direct_file.hpp"
#include "../config/config_test_util.hpp"

namespace runnel {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Writes `pieces` through flushes of whole blocks, then the rest; returns the file's bytes.
std::string write_pieces(const std::string& path, const std::vector<size_t>& pieces, bool overwrite = false) {
  DirectFile file(path, overwrite);
  AlignedBytes unwritten;
  std::string expected;
  char next = 'a';
  for (size_t n : pieces) {
    std::string piece(n, next);
    next = next == 'z' ? 'a' : static_cast<char>(next + 1);
    expected += piece;
    unwritten.append(piece);
    file.write_blocks(unwritten);
    CHECK(unwritten.size() < DirectFile::kBlock + n);
  }
  file.write_last(unwritten);
  CHECK(unwritten.size() == 0);
  file.close();
  CHECK(slurp(path) == expected);
  return expected;
}

void check_directory(const std::filesystem::path& dir) {
  write_pieces((dir / "empty").string(), {});
  write_pieces((dir / "one-byte").string(), {1});
  write_pieces((dir / "blocks").string(), {4096, 8192});
  write_pieces((dir / "ragged").string(), {1, 4095, 4097, 3, 70000, 5});
  // A shorter file over a longer one: truncated, no old bytes left.
  write_pieces((dir / "ragged").string(), {10});
  // Written over in place: shorter and longer than what the file held, no old bytes left.
  write_pieces((dir / "blocks").string(), {5000}, true);
  write_pieces((dir / "blocks").string(), {3, 9000}, true);
  write_pieces((dir / "new").string(), {100}, true);
}

}  // namespace

TEST_CASE("DirectFile writes exactly the bytes given, in any pieces (O_DIRECT on the temp directory's file system)") {
  config::testing::TempDir dir;
  check_directory(dir.path());
}

TEST_CASE("DirectFile falls back to plain writes where O_DIRECT is refused (tmpfs)") {
  if (!std::filesystem::is_directory("/dev/shm")) return;
  std::filesystem::path dir = "/dev/shm/runnel-direct-file-test-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  check_directory(dir);
  std::filesystem::remove_all(dir);
}

// As the JSON writer uses it: sized up front, written through data(), cut to
// what was written; growing keeps the bytes before, and the start stays on a block.
TEST_CASE("AlignedBytes: resize grows keeping the bytes, data() on a block, written as is") {
  config::testing::TempDir dir;
  const std::string path = (std::filesystem::path(dir.path()) / "out").string();
  AlignedBytes bytes;
  std::string expected;
  for (size_t n : {size_t{10}, DirectFile::kBlock * 3 + 5, size_t{1}}) {
    const size_t old = bytes.size();
    bytes.resize(old + n + 7);
    CHECK(reinterpret_cast<uintptr_t>(bytes.data()) % DirectFile::kBlock == 0);
    const std::string piece(n, static_cast<char>('a' + expected.size() % 26));
    std::memcpy(bytes.data() + old, piece.data(), n);
    bytes.resize(old + n);
    expected += piece;
    CHECK(bytes.view() == expected);
  }
  bytes.push_back('\n');
  expected += '\n';
  DirectFile file(path);
  file.write_blocks(bytes);
  CHECK(bytes.size() < DirectFile::kBlock);  // the tail, for the next write
  file.write_last(bytes);
  file.close();
  CHECK(slurp(path) == expected);
  bytes.clear();
  CHECK(bytes.size() == 0);
}

}  // namespace runnel
