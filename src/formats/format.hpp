// Record formats: bytes <-> batches. Readers turn whole records into column
// values directly (JSON through simdjson's On-Demand API, no DOM or per-row
// maps); writers serialise a batch's visible rows into an AlignedBytes buffer,
// which the file sink writes to its O_DIRECT file as it is.
//
// Malformed records follow the source's `mode` (contract: "Sources"):
// permissive -> a row of nulls, raw text in `_corrupt_record` if the schema
// declares it; drop_malformed -> skipped; fail_fast -> Error(BadData) naming
// source, file and line. Every malformed record is counted, and written to the
// dead-letter file when one is configured.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/direct_file.hpp"
#include "batch/batch.hpp"
#include "config/node.hpp"
#include "config/option_spec.hpp"

namespace runnel {

// Readers may read up to this many bytes past the end of the data they are
// given (simdjson's padding); whoever owns the buffer must allocate them.
constexpr size_t kReadPadding = 64;

using Emit = std::function<void(Batch&)>;

enum class ParseMode { Permissive, DropMalformed, FailFast };

// Where a piece of input came from, for error messages and dead letters.
struct Origin {
  std::string name;         // file path, "stdin", or a Kafka topic
  uint64_t first_line = 1;  // 1-based line number of the first byte given to the reader
  uint64_t byte_offset = 0; // offset of the first byte within `name`
  // >= 0: `name` is a Kafka topic, this its partition, and line numbers are
  // record offsets (the Kafka source gives one record per line).
  int32_t kafka_partition = -1;
};

class DeadLetterWriter;

// Counts malformed records of one source and applies its mode.
class BadRecords {
 public:
  BadRecords(std::string source_name, ParseMode mode, std::string dead_letter_path);
  ~BadRecords();
  ParseMode mode() const { return mode_; }
  // Records one malformed record. Under fail_fast throws Error(BadData):
  // "source 'clicks': incoming/a.json:12:7: <reason>". `line`/`column` are 1-based.
  void report(const Origin& origin, uint64_t line, uint64_t column, std::string_view reason,
              std::string_view raw);
  uint64_t total() const { return total_; }
  // Count since the last call; the executor logs and reports it per batch.
  uint64_t take_batch_count();

 private:
  std::string source_;
  ParseMode mode_;
  uint64_t total_ = 0, batch_ = 0;
  std::unique_ptr<DeadLetterWriter> dead_letter_;
};

class RecordReader {
 public:
  virtual ~RecordReader() = default;
  // Length of the longest prefix of `data` made of complete records (for
  // streams that arrive in pieces; CSV honours quoted newlines).
  virtual size_t complete_prefix(std::string_view data) const = 0;
  // Parses all records in `data` (complete records; readable padding follows)
  // and emits batches of at most batch_rows() rows with the reader's schema.
  virtual void parse(std::string_view data, const Origin& origin, const Emit& out) = 0;
};

class RecordWriter {
 public:
  virtual ~RecordWriter() = default;
  // Bytes that start every output file/stream (the CSV header), may be empty.
  virtual void begin(AlignedBytes& out) { (void)out; }
  // Appends the batch's visible rows.
  virtual void write(const Batch& batch, AlignedBytes& out) = 0;
};

// The column that receives a malformed record's raw text (Spark's
// columnNameOfCorruptRecord default); it is not read from the data itself.
constexpr std::string_view kCorruptRecordColumn = "_corrupt_record";

// How JSON numbers in a timestamp column count time (`timestamp_unit`).
enum class TimestampUnit { Seconds, Millis, Micros };

// csv options, with Spark's defaults (sep ",", quote '"', escape '\\',
// nullValue ""). Empty `quote` / `escape` are written as '\0' (disabled).
struct CsvOptions {
  bool header = false;
  char delimiter = ',';
  char quote = '"';
  char escape = '\\';
  std::string null_value;
};

// Direct constructors (make_reader/make_writer call these after reading the
// options). `rows_per_batch` 0 means batch_rows(). `bad` must outlive the reader.
std::unique_ptr<RecordReader> make_json_reader(SchemaRef schema, BadRecords& bad,
                                               TimestampUnit unit = TimestampUnit::Millis,
                                               size_t rows_per_batch = 0);
std::unique_ptr<RecordReader> make_csv_reader(SchemaRef schema, BadRecords& bad, CsvOptions options,
                                              size_t rows_per_batch = 0);
std::unique_ptr<RecordReader> make_text_reader(SchemaRef schema, BadRecords& bad, size_t rows_per_batch = 0);
std::unique_ptr<RecordWriter> make_json_writer(SchemaRef schema);
std::unique_ptr<RecordWriter> make_csv_writer(SchemaRef schema, CsvOptions options);
// Throws Error(Config) unless the schema is exactly one string column (Spark's rule).
std::unique_ptr<RecordWriter> make_text_writer(SchemaRef schema);

// The options shared by every source that carries bytes: format, schema, mode,
// dead_letter, timestamp_unit and the csv options.
const config::OptionTable& reader_options();
// The options of writers: format-specific (csv header, delimiter, ...).
const config::OptionTable& writer_options();

// Reads `schema` (a {name: type} map or a DDL string) from a source's node.
// The text format's schema is fixed: `value: string`.
Schema read_schema(const config::Node& source_node);

// Builds the reader for a source node (format json|csv|text). The schema's
// `_corrupt_record` column, if any, receives malformed records' raw text.
std::unique_ptr<RecordReader> make_reader(const config::Node& source_node, SchemaRef schema,
                                          BadRecords& bad);
// Builds the reader's BadRecords from mode/dead_letter (dead_letter resolved by `resolve`).
std::unique_ptr<BadRecords> make_bad_records(const config::Node& source_node, const std::string& source_name,
                                             const std::function<std::string(const std::string&)>& resolve);

// Builds a writer for format json|csv|text from a sink node.
std::unique_ptr<RecordWriter> make_writer(const config::Node& sink_node, std::string_view format,
                                          SchemaRef schema);

}  // namespace runnel
