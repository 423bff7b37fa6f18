#pragma once
// Options for kaudit's listening sockets (the webhook and the metrics/health port).

#include <sys/socket.h>

namespace kaudit {

// SO_REUSEADDR only. cpp-httplib's default also sets SO_REUSEPORT, which lets a second process
// bind the same port and silently take part of the connections (a second kaudit started by
// mistake, or another test's kaudit handed the same ephemeral port): a listener must own its
// port, and a port in use must be a startup error.
inline void ExclusiveListenSocketOptions(int sock) {
  int yes = 1;
  setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
}

}  // namespace kaudit
