// The source types, in the order `runnel --help` lists them. A new source is
// one file, one line here and one option table.
#include "sources/file_source.hpp"
#include "sources/kafka_source.hpp"
#include "sources/rate_source.hpp"
#include "sources/source.hpp"
#include "sources/stdin_source.hpp"

namespace runnel {

const std::vector<SourceType>& source_types() {
  static const std::vector<SourceType> types = {
      {"file", "new files of a directory or glob, each in exactly one micro-batch", &file_source_options(), true,
       create_file_source},
      {"stdin", "records from standard input; the stream ends at end of input", &stdin_source_options(), true,
       create_stdin_source},
      {"kafka", "records of Kafka topics; offsets kept in the checkpoint, as Spark's Kafka source",
       &kafka_source_options(), false, create_kafka_source},
      {"rate", "generated rows (timestamp, value) at a fixed rate, for testing", &rate_source_options(), false,
       create_rate_source},
  };
  return types;
}

const SourceType* find_source_type(std::string_view type) {
  for (auto& t : source_types())
    if (t.type == type) return &t;
  return nullptr;
}

}  // namespace runnel
