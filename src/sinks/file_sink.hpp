// The file sink: each micro-batch's rows written as files under `path`, one
// per partition directory (`col=value/`, Spark's escaping, null or empty ->
// __HIVE_DEFAULT_PARTITION__; partition columns are left out of the data, as
// Spark does). Files are written under temporary names starting with '.'
// (which readers skip) and renamed into place at commit, after fsync of the
// file; the directories are fsynced after the renames. A batch with no rows
// writes no file. Names carry the batch id so a manifest log can later name
// exactly the files of each committed batch:
//   part-<5-digit index>-<uuid>-b<batch id>.c000.<format>
//
// With a checkpoint the sink is exactly-once, as Spark's FileStreamSink: after
// a batch's files are renamed into place and fsynced, `_runnel_log/<batch id>`
// (Spark's `_spark_metadata`) lists them, written atomically. A batch already
// in that log is skipped when it runs again after a restart (its rows are
// not written twice); leftovers of a batch that crashed before its log entry
// (temporary files, and data files it renamed into place) are removed at the
// first batch after a restart. `_runnel_log/query` claims the directory for one
// query: another query's sink (another checkpoint) writing there is a config error.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sinks/sink.hpp"

namespace runnel {

struct FileSinkOptions {
  std::string path;       // resolved output directory
  std::string extension;  // "json", "csv"
  std::vector<std::string> partition_by;
  size_t flush_bytes = size_t{4} << 20;  // per open file
  std::string checkpoint;  // the pipeline's checkpoint directory; "" = no manifest log
};

// Builds the writer for the data columns (the schema without partition columns).
using WriterFactory = std::function<std::unique_ptr<RecordWriter>(SchemaRef data_schema)>;

const config::OptionTable& file_sink_options();
std::unique_ptr<Sink> create_file_sink(const SinkContext& ctx);
// Throws Error(Config) when a partition column is unknown, nested, or all columns are partition columns.
std::unique_ptr<Sink> make_file_sink(SchemaRef schema, FileSinkOptions options, const WriterFactory& make_writer);

// Spark's ExternalCatalogUtils.escapePathName: '%XX' for characters unsafe in paths.
std::string escape_path_name(std::string_view text);

}  // namespace runnel
