#include "tests/support/webhook_client.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/support/test_util.h"

namespace kaudit::testing {
namespace {

constexpr char kOpenssl[] = "/usr/bin/openssl";

void Openssl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {kOpenssl};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = RunProcess(argv, "", 60);
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

void MakeCa(const std::string& dir, const std::string& name) {
  Openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
           "-keyout", dir + "/" + name + ".key", "-out", dir + "/" + name + ".crt", "-days", "2",
           "-subj", "/CN=" + name});
}

void MakeLeaf(const std::string& dir, const std::string& ca, const std::string& name,
              const std::string& ext) {
  Openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
           dir + "/" + name + ".key", "-out", dir + "/" + name + ".csr", "-subj", "/CN=" + name});
  WriteFile(dir + "/" + name + ".ext", ext);
  Openssl({"x509", "-req", "-in", dir + "/" + name + ".csr", "-CA", dir + "/" + ca + ".crt",
           "-CAkey", dir + "/" + ca + ".key", "-CAcreateserial", "-out", dir + "/" + name + ".crt",
           "-days", "2", "-extfile", dir + "/" + name + ".ext"});
}

}  // namespace

const Certs& GetCerts() {
  static const Certs* certs = [] {
    auto* c = new Certs;
    c->dir = TempDir();
    MakeCa(c->dir, "ca");
    MakeCa(c->dir, "otherca");
    MakeLeaf(c->dir, "ca", "server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
    MakeLeaf(c->dir, "ca", "apiserver", "extendedKeyUsage=clientAuth\n");
    MakeLeaf(c->dir, "otherca", "intruder", "extendedKeyUsage=clientAuth\n");
    c->ca = c->dir + "/ca.crt";
    c->server_crt = c->dir + "/server.crt";
    c->server_key = c->dir + "/server.key";
    c->client_crt = c->dir + "/apiserver.crt";
    c->client_key = c->dir + "/apiserver.key";
    c->other_crt = c->dir + "/intruder.crt";
    c->other_key = c->dir + "/intruder.key";
    return c;
  }();
  return *certs;
}

std::string WaitForListen(BackgroundProcess& p) {
  for (int i = 0; i < 1500; ++i) {
    std::string e = p.err();
    size_t at = e.find("listening on ");
    if (at != std::string::npos) {
      size_t end = e.find('\n', at);
      if (end != std::string::npos) return e.substr(at + 13, end - at - 13);
    }
    if (!p.running()) break;
    usleep(20 * 1000);
  }
  ADD_FAILURE() << "no 'listening on' line: " << p.err();
  return "";
}

Server StartServe(std::vector<std::string> extra, bool tls, std::vector<std::string> wrapper) {
  const Certs& c = GetCerts();
  std::vector<std::string> args = {"serve", "--listen", "127.0.0.1:0", "--metrics-addr",
                                   "127.0.0.1:0"};
  if (tls) {
    args.insert(args.end(),
                {"--tls-cert", c.server_crt, "--tls-key", c.server_key, "--client-ca", c.ca});
  }
  args.insert(args.end(), extra.begin(), extra.end());
  Server s;
  if (wrapper.empty()) {
    s.proc = StartKaudit(args);
  } else {
    wrapper.push_back(KAUDIT_BINARY);
    wrapper.insert(wrapper.end(), args.begin(), args.end());
    s.proc = std::make_unique<BackgroundProcess>(wrapper);
  }
  s.metrics_port = WaitForMetricsPort(*s.proc);
  s.url = WaitForListen(*s.proc);
  return s;
}

CurlResult Post(const std::string& url, const std::string& body_file,
                std::vector<std::string> extra, bool client_cert) {
  const Certs& c = GetCerts();
  std::string dir = TempDir();
  std::vector<std::string> argv = {kCurl,
                                   "-sS",
                                   "--max-time",
                                   "30",
                                   "--cacert",
                                   c.ca,
                                   "-o",
                                   dir + "/body",
                                   "-D",
                                   dir + "/hdr",
                                   "-w",
                                   "%{http_code}",
                                   "-H",
                                   "Content-Type: application/json",
                                   "--data-binary",
                                   "@" + body_file};
  if (client_cert) argv.insert(argv.end(), {"--cert", c.client_crt, "--key", c.client_key});
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(url);
  auto r = RunProcess(argv, "", 60);
  CurlResult out;
  out.exit_code = r.exit_code;
  absl::SimpleAtoi(r.out, &out.http);
  if (std::filesystem::exists(dir + "/body")) out.body = ReadFile(dir + "/body");
  if (std::filesystem::exists(dir + "/hdr")) out.headers = ReadFile(dir + "/hdr");
  return out;
}

std::vector<int> PostInOrder(const std::string& url, const std::vector<std::string>& body_files) {
  const Certs& c = GetCerts();
  std::vector<std::string> argv = {kCurl, "-sS"};
  for (size_t i = 0; i < body_files.size(); ++i) {
    if (i > 0) argv.push_back("--next");
    argv.insert(argv.end(), {"--max-time", "60", "--cacert", c.ca, "--cert", c.client_crt, "--key",
                             c.client_key, "-H", "Content-Type: application/json", "--data-binary",
                             "@" + body_files[i], "-o", "/dev/null", "-w", "%{http_code}\n", url});
  }
  auto r = RunProcess(argv, "", 600);
  std::vector<int> codes;
  for (absl::string_view line : absl::StrSplit(r.out, '\n', absl::SkipEmpty())) {
    int code = 0;
    codes.push_back(absl::SimpleAtoi(line, &code) ? code : 0);
  }
  codes.resize(body_files.size(), 0);
  return codes;
}

std::map<std::string, double> ScrapeMetrics(int port) {
  auto r = RunProcess(
      {kCurl, "-s", "--max-time", "10", absl::StrCat("http://127.0.0.1:", port, "/metrics")});
  std::map<std::string, double> out;
  for (absl::string_view line : absl::StrSplit(r.out, '\n', absl::SkipEmpty())) {
    if (line[0] == '#') continue;
    size_t sp = line.rfind(' ');
    double v = 0;
    if (sp == absl::string_view::npos || !absl::SimpleAtod(line.substr(sp + 1), &v)) continue;
    out[std::string(line.substr(0, sp))] = v;
  }
  return out;
}
}  // namespace kaudit::testing
