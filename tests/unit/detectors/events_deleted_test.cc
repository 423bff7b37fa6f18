#include <gtest/gtest.h>

#include "tests/support/detector_harness.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using testing::RunDetectorOnFile;
using testing::SourcePath;

constexpr char kId[] = "events_deleted";

TEST(EventsDeletedTest, DeleteCollectionNamesTheNamespace) {
  auto r = RunDetectorOnFile(
      kId,
      SourcePath(
          "tests/data/detectors/events_deleted/fires/constructed_deletecollection_events.json"));
  ASSERT_EQ(r.alerts.size(), 1u);
  EXPECT_EQ(r.alerts[0].severity, Severity::kMedium);
  EXPECT_NE(r.alerts[0].message.find("all events in namespace default"), std::string::npos)
      << r.alerts[0].message;
}

}  // namespace
}  // namespace kaudit
