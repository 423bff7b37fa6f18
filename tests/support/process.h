#pragma once

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

}  // namespace kaudit::testing
