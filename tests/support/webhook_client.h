#pragma once

// Driving `kaudit serve` as kube-apiserver would: certificates made with the openssl CLI, the
// server started on ephemeral ports, POSTs with curl over TLS, /metrics scraped.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.h"

namespace kaudit::testing {

inline constexpr char kCurl[] = "/usr/bin/curl";

// A CA, a server certificate for 127.0.0.1 and a client certificate signed by it, and a
// client certificate from another CA.
struct Certs {
  std::string dir;
  std::string ca, server_crt, server_key, client_crt, client_key, other_crt, other_key;
};
// Made once per test binary.
const Certs& GetCerts();

// Waits for "listening on https://127.0.0.1:PORT/audit" and returns the base URL.
std::string WaitForListen(BackgroundProcess& p);

struct Server {
  std::unique_ptr<BackgroundProcess> proc;
  std::string url;  // https://127.0.0.1:PORT/audit
  int metrics_port = 0;
};
// `kaudit serve` on 127.0.0.1:0 with metrics, over TLS with client certificates unless `tls`
// is false, plus `extra` arguments. `wrapper`, if given, is a command line that runs the kaudit
// command line appended to it (e.g. unshare and a mount first).
Server StartServe(std::vector<std::string> extra, bool tls = true,
                  std::vector<std::string> wrapper = {});

struct CurlResult {
  int exit_code = -1;
  int http = 0;
  std::string body;
  std::string headers;
};
// One POST of a file with the client certificate (unless told otherwise).
CurlResult Post(const std::string& url, const std::string& body_file,
                std::vector<std::string> extra = {}, bool client_cert = true);

// POSTs the files in order, one after another over one kept-alive connection of one curl
// process (as kube-apiserver sends its batches); the HTTP status of each, 0 where none came.
std::vector<int> PostInOrder(const std::string& url, const std::vector<std::string>& body_files);

// GET /metrics: "name{labels}" -> value.
std::map<std::string, double> ScrapeMetrics(int port);

}  // namespace kaudit::testing
