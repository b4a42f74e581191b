// Helpers for source tests: a line reader (one `value` string per line) that
// logs what it was given, temporary directories, and draining a source.
#pragma once
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "checkpoint/log_file.hpp"
#include "sources/record_input.hpp"

namespace runnel::test {

struct ReaderLog {
  std::vector<Origin> origins;
  std::vector<size_t> chunk_sizes;
};

class LineReader final : public RecordReader {
 public:
  LineReader(SchemaRef schema, std::shared_ptr<ReaderLog> log) : schema_(std::move(schema)), log_(std::move(log)) {}
  size_t complete_prefix(std::string_view data) const override {
    size_t nl = data.rfind('\n');
    return nl == std::string_view::npos ? 0 : nl + 1;
  }
  void parse(std::string_view data, const Origin& origin, const Emit& out) override {
    log_->origins.push_back(origin);
    log_->chunk_sizes.push_back(data.size());
    Batch b = Batch::builder(schema_, 16);
    while (!data.empty()) {
      size_t nl = data.find('\n');
      b.columns[0]->append_string(data.substr(0, nl));
      ++b.num_rows;
      data.remove_prefix(nl == std::string_view::npos ? data.size() : nl + 1);
    }
    if (b.num_rows) out(b);
  }

 private:
  SchemaRef schema_;
  std::shared_ptr<ReaderLog> log_;
};

inline RecordInput line_input(std::shared_ptr<ReaderLog> log) {
  RecordInput in;
  in.schema = std::make_shared<const Schema>(Schema{{{"value", DataType::of(TypeId::String)}}});
  in.reader = std::make_unique<LineReader>(in.schema, std::move(log));
  return in;
}

inline std::vector<std::string> string_values(const Batch& b, size_t column = 0) {
  std::vector<std::string> out;
  for (size_t i = 0; i < b.size(); ++i) out.emplace_back(b.columns[column]->data<std::string_view>()[b.row(i)]);
  return out;
}

// Reads (start, end] and returns the `value` strings.
inline std::vector<std::string> read_values(Source& source, const nlohmann::json& start, const nlohmann::json& end) {
  std::vector<std::string> values;
  source.read(start, end, [&](Batch& b) {
    for (auto& v : string_values(b)) values.push_back(v);
  });
  return values;
}

class TempDir {
 public:
  TempDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "runnel-test-XXXXXX").string();
    path_ = ::mkdtemp(templ.data());
  }
  ~TempDir() {
    try {  // deferred checkpoint writes into it finish first
      wait_for_log_writes();
    } catch (const std::exception& e) {
      FAIL_CHECK(e.what());
    }
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Writes a file and sets its modification time to `mtime_s` seconds after the epoch.
inline void write_file(const std::string& path, const std::string& content, int64_t mtime_s) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << content;
  timespec times[2] = {{mtime_s, 0}, {mtime_s, 0}};
  ::utimensat(AT_FDCWD, path.c_str(), times, 0);
}

}  // namespace runnel::test
