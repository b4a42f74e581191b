// The console sink: each micro-batch printed to stdout at commit exactly as
// Spark's console sink prints it (a "Batch: N" banner, then Dataset.show's
// table: num_rows rows, cells longer than 20 characters cut to 17 + "..."
// and right-aligned when truncate is on, left-aligned and whole when off).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "sinks/sink.hpp"

namespace runnel {

struct ConsoleOptions {
  int64_t num_rows = 20;
  bool truncate = true;
  int fd = 1;
};

const config::OptionTable& console_sink_options();
std::unique_ptr<Sink> create_console_sink(const SinkContext& ctx);
std::unique_ptr<Sink> make_console_sink(SchemaRef schema, ConsoleOptions options);

// Dataset.showString(num_rows, truncate ? 20 : 0) for a header and the cells
// of up to num_rows + 1 rows (one more than shown says "only showing top").
std::string show_string(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                        int64_t num_rows, bool truncate);

}  // namespace runnel
