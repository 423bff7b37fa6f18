#include "tests/support/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "tests/support/test_util.h"

namespace kaudit::testing {

ProcessResult RunProcess(const std::vector<std::string>& argv, const std::string& stdin_data,
                         int timeout_s) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    return {};
  }
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  signal(SIGPIPE, SIG_IGN);
  ProcessResult r;
  size_t written = 0;
  if (stdin_data.empty()) {
    close(in[1]);
    in[1] = -1;
  } else {
    fcntl(in[1], F_SETFL, O_NONBLOCK);
  }
  const time_t deadline = time(nullptr) + timeout_s;
  bool out_open = true, err_open = true;
  char buf[65536];
  while (out_open || err_open) {
    pollfd fds[3];
    int n = 0;
    if (out_open) fds[n++] = {out[0], POLLIN, 0};
    if (err_open) fds[n++] = {err[0], POLLIN, 0};
    if (in[1] >= 0) fds[n++] = {in[1], POLLOUT, 0};
    if (poll(fds, n, 1000) < 0 && errno != EINTR) break;
    if (time(nullptr) > deadline) {
      kill(pid, SIGKILL);
      break;
    }
    for (int i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == in[1]) {
        ssize_t w = write(in[1], stdin_data.data() + written, stdin_data.size() - written);
        if (w > 0) written += static_cast<size_t>(w);
        if (w < 0 || written == stdin_data.size()) {
          close(in[1]);
          in[1] = -1;
        }
        continue;
      }
      ssize_t k = read(fds[i].fd, buf, sizeof(buf));
      if (k <= 0) {
        if (fds[i].fd == out[0])
          out_open = false;
        else
          err_open = false;
      } else if (fds[i].fd == out[0]) {
        r.out.append(buf, static_cast<size_t>(k));
      } else {
        r.err.append(buf, static_cast<size_t>(k));
      }
    }
  }
  if (in[1] >= 0) close(in[1]);
  close(out[0]);
  close(err[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

ProcessResult RunKaudit(std::vector<std::string> args, const std::string& stdin_data) {
  args.insert(args.begin(), KAUDIT_BINARY);
  return RunProcess(args, stdin_data);
}

BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv) {
  std::string dir = TempDir();
  out_path_ = dir + "/stdout";
  err_path_ = dir + "/stderr";
  pid_ = fork();
  if (pid_ == 0) {
    int o = open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int e = open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int n = open("/dev/null", O_RDONLY);
    dup2(n, 0);
    dup2(o, 1);
    dup2(e, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
}

BackgroundProcess::~BackgroundProcess() {
  if (pid_ > 0 && running()) {
    kill(pid_, SIGKILL);
    Wait(10);
  }
}

bool BackgroundProcess::running() {
  if (exited_ || pid_ <= 0) return false;
  int st = 0;
  pid_t r = waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    exited_ = true;
    status_ = st;
    return false;
  }
  return r == 0;
}

void BackgroundProcess::Signal(int sig) {
  if (running()) kill(pid_, sig);
}

int BackgroundProcess::Wait(int timeout_s) {
  const time_t deadline = time(nullptr) + timeout_s;
  while (running()) {
    if (time(nullptr) > deadline) return -2;
    usleep(20 * 1000);
  }
  if (!exited_) return -1;
  return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
}

std::string BackgroundProcess::out() const { return ReadFile(out_path_); }
std::string BackgroundProcess::err() const { return ReadFile(err_path_); }

bool BackgroundProcess::WaitForOutput(const std::string& needle, int timeout_s) {
  const time_t deadline = time(nullptr) + timeout_s;
  while (time(nullptr) <= deadline) {
    if (err().find(needle) != std::string::npos || out().find(needle) != std::string::npos) {
      return true;
    }
    usleep(20 * 1000);
  }
  return false;
}

std::unique_ptr<BackgroundProcess> StartKaudit(std::vector<std::string> args) {
  args.insert(args.begin(), KAUDIT_BINARY);
  return std::make_unique<BackgroundProcess>(args);
}

int WaitForMetricsPort(BackgroundProcess& p, int timeout_s) {
  const std::string marker = "/metrics";
  const time_t deadline = time(nullptr) + timeout_s;
  while (time(nullptr) <= deadline) {
    std::string e = p.err();
    size_t at = e.find("metrics on http://");
    if (at != std::string::npos) {
      size_t end = e.find(marker, at);
      size_t colon = e.rfind(':', end);
      if (end != std::string::npos && colon != std::string::npos && colon > at + 12) {
        return std::atoi(e.substr(colon + 1, end - colon - 1).c_str());
      }
    }
    if (!p.running()) return 0;
    usleep(20 * 1000);
  }
  return 0;
}

}  // namespace kaudit::testing
