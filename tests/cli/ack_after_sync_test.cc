// The other half of issue 14's promise: a 202 means the job survives a
// power loss at the documented `synchronous` level (FULL: the WAL synced
// before the answer). No test can cut the power, so this one watches the
// real `jobsd serve` on a SQLite store under strace while 16 kept-alive
// connections post jobs at once, and checks the order of its system calls:
// for every 202 sent, the WAL frame that committed the job was written and
// then an fsync/fdatasync of the WAL returned before the 202's send began.
// Whatever the write path batches or hands between threads, an answer that
// overtakes its sync fails here. ParseSyscallTrace and the order check are
// tested on hand-written traces first, a right one and a wrong one.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/cli/syscall_trace.h"
#include "tests/support/http_connection.h"
#include "tests/support/live_jobsd.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace jobsd::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kIdLength = 36;

// `name` on PATH, or "" (Background does not search PATH).
std::string OnPath(const std::string& name) {
  std::istringstream path(std::getenv("PATH") ? std::getenv("PATH") : "");
  for (std::string dir; std::getline(path, dir, ':');) {
    const std::filesystem::path candidate = std::filesystem::path(dir) / name;
    if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return "";
}

bool IsIdChar(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-'; }

// The job ids (lowercase UUIDs) written in `bytes`, as stored in a row or
// an index entry.
std::vector<std::string> IdsIn(const std::string& bytes) {
  std::vector<std::string> ids;
  for (std::size_t at = 0; at + kIdLength <= bytes.size(); ++at) {
    if (bytes[at + 8] != '-' || bytes[at + 13] != '-' || bytes[at + 18] != '-' ||
        bytes[at + 23] != '-') {
      continue;
    }
    bool id = true;
    for (std::size_t i = 0; i < kIdLength && id; ++i) id = IsIdChar(bytes[at + i]);
    if (!id) continue;
    ids.push_back(bytes.substr(at, kIdLength));
    at += kIdLength - 1;
  }
  return ids;
}

struct AckOrder {
  std::size_t acknowledged = 0;         // 202s sent
  std::size_t commits = 0, syncs = 0;   // WAL commit frames written, WAL syncs
  std::vector<std::string> violations;  // the first few, explained
};

// For every 202 in `calls`: the job's first WAL write, the end of the
// commit frame of that transaction, a WAL sync begun after it and returned
// before the 202's send began.
AckOrder CheckAcksFollowWalSync(const std::vector<SyscallRecord>& calls) {
  std::set<int> wal_fds;
  std::map<int, bool> commit_header;  // thread -> its last WAL frame header was a commit's
  struct PageWrite {
    double entry, end;
    bool commits;
  };
  std::vector<PageWrite> pages;
  std::vector<double> commit_ends;               // end of each commit frame's page write
  std::map<std::string, std::size_t> first;      // job id -> its first page write
  std::vector<std::pair<double, double>> syncs;  // entry, end
  std::vector<std::pair<double, std::string>> acks;
  for (const SyscallRecord& call : calls) {
    if (call.name == "openat" && call.result >= 0) {
      const bool wal = call.data.size() > 4 && call.data.ends_with("-wal");
      if (wal) {
        wal_fds.insert(static_cast<int>(call.result));
      } else {
        wal_fds.erase(static_cast<int>(call.result));
      }
    } else if (call.name == "close") {
      wal_fds.erase(call.fd);
    } else if (call.name == "pwrite64" && wal_fds.count(call.fd) != 0) {
      // A frame: a 24-byte header, whose bytes 4-7 (the database size after
      // a commit) are non-zero only on a transaction's last frame, then the page.
      if (call.data.size() == 24) {
        commit_header[call.thread] = call.data.substr(4, 4) != std::string(4, '\0');
        continue;
      }
      if (call.data.size() < 512) continue;  // the WAL's own 32-byte header
      const bool commits = commit_header[call.thread];
      pages.push_back({call.entry, call.end, commits});
      if (commits) commit_ends.push_back(call.end);
      for (const std::string& id : IdsIn(call.data)) first.try_emplace(id, pages.size() - 1);
    } else if ((call.name == "fsync" || call.name == "fdatasync") && wal_fds.count(call.fd) != 0) {
      syncs.emplace_back(call.entry, call.end);
    } else if (call.data.rfind("HTTP/1.1 202 ", 0) == 0) {
      const std::size_t id_at = call.data.find("\"id\":\"");
      acks.emplace_back(call.entry,
                        id_at == std::string::npos ? "" : call.data.substr(id_at + 6, kIdLength));
    }
  }

  AckOrder order;
  order.commits = commit_ends.size();
  order.syncs = syncs.size();
  auto violation = [&](std::string text) {
    if (order.violations.size() < 5) order.violations.push_back(std::move(text));
  };
  for (const auto& [sent, id] : acks) {
    ++order.acknowledged;
    if (id.size() != kIdLength) {
      violation("a 202 whose send does not hold its job's id: " + id);
      continue;
    }
    const auto written = first.find(id);
    if (written == first.end() || pages[written->second].entry > sent) {
      violation("the 202 of " + id + " was sent before its row reached the WAL");
      continue;
    }
    const PageWrite& page = pages[written->second];
    double committed = page.end;
    if (!page.commits) {
      auto next = std::upper_bound(commit_ends.begin(), commit_ends.end(), page.end);
      if (next == commit_ends.end() || *next > sent) {
        violation("the 202 of " + id + " was sent before its transaction's commit frame");
        continue;
      }
      committed = *next;
    }
    bool synced = false;
    for (auto sync =
             std::lower_bound(syncs.begin(), syncs.end(), std::make_pair(committed, committed));
         sync != syncs.end() && sync->first <= sent && !synced; ++sync) {
      synced = sync->second <= sent;
    }
    if (!synced) {
      std::ostringstream text;
      text.precision(17);
      text << "the 202 of " << id << " was sent at " << sent
           << " without a sync of the WAL between its commit (" << committed << ") and that send";
      violation(text.str());
    }
  }
  return order;
}

// ---- The check itself, on traces written by hand -----------------------

std::string Hex(const std::string& bytes) {
  std::string out;
  char escaped[5];
  for (unsigned char c : bytes) {
    std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
    out += escaped;
  }
  return out;
}

// A trace of one job committed (header, page holding the id, sync) and its
// 202, with the sync returning at `sync_returns`.
std::string HandWrittenTrace(const std::string& sync_returns_line, const std::string& ack_line) {
  const std::string id = "3956ed33-3225-4823-8bfe-f820f2fd6540";
  const std::string commit_header = std::string("\0\0\0\x26\0\0\0\x35", 8) + std::string(16, 'h');
  std::string page(4096, '\0');
  page.replace(4000, id.size(), id);
  const std::string response =
      "HTTP/1.1 202 Accepted\r\n\r\n{\"data\":{\"id\":\"" + id + "\",\"type\":\"job\"}}";
  return "100 10.000000 openat(AT_FDCWD, \"" + Hex("/s/store.db-wal") +
         "\", O_RDWR|O_CREAT, 0644) = 7 <0.000010>\n"
         "101 11.000000 pwrite64(7, \"" +
         Hex(commit_header) + "\", 24, 32) = 24 <0.000010>\n" + "101 11.000100 pwrite64(7, \"" +
         Hex(page) + "\", 4096, 56) = 4096 <0.000010>\n" +
         "101   11.000200 fdatasync(7 <unfinished ...>\n" + ack_line +
         "(13, {msg_iov=[{iov_base=\"" + Hex(response) +
         "\", iov_len=" + std::to_string(response.size()) + "}]}, MSG_NOSIGNAL) = 80 <0.000010>\n" +
         sync_returns_line + "\n";
}

TEST(CrashUnderLoadSyncTest, TheOrderCheckAcceptsASyncBeforeTheAnswerAndRefusesOneAfter) {
  // The sync returns at 11.0102, the 202 is sent at 11.02: right.
  const AckOrder right = CheckAcksFollowWalSync(ParseSyscallTrace(HandWrittenTrace(
      "101 11.010200 <... fdatasync resumed>) = 0 <0.010000>", "102 11.020000 sendmsg")));
  EXPECT_EQ(right.acknowledged, 1u);
  EXPECT_TRUE(right.violations.empty()) << right.violations.front();
  // The 202 is sent at 11.005, while the sync runs until 11.0102: wrong.
  const AckOrder wrong = CheckAcksFollowWalSync(ParseSyscallTrace(HandWrittenTrace(
      "101 11.010200 <... fdatasync resumed>) = 0 <0.010000>", "102 11.005000 sendmsg")));
  EXPECT_EQ(wrong.acknowledged, 1u);
  ASSERT_EQ(wrong.violations.size(), 1u);
  EXPECT_NE(wrong.violations[0].find("without a sync of the WAL"), std::string::npos)
      << wrong.violations[0];
  // No sync at all: wrong.
  const AckOrder unsynced =
      CheckAcksFollowWalSync(ParseSyscallTrace(HandWrittenTrace("", "102 11.020000 sendmsg")));
  EXPECT_EQ(unsynced.violations.size(), 1u);
}

// ---- The real binary ---------------------------------------------------

TEST(CrashUnderLoadSyncTest, EveryAcceptedPostFollowsASyncOfTheWalThatCommittedIt) {
  const std::string strace = OnPath("strace");
  if (strace.empty()) GTEST_SKIP() << "strace is not on PATH (apt-get install strace)";
  LiveJobsd jobsd;  // for its store and commands; serve runs under strace below
  if (jobsd.on_postgres()) GTEST_SKIP() << "SQLite's synchronous level; PostgreSQL syncs itself";
  const RunResult created = jobsd.Jobsd({"credentials", "create", "--json"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const boost::json::value credentials = boost::json::parse(created.out);

  const std::filesystem::path trace = jobsd.dir() / "serve.strace";
  Background serve({strace,
                    "-f",
                    "-qq",
                    "-ttt",
                    "-T",
                    "-xx",
                    "-s",
                    "65536",
                    "-e",
                    "trace=openat,close,pwrite64,fsync,fdatasync,sendmsg,sendto,write,writev",
                    "-e",
                    "signal=none",
                    "-o",
                    trace.string(),
                    JobsdBinary(),
                    "serve",
                    "--workers",
                    "1",
                    "--max-active-jobs",
                    "0"},
                   (jobsd.dir() / "serve").string(), jobsd.env());
  const int port = WaitForListeningPort(serve, 60s);
  ASSERT_GT(port, 0) << "serve under strace did not start: " << serve.Stderr();
  const HttpResponse granted =
      Http(port, "POST", "/oauth/access_token", {"Content-Type: application/x-www-form-urlencoded"},
           "grant_type=client_credentials&client_id=" +
               std::string(credentials.at("client_id").as_string()) +
               "&client_secret=" + std::string(credentials.at("client_secret").as_string()));
  ASSERT_EQ(granted.status, 200) << granted.body;
  const std::string token(boost::json::parse(granted.body).at("access_token").as_string());

  constexpr int kConnections = 16, kPostsEach = 20;
  const std::string body =
      R"json({"data":{"type":"job","job_type":"order_export","filter":"eq(order_number,none)"}})json";
  const std::string request =
      "POST /v2/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n\r\n" + body;
  std::atomic<int> accepted{0}, other{0};
  std::vector<std::thread> connections;
  for (int c = 0; c < kConnections; ++c) {
    connections.emplace_back([&] {
      HttpConnection connection(port);
      for (int n = 0; n < kPostsEach; ++n) {
        const HttpResponse response = connection.Exchange(request);
        ++(response.status == 202 ? accepted : other);
      }
    });
  }
  for (std::thread& connection : connections) connection.join();
  EXPECT_EQ(other.load(), 0) << "POSTs not answered 202";

  // The serve process is strace's child; SIGKILL it (strace then ends).
  std::optional<pid_t> child;
  {
    std::ifstream children("/proc/" + std::to_string(serve.pid()) + "/task/" +
                           std::to_string(serve.pid()) + "/children");
    pid_t pid = 0;
    if (children >> pid) child = pid;
  }
  if (!child) {  // no /proc/PID/task/TID/children: the first thread in the trace is serve's
    std::ifstream lines(trace);
    pid_t pid = 0;
    if (lines >> pid && pid != serve.pid()) child = pid;
  }
  ASSERT_TRUE(child.has_value()) << "no serve process under strace";
  ::kill(*child, SIGKILL);
  ASSERT_TRUE(serve.Wait(30s).has_value()) << "strace did not end";

  const AckOrder order = CheckAcksFollowWalSync(ReadSyscallTrace(trace));
  EXPECT_EQ(order.acknowledged, static_cast<std::size_t>(accepted.load()))
      << "the trace does not hold every 202 the clients received";
  for (const std::string& violation : order.violations) ADD_FAILURE() << violation;
  std::cout << "ack after sync: " << order.acknowledged << " 202s checked against " << order.commits
            << " WAL commits and " << order.syncs << " WAL syncs ("
            << std::filesystem::file_size(trace) / 1024 << " KiB of trace)\n";
}

}  // namespace
}  // namespace jobsd::testing
