// What the Kafka source and sink share: client configuration from a
// connector's options, owning handles, and librdkafka's logs on runnel's
// stderr. librdkafka's C API is used directly (its C++ wrapper adds a class
// per concept and no safety we need).
#pragma once
#include <librdkafka/rdkafka.h>

#include <memory>
#include <string>
#include <string_view>

#include "config/node.hpp"
#include "config/option_spec.hpp"

namespace runnel::kafka {

struct ClientDeleter {
  void operator()(rd_kafka_t* client) const { rd_kafka_destroy(client); }
};
struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
// A topic handle must be destroyed before its client.
struct TopicDeleter {
  void operator()(rd_kafka_topic_t* topic) const { rd_kafka_topic_destroy(topic); }
};
struct ConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
// A message must be destroyed before its client: rd_kafka_destroy waits for every one.
struct MessageDeleter {
  void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
};
using Client = std::unique_ptr<rd_kafka_t, ClientDeleter>;
using Message = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;
using Conf = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;
using Topic = std::unique_ptr<rd_kafka_topic_t, TopicDeleter>;

// The options every Kafka connector takes: bootstrap_servers and kafka.*.
const config::OptionTable& client_options();
// A connector's own options followed by client_options().
config::OptionTable with_client_options(const config::OptionTable& own);

// bootstrap.servers plus every `kafka.X: value` option as librdkafka property X,
// with librdkafka's logs routed to runnel's stderr. An unknown property or bad
// value fails with Error(Config) at the option's position in the pipeline file.
Conf make_conf(const config::Node& connector);

// Sets one librdkafka property the connector itself needs (not user-facing);
// a failure is a runnel bug.
void set(rd_kafka_conf_t* conf, const char* name, const std::string& value);

// Sets a librdkafka property the connector defaults differently from
// librdkafka, unless the pipeline sets it (as kafka.NAME).
void set_default(rd_kafka_conf_t* conf, const config::Node& connector, const char* name, const std::string& value);

// Creates a consumer or producer from `conf` (which it takes over); `who`
// names the connector in the error message ("source 'clicks'").
Client make_client(rd_kafka_type_t type, Conf conf, std::string_view who);

// "Broker: Unknown topic or partition" and friends.
inline std::string error_text(rd_kafka_resp_err_t err) { return rd_kafka_err2str(err); }

}  // namespace runnel::kafka
