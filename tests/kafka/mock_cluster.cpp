// kafka_mock_cluster: a Kafka cluster on loopback for tests, from
// librdkafka's mock brokers (rdkafka_mock.h: real listeners speaking the
// Kafka protocol). Prints the bootstrap servers on the first line of stdout,
// then obeys commands, one per line on stdin, answering "ok" or "error: ...":
//   topic NAME PARTITIONS      create a topic (replication factor 1)
//   down BROKER_ID / up BROKER_ID   disconnect a broker / let it back in
// and stops at EOF on stdin or on SIGINT/SIGTERM.
//   kafka_mock_cluster [--brokers N] [--topic NAME:PARTITIONS]...
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

namespace {

struct Options {
  int brokers = 3;
  std::vector<std::pair<std::string, int>> topics;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr, "kafka_mock_cluster: %s\nusage: kafka_mock_cluster [--brokers N] [--topic NAME:PARTITIONS]...\n",
               why);
  std::exit(64);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) usage(("missing value after " + arg).c_str());
    std::string value = argv[++i];
    if (arg == "--brokers") {
      o.brokers = std::atoi(value.c_str());
      if (o.brokers < 1) usage("--brokers needs a positive number");
    } else if (arg == "--topic") {
      auto colon = value.rfind(':');
      int partitions = colon == std::string::npos ? 1 : std::atoi(value.c_str() + colon + 1);
      if (partitions < 1) usage("--topic needs NAME:PARTITIONS with PARTITIONS >= 1");
      o.topics.emplace_back(value.substr(0, colon), partitions);
    } else {
      usage(("unknown argument " + arg).c_str());
    }
  }
  return o;
}

std::string run_command(rd_kafka_mock_cluster_t* cluster, const std::string& line) {
  std::istringstream in(line);
  std::string verb, name;
  in >> verb;
  rd_kafka_resp_err_t err;
  if (verb == "topic") {
    int partitions = 0;
    if (!(in >> name >> partitions) || partitions < 1) return "error: usage: topic NAME PARTITIONS";
    err = rd_kafka_mock_topic_create(cluster, name.c_str(), partitions, 1);
  } else if (verb == "down" || verb == "up") {
    int broker = 0;
    if (!(in >> broker)) return "error: usage: " + verb + " BROKER_ID";
    err = verb == "down" ? rd_kafka_mock_broker_set_down(cluster, broker) : rd_kafka_mock_broker_set_up(cluster, broker);
  } else {
    return "error: unknown command '" + verb + "' (topic, down, up)";
  }
  return err ? std::string("error: ") + rd_kafka_err2str(err) : "ok";
}

}  // namespace

int main(int argc, char** argv) {
  Options options = parse(argc, argv);
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", error, sizeof error);
  rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  if (!handle) {
    std::fprintf(stderr, "kafka_mock_cluster: %s\n", error);
    return 70;
  }
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(handle, options.brokers);
  if (!cluster) {
    std::fprintf(stderr, "kafka_mock_cluster: cannot start %d mock brokers\n", options.brokers);
    return 70;
  }
  for (auto& [name, partitions] : options.topics) {
    if (rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(cluster, name.c_str(), partitions, 1)) {
      std::fprintf(stderr, "kafka_mock_cluster: topic %s: %s\n", name.c_str(), rd_kafka_err2str(err));
      return 70;
    }
  }
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  std::cout << rd_kafka_mock_cluster_bootstraps(cluster) << std::endl;
  for (std::string line; std::getline(std::cin, line);)
    if (!line.empty()) std::cout << run_command(cluster, line) << std::endl;
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(handle);
  return 0;
}
