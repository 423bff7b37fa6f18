#include "src/sinks/disk_buffer.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "src/sinks/queued_sink.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using ::kaudit::testing::TempDir;

Alert Full(int i) {
  Alert a;
  a.detector_id = "secret_enumeration";
  a.title = "Secret enumeration";
  a.severity = Severity::kHigh;
  a.mitre = {"T1552.007", "T1613"};
  a.event_time = absl::FromUnixNanos(1700000000123456789 + i);
  a.user = absl::StrCat("user-", i);
  a.impersonated_user = "imp";
  a.groups = {"system:authenticated", "g\n2"};
  a.source_ips = {"10.0.0.1", "::1"};
  a.user_agent = "kubectl/v1.29";
  a.verb = "get";
  a.resource = "secrets";
  a.subresource = "";
  a.namespace_ = "kube-system";
  a.name = std::string("n\0ul", 4);
  a.api_group = "";
  a.request_uri = "/api/v1/namespaces/kube-system/secrets/x";
  a.response_code = 200;
  a.message = "user read 20 secrets";
  a.audit_ids = {"a", "b"};
  a.audit_id_count = 20;
  a.count = 3;
  a.window_start = absl::FromUnixSeconds(100);
  a.AddField("secrets", "20");
  return a;
}

TEST(AlertCodecTest, RoundTripsEveryField) {
  Alert a = Full(7);
  std::string buf;
  EncodeAlert(a, buf);
  std::string_view in = buf;
  Alert b;
  ASSERT_TRUE(DecodeAlert(in, b));
  EXPECT_TRUE(in.empty());
  EXPECT_EQ(b.detector_id, a.detector_id);
  EXPECT_EQ(b.title, a.title);
  EXPECT_EQ(b.severity, a.severity);
  EXPECT_EQ(b.mitre, a.mitre);
  EXPECT_EQ(b.event_time, a.event_time);
  EXPECT_EQ(b.user, a.user);
  EXPECT_EQ(b.impersonated_user, a.impersonated_user);
  EXPECT_EQ(b.groups, a.groups);
  EXPECT_EQ(b.source_ips, a.source_ips);
  EXPECT_EQ(b.user_agent, a.user_agent);
  EXPECT_EQ(b.verb, a.verb);
  EXPECT_EQ(b.resource, a.resource);
  EXPECT_EQ(b.namespace_, a.namespace_);
  EXPECT_EQ(b.name, a.name);
  EXPECT_EQ(b.request_uri, a.request_uri);
  EXPECT_EQ(b.response_code, a.response_code);
  EXPECT_EQ(b.message, a.message);
  EXPECT_EQ(b.audit_ids, a.audit_ids);
  EXPECT_EQ(b.audit_id_count, a.audit_id_count);
  EXPECT_EQ(b.count, a.count);
  EXPECT_EQ(b.window_start, a.window_start);
  EXPECT_EQ(b.window_end, absl::InfinitePast());
  EXPECT_EQ(b.fields, a.fields);
  // Every truncation is refused, never read past the end.
  for (size_t cut = 0; cut < buf.size(); ++cut) {
    std::string_view part(buf.data(), cut);
    Alert c;
    EXPECT_FALSE(DecodeAlert(part, c)) << cut;
  }
}

std::vector<Alert> Range(int from, int to) {
  std::vector<Alert> v;
  for (int i = from; i < to; ++i) v.push_back(Full(i));
  return v;
}

TEST(DiskBufferTest, FifoAcrossSegmentsAndRestarts) {
  const std::string dir = TempDir() + "/buf";
  {
    auto b = DiskBuffer::Open({dir, 64ull << 20, 4096});
    ASSERT_TRUE(b.ok()) << b.status();
    ASSERT_TRUE((*b)->Append(Range(0, 100)).ok());
    std::vector<Alert> out;
    ASSERT_EQ(*(*b)->Read(30, out), 30u);
    EXPECT_EQ(out.front().user, "user-0");
    EXPECT_EQ(out.back().user, "user-29");
    EXPECT_EQ((*b)->pending(), 70u);
  }
  // Reopened: the unread alerts come back (from the first not-yet-deleted segment on: a
  // partly read segment is delivered again, at-least-once).
  auto b = DiskBuffer::Open({dir, 64ull << 20, 4096});
  ASSERT_TRUE(b.ok());
  const uint64_t recovered = (*b)->stats().recovered;
  EXPECT_GE(recovered, 70u);
  EXPECT_LT(recovered, 100u);
  ASSERT_TRUE((*b)->Append(Range(100, 110)).ok());
  std::vector<Alert> out;
  ASSERT_EQ(*(*b)->Read(1000, out), recovered + 10);
  EXPECT_EQ(out.back().user, "user-109");
  EXPECT_EQ(out[out.size() - 11].user, "user-99");
  EXPECT_EQ((*b)->pending(), 0u);
  EXPECT_EQ((*b)->stats().bytes, 0u);
  EXPECT_TRUE(std::filesystem::is_empty(dir));
}

