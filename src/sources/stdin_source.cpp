#include "sources/stdin_source.hpp"

#include <poll.h>

#include <cerrno>
#include <cstring>

#include "base/error.hpp"
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
      : in_(std::move(input)), options_(options), buffer_(options.max_bytes_per_trigger) {}

  SchemaRef schema() const override { return in_.schema; }

  std::optional<nlohmann::json> latest_offset(std::chrono::milliseconds wait) override {
    fill(wait);
    size_t end = eof_ ? buffer_.size() : in_.reader->complete_prefix(buffer_.data());
    if (end == 0) return std::nullopt;
    return nlohmann::json{{"offset", consumed_ + end}};
  }

  // stdin cannot be replayed: `start` is where the last read ended.
  void read(const nlohmann::json&, const nlohmann::json& end, const Emit& out) override {
    uint64_t through = end.at("offset").get<uint64_t>();
    RUNNEL_ASSERT(through >= consumed_ && through - consumed_ <= buffer_.size());
    size_t n = static_cast<size_t>(through - consumed_);
    std::string_view records = buffer_.data().substr(0, n);
    in_.reader->parse(records, Origin{"stdin", lines_ + 1, consumed_}, out);
    lines_ += count_newlines(records);
    consumed_ = through;
    buffer_.consume(n);
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

  RecordInput in_;
  StdinOptions options_;
  ChunkBuffer buffer_;
  uint64_t consumed_ = 0;  // bytes handed to the reader so far: the offset of buffer_[0]
  uint64_t lines_ = 0;     // newlines in those bytes
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
