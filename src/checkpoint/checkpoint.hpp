// Checkpoint: the directory that lets a query resume exactly where it left
// off, laid out as Spark's:
//   DIR/metadata      the query id, the pipeline name and the fingerprint of
//                     what a restart must not change (sources, stateful steps)
//   DIR/offsets/N     written BEFORE batch N runs: each source's end offset
//                     and the batch's watermark and timestamp (OffsetSeq)
//   DIR/commits/N     written AFTER batch N's sink output and state are
//                     durable: the watermark the next batch runs with
//   DIR/state/        the operators' state (LmdbStateEnv), version N = after batch N
//   DIR/sources/NAME/ a source's own log (the file source's files taken)
// A batch whose offsets are written but not its commit re-runs on restart
// with exactly those offsets, that watermark and that timestamp, from the
// state of the last commit — so its output is the same (exactly-once with
// the file sink's manifest). Every file goes through log_file.hpp (atomic,
// checksummed).
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/pipeline_config.hpp"

namespace runnel {

class LmdbStateEnv;
struct Graph;

// Spark's OffsetSeq with its OffsetSeqMetadata.
struct OffsetSeq {
  // Source name -> the end offset through which it has been read by this
  // batch (cumulative, as Spark's: a source without new data keeps the
  // previous end; null before its first data).
  nlohmann::json sources = nlohmann::json::object();
  int64_t batch_watermark_ms = 0;
  int64_t batch_timestamp_ms = 0;
  bool end_of_stream = false;  // the batch that moved the watermark to +infinity
};

// Spark's CommitMetadata, plus each watermark step's own watermark.
struct CommitEntry {
  int64_t next_batch_watermark_ms = 0;
  std::vector<int64_t> watermarks_ms;
};

// Where a restarted query goes on from.
struct Recovery {
  int64_t next_batch = 0;             // the first batch id to run
  std::optional<OffsetSeq> committed;  // offsets of the last committed batch
  std::optional<CommitEntry> commit;   // its commit entry
  std::optional<OffsetSeq> replay;     // offsets of batch next_batch, written but never committed
};

// The parts of a pipeline a restart from its checkpoint must keep: source
// names and types, and each stateful step's kind and state shape.
nlohmann::json pipeline_fingerprint(const config::PipelineConfig& config, const Graph& graph);
// Why `now` cannot resume a checkpoint made with `then` ("" when it can).
std::string fingerprint_change(const nlohmann::json& then, const nlohmann::json& now);

class Checkpoint {
 public:
  // Creates the directory layout when missing; writes DIR/metadata the first
  // time, and afterwards checks the pipeline against it (Error(Config) naming
  // what changed). Error(IO) when a file is unreadable or corrupt.
  Checkpoint(const config::PipelineConfig& config, const nlohmann::json& fingerprint);
  ~Checkpoint();

  const std::string& dir() const { return dir_; }
  const std::string& query_id() const { return query_id_; }

  // Reads the logs. With `state` (a query with stateful operators) opens the
  // state environment and takes it back to the last commit when a crash left
  // it one version ahead.
  Recovery recover(bool state);
  LmdbStateEnv& state();  // after recover(true)
  // Batch N's protocol, in this order (crash points between the steps).
  // The offsets and the commit marker are deferred writes (log_file.hpp):
  // settle() is the barrier before batch N's sinks commit, when its offsets
  // (and the sources' logs of it) must be durable, and before the sources of
  // the last committed batch clean up, when its commit marker must be.
  void write_offsets(int64_t batch_id, const OffsetSeq& offsets);
  void settle();
  void commit_state(int64_t batch_id);
  void write_commit(int64_t batch_id, const CommitEntry& entry);
  // Drops batch logs older than min_batches_to_retain batches before `batch_id`.
  void purge(int64_t batch_id);
  // A directory for one source's own log, created on demand.
  std::string source_dir(const std::string& source_name) const;

 private:
  std::string dir_;
  int64_t retain_;
  std::string query_id_;
  std::unique_ptr<LmdbStateEnv> state_;
  int64_t unsettled_commit_ = -1;  // a commit marker written since the last settle()
};

// Reading and writing the entries (also for `runnel checkpoint inspect`).
nlohmann::json to_json(const OffsetSeq& offsets);
OffsetSeq offset_seq_from_json(const nlohmann::json& j, const std::string& path);
nlohmann::json to_json(const CommitEntry& entry);
CommitEntry commit_entry_from_json(const nlohmann::json& j, const std::string& path);

}  // namespace runnel
