// kaudit: analyzer for Kubernetes API audit logs. Each subcommand lives in its own file.
#include <CLI/CLI.hpp>
#include <vector>

#include "src/app/app_common.h"

namespace kaudit {
namespace {

int Main(int argc, char** argv) {
  CLI::App app{"kaudit: finds attacks and risky changes in Kubernetes API audit logs"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("kaudit ") + Version());
  const std::vector<Command> commands = {
      AddReplayCommand(app),  AddServeCommand(app),     AddTailCommand(app),
      AddConsumeCommand(app), AddDetectorsCommand(app), AddCheckConfigCommand(app),
      AddVersionCommand(app),
  };
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  for (const Command& c : commands) {
    if (*c.sub) return c.run();
  }
  return kExitOk;
}

}  // namespace
}  // namespace kaudit

int main(int argc, char** argv) { return kaudit::Main(argc, argv); }
