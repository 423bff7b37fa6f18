#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

namespace kaudit::testing {

struct ProcessResult {
  int exit_code = -1;  // -1 if killed by a signal
  std::string out, err;
};

// Runs `argv` (argv[0] is a path), feeding `stdin_data`, and waits for it. Bounded by
// `timeout_s` seconds, after which the process is killed.
ProcessResult RunProcess(const std::vector<std::string>& argv, const std::string& stdin_data = "",
                         int timeout_s = 120);

// Runs the kaudit binary under test.
ProcessResult RunKaudit(std::vector<std::string> args, const std::string& stdin_data = "");

// A process running in the background (kaudit serve/tail/consume, a log writer). stdout and
// stderr go to files in a temporary directory so they can be read while it runs. The
// destructor kills it (SIGKILL) if it is still running.
class BackgroundProcess {
 public:
  explicit BackgroundProcess(const std::vector<std::string>& argv);
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  void Signal(int sig);
  // Waits for exit up to `timeout_s`; returns the exit code, -1 if killed by a signal, -2 on
  // timeout (it is then still running).
  int Wait(int timeout_s = 60);
  std::string out() const;  // what it wrote to stdout so far
  std::string err() const;
  // Waits until `needle` appears in stderr (or stdout); false after `timeout_s`.
  bool WaitForOutput(const std::string& needle, int timeout_s = 30);

 private:
  pid_t pid_ = -1;
  int status_ = 0;
  bool exited_ = false;
  std::string out_path_, err_path_;
};

// Starts the kaudit binary under test in the background.
std::unique_ptr<BackgroundProcess> StartKaudit(std::vector<std::string> args);

// Waits until "metrics on http://host:PORT/metrics" appears in the process's stderr and
// returns PORT (0 after `timeout_s`).
int WaitForMetricsPort(BackgroundProcess& p, int timeout_s = 30);

}  // namespace kaudit::testing
