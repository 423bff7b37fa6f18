// A cardinality attack: one million distinct users, source IPs and secrets through the parser
// and the dispatcher with every detector enabled. Per-detector state stays within its bound,
// evictions are counted, memory stays flat, and the stateful detectors still fire for the hot
// identity hidden in the flood.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "detectors/registry.h"
#include "src/engine/dispatcher.h"
#include "src/parse/event_reader.h"

namespace kaudit {
namespace {

// Under ASan/TSan (make sanitize) the flood is smaller (the point there is memory errors, at a
// tenth of the speed) and the RSS bound covers the shadow memory and quarantine.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define KAUDIT_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define KAUDIT_SANITIZED 1
#endif
#endif
#ifdef KAUDIT_SANITIZED
constexpr int kEvents = 200000;
constexpr long kMaxRssKb = 1500 * 1024;
#else
constexpr int kEvents = 1000000;
constexpr long kMaxRssKb = 400 * 1024;
#endif
constexpr int kBatch = 10000;
constexpr size_t kSecretKeys = 20000;  // secret_enumeration.max_keys
constexpr size_t kUsers = 5000;        // disallowed_user.max_users

long MaxRssKb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

// One `get secret` by `user` from `ip` at `ms` milliseconds after the epoch of the test.
void AppendGet(std::string& out, int id, const std::string& user, const std::string& ip,
               const std::string& secret, int64_t ms) {
  int64_t s = 1700000000 + ms / 1000;
  absl::Time t = absl::FromUnixMillis(s * 1000 + ms % 1000);
  std::string ts = absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
  absl::StrAppendFormat(
      &out,
      R"({"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"id-%d",)"
      R"("stage":"ResponseComplete","requestURI":"/api/v1/namespaces/ns/secrets/%s","verb":"get",)"
      R"("user":{"username":"%s","groups":["system:authenticated"]},"sourceIPs":["%s"],)"
      R"("objectRef":{"resource":"secrets","namespace":"ns","name":"%s","apiVersion":"v1"},)"
      R"("responseStatus":{"code":200},"requestReceivedTimestamp":"%s","stageTimestamp":"%s"})"
      "\n",
      id, secret, user, ip, secret, ts, ts);
}

class Forward final : public EventHandler {
 public:
  Forward(Dispatcher& d, std::vector<Alert>& out) : d_(d), out_(out) {}
  void OnEvent(AuditEvent& e) override { d_.Dispatch(e, out_); }
  void OnInvalid(InvalidReason, const Location&, std::string_view, std::string_view) override {
    ++invalid_;
  }
  uint64_t invalid_ = 0;

 private:
  Dispatcher& d_;
  std::vector<Alert>& out_;
};

TEST(CardinalityTest, MillionDistinctUsersIpsAndSecretsStayBounded) {
  std::map<std::string, DetectorParams, std::less<>> all;
  for (const auto& entry : DetectorTable()) {
    DetectorParams p("detectors." + std::string(entry.id));
    p.Set("enabled", "true");
    all.emplace(std::string(entry.id), std::move(p));
  }
  all.at("secret_enumeration").Set("max_keys", std::to_string(kSecretKeys));
  // Its learned per-key baselines are a second store with their own bound.
  all.at("secret_enumeration").Set("baseline_max_keys", std::to_string(kSecretKeys));
  all.at("disallowed_user").Set("max_users", std::to_string(kUsers));
  auto slots = BuildDetectors(std::move(all));
  ASSERT_TRUE(slots.ok()) << slots.status();
  DispatcherOptions opts;
  opts.dedup_entries = 100000;
  opts.aggregate_max_keys = 10000;
  Dispatcher d(std::move(*slots), opts);
  long rss_before = MaxRssKb();

  std::vector<Alert> alerts;
  Forward h(d, alerts);
  EventReader reader;
  uint64_t hot_secret_alerts = 0, hot_user_alerts = 0, alerts_total = 0;
  std::string buf;
  int hot_reads = 0;
  for (int base = 0; base < kEvents; base += kBatch) {
    buf.clear();
    for (int i = base; i < base + kBatch; ++i) {
      // Event time advances 1 ms per event: the million events span ~17 minutes.
      if (i >= kEvents / 2 && i % 5000 == 0 && hot_reads < 15) {
        // The hot identity: 15 distinct secrets, 5 s apart, inside the flood.
        AppendGet(buf, i, "mallory", "203.0.113.7", absl::StrFormat("hot-%d", hot_reads++), i);
      } else {
        AppendGet(buf, i, absl::StrFormat("user-%d", i),
                  absl::StrFormat("10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255, i & 255),
                  absl::StrFormat("secret-%d", i), i);
      }
    }
    reader.ParseBuffer(buf, "flood", h);
    for (const Alert& a : alerts) {
      ++alerts_total;
      if (a.user != "mallory") continue;
      if (a.detector_id == "secret_enumeration") ++hot_secret_alerts;
      if (a.detector_id == "disallowed_user") ++hot_user_alerts;
    }
    alerts.clear();
  }
  d.Finish(alerts);
  for (const Alert& a : alerts) {
    if (a.user == "mallory" && a.detector_id == "secret_enumeration") ++hot_secret_alerts;
  }
  long rss_after = MaxRssKb();

  EXPECT_EQ(h.invalid_, 0u);
  EXPECT_EQ(reader.stats().events, static_cast<uint64_t>(kEvents));
  EXPECT_EQ(d.stats().duplicates, 0u);
  std::map<std::string, std::pair<size_t, uint64_t>> state;
  for (size_t i = 0; i < d.num_detectors(); ++i) {
    const Detector& det = d.detector(i);
    state[std::string(det.info().id)] = {det.state_entries(), det.state_evictions()};
  }
  // Each stateful detector is at (not over) its bound and counted what it evicted.
  EXPECT_LE(state["secret_enumeration"].first, 2 * kSecretKeys);  // window counts + baselines
  EXPECT_GE(state["secret_enumeration"].second, static_cast<uint64_t>(kEvents) - kSecretKeys - 15);
  EXPECT_LE(state["disallowed_user"].first, kUsers);
  EXPECT_GE(state["disallowed_user"].second, static_cast<uint64_t>(kEvents) - kUsers - 15);
  // The per-window readers of sensitive objects (its default max_keys, 10,000).
  EXPECT_LE(state["sensitive_object_readers"].first, 10000u);
  EXPECT_GE(state["sensitive_object_readers"].second, static_cast<uint64_t>(kEvents) - 10000 - 15);
  // ... and still fired for the hot identity (one per window each).
  EXPECT_EQ(hot_secret_alerts, 1u);
  EXPECT_EQ(hot_user_alerts, 1u);
  // Flat memory: the state of a million keys would take hundreds of MB.
  EXPECT_LT(rss_after, kMaxRssKb) << "maxrss KB";
  RecordProperty("maxrss_kb_before", static_cast<int>(rss_before));
  RecordProperty("maxrss_kb_after", static_cast<int>(rss_after));
  RecordProperty("alerts", static_cast<int>(alerts_total));
  std::printf(
      "cardinality: %d events, maxrss %ld KB -> %ld KB, alerts %llu, "
      "secret_enumeration state %zu evictions %llu, disallowed_user state %zu "
      "evictions %llu\n",
      kEvents, rss_before, rss_after, static_cast<unsigned long long>(alerts_total),
      state["secret_enumeration"].first,
      static_cast<unsigned long long>(state["secret_enumeration"].second),
      state["disallowed_user"].first,
      static_cast<unsigned long long>(state["disallowed_user"].second));
}

}  // namespace
}  // namespace kaudit
