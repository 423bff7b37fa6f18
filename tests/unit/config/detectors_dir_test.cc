// detectors_dir: per-detector tunables in files of their own (configs/detectors/<id>.yaml).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "absl/strings/str_cat.h"
#include "detectors/registry.h"
#include "src/config/config.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using testing::SourcePath;
using testing::TempDir;
using testing::WriteFile;

size_t OnByDefault() {
  size_t n = 0;
  for (const auto& e : DetectorTable()) n += e.enabled_by_default;
  return n;
}

// The error of loading `config` and, when it loads, of building its detectors ("" = none).
std::string Err(const std::string& config) {
  auto c = LoadConfigFile(config);
  if (!c.ok()) return std::string(c.status().message());
  auto slots = BuildDetectors(c->detectors);
  if (!slots.ok()) return std::string(slots.status().message());
  return "";
}

// A config file naming detectors_dir "dets" and that (empty) directory; returns the config path.
std::string ConfigWithDir(const std::string& tmp, const std::string& main_extra = "") {
  std::filesystem::create_directories(tmp + "/dets");
  WriteFile(tmp + "/kaudit.yaml", absl::StrCat("detectors_dir: dets\n", main_extra));
  return tmp + "/kaudit.yaml";
}

TEST(DetectorsDirTest, FilesLoadAndTheirSettingsTakeEffect) {
  const std::string tmp = TempDir();
  const std::string cfg = ConfigWithDir(tmp, "cluster_name: c1\n");
  const std::string dets = tmp + "/dets";
  WriteFile(dets + "/pod_exec_attach.yml", "# off here\nenabled: false\n");
  WriteFile(dets + "/secret_enumeration.yaml",
            "severity: critical\nthreshold: 7\nwindow: 2m\n"
            "allow:\n  users: [\"system:serviceaccount:vault:.*\"]\n");
  WriteFile(dets + "/resource_activity.yaml", "enabled: true\n");  // off by default
  WriteFile(dets + "/host_path_volume.yaml", "");                  // empty: all defaults
  // Ignored: not .yaml/.yml, dotfiles (as in a ConfigMap volume), directories without the ext.
  WriteFile(dets + "/README.md", "not yaml: [");
  WriteFile(dets + "/.hidden.yaml", "not: [valid");
  WriteFile(dets + "/notes.txt", "x");
  std::filesystem::create_directories(dets + "/..data");

  auto c = LoadConfigFile(cfg);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->cluster_name, "c1");
  EXPECT_EQ(c->detectors_dir, dets);
  ASSERT_EQ(c->detectors.size(), 4u);
  EXPECT_EQ(c->detectors.at("pod_exec_attach").file(), dets + "/pod_exec_attach.yml");
  EXPECT_EQ(c->detectors.at("secret_enumeration").file(), dets + "/secret_enumeration.yaml");

  // The values are those of the files (read through the same typed getters as detectors use).
  DetectorParams se = c->detectors.at("secret_enumeration");
  EXPECT_EQ(*se.Int("threshold", 0, 0, 1000), 7);
  EXPECT_EQ(*se.Duration("window", absl::ZeroDuration(), absl::ZeroDuration(), absl::Hours(1)),
            absl::Minutes(2));
  EXPECT_EQ(*se.List("allow.users", {}),
            std::vector<std::string>{"system:serviceaccount:vault:.*"});

  auto slots = BuildDetectors(c->detectors);
  ASSERT_TRUE(slots.ok()) << slots.status();
  EXPECT_EQ(slots->size(), OnByDefault());  // pod_exec_attach off, resource_activity on
  std::set<std::string> ids;
  for (const auto& s : *slots) {
    ids.insert(s.detector->info().id);
    if (s.detector->info().id == "secret_enumeration") {
      EXPECT_EQ(s.severity, Severity::kCritical);
      EXPECT_NE(s.allow, nullptr);
    }
  }
  EXPECT_EQ(ids.count("pod_exec_attach"), 0u);
  EXPECT_EQ(ids.count("resource_activity"), 1u);
  EXPECT_EQ(ids.count("secret_enumeration"), 1u);
}

TEST(DetectorsDirTest, FilesAndTheMainMapCombineForDifferentDetectors) {
  const std::string tmp = TempDir();
  const std::string cfg =
      ConfigWithDir(tmp, "detectors:\n  pod_exec_attach:\n    enabled: false\n");
  WriteFile(tmp + "/dets/secret_enumeration.yaml", "enabled: false\n");
  auto c = LoadConfigFile(cfg);
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->detectors.size(), 2u);
  EXPECT_EQ(c->detectors.at("pod_exec_attach").file(), "");
  auto slots = BuildDetectors(c->detectors);
  ASSERT_TRUE(slots.ok()) << slots.status();
  EXPECT_EQ(slots->size(), OnByDefault() - 2);
}

