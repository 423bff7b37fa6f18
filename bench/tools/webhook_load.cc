// A load generator for `kaudit serve`: what kube-apiserver's webhook backend does, at full speed.
//
//   webhook_load --url https://127.0.0.1:8443/audit --ca ca.crt --token-file tok \
//                --connections 4 --batch 400 CORPUS.log
//
// Reads the corpus (one audit Event per line), packs it into EventList bodies of --batch events
// (kube-apiserver's default --audit-webhook-batch-max-size is 400), builds every body before the
// clock starts, then posts them over --connections keep-alive TLS connections, each body once.
// A 429 or 503 is retried after a short pause, as the apiserver's backoff does; every retry is
// counted. Prints one JSON object: events, seconds, events/s, MB/s, request latency percentiles.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "httplib.h"

namespace {

struct Options {
  std::string url;
  std::string ca;
  std::string token;
  std::string corpus;
  int connections = 4;
  size_t batch = 400;
  size_t max_events = 0;  // 0: the whole corpus
};

struct Body {
  std::string json;
  size_t events = 0;
};

bool ReadArgs(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--url") {
      o.url = next();
    } else if (a == "--ca") {
      o.ca = next();
    } else if (a == "--token-file") {
      std::ifstream f(next());
      std::getline(f, o.token);
    } else if (a == "--connections") {
      if (!absl::SimpleAtoi(next(), &o.connections) || o.connections < 1) return false;
    } else if (a == "--batch") {
      if (!absl::SimpleAtoi(next(), &o.batch) || o.batch < 1) return false;
    } else if (a == "--max-events") {
      if (!absl::SimpleAtoi(next(), &o.max_events)) return false;
    } else if (!absl::StartsWith(a, "--") && o.corpus.empty()) {
      o.corpus = a;
    } else {
      return false;
    }
  }
  return !o.url.empty() && !o.corpus.empty();
}

std::vector<Body> BuildBodies(const Options& o, size_t& total_events, size_t& total_bytes) {
  std::vector<Body> bodies;
  std::ifstream in(o.corpus);
  std::string line;
  Body cur;
  auto close = [&] {
    if (cur.events == 0) return;
    cur.json += "]}";
    total_bytes += cur.json.size();
    bodies.push_back(std::move(cur));
    cur = Body{};
  };
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (o.max_events && total_events >= o.max_events) break;
    if (cur.events == 0) {
      cur.json = R"({"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[)";
    } else {
      cur.json += ',';
    }
    cur.json += line;
    ++cur.events;
    ++total_events;
    if (cur.events == o.batch) close();
  }
  close();
  return bodies;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!ReadArgs(argc, argv, o)) {
    std::cerr << "usage: webhook_load --url https://host:port/path [--ca CA] [--token-file F] "
                 "[--connections N] [--batch N] [--max-events N] CORPUS\n";
    return 2;
  }
  size_t events = 0, bytes = 0;
  const std::vector<Body> bodies = BuildBodies(o, events, bytes);
  if (bodies.empty()) {
    std::cerr << "webhook_load: no events in " << o.corpus << "\n";
    return 2;
  }
  // https://host:port/path
  const bool tls = absl::StartsWith(o.url, "https://");
  std::string rest = o.url.substr(tls ? 8 : 7);
  const std::string host_port = rest.substr(0, rest.find('/'));
  const std::string path = rest.substr(host_port.size());
  const size_t colon = host_port.rfind(':');
  const std::string host = host_port.substr(0, colon);
  int port = tls ? 443 : 80;
  if (colon != std::string::npos && !absl::SimpleAtoi(host_port.substr(colon + 1), &port)) {
    std::cerr << "webhook_load: bad port in " << o.url << "\n";
    return 2;
  }

  std::atomic<size_t> next{0};
  std::atomic<uint64_t> retries{0}, failures{0};
  std::vector<std::vector<double>> latencies(o.connections);
  auto worker = [&](int id) {
    std::unique_ptr<httplib::ClientImpl> cli;
    if (tls) {
      auto c = std::make_unique<httplib::SSLClient>(host, port);
      if (!o.ca.empty()) c->set_ca_cert_path(o.ca.c_str());
      c->enable_server_certificate_verification(!o.ca.empty());
      cli = std::move(c);
    } else {
      cli = std::make_unique<httplib::ClientImpl>(host, port);
    }
    cli->set_keep_alive(true);
    cli->set_tcp_nodelay(true);  // as kube-apiserver's Go client does
    cli->set_read_timeout(60, 0);
    httplib::Headers headers;
    if (!o.token.empty()) headers.emplace("Authorization", "Bearer " + o.token);
    for (size_t i = next++; i < bodies.size(); i = next++) {
      for (int attempt = 0;; ++attempt) {
        auto t0 = std::chrono::steady_clock::now();
        auto res = cli->Post(path, headers, bodies[i].json, "application/json");
        auto t1 = std::chrono::steady_clock::now();
        if (res && res->status == 200) {
          latencies[id].push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
          break;
        }
        // 429 and 503 are retried (as the apiserver does); anything else, or a connection
        // that fails three times, is a failure.
        const bool busy = res && (res->status == 429 || res->status == 503);
        if (attempt >= (busy ? 1000 : 2) || (res && !busy)) {
          std::cerr << "webhook_load: body " << i << ": "
                    << (res ? absl::StrCat("HTTP ", res->status) : httplib::to_string(res.error()))
                    << "\n";
          ++failures;
          break;
        }
        ++retries;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
  };
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < o.connections; ++c) threads.emplace_back(worker, c);
  for (auto& t : threads) t.join();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all.empty() ? 0.0 : all[static_cast<size_t>(p * (all.size() - 1))];
  };
  std::cout
      << absl::StrFormat(
             R"({"events":%d,"bodies":%d,"bytes":%d,"connections":%d,"batch":%d,"seconds":%.3f,)"
             R"("events_per_second":%.0f,"mb_per_second":%.1f,"latency_ms_p50":%.2f,)"
             R"("latency_ms_p99":%.2f,"retries":%d,"failures":%d})",
             events, bodies.size(), bytes, o.connections, o.batch, seconds, events / seconds,
             bytes / seconds / 1e6, pct(0.5), pct(0.99), retries.load(), failures.load())
      << "\n";
  return failures.load() == 0 ? 0 : 1;
}
