// kaudit detectors, check-config, version.
#include <cstdio>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "detectors/registry.h"
#include "src/app/app_common.h"
#include "src/common/clock.h"
#include "src/common/json_writer.h"
#include "src/common/logger.h"
#include "src/common/strings.h"
#include "src/parse/event_reader.h"

namespace kaudit {
namespace {

int RunDetectors(const std::string& config_path, const LogFlags& log_flags, bool json) {
  RealClock clock;
  auto config = LoadConfig(config_path);
  if (!config.ok()) return Fatal(Logger(log_flags.Options(&clock)), config.status());
  const Logger log(log_flags.Options(&clock, &config->log));
  auto slots = BuildDetectors(config->detectors);
  if (!slots.ok()) return Fatal(log, slots.status());
  std::string out;
  if (json) {
    JsonWriter w(out);
    w.BeginArray();
    for (const auto& s : *slots) {
      const DetectorInfo& i = s.detector->info();
      w.BeginObject();
      w.Field("id", i.id);
      w.Field("title", i.title);
      w.Field("severity", SeverityName(s.severity.value_or(i.severity)));
      w.Key("mitre").BeginArray();
      for (const auto& m : i.mitre) w.String(m);
      w.EndArray();
      w.Key("catalog").BeginArray();
      for (const auto& c : i.catalog_ids) w.String(c);
      w.EndArray();
      w.Field("stateful", i.stateful);
      w.Field("judges_images", i.judges_images);  // takes allow.images
      w.Field("description", i.description);
      w.EndObject();
    }
    w.EndArray();
    out.push_back('\n');
  } else {
    absl::StrAppend(
        &out, absl::StrFormat("%-28s %-9s %-22s %s\n", "ID", "SEVERITY", "MITRE", "DESCRIPTION"));
    for (const auto& s : *slots) {
      const DetectorInfo& i = s.detector->info();
      absl::StrAppend(&out, absl::StrFormat("%-28s %-9s %-22s %s\n", i.id,
                                            ToAbsl(SeverityName(s.severity.value_or(i.severity))),
                                            absl::StrJoin(i.mitre, ","), i.description));
    }
  }
  std::fputs(out.c_str(), stdout);
  return kExitOk;
}

int RunCheckConfig(const std::string& path, const LogFlags& log_flags) {
  RealClock clock;
  auto config = LoadConfigFile(path);
  if (!config.ok()) return Fatal(Logger(log_flags.Options(&clock)), config.status());
  const Logger log(log_flags.Options(&clock, &config->log));
  auto slots = BuildDetectors(config->detectors);
  if (!slots.ok()) {
    return Fatal(log,
                 absl::InvalidArgumentError(absl::StrCat(path, ": ", slots.status().message())));
  }
  std::printf("%s: OK (%zu detectors enabled)\n", path.c_str(), slots->size());
  return kExitOk;
}

}  // namespace

Command AddDetectorsCommand(CLI::App& app) {
  struct Flags {
    std::string config;
    LogFlags log;
    bool json = false;
  };
  auto f = std::make_shared<Flags>();
  auto* sub = app.add_subcommand("detectors", "List the enabled detectors");
  sub->add_option("-c,--config", f->config, "Config file");
  sub->add_flag("--json", f->json, "Print JSON instead of a table");
  f->log.AddTo(sub);
  return Command{sub, [f] { return RunDetectors(f->config, f->log, f->json); }};
}

Command AddCheckConfigCommand(CLI::App& app) {
  struct Flags {
    std::string path;
    LogFlags log;
  };
  auto f = std::make_shared<Flags>();
  auto* sub = app.add_subcommand("check-config",
                                 "Validate a config file: unknown keys and bad values are "
                                 "reported with their path");
  sub->add_option("config", f->path, "Config file")->required();
  f->log.AddTo(sub);
  return Command{sub, [f] { return RunCheckConfig(f->path, f->log); }};
}

Command AddVersionCommand(CLI::App& app) {
  auto* sub = app.add_subcommand("version", "Print the version");
  return Command{sub, [] {
                   std::printf("kaudit %s (%s)\n", Version().c_str(), ParserInfo().c_str());
                   return kExitOk;
                 }};
}

}  // namespace kaudit
