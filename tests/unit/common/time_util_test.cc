#include "src/common/time_util.h"

#include <gtest/gtest.h>

#include "src/common/json_writer.h"

namespace kaudit {
namespace {

TEST(TimeUtilTest, ParsesKubernetesTimestamps) {
  auto t = ParseRfc3339("2018-10-26T13:38:34.902914Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(absl::ToUnixMicros(*t), 1540561114902914);
  EXPECT_EQ(ParseRfc3339("2018-10-26T13:38:34Z"), absl::FromUnixSeconds(1540561114));
  EXPECT_EQ(ParseRfc3339("2018-10-26T15:38:34+02:00"), absl::FromUnixSeconds(1540561114));
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00.000000001Z"), absl::FromUnixNanos(1));
  EXPECT_EQ(ParseRfc3339("2100-01-01T00:00:00Z"), absl::FromUnixSeconds(4102444800));
  EXPECT_FALSE(ParseRfc3339("2018-10-26 13:38").has_value());
  EXPECT_FALSE(ParseRfc3339("2018-13-26T13:38:34Z").has_value());
  EXPECT_FALSE(ParseRfc3339("2018-10-26T13:38:34").has_value());
  EXPECT_FALSE(ParseRfc3339("yesterday").has_value());
  EXPECT_EQ(FormatRfc3339Micros(*t), "2018-10-26T13:38:34.902914Z");
}

TEST(TimeUtilTest, TheCachingParserAgreesWithParseRfc3339) {
  // Repeats of one second with other fractions and zones, a malformed tail after a cached
  // second, a malformed date and time between two good ones, and the shortest forms.
  const char* inputs[] = {
      "2018-10-26T13:38:34.902914Z",
      "2018-10-26T13:38:34.1Z",
      "2018-10-26T13:38:34Z",
      "2018-10-26T13:38:34+02:00",
      "2018-10-26T13:38:34-01:30",
      "2018-10-26T13:38:34.Z",
      "2018-10-26T13:38:34.5",
      "2018-10-26T13:38:34.5Zjunk",
      "2018-10-26T13:38:35.000001Z",
      "2018-13-26T13:38:35.000001Z",
      "2018-10-26T13:38:35.000002Z",
      "2018-10-26T13:38:3x.000002Z",
      "2018-10-26T13:38:35",
      "2018-10-26T13:38:35z",
      "1970-01-01T00:00:00.000000001Z",
      "2100-01-01T00:00:00Z",
      "2018-10-26 13:38:35.7Z",
      "",
  };
  Rfc3339Parser p;
  for (const char* in : inputs) {
    SCOPED_TRACE(in);
    EXPECT_EQ(p.Parse(in), ParseRfc3339(in));
  }
  EXPECT_EQ(p.Parse("2018-10-26T13:38:34.25+02:00"),
            absl::FromUnixSeconds(1540561114 - 7200) + absl::Milliseconds(250));
}

TEST(TimeUtilTest, ParsesDurationsAndTimeBounds) {
  EXPECT_EQ(*ParseDurationString("90s"), absl::Seconds(90));
  EXPECT_EQ(*ParseDurationString("7d"), absl::Hours(168));
  EXPECT_EQ(*ParseDurationString("1d2h"), absl::Hours(26));
  EXPECT_FALSE(ParseDurationString("soon").ok());
  absl::Time now = absl::FromUnixSeconds(1000000);
  EXPECT_EQ(*ParseTimeBound("2h", now), now - absl::Hours(2));
  EXPECT_EQ(*ParseTimeBound("2018-10-26", now), absl::FromUnixSeconds(1540512000));
  EXPECT_FALSE(ParseTimeBound("last tuesday", now).ok());
}

TEST(JsonWriterTest, EscapesAndReplacesInvalidUtf8) {
  std::string out;
  AppendJsonString(out, "a\"b\\c\n\x01 \xc3\xa9 \xff");
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\u0001 \xc3\xa9 \xef\xbf\xbd\"");
  std::string obj;
  JsonWriter w(obj);
  w.BeginObject()
      .Field("k", "v")
      .Key("n")
      .Int(3)
      .Key("l")
      .BeginArray()
      .String("x")
      .Bool(true)
      .EndArray()
      .EndObject();
  EXPECT_EQ(obj, R"({"k":"v","n":3,"l":["x",true]})");
}

}  // namespace
}  // namespace kaudit
