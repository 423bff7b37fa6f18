#include "src/sinks/alert_format.h"

#include <gtest/gtest.h>

#include <string>

namespace kaudit {
namespace {

Alert SampleAlert() {
  Alert a;
  a.detector_id = "pod_exec_attach";
  a.title = "Exec or attach into a pod";
  a.severity = Severity::kHigh;
  a.event_time = absl::FromUnixMicros(1717243200123456);  // 2024-06-01T12:00:00.123456Z
  a.user = "alice";
  a.verb = "create";
  a.resource = "pods";
  a.subresource = "exec";
  a.message = "alice exec'd into default/web";
  return a;
}

std::string Format(const Alert& a, AlertFormat f) {
  FormatOptions opts;
  opts.cluster = "prod";
  opts.hostname = "node-1";
  std::string out;
  AppendAlert(a, f, opts, out);
  return out;
}

// The detection time (when kaudit raised the alert) rides beside the event time in every
// machine format: native JSON (and the HEC envelope's event), Falco's output_fields, and ECS's
// event.created (@timestamp stays the event's time).
TEST(AlertFormatTest, CarriesDetectionTimeBesideEventTime) {
  Alert a = SampleAlert();
  for (AlertFormat f :
       {AlertFormat::kJson, AlertFormat::kFalco, AlertFormat::kEcs, AlertFormat::kHec}) {
    EXPECT_EQ(Format(a, f).find("2024-06-01T12:05"), std::string::npos)
        << "no detection time before the engine stamps it: " << Format(a, f);
  }
  a.detection_time = absl::FromUnixMicros(1717243500654321);  // 12:05:00.654321Z
  EXPECT_NE(
      Format(a, AlertFormat::kJson)
          .find(
              R"("time":"2024-06-01T12:00:00.123456Z","detection_time":"2024-06-01T12:05:00.654321Z")"),
      std::string::npos)
      << Format(a, AlertFormat::kJson);
  EXPECT_NE(Format(a, AlertFormat::kHec).find(R"("detection_time":"2024-06-01T12:05:00.654321Z")"),
            std::string::npos);
  EXPECT_NE(Format(a, AlertFormat::kFalco)
                .find(R"("kaudit.detection_time":"2024-06-01T12:05:00.654321000Z")"),
            std::string::npos)
      << Format(a, AlertFormat::kFalco);
  const std::string ecs = Format(a, AlertFormat::kEcs);
  EXPECT_NE(ecs.find(R"("@timestamp":"2024-06-01T12:00:00.123456Z")"), std::string::npos) << ecs;
  EXPECT_NE(ecs.find(R"("created":"2024-06-01T12:05:00.654321Z")"), std::string::npos) << ecs;
}

TEST(AlertFormatTest, FalcoPriorities) {
  EXPECT_EQ(FalcoPriority(Severity::kCritical), "Critical");
  EXPECT_EQ(FalcoPriority(Severity::kMedium), "Warning");
  EXPECT_EQ(ParseAlertFormat("ecs"), AlertFormat::kEcs);
  EXPECT_FALSE(ParseAlertFormat("xml").has_value());
}

}  // namespace
}  // namespace kaudit
