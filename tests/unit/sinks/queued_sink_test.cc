#include "src/sinks/queued_sink.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

#include "src/sinks/alert_format.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

// A destination that fails while `down` is set and records what it got.
class FakeTransport final : public Transport {
 public:
  absl::Status Deliver(std::span<const Alert> batch) override {
    std::lock_guard<std::mutex> l(mu);
    ++attempts;
    if (down) return absl::UnavailableError("down");
    for (const auto& a : batch) got.push_back(a.name);
    return absl::OkStatus();
  }
  std::mutex mu;
  std::atomic<bool> down{false};
  int attempts = 0;
  std::vector<std::string> got;
};

Alert A(std::string name, Severity s = Severity::kHigh, std::string det = "d") {
  Alert a;
  a.name = std::move(name);
  a.severity = s;
  a.detector_id = std::move(det);
  return a;
}

QueuedSinkOptions Fast() {
  QueuedSinkOptions o;
  o.name = "t";
  o.flush_interval = absl::Milliseconds(5);
  o.retry_initial = absl::Milliseconds(5);
  o.retry_max = absl::Milliseconds(20);
  o.flush_timeout = absl::Seconds(5);
  return o;
}

TEST(QueuedSinkTest, DeliversInOrderAndFilters) {
  auto t = std::make_unique<FakeTransport>();
  FakeTransport* ft = t.get();
  QueuedSinkOptions o = Fast();
  o.min_severity = Severity::kMedium;
  o.detectors = {"d"};
  QueuedSink s(o, testing::TestContext(), std::move(t));
  std::vector<Alert> in = {A("1"), A("2", Severity::kLow), A("3", Severity::kHigh, "other"),
                           A("4")};
  ASSERT_TRUE(s.Send(in).ok());
  ASSERT_TRUE(s.Flush().ok());
  EXPECT_EQ(ft->got, (std::vector<std::string>{"1", "4"}));
  SinkStats st = s.stats();
  EXPECT_EQ(st.accepted, 2u);
  EXPECT_EQ(st.filtered, 2u);
  EXPECT_EQ(st.sent, 2u);
}

TEST(QueuedSinkTest, RetriesUntilTheDestinationComesBack) {
  auto t = std::make_unique<FakeTransport>();
  FakeTransport* ft = t.get();
  ft->down = true;
  QueuedSink s(Fast(), testing::TestContext(), std::move(t));
  std::vector<Alert> in = {A("1"), A("2"), A("3")};
  ASSERT_TRUE(s.Send(in).ok());
  while (s.stats().retries < 3) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ft->down = false;
  ASSERT_TRUE(s.Flush().ok());
  EXPECT_EQ(ft->got, (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_GE(s.stats().retries, 3u);
  EXPECT_EQ(s.stats().dropped(), 0u);
}

TEST(QueuedSinkTest, AFullBufferDropsTheOldestAndCountsIt) {
  auto t = std::make_unique<FakeTransport>();
  FakeTransport* ft = t.get();
  ft->down = true;
  QueuedSinkOptions o = Fast();
  o.queue_max = 10;
  o.batch_max = 5;
  QueuedSink s(o, testing::TestContext(), std::move(t));
  std::vector<Alert> in;
  for (int i = 0; i < 25; ++i) in.push_back(A(std::to_string(i)));
  ASSERT_TRUE(s.Send(in).ok());
  ft->down = false;
  ASSERT_TRUE(s.Flush().ok());
  SinkStats st = s.stats();
  EXPECT_EQ(st.dropped_queue_full + st.sent, 25u);
  EXPECT_GE(st.dropped_queue_full, 10u);
  ASSERT_FALSE(ft->got.empty());
  EXPECT_EQ(ft->got.back(), "24");  // the newest survive
}

TEST(QueuedSinkTest, FlushGivesUpAfterItsTimeoutAndCountsTheRest) {
  auto t = std::make_unique<FakeTransport>();
  t->down = true;
  QueuedSinkOptions o = Fast();
  o.flush_timeout = absl::Milliseconds(100);
  QueuedSink s(o, testing::TestContext(), std::move(t));
  std::vector<Alert> in = {A("1"), A("2")};
  ASSERT_TRUE(s.Send(in).ok());
  absl::Status st = s.Flush();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(std::string(st.message()).find("not delivered"), std::string::npos);
  // Both count, also when the flush timeout caught them in flight.
  EXPECT_EQ(s.stats().dropped_shutdown, 2u);
}

}  // namespace
}  // namespace kaudit

namespace kaudit {
namespace {

TEST(QueuedSinkSettledTest, SettlesOnlyAfterDeliveryOrCountedDrop) {
  auto t = std::make_unique<FakeTransport>();
  FakeTransport* ft = t.get();
  ft->down = true;
  QueuedSinkOptions o = Fast();
  o.queue_max = 2;
  QueuedSink s(o, testing::TestContext(), std::move(t));
  std::vector<Alert> two = {A("1"), A("2", Severity::kInfo, "filtered-out-by-nothing")};
  ASSERT_TRUE(s.Send(two).ok());
  // The destination is down: nothing is settled, however long we wait.
  EXPECT_FALSE(s.WaitSettled(2, absl::Milliseconds(50)));
  EXPECT_FALSE(s.WaitSettled(1, absl::ZeroDuration()));
  // A third alert pushes the oldest out of the full buffer: that one is settled (dropped,
  // counted), the other two are not.
  std::vector<Alert> one = {A("3")};
  ASSERT_TRUE(s.Send(one).ok());
  EXPECT_TRUE(s.WaitSettled(1, absl::Seconds(1)));
  EXPECT_FALSE(s.WaitSettled(3, absl::Milliseconds(20)));
  ft->down = false;
  EXPECT_TRUE(s.WaitSettled(3, absl::Seconds(5)));
  SinkStats st = s.stats();
  EXPECT_EQ(st.sent + st.dropped_queue_full, 3u);
  EXPECT_GE(st.dropped_queue_full, 1u);
}

TEST(QueuedSinkSettledTest, SinkSetWaitsForEverySink) {
  auto fast = std::make_unique<FakeTransport>();
  auto slow = std::make_unique<FakeTransport>();
  FakeTransport* slow_t = slow.get();
  slow_t->down = true;
  SinkSet set;
  set.Add(std::make_unique<QueuedSink>(Fast(), testing::TestContext(), std::move(fast)));
  set.Add(std::make_unique<QueuedSink>(Fast(), testing::TestContext(), std::move(slow)));
  std::vector<Alert> in = {A("1")};
  ASSERT_TRUE(set.Send(in).ok());
  EXPECT_FALSE(set.WaitSettled(1, absl::Milliseconds(50)));
  slow_t->down = false;
  EXPECT_TRUE(set.WaitSettled(1, absl::Seconds(5)));
}

}  // namespace
}  // namespace kaudit
