// BadRecords and the dead-letter file. Each dead letter is one JSON line:
//   {"source":"clicks","position":{"file":"in/a.json","line":12,"column":7},
//    "reason":"...","record":"<raw text>"}
// and for a Kafka record the position is {"topic":"t","partition":0,"offset":23,"column":7}.
// Lines are buffered and appended to the file when the executor closes a
// batch (take_batch_count), before a fail_fast error, and at destruction.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "base/error.hpp"
#include "formats/format.hpp"
#include "formats/json_text.hpp"

namespace runnel {

class DeadLetterWriter {
 public:
  explicit DeadLetterWriter(std::string path) : path_(std::move(path)) {}
  ~DeadLetterWriter() {
    if (file_) std::fclose(file_);
  }

  void add(std::string_view source, const Origin& origin, uint64_t line, uint64_t column, std::string_view reason,
           std::string_view raw) {
    pending_ += "{\"source\":";
    append_json_string(source, pending_);
    pending_ += origin.kafka_partition >= 0 ? ",\"position\":{\"topic\":" : ",\"position\":{\"file\":";
    append_json_string(origin.name, pending_);
    if (origin.kafka_partition >= 0)
      pending_ += ",\"partition\":" + std::to_string(origin.kafka_partition) + ",\"offset\":" + std::to_string(line);
    else
      pending_ += ",\"line\":" + std::to_string(line);
    pending_ += ",\"column\":" + std::to_string(column) + "},\"reason\":";
    append_json_string(reason, pending_);
    pending_ += ",\"record\":";
    append_json_string(raw, pending_);
    pending_ += "}\n";
  }

  void flush() {
    if (pending_.empty()) return;
    if (!file_) open();
    if (std::fwrite(pending_.data(), 1, pending_.size(), file_) != pending_.size() || std::fflush(file_) != 0)
      fail(ErrorKind::IO, "dead letter file '" + path_ + "': write failed: " + std::strerror(errno));
    pending_.clear();
  }

 private:
  void open() {
    std::error_code ec;
    auto parent = std::filesystem::path(path_).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    file_ = std::fopen(path_.c_str(), "ab");
    if (!file_) fail(ErrorKind::IO, "dead letter file '" + path_ + "': cannot open: " + std::strerror(errno));
  }

  std::string path_;
  std::string pending_;
  std::FILE* file_ = nullptr;
};

BadRecords::BadRecords(std::string source_name, ParseMode mode, std::string dead_letter_path)
    : source_(std::move(source_name)), mode_(mode) {
  if (!dead_letter_path.empty()) dead_letter_ = std::make_unique<DeadLetterWriter>(std::move(dead_letter_path));
}

BadRecords::~BadRecords() {
  if (!dead_letter_) return;
  try {
    dead_letter_->flush();
  } catch (const Error&) {
    // Destruction runs during unwinding too; the records were counted and the
    // error of the run, if any, is already on its way.
  }
}

void BadRecords::report(const Origin& origin, uint64_t line, uint64_t column, std::string_view reason,
                        std::string_view raw) {
  ++total_;
  ++batch_;
  if (dead_letter_) dead_letter_->add(source_, origin, line, column, reason, raw);
  if (mode_ != ParseMode::FailFast) return;
  if (dead_letter_) dead_letter_->flush();
  std::string where = origin.kafka_partition >= 0
                          ? "topic '" + origin.name + "' partition " + std::to_string(origin.kafka_partition) +
                                " offset " + std::to_string(line) + " column " + std::to_string(column)
                          : origin.name + ":" + std::to_string(line) + ":" + std::to_string(column);
  fail(ErrorKind::BadData, "source '" + source_ + "': " + where + ": " + std::string(reason));
}

uint64_t BadRecords::take_batch_count() {
  if (dead_letter_) dead_letter_->flush();
  uint64_t n = batch_;
  batch_ = 0;
  return n;
}

}  // namespace runnel
