#include "engine/queue/worker_id.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include "engine/random.h"

namespace jobsd {

std::string HostName() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return host;
}

std::string MakeWorkerPrefix() {
  return HostName() + ":" + std::to_string(getpid()) + ":" + RandomHex(3);
}

bool IsDeadLocalWorker(const std::string& worker_id, const std::string& host) {
  if (worker_id.rfind(host + ":", 0) != 0) return false;
  const std::size_t pid_start = host.size() + 1;
  const std::size_t pid_end = worker_id.find(':', pid_start);
  if (pid_end == std::string::npos || pid_end == pid_start) return false;
  pid_t pid = 0;
  for (std::size_t i = pid_start; i < pid_end; ++i) {
    if (worker_id[i] < '0' || worker_id[i] > '9' || pid > 100'000'000) return false;
    pid = pid * 10 + (worker_id[i] - '0');
  }
  return pid > 0 && kill(pid, 0) != 0 && errno == ESRCH;
}

}  // namespace jobsd
