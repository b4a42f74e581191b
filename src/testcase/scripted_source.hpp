// The test runner's stand-ins for real connectors.
//
// ScriptedSource replaces a source that has input in a case: batch k of the
// case is one chunk of bytes, returned as one micro-batch and parsed by the
// real reader built from the source's own node (format, schema, mode and
// dead_letter all apply). CaptureSink replaces every sink: it serialises the
// rows it receives with the JSON writer and keeps them until the runner takes
// them after each micro-batch.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sinks/sink.hpp"
#include "sources/source.hpp"
#include "testcase/test_case.hpp"

namespace runnel::testcase {

// Input of one scripted source. The runner appends one chunk per case batch;
// the source instances the executor creates (a new one after a restart) read
// them. An offset is the number of chunks available.
struct InputFeed {
  std::vector<std::string> chunks;
  size_t consumed = 0;  // chunks read so far, by any instance
  bool closed = false;  // the case has no more batches: the source has ended
};

std::unique_ptr<Source> make_scripted_source(const SourceContext& context, std::shared_ptr<InputFeed> feed);

// Committed rows per sink name, until taken.
class Capture {
 public:
  void add(const std::string& sink, nlohmann::json row) { rows_[sink].push_back(std::move(row)); }
  Rows take(const std::string& sink);

 private:
  std::map<std::string, Rows> rows_;
};

std::unique_ptr<Sink> make_capture_sink(const SinkContext& context, std::shared_ptr<Capture> capture);

}  // namespace runnel::testcase
