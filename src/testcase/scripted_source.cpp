#include "testcase/scripted_source.hpp"

#include <algorithm>
#include <sstream>

#include "base/error.hpp"
#include "sources/record_input.hpp"

namespace runnel::testcase {
namespace {

class ScriptedSource final : public Source {
 public:
  // Checks the node against the real source type's options, so a case sees
  // the same config errors as `runnel run`.
  ScriptedSource(const SourceContext& context, std::shared_ptr<InputFeed> feed)
      : name_(context.config.name),
        is_stdin_(context.config.type == "stdin"),
        input_(make_record_input(context, own_options(context))),
        feed_(std::move(feed)),
        read_through_(feed_->consumed) {}

  SchemaRef schema() const override { return input_.schema; }

  std::optional<nlohmann::json> latest_offset(std::chrono::milliseconds) override {
    if (feed_->chunks.size() <= read_through_) return std::nullopt;
    return nlohmann::json(feed_->chunks.size());
  }

  void read(const nlohmann::json& start, const nlohmann::json& end, const Emit& out) override {
    const size_t from = start.is_null() ? read_through_ : start.get<size_t>();
    const size_t to = std::min(end.get<size_t>(), feed_->chunks.size());
    for (size_t k = from; k < to; ++k) parse_chunk(k, out);
    read_through_ = std::max(read_through_, to);
    feed_->consumed = std::max(feed_->consumed, to);
  }

  bool ended() const override { return feed_->closed && read_through_ == feed_->chunks.size(); }
  BadRecords* bad_records() override { return input_.bad.get(); }
  std::string description() const override { return "scripted input of source '" + name_ + "'"; }

 private:
  // stdin is one stream, so its line numbers run on across batches (as in
  // `runnel run` with the same bytes piped in); any other source's batch is
  // like a new file and starts at line 1.
  void parse_chunk(size_t k, const Emit& out) {
    const std::string& chunk = feed_->chunks[k];
    std::string padded = chunk;
    padded.append(kReadPadding, '\0');
    Origin origin;
    origin.name = is_stdin_ ? "stdin" : "batch " + std::to_string(k) + " input";
    origin.first_line = is_stdin_ ? stdin_line_ : 1;
    origin.byte_offset = is_stdin_ ? stdin_offset_ : 0;
    input_.reader->parse(std::string_view(padded.data(), chunk.size()), origin, out);
    stdin_line_ += static_cast<uint64_t>(std::count(chunk.begin(), chunk.end(), '\n'));
    stdin_offset_ += chunk.size();
  }

  static const config::OptionTable& own_options(const SourceContext& context) {
    static const config::OptionTable none;
    const SourceType* type = find_source_type(context.config.type);
    return type && type->options ? *type->options : none;
  }

  std::string name_;
  bool is_stdin_;
  RecordInput input_;
  std::shared_ptr<InputFeed> feed_;
  size_t read_through_;
  uint64_t stdin_line_ = 1, stdin_offset_ = 0;
};

class CaptureSink final : public Sink {
 public:
  CaptureSink(const SinkContext& context, std::shared_ptr<Capture> capture)
      : name_(context.config.name),
        writer_(make_writer(context.config.node, "json", context.schema)),
        capture_(std::move(capture)) {}

  void begin_batch(int64_t) override { pending_.clear(); }
  void write(const Batch& batch) override { writer_->write(batch, pending_); }

  // Rows become visible at commit, as with a real sink.
  void commit(int64_t) override {
    std::istringstream lines(std::string(pending_.view()));
    std::string line;
    while (std::getline(lines, line)) {
      if (line.empty()) continue;
      nlohmann::json row = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (row.is_discarded()) fail(ErrorKind::Internal, "the JSON writer produced invalid JSON: " + line);
      capture_->add(name_, std::move(row));
    }
    pending_.clear();
  }

  std::string description() const override { return "capture of sink '" + name_ + "'"; }

 private:
  std::string name_;
  std::unique_ptr<RecordWriter> writer_;
  std::shared_ptr<Capture> capture_;
  AlignedBytes pending_;
};

}  // namespace

Rows Capture::take(const std::string& sink) {
  auto it = rows_.find(sink);
  if (it == rows_.end()) return {};
  Rows rows = std::move(it->second);
  rows_.erase(it);
  return rows;
}

std::unique_ptr<Source> make_scripted_source(const SourceContext& context, std::shared_ptr<InputFeed> feed) {
  return std::make_unique<ScriptedSource>(context, std::move(feed));
}

std::unique_ptr<Sink> make_capture_sink(const SinkContext& context, std::shared_ptr<Capture> capture) {
  return std::make_unique<CaptureSink>(context, std::move(capture));
}

}  // namespace runnel::testcase