TEST(DiskBufferTest, BoundDropsTheOldestSegmentsAndCountsThem) {
  const std::string dir = TempDir() + "/buf";
  auto b = DiskBuffer::Open({dir, 1 << 20, 64 << 10});
  ASSERT_TRUE(b.ok());
  for (int i = 0; i < 40; ++i) ASSERT_TRUE((*b)->Append(Range(i * 500, i * 500 + 500)).ok());
  DiskBufferStats s = (*b)->stats();
  EXPECT_LE(s.bytes, 1u << 20);
  EXPECT_GT(s.dropped, 0u);
  EXPECT_EQ(s.dropped + s.pending, 20000u);
  std::vector<Alert> out;
  ASSERT_EQ(*(*b)->Read(100000, out), s.pending);
  EXPECT_EQ(out.back().user, "user-19999");  // the newest survive
}

TEST(DiskBufferTest, RecordCutShortByACrashIsCountedNotDelivered) {
  const std::string dir = TempDir() + "/buf";
  {
    auto b = DiskBuffer::Open({dir, 64ull << 20, 1 << 20});
    ASSERT_TRUE((*b)->Append(Range(0, 10)).ok());
  }
  // Cut the last record in half, as kill -9 during a write would.
  std::string seg;
  for (const auto& e : std::filesystem::directory_iterator(dir)) seg = e.path();
  ASSERT_FALSE(seg.empty());
  const auto size = std::filesystem::file_size(seg);
  std::filesystem::resize_file(seg, size - 20);
  auto b = DiskBuffer::Open({dir, 64ull << 20, 1 << 20});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ((*b)->stats().recovered, 9u);
  EXPECT_EQ((*b)->stats().corrupt, 1u);
  std::vector<Alert> out;
  ASSERT_EQ(*(*b)->Read(100, out), 9u);
  EXPECT_EQ(out.back().user, "user-8");
}

TEST(DiskBufferTest, FlippedByteFailsTheChecksum) {
  const std::string dir = TempDir() + "/buf";
  {
    auto b = DiskBuffer::Open({dir, 64ull << 20, 1 << 20});
    ASSERT_TRUE((*b)->Append(Range(0, 10)).ok());
  }
  std::string seg;
  for (const auto& e : std::filesystem::directory_iterator(dir)) seg = e.path();
  int fd = open(seg.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  char c = 0;
  ASSERT_EQ(pread(fd, &c, 1, 500), 1);
  c ^= 0x40;
  ASSERT_EQ(pwrite(fd, &c, 1, 500), 1);
  close(fd);
  auto b = DiskBuffer::Open({dir, 64ull << 20, 1 << 20});
  std::vector<Alert> out;
  size_t n = *(*b)->Read(100, out);
  EXPECT_LT(n, 10u);
  EXPECT_EQ(n + (*b)->stats().corrupt, 10u);
}

TEST(DiskBufferTest, UnwritableDirectoryIsAClearError) {
  auto b = DiskBuffer::Open({"/proc/kaudit-no-such/buf", 1 << 20, 4096});
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("/proc/kaudit-no-such/buf"), std::string::npos);
}

// A destination that is down while `down` is set.
class Switchable final : public Transport {
 public:
  absl::Status Deliver(std::span<const Alert> batch) override {
    if (down) return absl::UnavailableError("down");
    std::lock_guard<std::mutex> l(mu);
    for (const auto& a : batch) got.push_back(a.user);
    return absl::OkStatus();
  }
  std::atomic<bool> down{true};
  std::mutex mu;
  std::vector<std::string> got;
};

QueuedSinkOptions Fast(size_t queue_max) {
  QueuedSinkOptions o;
  o.name = "net";
  o.queue_max = queue_max;
  o.batch_max = 50;
  o.flush_interval = absl::Milliseconds(5);
  o.retry_initial = absl::Milliseconds(5);
  o.retry_max = absl::Milliseconds(20);
  o.flush_timeout = absl::Milliseconds(300);
  return o;
}

