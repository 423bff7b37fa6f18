#include "src/server/webhook_server.h"

#include <httplib.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "src/common/logger.h"
#include "src/common/socket_options.h"
#include "src/common/strings.h"
#include "src/server/slow_client_guard.h"

namespace kaudit {
namespace {

// Reasons a request is refused, as the label of kaudit_webhook_rejected_total.
enum Reject {
  kAuth,
  kTooLarge,
  kBadJson,
  kQueueFull,
  kTimeout,
  kSpoolError,
  kReadError,
  kMethod,
  kForwardError,
  kSlowClient,  // counted by the SlowClientGuard: the connection was shut, nothing answered
  kNumRejects
};
constexpr std::array<const char*, kNumRejects> kRejectNames = {
    "auth",        "too_large",  "bad_json", "queue_full",    "timeout",
    "spool_error", "read_error", "method",   "forward_error", "slow_client"};

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  // The length is not secret (tokens have a fixed format); the bytes are.
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i]);
  }
  return diff == 0;
}

// The pipeline's answer for one request, handed from the engine thread to the request thread.
struct Pending {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  BatchResult result;
};

}  // namespace

class WebhookSource::Impl {
 public:
  Impl(WebhookOptions opts, Context ctx, std::string token, std::unique_ptr<Spool> spool)
      : opts_(std::move(opts)), ctx_(ctx), token_(std::move(token)), spool_(std::move(spool)) {
    if (opts_.insecure_http) {
      server_ = std::make_unique<httplib::Server>();
    } else {
      auto tls = std::make_unique<httplib::SSLServer>(
          opts_.tls_cert.c_str(), opts_.tls_key.c_str(),
          opts_.client_ca.empty() ? nullptr : opts_.client_ca.c_str());
      if (tls->is_valid()) {
        guard_ = std::make_unique<SlowClientGuard>(opts_.read_timeout, kKeepAlive, ctx_.clock);
        guard_->Attach(tls->ssl_context());
      }
      server_ = std::move(tls);
    }
  }

  ~Impl() {
    Stop();
    {
      std::lock_guard<std::mutex> l(cp_mu_);
      stop_checkpointer_ = true;
    }
    cp_cv_.notify_all();
    if (checkpointer_.joinable()) checkpointer_.join();
  }