TEST(DetectorsDirTest, RelativePathsResolveAgainstTheConfigFilesDirectory) {
  const std::string tmp = TempDir();
  std::filesystem::create_directories(tmp + "/etc/kaudit");
  std::filesystem::create_directories(tmp + "/shared/dets");
  WriteFile(tmp + "/shared/dets/pod_exec_attach.yaml", "enabled: false\n");
  WriteFile(tmp + "/etc/kaudit/kaudit.yaml", "detectors_dir: ../../shared/dets\n");
  auto c = LoadConfigFile(tmp + "/etc/kaudit/kaudit.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->detectors_dir, tmp + "/etc/kaudit/../../shared/dets");
  EXPECT_EQ(c->detectors.count("pod_exec_attach"), 1u);

  // An absolute path is used as is.
  WriteFile(tmp + "/etc/kaudit/abs.yaml", absl::StrCat("detectors_dir: ", tmp, "/shared/dets\n"));
  auto a = LoadConfigFile(tmp + "/etc/kaudit/abs.yaml");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->detectors_dir, tmp + "/shared/dets");
  EXPECT_EQ(a->detectors.count("pod_exec_attach"), 1u);

  // A config path without a directory resolves against the working directory, as the config
  // path itself does.
  const std::string cwd = std::filesystem::current_path().string();
  std::filesystem::current_path(tmp + "/etc/kaudit");
  auto r = LoadConfigFile("kaudit.yaml");
  std::filesystem::current_path(cwd);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->detectors_dir, "../../shared/dets");
  EXPECT_EQ(r->detectors.count("pod_exec_attach"), 1u);
}

