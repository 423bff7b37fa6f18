#include "src/parse/event_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "absl/algorithm/container.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "src/common/strings.h"
#include "src/common/time_util.h"
#include "src/parse/byte_source.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using ::kaudit::testing::CollectingHandler;
using ::kaudit::testing::ParseString;
using ::kaudit::testing::ReadFile;
using ::kaudit::testing::SourcePath;
using ::testing::ElementsAre;

std::string FirstLine(const std::string& path) {
  std::string s = ReadFile(path);
  return s.substr(0, s.find('\n'));
}

std::string ExecEvent() {
  return FirstLine(SourcePath("tests/data/falco/k8s_audit__exec_pod.json"));
}

// Real events from the corpus, one per line.
std::vector<std::string> RealEvents() {
  std::vector<std::string> out;
  std::string log = ReadFile(SourcePath("tests/data/public/audit2rbac_demo_v1_2022.log"));
  size_t pos = 0;
  while (pos < log.size()) {
    size_t nl = log.find('\n', pos);
    if (nl == std::string::npos) nl = log.size();
    if (nl > pos) out.push_back(log.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

std::string RealEventId(const std::string& line) {
  CollectingHandler h = ParseString(line);
  return h.events.size() == 1 ? h.events[0].audit_id : "?";
}

std::vector<std::string> Ids(const CollectingHandler& h) {
  std::vector<std::string> ids;
  for (const auto& e : h.events) ids.push_back(e.audit_id + "/" + std::string(StageName(e.stage)));
  return ids;
}

TEST(EventReaderTest, ExtractsEveryFieldOfARealExecEvent) {
  CollectingHandler h = ParseString(ExecEvent());
  ASSERT_EQ(h.events.size(), 1u);
  ASSERT_TRUE(h.invalid.empty());
  const auto& e = h.events[0];
  EXPECT_EQ(e.audit_id, "ca1ed9f4-7bf4-4c85-81a8-1b11253d1ba6");
  EXPECT_EQ(e.stage, Stage::kResponseStarted);
  EXPECT_EQ(e.level, Level::kRequest);
  EXPECT_EQ(e.verb, "create");
  EXPECT_EQ(e.username, "minikube-user");
  EXPECT_THAT(e.groups, ElementsAre("system:masters", "system:authenticated"));
  EXPECT_THAT(e.source_ips, ElementsAre("192.168.99.1"));
  EXPECT_EQ(e.resource, "pods");
  EXPECT_EQ(e.subresource, "exec");
  EXPECT_EQ(e.namespace_, "default");
  EXPECT_EQ(e.name, "nginx-deployment-7998647bdf-phvq7");
  EXPECT_EQ(e.code, 101);
  EXPECT_EQ(e.decision, "allow");
  EXPECT_EQ(e.stage_timestamp, *ParseRfc3339("2018-10-26T13:38:34.902914Z"));
  EXPECT_EQ(e.request_received, *ParseRfc3339("2018-10-26T13:38:34.867116Z"));
  EXPECT_THAT(e.request_uri, ::testing::HasSubstr("command=bash&container=nginx1"));
  EXPECT_EQ(e.raw_size, ExecEvent().size());
}

TEST(EventReaderTest, KeepsRequestAndResponseObjectsAsRawSpans) {
  std::string line =
      FirstLine(SourcePath("tests/data/falco/k8s_audit__create_nginx_pod_privileged.json"));
  CollectingHandler h = ParseString(line);
  ASSERT_EQ(h.events.size(), 1u);
  const auto& e = h.events[0];
  EXPECT_EQ(e.request_object.front(), '{');
  EXPECT_EQ(e.request_object.back(), '}');
  EXPECT_NE(line.find(e.request_object), std::string::npos);
  EXPECT_NE(line.find(e.response_object), std::string::npos);
  EXPECT_THAT(e.request_object, ::testing::HasSubstr("\"privileged\":true"));
}

TEST(EventReaderTest, UnescapesStrings) {
  std::string ev = absl::StrReplaceAll(
      ExecEvent(), {{"command=bash\\u0026container", "command=bash\\u0026container"},
                    {"command=bash&container", "command=bash\\u0026container"}});
  CollectingHandler h = ParseString(ev);
  ASSERT_EQ(h.events.size(), 1u);
  EXPECT_THAT(h.events[0].request_uri, ::testing::HasSubstr("command=bash&container"));
}

TEST(EventReaderTest, ReadsV1beta1WithImpersonationAndLegacyTimestamp) {
  std::string log = ReadFile(SourcePath("tests/data/public/audit2rbac_demo_v1beta1_2017.log"));
  CollectingHandler h = ParseString(log);
  EXPECT_EQ(h.events.size(), 757u);
  EXPECT_TRUE(h.invalid.empty());
  int impersonated = 0;
  for (const auto& e : h.events) {
    EXPECT_GT(e.stage_timestamp, *ParseRfc3339("2017-09-01T00:00:00Z"));
    if (!e.impersonated_user.empty()) ++impersonated;
  }
  EXPECT_EQ(impersonated, 37);
}

TEST(EventReaderTest, JsonLinesEventListArrayPrettyAndGzipYieldTheSameEvents) {
  std::vector<std::string> events = RealEvents();
  ASSERT_EQ(events.size(), 37u);
  std::string jsonl = absl::StrJoin(events, "\n") + "\n";
  std::string list =
      absl::StrCat(R"({"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[)",
                   absl::StrJoin(events, ","), "]}");
  std::string array = absl::StrCat("[\n", absl::StrJoin(events, ",\n"), "\n]\n");
  std::string pretty = absl::StrCat("{\n  \"kind\": \"EventList\",\n  \"items\": [\n    ",
                                    absl::StrJoin(events, ",\n    "), "\n  ]\n}\n");
  // Two EventLists on two lines (as a spool of webhook bodies would hold).
  std::string list_lines = absl::StrCat(list, "\n", list, "\n");

  auto expected = Ids(ParseString(jsonl));
  ASSERT_EQ(expected.size(), 37u);
  EXPECT_EQ(Ids(ParseString(list)), expected);
  EXPECT_EQ(Ids(ParseString(array)), expected);
  EXPECT_EQ(Ids(ParseString(pretty)), expected);
  auto twice = Ids(ParseString(list_lines));
  EXPECT_EQ(twice.size(), 74u);

  // gzip, through a real file.
  std::string dir = testing::TempDir();
  testing::WriteFile(dir + "/a.log.gz", testing::GzipCompress(jsonl));
  auto src = OpenByteSource(dir + "/a.log.gz");
  ASSERT_TRUE(src.ok());
  EXPECT_TRUE((*src)->compressed());
  CollectingHandler h;
  EventReader reader;
  ASSERT_TRUE(reader.Read(**src, h).ok());
  EXPECT_EQ(Ids(h), expected);
}

TEST(EventReaderTest, BadLinesAreCountedWithLocationAndNeverStopTheRead) {
  std::vector<std::string> good = RealEvents();
  std::string bad_utf8 = good[3];
  bad_utf8[bad_utf8.find("system:admin")] = '\xff';
  std::vector<std::string> lines = {
      good[0],
      R"({"kind":"Event","auditID":"x","stage":"Resp)",  // truncated (2)
      good[1],
      "this is not json",  // (4)
      good[2],
      "42",                                   // (6)
      R"({"kind":"Pod","apiVersion":"v1"})",  // (7)
      bad_utf8,                               // (8)
      "",                                     // blank line (9)
      absl::StrReplaceAll(good[4], {{R"("username":"system:admin")", R"("username":42)"}}),  // (10)
      R"({"kind":"Event","apiVersion":"audit.k8s.io/v2","auditID":"a","stage":"ResponseComplete","verb":"get","stageTimestamp":"2020-01-01T00:00:00Z"})",  // (11)
      R"({"kind":"Event","auditID":"a","stage":"ResponseComplete","verb":"get","stageTimestamp":"yesterday"})",  // (12)
      R"({"kind":"Event","stage":"ResponseComplete","verb":"get"})",  // (13)
      good[5],
      R"({"kind":"Event","auditID":"x","stage":"ResponseComplete","verb":"get","user":{"username":"a"})",  // truncated at EOF (15)
  };
  std::string data = absl::StrJoin(lines, "\n");
  CollectingHandler h = ParseString(data);
  EXPECT_EQ(h.events.size(), 4u);  // good[0], good[1], good[2], good[5]
  ASSERT_EQ(h.invalid.size(), 10u);
  std::vector<std::pair<uint64_t, InvalidReason>> got;
  for (const auto& i : h.invalid) got.emplace_back(i.line, i.reason);
  EXPECT_THAT(got, ElementsAre(std::pair<uint64_t, InvalidReason>{2, InvalidReason::kTruncated},
                               std::pair<uint64_t, InvalidReason>{4, InvalidReason::kMalformedJson},
                               std::pair<uint64_t, InvalidReason>{6, InvalidReason::kNotAnObject},
                               std::pair<uint64_t, InvalidReason>{7, InvalidReason::kWrongKind},
                               std::pair<uint64_t, InvalidReason>{8, InvalidReason::kInvalidUtf8},
                               std::pair<uint64_t, InvalidReason>{10, InvalidReason::kBadFieldType},
                               std::pair<uint64_t, InvalidReason>{
                                   11, InvalidReason::kUnsupportedApiVersion},
                               std::pair<uint64_t, InvalidReason>{12, InvalidReason::kBadTimestamp},
                               std::pair<uint64_t, InvalidReason>{13, InvalidReason::kMissingField},
                               std::pair<uint64_t, InvalidReason>{15, InvalidReason::kTruncated}));
  EXPECT_EQ(h.invalid[5].detail, "user.username");
  EXPECT_EQ(h.invalid[3].raw, R"({"kind":"Pod","apiVersion":"v1"})");
}

TEST(EventReaderTest, FalcoNonAuditFileIsRejectedAsWrongKind) {
  CollectingHandler h =
      ParseString(ReadFile(SourcePath("tests/data/falco/k8s_audit__fal_01_003.json")));
  EXPECT_TRUE(h.events.empty());
  ASSERT_EQ(h.invalid.size(), 1u);
  EXPECT_EQ(h.invalid[0].reason, InvalidReason::kWrongKind);
  EXPECT_EQ(h.invalid[0].line, 1u);
}

TEST(EventReaderTest, SmallChunksLongLinesAndOversizeEvents) {
  std::vector<std::string> events = RealEvents();
  std::string big =
      FirstLine(SourcePath("tests/data/falco/k8s_audit__create_nginx_pod_privileged.json"));
  ASSERT_GT(big.size(), 3000u);
  std::string data;
  for (int i = 0; i < 50; ++i) {
    absl::StrAppend(&data, events[i % events.size()], "\r\n");
    if (i % 7 == 0) absl::StrAppend(&data, big, "\n\n");
  }
  ReaderOptions small;
  small.chunk_bytes = 1024;  // lines longer than the buffer grow it
  CollectingHandler a = ParseString(data, small);
  CollectingHandler b = ParseString(data);
  EXPECT_TRUE(a.invalid.empty());
  EXPECT_EQ(a.events.size(), 58u);
  EXPECT_EQ(Ids(a), Ids(b));

  ReaderOptions limited;
  limited.chunk_bytes = 1024;
  limited.max_event_bytes = 2048;  // the 3.3 KB pod events are skipped as oversize
  CollectingHandler c = ParseString(data, limited);
  EXPECT_EQ(c.events.size(), 50u);
  ASSERT_EQ(c.invalid.size(), 8u);
  for (const auto& i : c.invalid) EXPECT_EQ(i.reason, InvalidReason::kOversize);
  EXPECT_EQ(c.invalid[0].line, 2u);
  // The same limit with a large buffer (the oversize event inside one chunk).
  limited.chunk_bytes = 1 << 20;
  CollectingHandler d = ParseString(data, limited);
  EXPECT_EQ(d.events.size(), 50u);
  ASSERT_EQ(d.invalid.size(), 8u);
  // Reported alike whichever check finds them (the line does not fit the buffer, or it does
  // and the parse finds it too long).
  for (size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(d.invalid[i].line, c.invalid[i].line);
    EXPECT_EQ(d.invalid[i].detail, c.invalid[i].detail);
    EXPECT_EQ(d.invalid[i].detail, "line longer than max_event_bytes; skipped");
    EXPECT_EQ(d.invalid[i].raw, c.invalid[i].raw);
  }
}

TEST(EventReaderTest, EventListItemErrorsNameTheItem) {
  std::vector<std::string> events = RealEvents();
  std::string list = absl::StrCat(R"({"kind":"EventList","items":[)", events[0],
                                  R"(,{"kind":"Event"},7,)", events[1], "]}\n");
  CollectingHandler h = ParseString(list);
  EXPECT_EQ(h.events.size(), 2u);
  ASSERT_EQ(h.invalid.size(), 2u);
  EXPECT_EQ(h.invalid[0].item, 1);
  EXPECT_EQ(h.invalid[0].reason, InvalidReason::kMissingField);
  EXPECT_EQ(h.invalid[1].item, 2);
  EXPECT_EQ(h.invalid[1].reason, InvalidReason::kNotAnObject);
}

// Lines of every kind, with the record each must give ("event <auditID>" or "<reason>
// <detail>").
struct LineCase {
  std::string line, record;
};
std::vector<LineCase> LinesOfEveryKind(const std::vector<std::string>& events) {
  const std::string& e = events[0];
  const std::string cut = e.substr(0, e.size() / 2);  // ends inside a string
  const std::string kMore = "malformed_json more after the JSON document on its line";
  return {
      {e, "event " + RealEventId(e)},
      {cut, "truncated A string is opened, but never closed."},
      {events[1], "event " + RealEventId(events[1])},
      {absl::StrCat(e, " ", events[2]), kMore},  // two events on one line
      {absl::StrCat(e, "}"), kMore},             // a superfluous brace
      {R"({"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"x","stage":[)",
       "truncated JSON document ended early in the middle of an object or array."},
      {R"(1]})", "malformed_json Unexpected trailing content in the JSON input."},
      {absl::StrCat(e, " garbage"), kMore},
      {absl::StrCat(e, R"( "x")"), kMore},
      // More after it that is incomplete where a batch ends.
      {absl::StrCat(e, " [1,"),
       "truncated JSON document ended early in the middle of an object or array."},
      {absl::StrCat("  ", events[5], "\r"), "event " + RealEventId(events[5])},
      {R"({"kind":"EventList","items":[)" + events[6] + "]}", "event " + RealEventId(events[6])},
      {absl::StrCat(R"({"kind":"EventList","items":[)", events[7], "]} 7"), kMore},
      {"[" + events[8] + "]", "event " + RealEventId(events[8])},
      {"42", "not_an_object document is not a JSON object"},
      {events[9], "event " + RealEventId(events[9])},
  };
}

// Events, then invalid records with their lines: each line of LinesOfEveryKind holds one or
// the other.
std::vector<std::string> Records(const CollectingHandler& h) {
  std::vector<std::string> out;
  for (const auto& ev : h.events) out.push_back("event " + ev.audit_id);
  for (const auto& inv : h.invalid) {
    out.push_back(
        absl::StrCat(ToAbsl(InvalidReasonName(inv.reason)), " ", inv.detail, " @", inv.line));
  }
  return out;
}

std::vector<std::string> ReadRecords(const std::string& data, ReaderOptions o) {
  EventReader reader(o);
  CollectingHandler h;
  auto src = MemoryByteSource("test", data);
  EXPECT_TRUE(reader.Read(*src, h).ok());
  return Records(h);
}

// Each line of JSON lines is one record, whatever surrounds it: a line cut off is not glued to
// the next one, and more after a whole document on its line makes the line malformed. So a
// line's record is the same amid any other lines, in batches of lines, across buffer ends and
// in a parallel read's chunks.
TEST(EventReaderTest, EachLineIsOneRecordWhateverSurroundsIt) {
  std::vector<std::string> events = RealEvents();
  std::vector<LineCase> cases = LinesOfEveryKind(events);
  std::vector<std::string> want_events, want_invalid;
  std::string data;
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto& [line, record] = cases[i];
    absl::StrAppend(&data, line, "\n");
    if (absl::StartsWith(record, "event ")) {
      want_events.push_back(record);
    } else {
      want_invalid.push_back(absl::StrCat(record, " @", i + 1));
    }
    // Between two good events, the same record, and the events around it kept.
    CollectingHandler amid =
        ParseString(absl::StrCat(events[3], "\n", line, "\n", events[4], "\n"));
    std::vector<std::string> want = {"event " + RealEventId(events[3])};
    if (absl::StartsWith(record, "event ")) want.push_back(record);
    want.push_back("event " + RealEventId(events[4]));
    if (!absl::StartsWith(record, "event ")) want.push_back(absl::StrCat(record, " @2"));
    EXPECT_EQ(Records(amid), want) << "line " << i + 1;
    // And as the last line.
    CollectingHandler last = ParseString(absl::StrCat(events[3], "\n", line, "\n"));
    want.erase(want.begin() + (absl::StartsWith(record, "event ") ? 2 : 1));
    EXPECT_EQ(Records(last), want) << "last line " << i + 1;
  }
  for (size_t chunk : {size_t{1} << 20, size_t{4096}}) {
    for (int threads : {1, 2}) {
      ReaderOptions o;
      o.chunk_bytes = chunk;
      o.threads = threads;
      o.max_chunks_in_flight = 2;
      EventReader reader(o);
      CollectingHandler h;
      auto src = MemoryByteSource("test", data);
      ASSERT_TRUE(reader.Read(*src, h).ok());
      std::vector<std::string> got = Records(h);
      std::vector<std::string> want = want_events;
      want.insert(want.end(), want_invalid.begin(), want_invalid.end());
      EXPECT_EQ(got, want) << chunk << " " << threads;
      // Documents: every line but the one whose string never closes (no document starts).
      EXPECT_EQ(reader.stats().documents, cases.size() - 1) << chunk << " " << threads;
    }
  }
}

// The same over several megabytes, so that iterate_many's 1 MiB batches (several to a 4 MiB
// buffer) end next to lines of every kind, compared with a parallel read, the default buffer
// and small buffers.
TEST(EventReaderTest, EachLineIsOneRecordAcrossBatchEnds) {
  std::vector<std::string> events = RealEvents();
  std::vector<std::string> ids;
  for (const std::string& ev : events) ids.push_back("event " + RealEventId(ev));
  std::vector<LineCase> cases = LinesOfEveryKind(events);
  std::string data;
  std::vector<std::string> want, want_invalid;
  uint64_t line = 0;
  for (size_t i = 0; data.size() < (3 << 20) + 12345; ++i) {
    for (size_t k = 0; k <= i % 4; ++k) {  // runs of good events of varying length
      const size_t j = (i + k) % events.size();
      absl::StrAppend(&data, events[j], "\n");
      want.push_back(ids[j]);
      ++line;
    }
    const LineCase& c = cases[i % cases.size()];
    absl::StrAppend(&data, c.line, "\n");
    ++line;
    if (absl::StartsWith(c.record, "event ")) {
      want.push_back(c.record);
    } else {
      want_invalid.push_back(absl::StrCat(c.record, " @", line));
    }
  }
  want.insert(want.end(), want_invalid.begin(), want_invalid.end());
  ReaderOptions o;
  o.chunk_bytes = 4 << 20;
  EXPECT_EQ(ReadRecords(data, o), want);
  o.threads = 2;
  EXPECT_EQ(ReadRecords(data, o), want);
  o.threads = 1;
  o.chunk_bytes = ReaderOptions().chunk_bytes;
  EXPECT_EQ(ReadRecords(data, o), want);
  o.chunk_bytes = 64 << 10;
  EXPECT_EQ(ReadRecords(data, o), want);
}

// Reads `data` with a small reader (1 KiB buffer) and a default one: `n` events and nothing
// invalid either way.
void ExpectEventsWithSmallAndDefaultBuffers(const std::string& data, size_t n) {
  ReaderOptions small;
  small.chunk_bytes = 1024;
  for (const ReaderOptions& o : {small, ReaderOptions()}) {
    EventReader reader(o);
    CollectingHandler h;
    auto src = MemoryByteSource("test", data);
    ASSERT_TRUE(reader.Read(*src, h).ok());
    EXPECT_EQ(h.events.size(), n) << "buffer " << o.chunk_bytes;
    EXPECT_TRUE(h.invalid.empty()) << "buffer " << o.chunk_bytes;
  }
}

// Multi-line or JSON lines is told from the whole first line and what follows it, however
// little the first read holds.
TEST(EventReaderTest, TheFormatIsToldFromTheWholeFirstLine) {
  std::vector<std::string> events = RealEvents();
  // A pretty-printed EventList whose first line is longer than a small reader's first buffer
  // (4 KiB), and which is longer than the buffer that first line grows it to.
  std::string pretty = absl::StrCat(
      R"({"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{"annotations":{"a":")",
      std::string(4500, 'x'), "\"}},\n", R"(  "items": [)", "\n");
  for (size_t i = 0; i < 20; ++i)
    absl::StrAppend(&pretty, "    ", events[i], i < 19 ? "," : "", "\n");
  absl::StrAppend(&pretty, "  ]\n}\n");
  ExpectEventsWithSmallAndDefaultBuffers(pretty, 20);
}

// An EventList written one item per line (its first line opens the items array, each item
// line starts with '{') is read as the one document it is, with one item or many; a JSON-lines
// input whose first line was cut off (after a '[' too) is still JSON lines.
TEST(EventReaderTest, AnEventListWithOneItemPerLineIsOneDocument) {
  std::vector<std::string> events = RealEvents();
  for (size_t n : {1u, 3u, 20u}) {
    std::string list = R"({"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[)"
                       "\n";
    for (size_t i = 0; i < n; ++i) absl::StrAppend(&list, events[i], i + 1 < n ? "," : "", "\n");
    absl::StrAppend(&list, "]}\n");
    SCOPED_TRACE(absl::StrCat(n, " items"));
    ExpectEventsWithSmallAndDefaultBuffers(list, n);
  }
  std::string lines = R"({"kind":"Event","auditID":"cut","user":{"groups":[)"
                      "\n";
  for (size_t i = 0; i < 5; ++i) absl::StrAppend(&lines, events[i], "\n");
  CollectingHandler h = ParseString(lines);
  EXPECT_EQ(h.events.size(), 5u);
  EXPECT_EQ(h.invalid.size(), 1u);
}

// Groups and source IPs beyond max_list_items are dropped and counted.
TEST(EventReaderTest, ListsAreCutToMaxListItemsAndTheRestCounted) {
  std::string e = ExecEvent();
  e = absl::StrReplaceAll(e, {{R"("groups":[)", R"("groups":["g1","g2","g3",)"}});
  ReaderOptions o;
  o.max_list_items = 2;
  EventReader reader(o);
  CollectingHandler h;
  reader.ParseBuffer(absl::StrCat(e, "\n", R"({"kind":"EventList","items":[)", e, "]}\n"), "t", h);
  ASSERT_EQ(h.events.size(), 2u);
  CollectingHandler full = ParseString(e);
  ASSERT_EQ(full.events.size(), 1u);
  const size_t groups = full.events[0].groups.size(), ips = full.events[0].source_ips.size();
  ASSERT_GE(groups, 3u);
  ASSERT_GE(ips, 1u);
  for (const auto& ev : h.events) {
    EXPECT_EQ(ev.groups, std::vector<std::string>(full.events[0].groups.begin(),
                                                  full.events[0].groups.begin() + 2));
    EXPECT_EQ(ev.source_ips.size(), std::min<size_t>(ips, 2));
  }
  const uint64_t per_event = (groups - 2) + (ips > 2 ? ips - 2 : 0);
  EXPECT_EQ(reader.stats().list_items_truncated, 2 * per_event);
}

TEST(EventReaderTest, DeepNestingIsSkippedOrRejectedNeverFatal) {
  std::vector<std::string> events = RealEvents();
  std::string nest = std::string(100000, '[') + std::string(100000, ']');
  // Deep nesting in a field kaudit does not read is skipped; the event is kept.
  std::string deep_unknown = events[2];
  deep_unknown.insert(1, "\"x\":" + nest + ",");
  // Where a string belongs it is a bad field; at the root it is not an event.
  std::string deep_user =
      absl::StrReplaceAll(events[3], {{"\"username\":\"system:admin\"", "\"username\":" + nest}});
  CollectingHandler h = ParseString(absl::StrCat(events[0], "\n", deep_unknown, "\n", deep_user,
                                                 "\n", nest, "\n", events[1], "\n"));
  EXPECT_EQ(h.events.size(), 3u);
  ASSERT_EQ(h.invalid.size(), 2u);
  EXPECT_EQ(h.invalid[0].line, 3u);
  EXPECT_EQ(h.invalid[0].reason, InvalidReason::kBadFieldType);
  EXPECT_EQ(h.invalid[1].line, 4u);
  EXPECT_EQ(h.invalid[1].reason, InvalidReason::kNotAnObject);
}

TEST(EventReaderTest, ByteOrderMarkAndEmptyInput) {
  EXPECT_TRUE(ParseString("").events.empty());
  EXPECT_TRUE(ParseString("\n\n  \n").invalid.empty());
  CollectingHandler h = ParseString(absl::StrCat("\xEF\xBB\xBF", ExecEvent(), "\n"));
  EXPECT_EQ(h.events.size(), 1u);
  EXPECT_TRUE(h.invalid.empty());
}

TEST(EventReaderTest, MissingFileIsAnErrorNamingThePath) {
  auto src = OpenByteSource("/nonexistent/audit.log");
  ASSERT_FALSE(src.ok());
  EXPECT_THAT(std::string(src.status().message()), ::testing::HasSubstr("/nonexistent/audit.log"));
}

TEST(EventReaderTest, CorruptGzipIsAnErrorAfterTheGoodEvents) {
  std::vector<std::string> events = RealEvents();
  std::string gz = testing::GzipCompress(absl::StrJoin(events, "\n") + "\n");
  gz.resize(gz.size() / 2);  // cut in the middle
  std::string dir = testing::TempDir();
  testing::WriteFile(dir + "/cut.gz", gz);
  auto src = OpenByteSource(dir + "/cut.gz");
  ASSERT_TRUE(src.ok());
  CollectingHandler h;
  EventReader reader;
  absl::Status s = reader.Read(**src, h);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("cut.gz"));
}

// Reads `path` with `threads` and 16 KiB chunks (so that many are in flight) into a Handler.
template <typename Handler>
Handler ReadWithThreads(const std::string& path, int threads,
                        size_t max_event_bytes = ReaderOptions().max_event_bytes) {
  ReaderOptions o;
  o.threads = threads;
  o.chunk_bytes = 16 << 10;
  o.max_event_bytes = max_event_bytes;
  EventReader reader(o);
  Handler h;
  auto src = OpenByteSource(path);
  EXPECT_TRUE(src.ok());
  EXPECT_TRUE(reader.Read(**src, h).ok());
  return h;
}

// The parallel read (threads > 1) hands the handler the same events, in the same order, with
// the same invalid records and locations as one thread: real events, small chunks so that
// many are in flight, bad and oversize lines between them. (Also run under TSan.)
TEST(ParallelEventReaderTest, ThreadsGiveTheSameEventsInOrderAsOne) {
  std::string jsonl;
  int n = 0;
  for (const char* f :
       {"tests/data/public/audit2rbac_demo_v1beta1_2017.log",
        "tests/data/public/audit2rbac_demo_v1_2022.log", "tests/data/scenario/attack.jsonl"}) {
    for (absl::string_view line : absl::StrSplit(ReadFile(SourcePath(f)), '\n')) {
      if (line.empty()) continue;
      absl::StrAppend(&jsonl, line, "\n");
      if (++n % 97 == 0) absl::StrAppend(&jsonl, "{\"kind\":\"Event\",\n");  // malformed
      if (n % 211 == 0) absl::StrAppend(&jsonl, "{\"pad\":\"", std::string(5000, 'x'), "\"}\n");
    }
  }
  ASSERT_GT(n, 1500);
  std::string dir = testing::TempDir();
  testing::WriteFile(dir + "/in.log", jsonl);
  constexpr size_t kMaxEventBytes = 4096;  // the padded lines are oversize
  auto read = [&](int threads) {
    return ReadWithThreads<CollectingHandler>(dir + "/in.log", threads, kMaxEventBytes);
  };
  CollectingHandler one = read(1);
  ASSERT_GT(one.events.size(), 1500u);
  ASSERT_FALSE(one.invalid.empty());
  for (int threads : {2, 3, 4}) {
    CollectingHandler many = read(threads);
    ASSERT_EQ(many.events.size(), one.events.size()) << threads;
    for (size_t i = 0; i < one.events.size(); ++i) {
      ASSERT_EQ(many.events[i].audit_id, one.events[i].audit_id) << i;
      ASSERT_EQ(many.events[i].username, one.events[i].username) << i;
      ASSERT_EQ(many.events[i].request_object, one.events[i].request_object) << i;
    }
    ASSERT_EQ(many.invalid.size(), one.invalid.size()) << threads;
    for (size_t i = 0; i < one.invalid.size(); ++i) {
      EXPECT_EQ(many.invalid[i].reason, one.invalid[i].reason) << i;
      EXPECT_EQ(many.invalid[i].line, one.invalid[i].line) << i;
    }
  }
}

// What the detectors read of an event's pod objects, as text.
std::string PodObjectsDigest(const AuditEvent& e) {
  std::ostringstream out;
  auto join = [](const std::vector<std::string_view>& v) {
    std::string s;
    for (std::string_view x : v) (s += x) += ",";
    return s;
  };
  auto spec = [&](const char* side, const PodSpecView* s) {
    if (s == nullptr) return;
    out << side << " " << s->object_kind << " " << s->object_name
        << " sa=" << s->service_account_name << " hostNetwork=" << s->host_network
        << " hostPID=" << s->host_pid;
    for (const ContainerView& c : s->containers) {
      out << " c=" << c.name << ":" << c.image << ":"
          << c.security_context.privileged.value_or(false) << ":"
          << join(c.security_context.capabilities_add);
    }
    for (const VolumeView& v : s->volumes) out << " v=" << v.type << ":" << v.host_path;
    out << ";";
  };
  auto status = [&](const char* side, const PodStatusView* s) {
    if (s == nullptr) return;
    out << side << " " << s->name << " " << s->uid << " " << s->node_name << " " << s->host_ip
        << " " << join(s->pod_ips) << ";";
  };
  spec("reqspec", e.RequestPodSpec());
  spec("respspec", e.ResponsePodSpec());
  status("reqstatus", e.RequestPodStatus());
  status("respstatus", e.ResponsePodStatus());
  return out.str();
}

class PodDigestHandler final : public EventHandler {
 public:
  void OnEvent(AuditEvent& e) override { digests.push_back(PodObjectsDigest(e)); }
  void OnInvalid(InvalidReason, const Location&, std::string_view, std::string_view) override {}
  std::vector<std::string> digests;
};

// The parallel read parses pod objects on its parse threads (PodObjectsWanted); the detectors
// must see exactly what the lazy parse on the calling thread gives: specs of pods and
// workloads, pod addresses, in real events (Falco's corpus, the scenario's pods).
TEST(ParallelEventReaderTest, PodObjectsParsedOnParseThreadsAreThoseOfTheLazyParse) {
  std::string jsonl;
  for (const auto& entry : std::filesystem::directory_iterator(SourcePath("tests/data/falco"))) {
    if (entry.path().extension() != ".json") continue;
    for (absl::string_view line : absl::StrSplit(ReadFile(entry.path().string()), '\n')) {
      if (!line.empty()) absl::StrAppend(&jsonl, line, "\n");
    }
  }
  // Strings with escapes are unescaped into the parser's buffer, which the next document
  // reuses: pods whose image and container name carry escapes, one after another, with their
  // fields in kube-apiserver's order (objectRef, verb and stage before the objects: read in the
  // event's pass; Falco's files with sorted keys are read on first use).
  const std::string pod =
      ReadFile(SourcePath("tests/data/falco/k8s_audit__create_nginx_pod_privileged.json"));
  for (int i = 0; i < 40; ++i) {
    std::string line = absl::StrReplaceAll(
        pod, {{"\"image\":\"nginx\"", absl::StrCat("\"image\":\"ngin\\u0078:", i, "\"")},
              {"\"name\":\"nginx\"", absl::StrCat("\"name\":\"n\\u0067inx", i, "\"")}});
    ASSERT_NE(line, pod);
    absl::StrAppend(&jsonl, absl::StripTrailingAsciiWhitespace(line), "\n");
  }
  absl::StrAppend(&jsonl, ReadFile(SourcePath("tests/data/scenario/attack.jsonl")));
  std::string dir = testing::TempDir();
  testing::WriteFile(dir + "/pods.log", jsonl);
  auto read = [&](int threads) {
    return ReadWithThreads<PodDigestHandler>(dir + "/pods.log", threads).digests;
  };
  const std::vector<std::string> one = read(1);
  int specs = 0, statuses = 0;
  for (const std::string& d : one) {
    specs += absl::StrContains(d, "spec ");
    statuses += absl::StrContains(d, "status ");
  }
  EXPECT_GT(specs, 20);
  EXPECT_GT(statuses, 0);
  EXPECT_TRUE(absl::c_any_of(
      one, [](const std::string& d) { return absl::StrContains(d, "c=nginx39:nginx:39"); }));
  for (int threads : {2, 3}) {
    const std::vector<std::string> many = read(threads);
    ASSERT_EQ(many.size(), one.size()) << threads;
    for (size_t i = 0; i < one.size(); ++i) EXPECT_EQ(many[i], one[i]) << threads << " event " << i;
  }
}

}  // namespace
}  // namespace kaudit
