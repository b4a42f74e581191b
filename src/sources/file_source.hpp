// The file source, after Spark's FileStreamSource: every new file under
// `path` (a directory, read non-recursively, or a glob) is taken into exactly
// one micro-batch, in modification-time then name order (newest first with
// latest_first), at most max_files_per_trigger per batch. Names starting with
// '.' or '_' are skipped (temporary and metadata files, as Spark does).
//
// max_file_age follows Spark: relative to the newest file taken so far, not
// to the clock; a file older than (newest - max_file_age) is ignored. It does
// not apply when latest_first and max_files_per_trigger are both set.
//
// Offsets list the files of the batch, so a batch can be replayed exactly:
//   {"batch": n, "files": [{"path": "...", "size": bytes, "mtime": ms}, ...]}
#pragma once
#include <memory>
#include <optional>
#include <string>

#include "sources/record_input.hpp"

namespace runnel {

enum class CleanSource { Off, Archive, Delete };

struct FileSourceOptions {
  std::string path;  // resolved: a directory or a glob
  std::optional<int64_t> max_files_per_trigger;
  bool latest_first = false;
  int64_t max_file_age_ms = int64_t{7} * 24 * 3600 * 1000;
  CleanSource clean_source = CleanSource::Off;
  std::string source_archive_dir;  // resolved; required for Archive
  bool bounded_run = false;        // only files present at the first latest_offset count
  size_t chunk_bytes = size_t{8} << 20;
};

const config::OptionTable& file_source_options();
std::unique_ptr<Source> create_file_source(const SourceContext& ctx);
// Throws Error(NoInput) when the directory (or a glob's fixed directory part) is missing.
std::unique_ptr<Source> make_file_source(RecordInput input, FileSourceOptions options);
// The files a file source over `path` could take, with their sizes and
// modification times, as text: equal listings mean unchanged files (how the
// stream-static join tells that its table must be read again); and their
// total size. Throws as make_file_source does.
struct SourceFiles {
  std::string listing;
  uint64_t bytes = 0;
};
SourceFiles list_source_files(const std::string& path);

}  // namespace runnel
