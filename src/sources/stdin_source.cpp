#include "sources/stdin_source.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>

#include "base/error.hpp"
#include "checkpoint/log_file.hpp"
#include "sources/chunk_buffer.hpp"

namespace runnel {

namespace {

const config::OptionTable kOptions = {
    {"max_bytes_per_trigger", config::OptionType::Int,
     "most bytes of input taken into one micro-batch (a longer record is still taken whole)", "16777216"},
};

class StdinSource final : public Source {
 public:
  StdinSource(RecordInput input, StdinOptions options)
      : in_(std::move(input)), options_(options), buffer_(options.max_bytes_per_trigger, kLogHeadBytes) {}
  ~StdinSource() override { wait_until_released(wal_ticket_); }
  StdinSource(const StdinSource&) = delete;
  StdinSource& operator=(const StdinSource&) = delete;

  SchemaRef schema() const override { return in_.schema; }

  // Offsets: {"offset": bytes, "line": line breaks before it} of the stdin stream.
  std::optional<nlohmann::json> latest_offset(std::chrono::milliseconds wait) override {
    fill(wait);
    size_t end = eof_ ? buffer_.size() : in_.reader->complete_prefix(buffer_.data());
    if (end == 0) return std::nullopt;
    const uint64_t through = consumed_ + end;
    if (through > planned_) {
      std::string_view fresh = buffer_.data().substr(planned_ - consumed_, through - planned_);
      // At the buffer's front (every batch but one replayed after a restart)
      // the segment is written straight from the buffer, its head room
      // taking the log file's version line.
      char* head = fresh.data() == buffer_.data().data() ? buffer_.head() : nullptr;
      if (!wal_dir_.empty()) wal_ticket_ = write_log_bytes_borrowed(segment_path(planned_, through), fresh, head);
      planned_lines_ += count_newlines(fresh);
      planned_ = through;
    }
    return nlohmann::json{{"offset", through}, {"line", planned_lines_}};
  }

  // stdin cannot be replayed: `start` is where the last read ended (after a
  // restart, the write-ahead log put the bytes back into the buffer).
  void read(const nlohmann::json& start, const nlohmann::json& end, const Emit& out) override {
    uint64_t through = end.at("offset").get<uint64_t>();
    RUNNEL_ASSERT(through >= consumed_ && through - consumed_ <= buffer_.size());
    size_t n = static_cast<size_t>(through - consumed_);
    uint64_t line = start.is_null() ? 1 : start.at("line").get<uint64_t>() + 1;
    in_.reader->parse(buffer_.data().substr(0, n), Origin{"stdin", line, consumed_}, out);
    consumed_ = through;
    wait_until_released(wal_ticket_);  // the log has its copy of the bytes
    buffer_.consume(n);
  }

  // With a checkpoint: the write-ahead log of what stdin delivered (Spark's
  // receiver WAL), in `dir`. Every range latest_offset() plans is first written
  // there as a segment file START-END (stream byte offsets), so after a crash
  // a replayed batch and any bytes planned but not yet run come back from the
  // log, and the input continues after the last segment: whoever feeds stdin
  // resends from there. Segments go once their batch commits.
  void recover(const std::string& dir, const nlohmann::json& committed, const nlohmann::json&) override {
    wal_dir_ = dir;
    make_directories(dir);
    consumed_ = planned_ = committed.is_null() ? 0 : committed.at("offset").get<uint64_t>();
    planned_lines_ = committed.is_null() ? 0 : committed.at("line").get<uint64_t>();
    for (auto [start, end] : wal_segments()) {
      if (end <= consumed_) {
        remove_file(segment_path(start, end));
        continue;
      }
      if (start != planned_)
        fail(ErrorKind::IO, "checkpoint: the stdin write-ahead log in '" + dir + "' has a gap at byte " +
                                std::to_string(planned_));
      std::string bytes = read_log_bytes(segment_path(start, end));
      if (bytes.size() != end - start)
        fail(ErrorKind::IO, "checkpoint file '" + segment_path(start, end) + "' does not hold its byte range");
      buffer_.append(bytes);
      planned_lines_ += count_newlines(bytes);
      planned_ = end;
    }
  }

