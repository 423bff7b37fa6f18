// kaudit_mock_kafka: librdkafka's mock cluster (3 brokers on loopback) for the integration
// tests. Usage: kaudit_mock_kafka TOPIC:PARTITIONS...
// Prints "bootstrap HOST:PORT,..." on stdout, then obeys commands on stdin, one per line:
// "down N" / "up N" (broker id 1..3), "topic NAME PARTITIONS", "quit" (or end of input).
#include <librdkafka/rdkafka.h>
// rdkafka_mock.h must come after rdkafka.h.
#include <librdkafka/rdkafka_mock.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>

int main(int argc, char** argv) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
  // KAUDIT_MOCK_KAFKA_DEBUG=mock logs the mock brokers' and group coordinator's decisions on
  // stderr (group joins, syncs, rebalances), to diagnose consumer group tests.
  if (const char* debug = std::getenv("KAUDIT_MOCK_KAFKA_DEBUG"); debug != nullptr && *debug) {
    rd_kafka_conf_set(conf, "debug", debug, err, sizeof(err));
    rd_kafka_conf_set(conf, "log_level", "7", err, sizeof(err));
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  if (rk == nullptr) {
    std::fprintf(stderr, "mock_kafka: %s\n", err);
    return 1;
  }
  rd_kafka_mock_cluster_t* mc = rd_kafka_mock_cluster_new(rk, 3);
  if (mc == nullptr) {
    std::fprintf(stderr, "mock_kafka: cannot create the mock cluster\n");
    return 1;
  }
  auto create = [&](const std::string& name, int partitions) {
    rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(mc, name.c_str(), partitions, 3);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::fprintf(stderr, "mock_kafka: topic %s: %s\n", name.c_str(), rd_kafka_err2str(e));
    }
  };
  for (int i = 1; i < argc; ++i) {
    std::string spec = argv[i];
    size_t colon = spec.find(':');
    create(spec.substr(0, colon),
           colon == std::string::npos ? 1 : std::stoi(spec.substr(colon + 1)));
  }
  std::printf("bootstrap %s\n", rd_kafka_mock_cluster_bootstraps(mc));
  std::fflush(stdout);
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string cmd;
    in >> cmd;
    if (cmd == "quit") break;
    if (cmd == "down" || cmd == "up") {
      int id = 0;
      in >> id;
      rd_kafka_resp_err_t e = cmd == "down" ? rd_kafka_mock_broker_set_down(mc, id)
                                            : rd_kafka_mock_broker_set_up(mc, id);
      std::printf("%s %d %s\n", cmd.c_str(), id, rd_kafka_err2name(e));
    } else if (cmd == "topic") {
      std::string name;
      int partitions = 1;
      in >> name >> partitions;
      create(name, partitions);
      std::printf("topic %s\n", name.c_str());
    } else if (!cmd.empty()) {
      std::printf("unknown command %s\n", cmd.c_str());
    }
    std::fflush(stdout);
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
