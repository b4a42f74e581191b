// Source: a stream of micro-batches addressed by offsets, after Spark's
// Source API (getOffset / getBatch(start, end) / commit). The executor asks
// for the latest offset at the start of each micro-batch, reads the range
// (previous end, new end], and commits the end once the batch's output is
// durable. Offsets are JSON so the checkpoint can store them verbatim.
#pragma once
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "batch/batch.hpp"
#include "config/pipeline_config.hpp"
#include "formats/format.hpp"

namespace runnel {

class Source {
 public:
  virtual ~Source() = default;
  virtual SchemaRef schema() const = 0;
  // The offset through which data is available now, or nullopt when there is
  // nothing new. May block up to `wait` for data to arrive.
  virtual std::optional<nlohmann::json> latest_offset(std::chrono::milliseconds wait) = 0;
  // Emits the rows in (start, end] as batches of at most batch_rows() rows;
  // `start` is null for the first batch.
  virtual void read(const nlohmann::json& start, const nlohmann::json& end, const Emit& out) = 0;
  // The batch ending at `end` is committed: clean up (clean_source, buffers).
  virtual void commit(const nlohmann::json& end) { (void)end; }
  // With a checkpoint, called once before the first batch. `dir` is this
  // source's own directory in the checkpoint (for a log of what it has
  // offered, as Spark's FileStreamSourceLog); `committed` is the end offset of
  // the last committed batch and `replay` that of the batch about to be re-run
  // (each null when none). The source must not offer again anything those
  // offsets cover; read() gets the replayed range verbatim.
  virtual void recover(const std::string& dir, const nlohmann::json& committed, const nlohmann::json& replay) {
    (void)dir;
    (void)committed;
    (void)replay;
  }
  // A finite source that has delivered everything (stdin at EOF, rate at total_rows).
  virtual bool ended() const { return false; }
  // Malformed-record counts, if the source parses bytes.
  virtual BadRecords* bad_records() { return nullptr; }
  virtual std::string description() const = 0;
};

struct SourceContext {
  const config::PipelineConfig& pipeline;
  const config::ConnectorConfig& config;
  // Under trigger once/available_now a source reports only data present at start.
  bool bounded_run = false;
  // A file source's bytes read and parsed at a time; 0 for its default
  // (FileSourceOptions::chunk_bytes).
  size_t chunk_bytes = 0;
};

struct SourceType {
  std::string_view type;
  std::string_view summary;
  const config::OptionTable* options;  // its own options, beyond reader_options()
  bool carries_bytes;                  // takes format/schema/mode (reader_options())
  std::unique_ptr<Source> (*create)(const SourceContext&);
};

// All source types, in the order `--help` lists them (sources/registry.cpp).
const std::vector<SourceType>& source_types();
const SourceType* find_source_type(std::string_view type);

}  // namespace runnel
