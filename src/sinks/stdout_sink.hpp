// The stdout sink: rows written to standard output by a format writer
// (json lines, csv, text). Output is buffered and flushed when the buffer
// passes ~1 MiB and at every commit, so `tail -f | runnel | jq` stays live.
// A reader that goes away (EPIPE) ends the run quietly: OutputClosed.
#pragma once
#include <memory>

#include "sinks/sink.hpp"

namespace runnel {

struct StdoutOptions {
  int fd = 1;
  size_t flush_bytes = size_t{1} << 20;
};

const config::OptionTable& stdout_sink_options();
std::unique_ptr<Sink> create_stdout_sink(const SinkContext& ctx);
std::unique_ptr<Sink> make_stdout_sink(std::unique_ptr<RecordWriter> writer, StdoutOptions options);

}  // namespace runnel
