// One writer for the job store: every write goes through one connection,
// one transaction at a time, and the writes that arrive while a transaction
// commits are committed together in the next one (group commit).
//
// Why, rather than each caller borrowing a pooled connection and running
// BEGIN IMMEDIATE:
//  - Writers of this process wait for each other (each on its own atomic,
//    woken once) and go as soon as the writer is free. Through SQLite's lock they would
//    poll in its busy handler, which sleeps 1, 2, 5, 10 ... up to 100 ms
//    between tries: a claim arriving behind a stream of inserts lost every
//    race and waited up to a second (measured, jobsd_queue_bench latency).
//  - Writes that queue up share one commit, hence one fsync: inserts, the
//    outcomes the workers report and their next claims.
//  - A connection drops its page cache whenever another connection has
//    written; with one writing connection the B-tree pages stay cached.
// Other processes (jobs submit, orders import) still meet these writes at
// SQLite's lock, with busy_timeout.
//
// Thread-safety: Write and Submit may be called from any thread,
// concurrently.
#pragma once

#include <atomic>
#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "storage/sqlite/sqlite.h"

namespace jobsd::storage {

class GroupWriter {
 public:
  using Work = std::function<void(sqlite::Connection&)>;
  using Opener = std::function<std::unique_ptr<sqlite::Connection>()>;
  // A submitted write's outcome: null once its group has committed, else
  // what Write would have thrown.
  using Done = std::function<void(std::exception_ptr error)>;

  enum class Sync {
    kFull,    // an acknowledgement or an outcome: fsynced before Write returns
    kNormal,  // acknowledges nothing (claims, lease renewals): may ride along
  };
  // How a failing write of a group is undone alone.
  enum class Undo {
    kSavepoint,  // its own savepoint, rolled back if it throws
    // None needed: the work has written nothing when it throws (reads, then
    // one single-row INSERT OR FAIL, which checks everything before it
    // writes). A savepoint makes SQLite copy every page the write touches
    // into a sub-journal first, on the one thread every write of the group
    // waits for (with 0012's INSERT OR FAIL: +5% POST req/s at 64
    // connections).
    kNothingWritten,
  };

  // `open` makes the writing connection (on first use, and again after a
  // failure left it unusable). `before_each`, when given, runs before each
  // group's transaction; if it throws, every write of the group gets that
  // error and nothing is written. `after_each`, when given, runs after each
  // write that did not throw, outside its savepoint, in the same
  // transaction: the writer's owner settles there what its writes left to
  // write once (the SQLite job store: the count of the jobs they inserted).
  // If it throws, the whole group fails as if the transaction could not
  // commit.
  using AfterEach = std::function<void(sqlite::Connection&)>;
  explicit GroupWriter(Opener open, std::function<void()> before_each = {},
                       AfterEach after_each = {})
      : open_(std::move(open)),
        before_each_(std::move(before_each)),
        after_each_(std::move(after_each)) {}
  // Waits for the submitted writes to commit and report.
  ~GroupWriter();
  GroupWriter(const GroupWriter&) = delete;
  GroupWriter& operator=(const GroupWriter&) = delete;

  // Runs `work` inside a write transaction (BEGIN IMMEDIATE), possibly shared
  // with other writes, and returns once that transaction has committed:
  // with synchronous=FULL if any write in it asked for kFull, else NORMAL.
  // If `work` throws, only its own changes are undone (a savepoint, unless
  // `undo` says none is needed) and the exception is rethrown here. If the
  // transaction cannot begin or commit, every write in it gets that error
  // and none is stored.
  void Write(const Work& work, Sync sync = Sync::kFull, Undo undo = Undo::kSavepoint);

  // Write without waiting: queues `work` and returns at once. `done` is
  // called exactly once, with Write's outcome, on the thread that commits
  // the group: it must be quick and must not throw (hand the outcome on).
  // Groups that begin with a submitted write are committed by the writer's
  // own committing thread (started on the first Submit), so that no caller
  // parks a thread per write: the HTTP server's POSTs (api/session.h).
  // If Submit throws (no thread could start), nothing was queued and `done`
  // is never called.
  void Submit(Work work, Sync sync, Undo undo, Done done);

  // Opens the writing connection now instead of in the first write, and
  // runs `prepare` on it (statements to compile ahead). Best effort: if
  // either fails, the first write opens a connection as before and reports
  // what went wrong. Only while no write has begun and no other thread
  // uses the writer (a store opening).
  void OpenEarly(const std::function<void(sqlite::Connection&)>& prepare);

  // Closes the writing connection once the writes queued before this call
  // have committed, and with it everything SQLite holds for it (page cache,
  // schema, prepared statements); the next write opens a new one. For a
  // quiet process giving memory back.
  void CloseConnection();

 private:
  // A write waiting for its group's commit. Shared with the leader that
  // commits it, so that the leader can still wake it after the writer has
  // seen its outcome and returned.
  struct Pending {
    enum State : int { kQueued, kLead, kDone };
    const Work* work = nullptr;
    Sync sync = Sync::kFull;
    Undo undo = Undo::kSavepoint;
    std::exception_ptr error;         // written before state becomes kDone
    std::atomic<int> state{kQueued};  // waited on by the writer alone
    // Submitted writes only: their work lives here, nobody waits on state,
    // and `done` reports the outcome instead.
    Work owned_work;
    Done done;
  };
  using PendingRef = std::shared_ptr<Pending>;

  // Commits everything queued (a group whose first write is the leader's
  // own), wakes each write of the group once, and hands the lead to the
  // first write queued meanwhile, if any. Each waiting thread is woken
  // once, by the leader of its group or as the next leader: a notify_all
  // per group woke every waiting thread (64 under load) to find most of
  // them not done yet.
  void Lead();
  // Runs one group in one transaction. Only the leader calls it. Returns
  // the group's error when it waited out the lock in vain (busy), else null.
  std::exception_ptr Commit(const std::vector<PendingRef>& group);
  sqlite::Connection& Connection();
  void SetSync(Sync sync);
  // The committing thread: leads each group handed to it.
  void RunCommitter();

  Opener open_;
  std::function<void()> before_each_;
  AfterEach after_each_;

  std::mutex mutex_;
  std::vector<PendingRef> queue_;  // guarded by mutex_
  bool leader_ = false;            // guarded by mutex_: a group is committing or handed on
  // Guarded by mutex_: the lead is handed to the committing thread (the
  // next group begins with a submitted write, which has no thread of its
  // own to lead it).
  bool committer_leads_ = false;
  bool stopping_ = false;  // guarded by mutex_
  std::condition_variable committer_wake_;
  std::thread committer_;  // started under mutex_ by the first Submit

  // Touched only by the leader; handed over with the lead (under mutex_,
  // or by the release store of kLead that the next leader acquires).
  std::unique_ptr<sqlite::Connection> connection_;
  std::optional<Sync> connection_sync_;  // unknown until set
  bool close_after_commit_ = false;      // set by CloseConnection's write
};

}  // namespace jobsd::storage
