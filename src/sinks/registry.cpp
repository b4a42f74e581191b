// The sink types, in the order `runnel --help` lists them. A new sink is one
// file, one line here and one option table.
#include "sinks/console_sink.hpp"
#include "sinks/file_sink.hpp"
#include "sinks/kafka_sink.hpp"
#include "sinks/sink.hpp"
#include "sinks/stdout_sink.hpp"

namespace runnel {

const std::vector<SinkType>& sink_types() {
  static const std::vector<SinkType> types = {
      {"console", "each batch as a table on stdout, as Spark's console sink", &console_sink_options(), false,
       create_console_sink},
      {"stdout", "rows on stdout as json lines, csv or text", &stdout_sink_options(), true, create_stdout_sink},
      {"file", "files under a directory, optionally partitioned (append mode)", &file_sink_options(), true,
       create_file_sink},
      {"kafka", "one Kafka record per row; exactly-once with transactional: true", &kafka_sink_options(), false,
       create_kafka_sink},
  };
  return types;
}

const SinkType* find_sink_type(std::string_view type) {
  for (auto& t : sink_types())
    if (t.type == type) return &t;
  return nullptr;
}

}  // namespace runnel