TEST(QueuedSinkDiskTest, OutageLongerThanMemoryLosesNothingAndKeepsOrder) {
  const std::string dir = TempDir() + "/buf";
  auto t = std::make_unique<Switchable>();
  Switchable* tp = t.get();
  auto disk = DiskBuffer::Open({dir, 64ull << 20, 64 << 10});
  ASSERT_TRUE(disk.ok());
  QueuedSink sink(Fast(20), testing::TestContext(), std::move(t), std::move(*disk));
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(sink.Send(Range(i * 100, i * 100 + 100)).ok());
  SinkStats mid = sink.stats();
  EXPECT_GT(mid.disk_pending, 3000u);
  EXPECT_EQ(mid.dropped(), 0u);
  EXPECT_FALSE(sink.WaitSettled(4000, absl::Milliseconds(20)));
  tp->down = false;
  ASSERT_TRUE(sink.WaitSettled(4000, absl::Seconds(30)));
  std::lock_guard<std::mutex> l(tp->mu);
  ASSERT_EQ(tp->got.size(), 4000u);
  for (int i = 0; i < 4000; ++i) ASSERT_EQ(tp->got[i], absl::StrCat("user-", i)) << i;
  SinkStats end = sink.stats();
  EXPECT_EQ(end.sent, 4000u);
  EXPECT_EQ(end.dropped(), 0u);
  EXPECT_GT(end.spilled, 3000u);
}

TEST(QueuedSinkDiskTest, UndeliveredAtExitIsSentFirstAtTheNextStart) {
  const std::string dir = TempDir() + "/buf";
  {
    auto t = std::make_unique<Switchable>();
    QueuedSink sink(Fast(20), testing::TestContext(), std::move(t),
                    *DiskBuffer::Open({dir, 64ull << 20, 64 << 10}));
    ASSERT_TRUE(sink.Send(Range(0, 500)).ok());
    absl::Status s = sink.Flush();  // the destination never came back
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find("kept in the disk buffer"), std::string::npos) << s;
    EXPECT_EQ(sink.stats().dropped(), 0u);
    EXPECT_EQ(sink.stats().disk_pending, 500u);
  }
  auto t = std::make_unique<Switchable>();
  Switchable* tp = t.get();
  tp->down = false;
  QueuedSink sink(Fast(20), testing::TestContext(), std::move(t),
                  *DiskBuffer::Open({dir, 64ull << 20, 64 << 10}));
  ASSERT_TRUE(sink.Send(Range(500, 510)).ok());
  // Settlement counts this run's alerts only: the 500 recovered ones are not 10 new ones.
  ASSERT_TRUE(sink.WaitSettled(10, absl::Seconds(30)));
  ASSERT_TRUE(sink.Flush().ok());
  std::lock_guard<std::mutex> l(tp->mu);
  ASSERT_EQ(tp->got.size(), 510u);
  EXPECT_EQ(tp->got.front(), "user-0");
  EXPECT_EQ(tp->got.back(), "user-509");
}

// A destination whose first delivery hangs until released, then fails (a hung connection).
class HangsOnce final : public Transport {
 public:
  absl::Status Deliver(std::span<const Alert> batch) override {
    std::unique_lock<std::mutex> l(mu);
    ++calls;
    entered.notify_all();
    released.wait(l, [&] { return release; });
    return absl::UnavailableError("hung, then reset");
  }
  std::mutex mu;
  std::condition_variable entered, released;
  int calls = 0;
  bool release = false;
};

TEST(QueuedSinkDiskTest, BatchInFlightWhenFlushGivesUpStaysOnDisk) {
  const std::string dir = TempDir() + "/buf";
  {
    auto t = std::make_unique<HangsOnce>();
    HangsOnce* tp = t.get();
    QueuedSink sink(Fast(20), testing::TestContext(), std::move(t),
                    *DiskBuffer::Open({dir, 64ull << 20, 64 << 10}));
    ASSERT_TRUE(sink.Send(Range(0, 500)).ok());
    {
      std::unique_lock<std::mutex> l(tp->mu);
      tp->entered.wait(l, [&] { return tp->calls > 0; });
    }
    // A batch is in flight, neither in memory nor on disk, when the flush timeout passes.
    absl::Status s = sink.Flush();
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(sink.stats().disk_pending, 500u) << s;
    EXPECT_EQ(sink.stats().dropped(), 0u);
    {
      std::lock_guard<std::mutex> l(tp->mu);
      tp->release = true;
    }
    tp->released.notify_all();
  }
  auto t = std::make_unique<Switchable>();
  Switchable* tp = t.get();
  tp->down = false;
  QueuedSinkOptions o = Fast(20);
  o.flush_timeout = absl::Seconds(30);  // delivering the 500 may take a while under TSan
  QueuedSink sink(o, testing::TestContext(), std::move(t),
                  *DiskBuffer::Open({dir, 64ull << 20, 64 << 10}));
  ASSERT_TRUE(sink.Flush().ok());
  std::lock_guard<std::mutex> l(tp->mu);
  ASSERT_EQ(tp->got.size(), 500u);
  for (int i = 0; i < 500; ++i) ASSERT_EQ(tp->got[i], absl::StrCat("user-", i)) << i;
}

}  // namespace
}  // namespace kaudit
