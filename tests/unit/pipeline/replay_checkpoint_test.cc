#include "src/pipeline/replay_checkpoint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using ::testing::HasSubstr;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

void Append(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::app | std::ios::binary) << data;
}

TEST(ReplayCheckpointFormatTest, WhatIsWrittenIsReadBack) {
  const std::string dir = TempDir();
  WriteFile(dir + "/a log.jsonl", "{\"x\":1}\n");
  auto in = IdentifyInput(dir + "/a log.jsonl");
  ASSERT_TRUE(in.ok()) << in.status();
  ReplayCheckpoint cp;
  cp.inputs = {*in, *in};
  cp.file = 1;
  cp.offset = 12345;
  cp.output = dir + "/alerts file.jsonl";
  cp.output_bytes = 678;
  cp.counters = {{"events", 10}, {"detector.first_seen.alerts.high", 2}};
  // State is length-prefixed: newlines, tabs and a line that looks like a key are data.
  cp.state = {{"first_seen", "kaudit-state\t1\tfirst_seen\t1\ni\tu\t1\nend 3\ncounter x 1\n"},
              {"role_diff", ""}};
  const std::string path = dir + "/cp";
  ASSERT_TRUE(WriteReplayCheckpoint(path, cp).ok());
  auto got = ReadReplayCheckpoint(path);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  const ReplayCheckpoint& r = **got;
  ASSERT_EQ(r.inputs.size(), 2u);
  EXPECT_EQ(r.inputs[1].path, dir + "/a log.jsonl");
  EXPECT_EQ(r.inputs[1].size, 8u);
  EXPECT_EQ(r.inputs[1].id.fp_crc, in->id.fp_crc);
  EXPECT_EQ(r.inputs[1].id.ino, in->id.ino);
  EXPECT_EQ(r.file, 1u);
  EXPECT_EQ(r.offset, 12345u);
  EXPECT_EQ(r.output, cp.output);
  EXPECT_EQ(r.output_bytes, 678u);
  EXPECT_EQ(r.counters, cp.counters);
  EXPECT_EQ(r.state, cp.state);
}

TEST(ReplayCheckpointFormatTest, NoFileIsNoCheckpointAndADamagedOneIsAnError) {
  const std::string dir = TempDir();
  auto none = ReadReplayCheckpoint(dir + "/missing");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  ReplayCheckpoint cp;
  cp.inputs.resize(1);
  cp.inputs[0].path = dir + "/x";
  cp.state = {{"first_seen", "0123456789"}};
  ASSERT_TRUE(WriteReplayCheckpoint(dir + "/cp", cp).ok());
  const std::string text = ReadFile(dir + "/cp");
  // Cut anywhere before its end line, it does not read as a checkpoint.
  for (size_t cut : {text.size() - 4, text.size() / 2, size_t{30}}) {
    WriteFile(dir + "/cut", text.substr(0, cut));
    auto r = ReadReplayCheckpoint(dir + "/cut");
    EXPECT_FALSE(r.ok()) << cut;
  }
  WriteFile(dir + "/other", "kaudit-tail-checkpoint 1\n");
  auto r = ReadReplayCheckpoint(dir + "/other");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("not a kaudit replay checkpoint"));
}

TEST(ReplayCheckpointFormatTest, InputsAreTheSameWhenTheyStartAlikeAndDidNotShrink) {
  const std::string dir = TempDir();
  const std::string a = dir + "/audit.log", b = dir + "/audit.log.1";
  WriteFile(a, std::string(3000, 'a') + "\n");
  WriteFile(b, "{\"short\":1}\n");  // shorter than a fingerprint
  ReplayCheckpoint cp;
  cp.inputs = {*IdentifyInput(b), *IdentifyInput(a)};
  EXPECT_TRUE(CheckSameInputs(cp, {*IdentifyInput(b), *IdentifyInput(a)}, "cp").ok());

  // Both grew (an active log being written): still the same files.
  Append(a, "more\n");
  Append(b, "{\"more\":2}\n");
  EXPECT_TRUE(CheckSameInputs(cp, {*IdentifyInput(b), *IdentifyInput(a)}, "cp").ok());

  // Another order.
  absl::Status s = CheckSameInputs(cp, {*IdentifyInput(a), *IdentifyInput(b)}, "cp");
  EXPECT_THAT(s.message(), HasSubstr("input " + a + " is not the checkpoint's input 1 (" + b));

  // Shrunk, or rewritten with other first bytes.
  WriteFile(a, std::string(100, 'a') + "\n");
  s = CheckSameInputs(cp, {*IdentifyInput(b), *IdentifyInput(a)}, "cp");
  EXPECT_THAT(s.message(), HasSubstr("input " + a + " is shorter than at the checkpoint"));
  WriteFile(a, std::string(3000, 'b') + "\n");
  s = CheckSameInputs(cp, {*IdentifyInput(b), *IdentifyInput(a)}, "cp");
  EXPECT_THAT(s.message(), HasSubstr("input " + a + " does not start as it did"));
  WriteFile(b, "{\"other\":1}\n{\"more\":2}\n");
  s = CheckSameInputs(cp, {*IdentifyInput(b)}, "cp");
  EXPECT_THAT(s.message(), HasSubstr("input " + b + " does not start as it did"));
}

TEST(ReplayCheckpointFormatTest, CountersOfAnEarlierRunAreAdded) {
  RunSummary before;
  before.inputs = 2;
  before.reader.events = 100;
  before.reader.invalid[static_cast<int>(InvalidReason::kOversize)] = 3;
  before.alerts_emitted = 7;
  before.checkpoint_writes = 4;
  before.seconds = 1.5;
  before.last_event_time = absl::FromUnixSeconds(2000);
  DetectorSummary d;
  d.id = "first_seen";
  d.events = 50;
  d.alerts[static_cast<int>(Severity::kHigh)] = 5;
  d.state_entries = 9;  // a gauge: not carried
  before.detectors.push_back(d);
  SinkStats k;
  k.name = "output";
  k.accepted = k.sent = 7;
  before.sinks.push_back(k);

  RunSummary now = before;
  now.last_event_time = absl::FromUnixSeconds(1000);
  AddSummaryCounters(SummaryCounters(before), now);
  EXPECT_EQ(now.inputs, 4u);
  EXPECT_EQ(now.reader.events, 200u);
  EXPECT_EQ(now.reader.invalid[static_cast<int>(InvalidReason::kOversize)], 6u);
  EXPECT_EQ(now.alerts_emitted, 14u);
  EXPECT_EQ(now.checkpoint_writes, 8u);
  EXPECT_DOUBLE_EQ(now.seconds, 3.0);
  EXPECT_EQ(now.last_event_time, absl::FromUnixSeconds(2000));
  EXPECT_EQ(now.detectors[0].events, 100u);
  EXPECT_EQ(now.detectors[0].alerts[static_cast<int>(Severity::kHigh)], 10u);
  EXPECT_EQ(now.detectors[0].state_entries, 9u);
  EXPECT_EQ(now.sinks[0].accepted, 14u);
  EXPECT_EQ(now.sinks[0].sent, 14u);
}

}  // namespace
}  // namespace kaudit
