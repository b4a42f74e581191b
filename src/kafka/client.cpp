#include "kafka/client.hpp"

#include "base/error.hpp"
#include "base/log.hpp"

namespace runnel::kafka {

namespace {

// librdkafka's syslog levels: 0-3 errors, 4 warnings, the rest chatter.
void log_line(const rd_kafka_t* client, int level, const char* facility, const char* message) {
  std::string line = std::string("kafka ") + rd_kafka_name(client) + ": " + facility + ": " + message;
  if (level <= 4)
    log::warn(line);
  else
    log::info(line);
}

// Error events repeat what log_line already said; without a callback librdkafka logs them a second time.
void ignore_error(rd_kafka_t*, int, const char*, void*) {}

}  // namespace

const config::OptionTable& client_options() {
  static const config::OptionTable table = {
      {"bootstrap_servers", config::OptionType::String, "comma-separated host:port list of Kafka brokers", "",
       true},
      {"kafka.*", config::OptionType::Any, "any librdkafka property, e.g. kafka.security.protocol: ssl"},
  };
  return table;
}

config::OptionTable with_client_options(const config::OptionTable& own) {
  config::OptionTable table = own;
  table.insert(table.end(), client_options().begin(), client_options().end());
  return table;
}

Conf make_conf(const config::Node& connector) {
  Conf conf(rd_kafka_conf_new());
  rd_kafka_conf_set_log_cb(conf.get(), log_line);
  rd_kafka_conf_set_error_cb(conf.get(), ignore_error);
  auto put = [&](const config::Node& at, const std::string& name, const std::string& value) {
    char err[512];
    if (rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
      at.fail(std::string("Kafka property '") + name + "': " + err);
  };
  config::Node servers = connector.required("bootstrap_servers");
  put(servers, "bootstrap.servers", servers.str());
  for (const auto& [key, value] : connector.entries())
    if (key.rfind("kafka.", 0) == 0) put(value, key.substr(6), value.str());
  return conf;
}

void set(rd_kafka_conf_t* conf, const char* name, const std::string& value) {
  char err[512];
  if (rd_kafka_conf_set(conf, name, value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
    fail(ErrorKind::Internal, std::string("internal error: Kafka property ") + name + ": " + err);
}

void set_default(rd_kafka_conf_t* conf, const config::Node& connector, const char* name, const std::string& value) {
  if (!connector[std::string("kafka.") + name].defined()) set(conf, name, value);
}

Client make_client(rd_kafka_type_t type, Conf conf, std::string_view who) {
  char err[512];
  rd_kafka_t* client = rd_kafka_new(type, conf.get(), err, sizeof err);
  if (!client) fail(ErrorKind::Config, std::string(who) + ": cannot create a Kafka client: " + err);
  conf.release();  // rd_kafka_new owns it now
  return Client(client);
}

}  // namespace runnel::kafka
