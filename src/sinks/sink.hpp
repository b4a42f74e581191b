// Sink: receives the output rows of each micro-batch. begin_batch, any number
// of write calls, then commit; commit makes the batch's output visible and,
// for sinks that promise it, durable (the file sink renames its temporary
// files into place at commit).
#pragma once
#include <cstdint>
#include <exception>
#include <memory>
#include <string>

#include "batch/batch.hpp"
#include "config/pipeline_config.hpp"
#include "formats/format.hpp"

namespace runnel {

// Thrown by a sink whose output was closed by the reader (EPIPE on stdout,
// e.g. `runnel run p.yaml | head`). The executor ends the run quietly with
// exit code 0, as `head`'s writers do; SIGPIPE is ignored process-wide.
class OutputClosed : public std::exception {
 public:
  const char* what() const noexcept override { return "output closed"; }
};

class Sink {
 public:
  virtual ~Sink() = default;
  virtual void begin_batch(int64_t batch_id) { (void)batch_id; }
  virtual void write(const Batch& batch) = 0;
  virtual void commit(int64_t batch_id) = 0;
  // With a checkpoint, called once before the first batch with the
  // checkpoint's query id (stable across restarts, distinct across
  // pipelines), for sinks that name something after it (the Kafka sink's
  // transactional id). A re-run batch then gets begin_batch with its old id.
  virtual void recover(const std::string& query_id) { (void)query_id; }
  virtual void close() {}
  virtual std::string description() const = 0;
};

struct SinkContext {
  const config::PipelineConfig& pipeline;
  const config::SinkConfig& config;
  SchemaRef schema;  // of the rows it will receive
};

struct SinkType {
  std::string_view type;
  std::string_view summary;
  const config::OptionTable* options;  // beyond from/type/output_mode
  bool writes_bytes;                   // takes format (+ writer_options())
  std::unique_ptr<Sink> (*create)(const SinkContext&);
};

const std::vector<SinkType>& sink_types();
const SinkType* find_sink_type(std::string_view type);

}  // namespace runnel
