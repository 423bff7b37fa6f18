#include "detectors/common/burst.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "src/common/status_macros.h"

namespace kaudit {

Alert MakeBurstAlert(const DetectorInfo& info, const AuditEvent& e,
                     const DistinctWindowCounter::KeyState& st, size_t count) {
  Alert a = MakeAlert(info, e);
  a.audit_ids.clear();
  a.audit_id_count = 0;
  st.audit_ids.ForEach([&a](std::string_view id) { a.AddAuditId(id); });
  a.count = count;
  absl::Time first = e.stage_timestamp;
  for (const auto& [value, t] : st.values) first = std::min(first, t);
  a.window_start = first;
  a.window_end = e.stage_timestamp;
  a.name.clear();
  a.namespace_.clear();
  return a;
}

void QuietAfterAlert(DistinctWindowCounter& counter, DistinctWindowCounter::KeyState& st,
                     absl::Time t) {
  st.quiet_until = t + counter.options().window;
  counter.Reset(st);
}

absl::StatusOr<DistinctWindowCounter::Options> WindowParams(DetectorParams& p,
                                                            absl::Duration window,
                                                            absl::Duration max_window,
                                                            size_t values_per_key) {
  DistinctWindowCounter::Options o;
  KAUDIT_ASSIGN_OR_RETURN(o.window, p.Duration("window", window, absl::Seconds(1), max_window));
  KAUDIT_ASSIGN_OR_RETURN(int64_t max_keys, p.Int("max_keys", 100000, 1, 100000000));
  o.max_keys = static_cast<size_t>(max_keys);
  o.max_values_per_key = values_per_key;
  return o;
}

absl::StatusOr<RepeatGate> RepeatGateParams(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(auto window, p.Duration("repeat_window", absl::Hours(1),
                                                  absl::ZeroDuration(), absl::Hours(24 * 7)));
  KAUDIT_ASSIGN_OR_RETURN(int64_t max_keys, p.Int("max_keys", 100000, 1, 100000000));
  return RepeatGate(window, static_cast<size_t>(max_keys));
}

// ---- BurstBaseline ----

bool BurstBaseline::Ready(const KeyStats& s, absl::Time t) const {
  return opts_.enabled && s.n >= static_cast<uint64_t>(opts_.min_windows) &&
         t - s.first_seen >= opts_.learning_period;
}

size_t BurstBaseline::Threshold(const KeyStats& s, absl::Time t, size_t floor) const {
  if (!Ready(s, t)) return floor;
  double sd = s.n > 1 ? std::sqrt(s.m2 / static_cast<double>(s.n - 1)) : 0.0;
  double learned = std::floor(s.mean + static_cast<double>(opts_.sigmas) * sd) + 1;
  double cap = static_cast<double>(floor) * static_cast<double>(opts_.cap);
  learned = std::min(learned, cap);
  return std::max(floor, static_cast<size_t>(learned));
}

size_t BurstBaseline::Observe(std::string_view key, size_t count, absl::Time t, size_t floor,
                              bool* ready) {
  *ready = false;
  if (!opts_.enabled) return floor;
  bool inserted = false;
  KeyStats& s = keys_.Touch(key, &inserted);
  if (inserted) {
    s.first_seen = t;
    s.bucket_start = t;
  }
  if (t >= s.bucket_start + window_) {
    // The bucket closed: learn its peak unless it alerted.
    if (s.bucket_max > 0 && !s.bucket_alerted) {
      ++s.n;
      double x = static_cast<double>(s.bucket_max);
      double d = x - s.mean;
      s.mean += d / static_cast<double>(s.n);
      s.m2 += d * (x - s.mean);
    }
    s.bucket_start = t;
    s.bucket_max = 0;
    s.bucket_alerted = false;
  }
  s.bucket_max = std::max(s.bucket_max, count);
  *ready = Ready(s, t);
  return Threshold(s, t, floor);
}

void BurstBaseline::MarkAlerted(std::string_view key) {
  if (KeyStats* s = keys_.Find(key)) s->bucket_alerted = true;
}

void BurstBaseline::Save(StateWriter& w) const {
  keys_.ForEachOldestFirst([&](const std::string& key, const KeyStats& s) {
    w.Record({"k", key, TimeToField(s.first_seen), absl::StrCat(s.n), absl::StrCat(s.mean),
              absl::StrCat(s.m2), TimeToField(s.bucket_start), absl::StrCat(s.bucket_max),
              s.bucket_alerted ? "1" : "0"});
  });
}

absl::Status BurstBaseline::Load(StateReader& r) {
  if (r.version() != 1) return r.Error(absl::StrCat("unknown version ", r.version()));
  std::vector<std::string> f;
  while (r.Next(&f)) {
    KeyStats s;
    uint64_t bucket_max = 0;
    if (f.size() != 9 || f[0] != "k" || !TimeFromField(f[2], &s.first_seen) ||
        !absl::SimpleAtoi(f[3], &s.n) || !absl::SimpleAtod(f[4], &s.mean) ||
        !absl::SimpleAtod(f[5], &s.m2) || !TimeFromField(f[6], &s.bucket_start) ||
        !absl::SimpleAtoi(f[7], &bucket_max) || (f[8] != "0" && f[8] != "1")) {
      return r.Error(
          "expected: k <key> <first_seen_ns> <windows> <mean> <m2> <bucket_start_ns> "
          "<bucket_max> <0|1>");
    }
    s.bucket_max = static_cast<size_t>(bucket_max);
    s.bucket_alerted = f[8] == "1";
    keys_.Touch(f[1]) = s;
  }
  return absl::OkStatus();
}

absl::StatusOr<BurstBaseline::Options> BaselineParams(DetectorParams& p) {
  BurstBaseline::Options o;
  KAUDIT_ASSIGN_OR_RETURN(o.enabled, p.Bool("baseline", true));
  KAUDIT_ASSIGN_OR_RETURN(
      o.learning_period,
      p.Duration("learning_period", absl::Hours(24), absl::ZeroDuration(), absl::Hours(24 * 90)));
  KAUDIT_ASSIGN_OR_RETURN(o.min_windows, p.Int("baseline_min_windows", 20, 2, 1000000));
  KAUDIT_ASSIGN_OR_RETURN(o.sigmas, p.Int("baseline_sigmas", 3, 0, 100));
  KAUDIT_ASSIGN_OR_RETURN(o.cap, p.Int("baseline_cap", 5, 1, 100));
  KAUDIT_ASSIGN_OR_RETURN(int64_t max_keys, p.Int("baseline_max_keys", 100000, 1, 100000000));
  o.max_keys = static_cast<size_t>(max_keys);
  return o;
}

size_t BurstValuesPerKey(size_t threshold, const BurstBaseline::Options& b) {
  return threshold * 2 * static_cast<size_t>(b.enabled ? b.cap : 1);
}

// ---- WindowedBurstDetector ----

WindowedBurstDetector::Burst WindowedBurstDetector::Count(std::string_view key,
                                                          std::string_view value, absl::Time t,
                                                          std::string_view audit_id) {
  Burst b;
  DistinctWindowCounter::KeyState& st = counter_.Add(key, value, t, audit_id);
  b.count = st.values.size();
  b.threshold = baseline_.Observe(key, b.count, t, threshold_, &b.baseline_ready);
  b.learned = b.threshold > threshold_;
  if (b.count >= b.threshold && t >= st.quiet_until) b.state = &st;
  return b;
}

Alert WindowedBurstDetector::BurstAlert(const AuditEvent& e, const Burst& b) const {
  Alert a = MakeBurstAlert(info_, e, *b.state, b.count);
  if (b.learned) a.AddField("learned_threshold", absl::StrCat(b.threshold));
  return a;
}

void WindowedBurstDetector::Alerted(std::string_view key, const Burst& b, absl::Time t) {
  if (b.baseline_ready) baseline_.MarkAlerted(key);
  QuietAfterAlert(counter_, *b.state, t);
}

absl::Status WindowedBurstDetector::SaveState(StateWriter& out) const {
  baseline_.Save(out);
  return absl::OkStatus();
}

absl::Status WindowedBurstDetector::LoadState(StateReader& in) { return baseline_.Load(in); }

}  // namespace kaudit
