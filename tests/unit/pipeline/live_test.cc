#include "src/pipeline/live.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "src/common/clock.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using ::kaudit::testing::ReadFile;
using ::kaudit::testing::SourcePath;

// Records alerts; can be made to block in Send() to stall the engine thread.
class CapturingSink final : public AlertSink {
 public:
  absl::Status Send(std::span<const Alert> alerts) override {
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return !hold; });
    for (const auto& a : alerts) {
      detectors.push_back(a.detector_id);
      detection_times.push_back(a.detection_time);
      event_times.push_back(a.event_time);
    }
    return absl::OkStatus();
  }
  void Release() {
    std::lock_guard<std::mutex> l(mu);
    hold = false;
    cv.notify_all();
  }
  std::mutex mu;
  std::condition_variable cv;
  bool hold = false;
  std::vector<std::string> detectors;
  std::vector<absl::Time> detection_times, event_times;
};

Batch MakeBatch(std::string data, std::function<void(const BatchResult&)> done = nullptr) {
  Batch b;
  b.data = std::move(data);
  b.source = "test";
  b.done = std::move(done);
  return b;
}

// Alerts carry when kaudit raised them (the context's clock), beside the event's own time.
TEST(LivePipelineTest, StampsAlertsWithTheClocksTimeAsDetectionTime) {
  const absl::Time now = absl::FromUnixSeconds(1790000000);
  FakeClock clock(now);
  Config config;
  CapturingSink sink;
  auto p = LivePipeline::Create(config, &sink, Context{&clock, testing::TestContext().logger},
                                LiveOptions{});
  ASSERT_TRUE(p.ok()) << p.status();
  Batch exec = MakeBatch(ReadFile(SourcePath("tests/data/falco/k8s_audit__attach_pod.json")));
  ASSERT_TRUE((*p)->Submit(exec));
  (*p)->Stop();
  ASSERT_FALSE(sink.detectors.empty());
  for (size_t i = 0; i < sink.detectors.size(); ++i) {
    EXPECT_EQ(sink.detection_times[i], now) << sink.detectors[i];
    EXPECT_NE(sink.event_times[i], now) << sink.detectors[i];  // the event's stageTimestamp
  }
}

TEST(LivePipelineTest, ProcessesBatchesAndReportsEachOne) {
  RealClock clock;
  Config config;
  CapturingSink sink;
  auto p = LivePipeline::Create(config, &sink, Context{&clock, testing::TestContext().logger},
                                LiveOptions{});
  ASSERT_TRUE(p.ok()) << p.status();
  // A real event that Falco's "Attach/Exec Pod" fires on, then garbage.
  std::string exec = ReadFile(SourcePath("tests/data/falco/k8s_audit__attach_pod.json"));
  ASSERT_FALSE(exec.empty());
  std::mutex mu;
  std::vector<BatchResult> results;
  auto record = [&](const BatchResult& r) {
    std::lock_guard<std::mutex> l(mu);
    results.push_back(r);
  };
  Batch good = MakeBatch(exec, record);
  Batch bad = MakeBatch("{\"kind\": \"Event\", \"apiVersion\": ", record);
  ASSERT_TRUE((*p)->Submit(good));
  ASSERT_TRUE((*p)->Submit(bad));
  RunSummary s = (*p)->Stop();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_GE(results[0].events, 1u);
  EXPECT_EQ(results[0].invalid, 0u);
  EXPECT_EQ(results[1].events, 0u);
  EXPECT_EQ(results[1].invalid, 1u);
  EXPECT_NE(results[1].first_detail.find("test:1"), std::string::npos) << results[1].first_detail;
  EXPECT_EQ(s.reader.events, results[0].events);
  EXPECT_EQ(s.reader.invalid_total(), 1u);
  EXPECT_EQ(results[1].alert_ticket, sink.detectors.size());
  EXPECT_NE(std::find(sink.detectors.begin(), sink.detectors.end(), "pod_exec_attach"),
            sink.detectors.end());
  // Stopped: nothing more is taken.
  Batch late = MakeBatch(exec);
  EXPECT_FALSE((*p)->TrySubmit(late));
}

TEST(LivePipelineTest, TrySubmitRefusesWhenTheQueueIsFull) {
  RealClock clock;
  Config config;
  CapturingSink sink;
  sink.hold = true;  // the engine thread stalls on the first alert
  LiveOptions opts;
  opts.queue_max_batches = 2;
  auto p =
      LivePipeline::Create(config, &sink, Context{&clock, testing::TestContext().logger}, opts);
  ASSERT_TRUE(p.ok());
  std::string exec = ReadFile(SourcePath("tests/data/falco/k8s_audit__attach_pod.json"));
  std::atomic<int> done{0};
  auto count = [&](const BatchResult&) { ++done; };
  int accepted = 0, refused = 0;
  for (int i = 0; i < 10; ++i) {
    Batch b = MakeBatch(exec, count);
    if ((*p)->TrySubmit(b)) {
      ++accepted;
    } else {
      ++refused;
      EXPECT_FALSE(b.data.empty());  // a refused batch is left to the caller
    }
  }
  // One batch is being processed (stalled), two wait; the rest were refused.
  EXPECT_LE(accepted, 3);
  EXPECT_GE(refused, 7);
  EXPECT_EQ((*p)->live_stats().rejected_full, static_cast<uint64_t>(refused));
  sink.Release();
  (*p)->Stop();
  EXPECT_EQ(done.load(), accepted);
}

}  // namespace
}  // namespace kaudit