  absl::Status Init() {
    if (!server_->is_valid()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "serve: cannot set up TLS with --tls-cert ", opts_.tls_cert, " --tls-key ", opts_.tls_key,
          opts_.client_ca.empty() ? "" : absl::StrCat(" --client-ca ", opts_.client_ca),
          " (unreadable file, or not PEM)"));
    }
    const int threads = opts_.threads > 0 ? opts_.threads : 1;
    server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    const int64_t read_us = absl::ToInt64Microseconds(opts_.read_timeout);
    server_->set_read_timeout(read_us / 1000000, read_us % 1000000);
    server_->set_write_timeout(read_us / 1000000, read_us % 1000000);
    server_->set_keep_alive_max_count(1000);
    server_->set_keep_alive_timeout(absl::ToInt64Seconds(kKeepAlive));
    server_->set_tcp_nodelay(true);
    server_->set_socket_options(ExclusiveListenSocketOptions);
    // Bodies go through the content reader below, which bounds them after gzip decoding too;
    // this bounds what other paths would read.
    server_->set_payload_max_length(opts_.max_body_bytes);
    server_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response&) {
      uint64_t length = 0;
      if (guard_) {
        (void)absl::SimpleAtoi(req.get_header_value("Content-Length"), &length);
        guard_->HeadersRead(length);
      }
      return httplib::Server::HandlerResponse::Unhandled;
    });
    server_->set_logger([this](const httplib::Request&, const httplib::Response& res) {
      if (guard_) guard_->ResponseSent();
      int code = res.status;
      if (code < 0 || code >= static_cast<int>(codes_.size())) code = 0;
      codes_[code].fetch_add(1, std::memory_order_relaxed);
    });
    server_->Post(opts_.path,
                  [this](const httplib::Request& req, httplib::Response& res,
                         const httplib::ContentReader& reader) { HandlePost(req, res, reader); });
    auto not_allowed = [this](const httplib::Request&, httplib::Response& res) {
      Refuse(res, 405, kMethod, "only POST is accepted here\n");
      res.set_header("Allow", "POST");
    };
    server_->Get(opts_.path, not_allowed);
    server_->Put(opts_.path, not_allowed);
    server_->Delete(opts_.path, not_allowed);
    server_->Patch(opts_.path, not_allowed);
    server_->Options(opts_.path, not_allowed);

    size_t colon = opts_.listen.rfind(':');
    int port = 0;
    if (colon == std::string::npos || !absl::SimpleAtoi(opts_.listen.substr(colon + 1), &port) ||
        port < 0 || port > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("--listen ", opts_.listen, ": expected host:port (e.g. 0.0.0.0:8443)"));
    }
    host_ = opts_.listen.substr(0, colon);
    std::string bind_host = host_;
    if (bind_host.size() >= 2 && bind_host.front() == '[' && bind_host.back() == ']')
      bind_host = bind_host.substr(1, bind_host.size() - 2);
    if (port == 0) {
      port_ = server_->bind_to_any_port(bind_host);
      if (port_ < 0) {
        return absl::UnavailableError(absl::StrCat("--listen ", opts_.listen, ": cannot bind"));
      }
    } else {
      if (!server_->bind_to_port(bind_host, port)) {
        return absl::UnavailableError(
            absl::StrCat("--listen ", opts_.listen, ": cannot bind (in use, or no such address)"));
      }
      port_ = port;
    }
    return absl::OkStatus();
  }

  absl::Status Start(LivePipeline* pipeline) {
    pipeline_ = pipeline;
    if (spool_) {
      if (absl::Status s = Recover(); !s.ok()) return s;
      checkpointer_ = std::thread([this] { CheckpointLoop(); });
    }
    listener_ = std::thread([this] { server_->listen_after_bind(); });
    const std::string url =
        absl::StrCat(opts_.insecure_http ? "http" : "https", "://", host_, ":", port_, opts_.path);
    ctx_.logger->Info("webhook", absl::StrCat("listening on ", url),
                      {LogField("url", url).JsonOnly()});
    ready_ = true;
    return absl::OkStatus();
  }

  void Stop() {
    ready_ = false;
    server_->stop();
    // listen_after_bind returns after the worker threads answered their requests.
    if (listener_.joinable()) listener_.join();
  }

  void Finished() {
    if (!spool_) return;
    {
      std::lock_guard<std::mutex> l(cp_mu_);
      stop_checkpointer_ = true;
    }
    cp_cv_.notify_all();
    if (checkpointer_.joinable()) checkpointer_.join();
    // The pipeline drained and flushed: settle and record everything spooled.
    AdvanceCheckpoint(absl::Seconds(30));
  }

  bool Ready() const { return ready_; }
  int port() const { return port_; }

  void AppendMetrics(std::vector<SourceMetric>& out) const {
    for (size_t code = 0; code < codes_.size(); ++code) {
      uint64_t n = codes_[code].load(std::memory_order_relaxed);
      if (n == 0) continue;
      out.push_back({"kaudit_webhook_requests_total",
                     "Webhook requests answered, by HTTP status code",
                     false,
                     {{"code", absl::StrCat(code)}},
                     static_cast<double>(n)});
    }
    out.push_back({"kaudit_webhook_request_bytes_total",
                   "Webhook request body bytes received (after gzip decoding)",
                   false,
                   {},
                   static_cast<double>(request_bytes_.load())});
    out.push_back({"kaudit_webhook_events_total",
                   "Audit events in webhook requests answered 200",
                   false,
                   {},
                   static_cast<double>(events_.load())});
    for (int r = 0; r < kNumRejects; ++r) {
      out.push_back({"kaudit_webhook_rejected_total",
                     "Webhook requests refused, by reason",
                     false,
                     {{"reason", kRejectNames[r]}},
                     static_cast<double>(r == kSlowClient ? (guard_ ? guard_->closed() : 0)
                                                          : rejected_[r].load())});
    }
    if (opts_.forwarder) opts_.forwarder->AppendMetrics(out);
    if (spool_) {
      out.push_back({"kaudit_spool_bytes_total",
                     "Bytes appended to the spool",
                     false,
                     {},
                     static_cast<double>(spool_->bytes_written())});
      out.push_back({"kaudit_spool_errors_total",
                     "Spool writes or fsyncs that failed (the request was answered 503)",
                     false,
                     {},
                     static_cast<double>(spool_errors_.load())});
      out.push_back({"kaudit_spool_size_bytes",
                     "Bytes in the spool directory's files",
                     true,
                     {},
                     static_cast<double>(spool_->total_bytes())});
      out.push_back({"kaudit_spool_deleted_files_total",
                     "Settled spool files deleted to stay under --spool-max-bytes",
                     false,
                     {},
                     static_cast<double>(spool_->files_deleted())});
      out.push_back({"kaudit_spool_recovered_batches_total",
                     "Spooled batches after the checkpoint submitted again at startup",
                     false,
                     {},
                     static_cast<double>(recovered_.load())});
    }
  }

 private:
  void Refuse(httplib::Response& res, int status, Reject why, std::string_view body) {
    rejected_[why].fetch_add(1, std::memory_order_relaxed);
    res.status = status;
    res.set_content(std::string(body), "text/plain");
  }

  bool Authorized(const httplib::Request& req, httplib::Response& res) {
    if (token_.empty()) return true;
    const std::string& auth = req.get_header_value("Authorization");
    constexpr std::string_view kBearer = "Bearer ";
    if (auth.size() <= kBearer.size() || auth.compare(0, kBearer.size(), kBearer) != 0) {
      Refuse(res, 401, kAuth, "bearer token required\n");
      res.set_header("WWW-Authenticate", "Bearer");
      return false;
    }
    if (!ConstantTimeEquals(std::string_view(auth).substr(kBearer.size()), token_)) {
      Refuse(res, 403, kAuth, "invalid bearer token\n");
      return false;
    }
    return true;
  }

  void HandlePost(const httplib::Request& req, httplib::Response& res,
                  const httplib::ContentReader& reader) {
    if (!Authorized(req, res)) {
      res.set_header("Connection", "close");  // the body was not read
      return;
    }
    std::string body;
    // One allocation for the declared length (bounded; pages are only touched as data comes):
    // growing by doubling copied a 500 KB batch about ten times.
    if (uint64_t declared = req.get_header_value<uint64_t>("Content-Length"); declared > 0) {
      body.reserve(std::min<uint64_t>(declared, opts_.max_body_bytes));
    }
    bool too_large = false;
    const bool read_ok = reader([&](const char* data, size_t n) {
      if (body.size() + n > opts_.max_body_bytes) {
        too_large = true;
        return false;
      }
      body.append(data, n);
      return true;
    });
    if (guard_) guard_->BodyRead();
    request_bytes_.fetch_add(body.size(), std::memory_order_relaxed);
    if (!read_ok || too_large) {
      res.set_header("Connection", "close");
      if (too_large || res.status == 413) {
        Refuse(res, 413, kTooLarge,
               absl::StrCat("request body above --max-body-bytes (", opts_.max_body_bytes,
                            " bytes, also after gzip decoding)\n"));
      } else if (res.status == 415) {
        Refuse(res, 415, kReadError, "unsupported Content-Encoding\n");
      } else {
        Refuse(res, 400, kReadError, "cannot read the request body (bad gzip data?)\n");
      }
      return;
    }
    if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
      Refuse(res, 400, kBadJson, "empty body: expected an audit Event, EventList or array\n");
      return;
    }
    const std::string name = absl::StrCat("webhook ", req.remote_addr);
    if (!opts_.detect) {
      ForwardOnly(name, body, res);
      return;
    }
    std::string copy;
    if (spool_) copy = body;
    std::string to_forward;
    if (opts_.forwarder) to_forward = body;
    auto pending = std::make_shared<Pending>();
    Batch batch{std::move(body), name, [pending](const BatchResult& r) {
                  std::lock_guard<std::mutex> l(pending->mu);
                  pending->result = r;
                  pending->done = true;
                  pending->cv.notify_one();
                }};
    if (!pipeline_->TrySubmit(batch)) {
      Refuse(res, 429, kQueueFull, "engine queue full, retry later\n");
      res.set_header("Retry-After", absl::StrCat(opts_.retry_after_seconds));
      return;
    }
    // Produced while the engine works on the batch; acknowledged before the answer.
    std::shared_ptr<DeliveryGroup> group;
    absl::StatusOr<ForwardResult> forwarded;
    if (opts_.forwarder) {
      group = EventForwarder::NewGroup();
      forwarded = opts_.forwarder->Produce(to_forward, name, group);
    }
    BatchResult r;
    {
      std::unique_lock<std::mutex> l(pending->mu);
      if (!pending->cv.wait_for(l, absl::ToChronoMilliseconds(opts_.ack_timeout),
                                [&] { return pending->done; })) {
        // Still queued: it will be processed; a retry is dropped by the engine's dedup.
        Refuse(res, 503, kTimeout, "engine did not process the batch in time, retry later\n");
        res.set_header("Retry-After", absl::StrCat(opts_.retry_after_seconds));
        return;
      }
      r = pending->result;
    }
    if (r.events == 0) {
      std::string why =
          r.first_detail.empty() ? std::string("no audit event in the body") : r.first_detail;
      Refuse(res, 400, kBadJson, absl::StrCat(why, "\n"));
      return;
    }
    if (opts_.forwarder && !ForwardAcknowledged(forwarded, *group, res)) return;
    if (spool_) {
      if (absl::Status s = SpoolBatch(copy, r.alert_ticket); !s.ok()) {
        spool_errors_.fetch_add(1, std::memory_order_relaxed);
        LogRateLimited(ToStd(s.message()));
        Refuse(res, 503, kSpoolError, "cannot spool the batch, retry later\n");
        return;
      }
    } else if (!pipeline_->sink()->WaitSettled(r.alert_ticket, opts_.ack_timeout)) {
      Refuse(res, 503, kTimeout, "alerts not delivered in time, retry later\n");
      res.set_header("Retry-After", absl::StrCat(opts_.retry_after_seconds));
      return;
    }
    events_.fetch_add(r.events, std::memory_order_relaxed);
    res.status = 200;
    res.set_content(absl::StrCat("{\"events\":", r.events, ",\"invalid\":", r.invalid, "}\n"),
                    "application/json");
  }

  // The edge (--no-detect): the body's events go to Kafka only; 200 once all were acknowledged.
  void ForwardOnly(const std::string& name, const std::string& body, httplib::Response& res) {
    auto group = EventForwarder::NewGroup();
    absl::StatusOr<ForwardResult> forwarded = opts_.forwarder->Produce(body, name, group);
    if (forwarded.ok() && forwarded->events == 0) {
      std::string why = forwarded->first_invalid.empty() ? std::string("no audit event in the body")
                                                         : forwarded->first_invalid;
      Refuse(res, 400, kBadJson, absl::StrCat(why, "\n"));
      return;
    }
    if (!ForwardAcknowledged(forwarded, *group, res)) return;
    events_.fetch_add(forwarded->events, std::memory_order_relaxed);
    res.status = 200;
    res.set_content(
        absl::StrCat("{\"events\":", forwarded->events, ",\"invalid\":", forwarded->invalid, "}\n"),
        "application/json");
  }

  // Waits for the delivery reports of a forwarded body; false (and a 503 answered) when some
  // event was not acknowledged: kube-apiserver sends the batch again, and the consumers drop
  // the copies already written by (auditID, stage).
  bool ForwardAcknowledged(const absl::StatusOr<ForwardResult>& forwarded, DeliveryGroup& group,
                           httplib::Response& res) {
    absl::Status s = opts_.forwarder->Wait(group);
    if (!forwarded.ok()) s = forwarded.status();
    if (s.ok()) return true;
    LogRateLimited(absl::StrCat("serve: forward: ", s.message()));
    Refuse(res, 503, kForwardError, "events not acknowledged by Kafka in time, retry later\n");
    res.set_header("Retry-After", absl::StrCat(opts_.retry_after_seconds));
    return false;
  }

  void LogRateLimited(std::string_view message) {
    const int64_t now = absl::ToUnixSeconds(ctx_.clock->Now());
    if (now != last_log_s_.exchange(now)) ctx_.logger->Error("webhook", message);
  }

  // Appends the batch and records it for the checkpoint (in spool order, under cp_mu_).
  absl::Status SpoolBatch(const std::string& body, uint64_t ticket) {
    {
      std::lock_guard<std::mutex> l(cp_mu_);
      absl::StatusOr<SpoolPosition> pos = spool_->Append(body);
      if (!pos.ok()) return pos.status();
      spooled_.push_back({*std::move(pos), ticket});
    }
    if (spool_->fsync_policy() == FsyncPolicy::kAlways) return spool_->Sync();
    return absl::OkStatus();
  }

  // Re-submits what was spooled after the checkpoint (acknowledged, but its alerts maybe not
  // delivered), waits until their alerts are settled, and moves the checkpoint past them.
  absl::Status Recover() {
    uint64_t submitted = 0;
    uint64_t max_ticket = 0;
    std::mutex mu;
    std::condition_variable cv;
    uint64_t processed = 0;
    absl::StatusOr<SpoolPosition> end = spool_->ReadAfterCheckpoint([&](std::string line) {
      Batch b{std::move(line), "spool", [&](const BatchResult& r) {
                std::lock_guard<std::mutex> l(mu);
                max_ticket = std::max(max_ticket, r.alert_ticket);
                ++processed;
                cv.notify_all();
              }};
      if (pipeline_->Submit(b)) ++submitted;
    });
    if (!end.ok()) return end.status();
    {
      std::unique_lock<std::mutex> l(mu);
      cv.wait(l, [&] { return processed == submitted; });
    }
    recovered_ = submitted;
    if (submitted > 0) {
      ctx_.logger->Info("spool", absl::StrCat("spool: submitted ", submitted,
                                              " batches spooled after the last checkpoint again"));
      if (!pipeline_->sink()->WaitSettled(max_ticket, absl::Seconds(60))) {
        ctx_.logger->Warning("spool", "spool: alerts of recovered batches not settled within 60s");
        return absl::OkStatus();  // keep the old checkpoint: they are tried again next time
      }
    }
    if (!end->file.empty()) return spool_->WriteCheckpoint(*end);
    return absl::OkStatus();
  }

  void CheckpointLoop() {
    std::unique_lock<std::mutex> l(cp_mu_);
    while (!stop_checkpointer_) {
      cp_cv_.wait_for(l, std::chrono::seconds(1));
      if (stop_checkpointer_) break;
      l.unlock();
      AdvanceCheckpoint(absl::ZeroDuration());
      l.lock();
    }
  }

  // Moves the checkpoint over the spooled batches whose alerts are settled, after making
  // their lines durable.
  void AdvanceCheckpoint(absl::Duration wait) {
    std::optional<SpoolPosition> to;
    {
      std::lock_guard<std::mutex> l(cp_mu_);
      while (!spooled_.empty() && pipeline_->sink()->WaitSettled(spooled_.front().second, wait)) {
        to = spooled_.front().first;
        spooled_.pop_front();
      }
    }
    if (spool_->fsync_policy() == FsyncPolicy::kInterval) {
      if (absl::Status s = spool_->Sync(); !s.ok()) {
        spool_errors_.fetch_add(1, std::memory_order_relaxed);
        LogRateLimited(ToStd(s.message()));
        return;
      }
    }
    if (!to || *to == last_checkpoint_) return;
    if (absl::Status s = spool_->WriteCheckpoint(*to); !s.ok()) {
      spool_errors_.fetch_add(1, std::memory_order_relaxed);
      LogRateLimited(ToStd(s.message()));
      return;
    }
    last_checkpoint_ = *to;
  }

  const WebhookOptions opts_;
  const Context ctx_;
  const std::string token_;
  std::unique_ptr<Spool> spool_;
  static constexpr absl::Duration kKeepAlive = absl::Seconds(5);
  std::unique_ptr<SlowClientGuard> guard_;  // TLS only; declared before server_, outlives it
  std::unique_ptr<httplib::Server> server_;
  std::string host_;
  int port_ = 0;
  LivePipeline* pipeline_ = nullptr;
  std::thread listener_;
  std::atomic<bool> ready_{false};

  std::array<std::atomic<uint64_t>, 600> codes_{};
  std::array<std::atomic<uint64_t>, kNumRejects> rejected_{};
  std::atomic<uint64_t> request_bytes_{0}, events_{0}, spool_errors_{0}, recovered_{0};
  std::atomic<int64_t> last_log_s_{0};

  std::mutex cp_mu_;
  std::condition_variable cp_cv_;
  bool stop_checkpointer_ = false;
  std::deque<std::pair<SpoolPosition, uint64_t>> spooled_;  // (end of line, alert ticket)
  SpoolPosition last_checkpoint_;
  std::thread checkpointer_;
};

