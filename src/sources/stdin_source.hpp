// The stdin source: records read from a file descriptor (0 in production) as
// they arrive. Each micro-batch takes the complete records available without
// blocking, at most max_bytes_per_trigger bytes, so an endless pipe never
// holds more than that in memory (one record longer than the cap grows the
// buffer to fit it). At end of input the unterminated tail is the last
// record, and the source ends once everything is read.
// Offsets: {"offset": bytes consumed since the start of input}.
#pragma once
#include <memory>

#include "sources/record_input.hpp"

namespace runnel {

constexpr size_t kDefaultStdinBytesPerTrigger = size_t{16} << 20;

struct StdinOptions {
  int fd = 0;
  size_t max_bytes_per_trigger = kDefaultStdinBytesPerTrigger;
};

const config::OptionTable& stdin_source_options();
std::unique_ptr<Source> create_stdin_source(const SourceContext& ctx);
// For tests and embedding: a stdin source on any fd with a ready-made reader.
std::unique_ptr<Source> make_stdin_source(RecordInput input, StdinOptions options);

}  // namespace runnel