TEST(DetectorsDirTest, LoadConfigStringDoesNotReadTheDirectory) {
  auto c = LoadConfigString("detectors_dir: /nonexistent/dets", "t.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->detectors_dir, "/nonexistent/dets");
  EXPECT_TRUE(c->detectors.empty());
}

TEST(DetectorsDirTest, BadKeysAndValuesNameTheFileAndTheKey) {
  const std::string tmp = TempDir();
  const std::string cfg = ConfigWithDir(tmp);
  const std::string f = tmp + "/dets/secret_enumeration.yaml";
  auto err_with = [&](std::string_view text) {
    WriteFile(f, text);
    return Err(cfg);
  };
  EXPECT_EQ(err_with("thresold: 3\n"), f + ": thresold: unknown key");
  EXPECT_EQ(err_with("allow:\n  user: [x]\n"), f + ": allow.user: unknown key");
  EXPECT_EQ(err_with("threshold: many\n"), f + ": threshold: expected an integer in [2, 100000]");
  EXPECT_EQ(err_with("enabled: maybe\n"), f + ": enabled: expected true or false");
  EXPECT_EQ(err_with("severity: urgent\n"),
            f + ": severity: expected one of info, low, medium, high, critical; got 'urgent'");
  EXPECT_EQ(err_with("aggregate: soon\n"),
            f + ": aggregate: expected a duration between 0 and 24h");
  EXPECT_EQ(err_with("allow: {users: ['(']}\n"),
            f + ": allow.users[0]: invalid RE2 pattern '(': missing ): (");
  EXPECT_EQ(err_with("allow: {users: [{a: 1}]}\n"),
            f + ": allow.users[0]: expected a scalar value");
  EXPECT_EQ(err_with("- threshold\n"), f + ": expected a mapping of the detector's tunables");
  std::string bad_yaml = err_with("threshold: [1\n");
  EXPECT_EQ(bad_yaml.rfind(f + ":", 0), 0u) << bad_yaml;
  EXPECT_NE(bad_yaml.find("invalid YAML"), std::string::npos) << bad_yaml;
}

TEST(DetectorsDirTest, AFileNamedForNoDetectorIsAnError) {
  const std::string tmp = TempDir();
  const std::string cfg = ConfigWithDir(tmp);
  WriteFile(tmp + "/dets/secret_enumeraton.yaml", "enabled: false\n");
  EXPECT_EQ(Err(cfg), tmp +
                          "/dets/secret_enumeraton.yaml: unknown detector secret_enumeraton (a "
                          "file of detectors_dir is named <id>.yaml; `kaudit detectors` lists "
                          "the ids)");
}

TEST(DetectorsDirTest, ADetectorConfiguredTwiceIsAnErrorNamingBoth) {
  const std::string tmp = TempDir();
  const std::string cfg =
      ConfigWithDir(tmp, "detectors:\n  pod_exec_attach:\n    enabled: false\n");
  WriteFile(tmp + "/dets/pod_exec_attach.yaml", "enabled: false\n");
  EXPECT_EQ(Err(cfg), tmp + "/dets/pod_exec_attach.yaml: detector pod_exec_attach is also " +
                          "configured in " + cfg +
                          " (detectors.pod_exec_attach); configure it in one place");

  const std::string tmp2 = TempDir();
  const std::string cfg2 = ConfigWithDir(tmp2);
  WriteFile(tmp2 + "/dets/pod_exec_attach.yaml", "enabled: false\n");
  WriteFile(tmp2 + "/dets/pod_exec_attach.yml", "enabled: true\n");
  EXPECT_EQ(Err(cfg2), tmp2 + "/dets/pod_exec_attach.yml: detector pod_exec_attach is also " +
                           "configured in " + tmp2 +
                           "/dets/pod_exec_attach.yaml; configure it in one place");
}

TEST(DetectorsDirTest, AMissingOrUnreadableDirectoryNamesTheKeyAndThePath) {
  const std::string tmp = TempDir();
  WriteFile(tmp + "/kaudit.yaml", "detectors_dir: nope\n");
  EXPECT_EQ(Err(tmp + "/kaudit.yaml"), tmp + "/kaudit.yaml: detectors_dir: cannot read " + tmp +
                                           "/nope: No such file or directory");
  WriteFile(tmp + "/file", "x");
  WriteFile(tmp + "/file.yaml", "detectors_dir: file\n");
  EXPECT_EQ(Err(tmp + "/file.yaml"),
            tmp + "/file.yaml: detectors_dir: cannot read " + tmp + "/file: Not a directory");
  WriteFile(tmp + "/list.yaml", "detectors_dir: [a]\n");
  EXPECT_EQ(Err(tmp + "/list.yaml"), tmp + "/list.yaml: detectors_dir: expected a scalar value");
  // A .yaml entry that is not a file (here a directory) is not silently skipped.
  const std::string cfg = ConfigWithDir(tmp + "/d");
  std::filesystem::create_directories(tmp + "/d/dets/pod_exec_attach.yaml");
  EXPECT_EQ(Err(cfg), tmp + "/d/dets/pod_exec_attach.yaml: not a regular file");

  if (geteuid() != 0) {  // root reads it anyway
    const std::string cfg3 = ConfigWithDir(tmp + "/ro");
    ASSERT_EQ(chmod((tmp + "/ro/dets").c_str(), 0), 0);
    EXPECT_EQ(Err(cfg3), tmp + "/ro/kaudit.yaml: detectors_dir: cannot read " + tmp +
                             "/ro/dets: Permission denied");
    chmod((tmp + "/ro/dets").c_str(), 0755);
  }
}

// The shipped layout: configs/kaudit.yaml names configs/detectors/, which holds one file per
// registered detector and nothing else that looks like one.
TEST(DetectorsDirTest, TheShippedConfigConfiguresEveryDetectorExactlyOnceFromItsFile) {
  const std::string dir = SourcePath("configs/detectors");
  auto c = LoadConfigFile(SourcePath("configs/kaudit.yaml"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(std::filesystem::path(c->detectors_dir).lexically_normal(),
            std::filesystem::path(dir).lexically_normal());
  std::set<std::string> registered;
  for (const auto& e : DetectorTable()) {
    registered.insert(std::string(e.id));
    auto it = c->detectors.find(e.id);
    ASSERT_NE(it, c->detectors.end()) << "no configs/detectors/" << e.id << ".yaml";
    EXPECT_EQ(std::filesystem::path(it->second.file()).filename().string(),
              std::string(e.id) + ".yaml");
  }
  for (const auto& [id, p] : c->detectors) {
    EXPECT_EQ(registered.count(id), 1u) << id << " names no detector";
    EXPECT_NE(p.file(), "") << id << " is configured in configs/kaudit.yaml, not in its file";
  }
  EXPECT_EQ(c->detectors.size(), DetectorTable().size());
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name == "README.md") continue;
    EXPECT_EQ(entry.path().extension(), ".yaml") << name;
    EXPECT_EQ(registered.count(entry.path().stem().string()), 1u) << name << " names no detector";
  }
  auto slots = BuildDetectors(c->detectors);
  ASSERT_TRUE(slots.ok()) << slots.status();
  EXPECT_EQ(slots->size(), OnByDefault());  // the shipped files keep the defaults
}

}  // namespace
}  // namespace kaudit
