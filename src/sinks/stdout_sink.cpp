#include "sinks/stdout_sink.hpp"

#include "sinks/fd_output.hpp"

namespace runnel {

namespace {

const config::OptionTable kOptions = {
    {"format", config::OptionType::Choice, "how rows are written", "json", false, {"json", "csv", "text"}},
};

class StdoutSink final : public Sink {
 public:
  StdoutSink(std::unique_ptr<RecordWriter> writer, StdoutOptions options)
      : writer_(std::move(writer)), options_(options) {
    writer_->begin(buffer_);  // the csv header, once per stream
  }

  void write(const Batch& batch) override {
    writer_->write(batch, buffer_);
    if (buffer_.size() >= options_.flush_bytes) flush();
  }

  void commit(int64_t) override { flush(); }
  void close() override { flush(); }
  std::string description() const override { return "StdoutSink"; }

 private:
  void flush() {
    write_all(options_.fd, buffer_.view(), "stdout");
    buffer_.clear();
  }

  std::unique_ptr<RecordWriter> writer_;
  StdoutOptions options_;
  AlignedBytes buffer_;
};

}  // namespace

const config::OptionTable& stdout_sink_options() { return kOptions; }

std::unique_ptr<Sink> make_stdout_sink(std::unique_ptr<RecordWriter> writer, StdoutOptions options) {
  return std::make_unique<StdoutSink>(std::move(writer), options);
}

std::unique_ptr<Sink> create_stdout_sink(const SinkContext& ctx) {
  const config::Node& node = ctx.config.node;
  config::validate_options(node, {&kOptions, &writer_options()}, {"type", "from", "output_mode"});
  std::string format = node["format"].defined() ? node["format"].choice({"json", "csv", "text"}) : "json";
  return make_stdout_sink(make_writer(node, format, ctx.schema), StdoutOptions{});
}

}  // namespace runnel
