#include "src/pipeline/file_order.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <utime.h>

#include "tests/support/test_util.h"

namespace kaudit {
namespace {

void Touch(const std::string& path, int64_t mtime) {
  testing::WriteFile(path, "");
  struct utimbuf t {
    static_cast<time_t>(mtime), static_cast<time_t>(mtime)
  };
  utime(path.c_str(), &t);
}

std::vector<std::string> Names(const std::vector<InputFile>& files, const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& f : files) out.push_back(f.path.substr(dir.size() + 1));
  return out;
}

TEST(FileOrderTest, RotatedLumberjackFilesComeOldestFirstAndTheActiveLogLast) {
  std::string dir = testing::TempDir();
  // mtimes deliberately scrambled (copied files): the names decide.
  Touch(dir + "/audit.log", 3000000000);
  Touch(dir + "/audit-2026-01-02T03-04-05.678.log.gz", 100);
  Touch(dir + "/audit-2026-01-01T00-00-00.000.log", 200);
  Touch(dir + "/audit-2026-01-03T00-00-00.000.log.gz", 50);
  Touch(dir + "/README", 1);
  auto files = ExpandInputs({dir}, testing::TestContext());
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_EQ(Names(*files, dir),
            (std::vector<std::string>{"audit-2026-01-01T00-00-00.000.log",
                                      "audit-2026-01-02T03-04-05.678.log.gz",
                                      "audit-2026-01-03T00-00-00.000.log.gz", "audit.log"}));
}

TEST(FileOrderTest, LogrotateNumbersAndStdin) {
  std::string dir = testing::TempDir();
  Touch(dir + "/audit.log.2.gz", 1000);
  Touch(dir + "/audit.log.1", 1000);
  Touch(dir + "/audit.log", 2000);
  auto files = ExpandInputs({dir, "-"}, testing::TestContext());
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(files->size(), 4u);
  EXPECT_EQ((*files)[0].path, "-");
  EXPECT_EQ(Names({files->begin() + 1, files->end()}, dir),
            (std::vector<std::string>{"audit.log.2.gz", "audit.log.1", "audit.log"}));
}

TEST(FileOrderTest, MissingInputNamesThePath) {
  auto files = ExpandInputs({"/nonexistent/audit.log"}, testing::TestContext());
  ASSERT_FALSE(files.ok());
  EXPECT_EQ(std::string(files.status().message()),
            "/nonexistent/audit.log: no such file or directory");
}

TEST(FileOrderTest, RotationTimeFromName) {
  auto t = RotationTimeFromName("audit-2026-01-02T03-04-05.678.log.gz");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(absl::FormatTime("%Y-%m-%dT%H:%M:%E3S", *t, absl::UTCTimeZone()),
            "2026-01-02T03:04:05.678");
  EXPECT_FALSE(RotationTimeFromName("audit.log").has_value());
}

}  // namespace
}  // namespace kaudit
