// How a worker is named in a job's claimed_by: host:pid:random:index, so a
// person reading the store can tell which process holds a job, a restarted
// process with a recycled pid is still told apart, and the rescuer can tell
// that the process holding a job on this host has ended.
#pragma once

#include <string>

namespace jobsd {

std::string HostName();

// host:pid:random, the part shared by every worker of this process.
std::string MakeWorkerPrefix();

// True when `worker_id` names a process on `host` that no longer exists: its
// jobs can be taken back at once instead of waiting for their leases (a
// restart after kill -9 resumes in seconds).
bool IsDeadLocalWorker(const std::string& worker_id, const std::string& host);

}  // namespace jobsd