  void commit(const nlohmann::json& end) override {
    if (wal_dir_.empty()) return;
    const uint64_t through = end.at("offset").get<uint64_t>();
    std::vector<std::string> done;
    for (auto [start, stop] : wal_segments())
      if (stop <= through) done.push_back(segment_path(start, stop));
    // Off the batch's path; a spent segment's file is kept for a later one.
    retire_log_files(std::move(done));
  }

  bool ended() const override { return eof_ && buffer_.size() == 0; }
  BadRecords* bad_records() override { return in_.bad.get(); }
  std::string description() const override { return "stdin"; }

 private:
  // Waits up to `wait` for input, then reads what is available without
  // blocking until the buffer holds max_bytes_per_trigger bytes.
  void fill(std::chrono::milliseconds wait) {
    bool ready = !eof_ && readable(buffer_.size() == 0 ? wait : std::chrono::milliseconds(0));
    while (ready) {
      if (buffer_.full()) {
        if (in_.reader->complete_prefix(buffer_.data()) > 0) return;
        wait_until_released(wal_ticket_);
        buffer_.reserve(buffer_.capacity() * 2);  // one record longer than the cap
      }
      if (buffer_.read_from(options_.fd, "stdin") == 0) {
        eof_ = true;
        return;
      }
      ready = readable(std::chrono::milliseconds(0));
    }
  }

  bool readable(std::chrono::milliseconds wait) const {
    pollfd p{options_.fd, POLLIN, 0};
    for (;;) {
      int r = ::poll(&p, 1, static_cast<int>(wait.count()));
      if (r >= 0) return r > 0;  // POLLHUP/POLLERR also mean read(2) will not block
      if (errno != EINTR) fail(ErrorKind::IO, std::string("cannot poll stdin: ") + std::strerror(errno));
    }
  }

  std::string segment_path(uint64_t start, uint64_t end) const {
    return wal_dir_ + "/" + std::to_string(start) + "-" + std::to_string(end);
  }

  // The log's segments (start, end), in stream order.
  std::vector<std::pair<uint64_t, uint64_t>> wal_segments() const {
    std::vector<std::pair<uint64_t, uint64_t>> segments;
    for (const auto& entry : std::filesystem::directory_iterator(wal_dir_)) {
      const std::string name = entry.path().filename().string();
      uint64_t start = 0, end = 0;
      const char* last = name.data() + name.size();
      auto [dash, e1] = std::from_chars(name.data(), last, start);
      if (e1 != std::errc() || dash == last || *dash != '-') continue;  // temporary files and the like
      auto [stop, e2] = std::from_chars(dash + 1, last, end);
      if (e2 == std::errc() && stop == last && end > start) segments.emplace_back(start, end);
    }
    std::sort(segments.begin(), segments.end());
    return segments;
  }

  RecordInput in_;
  StdinOptions options_;
  ChunkBuffer buffer_;
  uint64_t consumed_ = 0;       // bytes handed to the reader so far: the offset of buffer_[0]
  uint64_t planned_ = 0;        // bytes through which latest_offset() has offered
  uint64_t planned_lines_ = 0;  // line breaks in those bytes
  std::string wal_dir_;         // with a checkpoint: the write-ahead log
  uint64_t wal_ticket_ = 0;     // its newest segment, which borrows buffer_'s bytes until released
  bool eof_ = false;
};

}  // namespace

const config::OptionTable& stdin_source_options() { return kOptions; }

std::unique_ptr<Source> make_stdin_source(RecordInput input, StdinOptions options) {
  return std::make_unique<StdinSource>(std::move(input), options);
}

std::unique_ptr<Source> create_stdin_source(const SourceContext& ctx) {
  RecordInput input = make_record_input(ctx, kOptions);
  StdinOptions options;
  config::Node cap = ctx.config.node["max_bytes_per_trigger"];
  if (cap.defined()) {
    int64_t bytes = cap.integer();
    if (bytes <= 0) cap.fail("must be a positive number of bytes");
    options.max_bytes_per_trigger = static_cast<size_t>(bytes);
  }
  return make_stdin_source(std::move(input), options);
}

}  // namespace runnel
