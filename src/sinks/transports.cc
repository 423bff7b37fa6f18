#include "src/sinks/transports.h"

#include <httplib.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace kaudit {
namespace {

class StreamTransport final : public Transport {
 public:
  explicit StreamTransport(StreamTransportOptions o) : opts_(std::move(o)) {}
  ~StreamTransport() override {
    if (f_ != nullptr && f_ != stdout) std::fclose(f_);
    if (f_ == stdout) std::fflush(stdout);
  }

  absl::Status Open() {
    if (opts_.path.empty() || opts_.path == "-") {
      f_ = stdout;
      return absl::OkStatus();
    }
    f_ = std::fopen(opts_.path.c_str(), "ae");
    if (f_ == nullptr) {
      return absl::NotFoundError(
          absl::StrCat(opts_.path, ": cannot open alert output file: ", std::strerror(errno)));
    }
    struct stat st;
    size_ = fstat(fileno(f_), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
    return absl::OkStatus();
  }

  absl::Status Deliver(std::span<const Alert> batch) override {
    buf_.clear();
    for (const Alert& a : batch) {
      AppendAlert(a, opts_.format, opts_.format_options, buf_);
      buf_.push_back('\n');
    }
    if (f_ != stdout && opts_.max_bytes > 0 && size_ > 0 && size_ + buf_.size() > opts_.max_bytes) {
      if (absl::Status s = Rotate(); !s.ok()) return s;
    }
    if (std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size() || std::fflush(f_) != 0) {
      return absl::DataLossError(absl::StrCat(Name(), ": write failed: ", std::strerror(errno)));
    }
    size_ += buf_.size();
    return absl::OkStatus();
  }

 private:
  std::string Name() const { return f_ == stdout ? "<stdout>" : opts_.path; }

  absl::Status Rotate() {
    std::fclose(f_);
    f_ = nullptr;
    for (int i = opts_.max_files - 1; i >= 1; --i) {
      std::rename(absl::StrCat(opts_.path, ".", i).c_str(),
                  absl::StrCat(opts_.path, ".", i + 1).c_str());
    }
    if (opts_.max_files >= 1)
      std::rename(opts_.path.c_str(), absl::StrCat(opts_.path, ".1").c_str());
    else
      std::remove(opts_.path.c_str());
    std::remove(absl::StrCat(opts_.path, ".", opts_.max_files + 1).c_str());
    f_ = std::fopen(opts_.path.c_str(), "ae");
    if (f_ == nullptr) {
      return absl::DataLossError(
          absl::StrCat(opts_.path, ": cannot reopen after rotation: ", std::strerror(errno)));
    }
    size_ = 0;
    return absl::OkStatus();
  }

  StreamTransportOptions opts_;
  FILE* f_ = nullptr;
  uint64_t size_ = 0;
  std::string buf_;
};

// scheme://host[:port]/path -> (scheme://host:port, /path)
absl::Status SplitUrl(const std::string& url, std::string* base, std::string* path) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos ||
      !(absl::StartsWith(url, "http://") || absl::StartsWith(url, "https://"))) {
    return absl::InvalidArgumentError(
        absl::StrCat("url '", url, "': expected http(s)://host[:port]/path"));
  }
  size_t slash = url.find('/', scheme + 3);
  *base = slash == std::string::npos ? url : url.substr(0, slash);
  *path = slash == std::string::npos ? "/" : url.substr(slash);
  if (base->size() <= scheme + 3)
    return absl::InvalidArgumentError(absl::StrCat("url '", url, "': no host"));
  return absl::OkStatus();
}

class HttpTransport final : public Transport {
 public:
  HttpTransport(HttpTransportOptions o, std::string base, std::string path)
      : opts_(std::move(o)), path_(std::move(path)), client_(base) {
    const int64_t secs = absl::ToInt64Seconds(opts_.timeout);
    const int64_t usecs = absl::ToInt64Microseconds(opts_.timeout) % 1000000;
    client_.set_connection_timeout(secs, usecs);
    client_.set_read_timeout(secs, usecs);
    client_.set_write_timeout(secs, usecs);
    client_.set_keep_alive(true);
    if (!opts_.ca_file.empty()) client_.set_ca_cert_path(opts_.ca_file);
    client_.enable_server_certificate_verification(!opts_.insecure_skip_verify);
    for (const auto& [k, v] : opts_.headers) headers_.emplace(k, v);
    if (!opts_.token.empty()) {
      headers_.emplace("Authorization", opts_.kind == HttpKind::kSplunkHec
                                            ? absl::StrCat("Splunk ", opts_.token)
                                            : absl::StrCat("Bearer ", opts_.token));
    }
  }

  absl::Status Deliver(std::span<const Alert> batch) override {
    if (opts_.batch_single || (opts_.kind == HttpKind::kWebhook && batch.size() == 1)) {
      for (const Alert& a : batch) {
        body_.clear();
        AppendAlert(a, opts_.format, opts_.format_options, body_);
        if (absl::Status s = Post("application/json"); !s.ok()) return s;
      }
      return absl::OkStatus();
    }
    body_.clear();
    for (const Alert& a : batch) {
      if (opts_.kind == HttpKind::kElasticsearch) {
        body_ += opts_.index.empty()
                     ? R"({"index":{}})"
                     : absl::StrCat(R"({"index":{"_index":")", opts_.index, R"("}})");
        body_.push_back('\n');
      }
      AppendAlert(a, opts_.format, opts_.format_options, body_);
      body_.push_back('\n');
    }
    return Post(opts_.kind == HttpKind::kWebhook         ? "application/x-ndjson"
                : opts_.kind == HttpKind::kElasticsearch ? "application/x-ndjson"
                                                         : "application/json");
  }

 private:
  absl::Status Post(const char* content_type) {
    auto res = client_.Post(path_, headers_, body_, content_type);
    if (!res) {
      return absl::UnavailableError(absl::StrCat(opts_.url, ": ", httplib::to_string(res.error())));
    }
    if (res->status < 200 || res->status >= 300) {
      return absl::UnavailableError(
          absl::StrCat(opts_.url, ": HTTP ", res->status, " ", res->body.substr(0, 200)));
    }
    if (opts_.kind == HttpKind::kElasticsearch && absl::StrContains(res->body, "\"errors\":true")) {
      return absl::UnavailableError(
          absl::StrCat(opts_.url, ": bulk request had item errors: ", res->body.substr(0, 300)));
    }
    return absl::OkStatus();
  }

  HttpTransportOptions opts_;
  std::string path_;
  httplib::Client client_;
  httplib::Headers headers_;
  std::string body_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Transport>> NewStreamTransport(StreamTransportOptions options) {
  auto t = std::make_unique<StreamTransport>(std::move(options));
  if (absl::Status s = t->Open(); !s.ok()) return s;
  return std::unique_ptr<Transport>(std::move(t));
}

absl::StatusOr<std::unique_ptr<Transport>> NewHttpTransport(HttpTransportOptions options) {
  std::string base, path;
  if (absl::Status s = SplitUrl(options.url, &base, &path); !s.ok()) return s;
  return std::unique_ptr<Transport>(new HttpTransport(std::move(options), base, path));
}

}  // namespace kaudit