absl::StatusOr<std::unique_ptr<WebhookSource>> WebhookSource::Create(WebhookOptions options,
                                                                     Context ctx) {
  if (!options.insecure_http) {
    if (options.tls_cert.empty() || options.tls_key.empty()) {
      return absl::InvalidArgumentError(
          "serve: --tls-cert and --tls-key are required (or --insecure-http for plain HTTP)");
    }
    if (options.client_ca.empty() && options.token_file.empty()) {
      return absl::InvalidArgumentError(
          "serve: authenticate clients with --client-ca and/or --token-file");
    }
  }
  if (!options.detect && !options.forwarder) {
    return absl::InvalidArgumentError(
        "serve: --no-detect needs --forward-to (events would go nowhere)");
  }
  if (!options.detect && options.spool) {
    return absl::InvalidArgumentError(
        "serve: --spool-dir does nothing with --no-detect: the answer already waits for Kafka's "
        "acknowledgement");
  }
  if (options.path.empty() || options.path[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("--path ", options.path, ": must start with '/'"));
  }
  std::string token;
  if (!options.token_file.empty()) {
    std::ifstream in(options.token_file);
    if (!in) {
      return absl::NotFoundError(
          absl::StrCat("--token-file ", options.token_file, ": cannot read"));
    }
    std::stringstream ss;
    ss << in.rdbuf();
    token = ss.str();
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ' ||
                              token.back() == '\t')) {
      token.pop_back();
    }
    if (token.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--token-file ", options.token_file, ": empty"));
    }
  }
  std::unique_ptr<Spool> spool;
  if (options.spool) {
    auto s = Spool::Open(*options.spool, ctx);
    if (!s.ok()) return s.status();
    spool = *std::move(s);
  }
  auto impl = std::make_unique<Impl>(std::move(options), ctx, std::move(token), std::move(spool));
  if (absl::Status s = impl->Init(); !s.ok()) return s;
  return std::unique_ptr<WebhookSource>(new WebhookSource(std::move(impl)));
}

WebhookSource::WebhookSource(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WebhookSource::~WebhookSource() { impl_->Stop(); }
absl::Status WebhookSource::Start(LivePipeline* pipeline) { return impl_->Start(pipeline); }
void WebhookSource::Stop() { impl_->Stop(); }
void WebhookSource::Finished() { impl_->Finished(); }
bool WebhookSource::Ready() const { return impl_->Ready(); }

int WebhookSource::port() const { return impl_->port(); }
void WebhookSource::AppendMetrics(std::vector<SourceMetric>& out) const {
  impl_->AppendMetrics(out);
}

}  // namespace kaudit
