#include "storage/sqlite/database.h"

#include <chrono>
#include <filesystem>
#include <string>
#include <system_error>
#include <thread>

#include "storage/sqlite/connection_pool.h"
#include "storage/sqlite/migrations.h"
#include "storage/sqlite/open_connection.h"
#include "storage/sqlite/sqlite.h"
#include "storage/sqlite/sqlite_credential_store.h"
#include "storage/sqlite/sqlite_job_store.h"
#include "storage/sqlite/sqlite_order_store.h"
#include "storage/sqlite/sqlite_webhook_store.h"
#include "storage/sqlite/store_file.h"
#include "storage/sqlite/store_probe.h"

namespace jobsd::storage {
namespace {

// Enough for the HTTP threads and workers of one process; beyond it a
// borrower waits for a connection to come back rather than opening more
// file handles (SQLite allows one writer at a time anyway).
constexpr int kMaxConnections = 16;

std::string QueryText(sqlite::Connection& connection, std::string_view sql) {
  auto statement = connection.PrepareUncached(sql);
  if (!statement.Step()) return {};
  return statement.ColumnString(0);
}

}  // namespace

// Settings that live on the connection, applied to every one we open.
std::unique_ptr<sqlite::Connection> OpenConnection(const DatabaseOptions& options, bool create) {
  auto connection = create ? sqlite::Connection::Open(options.path)
                           : sqlite::Connection::OpenExisting(options.path);
  // First, so that everything below (journal_mode needs a lock) waits for
  // other connections instead of failing at once with SQLITE_BUSY. Our own
  // busy handler rather than PRAGMA busy_timeout: shutdown can cut it short.
  connection->SetBusyWait(std::chrono::milliseconds(options.busy_timeout_ms), options.abort_waits);
  // Only takes effect before the first table exists, and must precede
  // journal_mode=WAL, which writes the file header: so only on a fresh
  // (empty) file. Asking on an existing store would also wait for the write
  // lock, stalling every new connection behind a long import. Lets
  // retention give space back with PRAGMA incremental_vacuum.
  if (QueryText(*connection, "PRAGMA page_count") == "0") {
    connection->Exec("PRAGMA auto_vacuum = INCREMENTAL");
  }
  // WAL: readers (list, export scans) never block the writer, nor it them.
  // The mode is persistent; switch only when it is not WAL yet.
  std::string mode = QueryText(*connection, "PRAGMA journal_mode");
  // Two first opens of a new file that switch it at once deadlock in the
  // rollback journal (each holds a shared lock and wants the exclusive
  // one), and SQLite then fails one at once without its busy handler: that
  // one tries again, and finds WAL set by the other.
  const auto give_up =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options.busy_timeout_ms);
  while (mode != "wal") {
    try {
      mode = QueryText(*connection, "PRAGMA journal_mode = WAL");
    } catch (const StoreError& e) {
      if (e.fault() != StoreFault::kBusy || std::chrono::steady_clock::now() >= give_up) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      mode = QueryText(*connection, "PRAGMA journal_mode");
      continue;
    }
    break;
  }
  if (mode != "wal") {
    throw StoreError("sqlite: cannot use WAL journal mode on " + options.path.string() +
                         " (got \"" + mode + "\")",
                     /*transient=*/false, StoreFault::kIo);
  }
  // FULL, not the WAL-usual NORMAL: with NORMAL a commit is durable against
  // a crash of the process (kill -9) but the last transactions can be lost
  // on power failure, because the WAL is only fsynced at checkpoints. We
  // acknowledge a job (202) only once it is stored, so each commit must be
  // fsynced before it returns. The cost is one fsync per commit.
  connection->Exec("PRAGMA synchronous = FULL");
  // REFERENCES ... ON DELETE CASCADE (items, tokens) only works with this on,
  // and it is per connection.
  connection->Exec("PRAGMA foreign_keys = ON");
  // After a checkpoint, shrink a WAL that a big import blew up.
  connection->Exec("PRAGMA journal_size_limit = 67108864");
  return connection;
}

namespace {

class SqliteDatabase final : public Database {
 public:
  explicit SqliteDatabase(const DatabaseOptions& options)
      : options_(options),
        watch_(options.path),
        probe_(options, watch_),
        pool_([options] { return OpenConnection(options, /*create=*/false); }, kMaxConnections),
        // Every write transaction of the job store first checks that the
        // path still names our file: a job is never acknowledged into a
        // deleted store.
        jobs_(pool_, [this] { watch_.Verify(); }),
        orders_(pool_, options),
        // Issued tokens and new clients are acknowledged writes too.
        credentials_(pool_, [this] { watch_.Verify(); }),
        webhooks_(pool_, options.path, [this] { watch_.Verify(); }) {}

  void Start(std::unique_ptr<sqlite::Connection> first) {
    pool_.Adopt(std::move(first));
    jobs_.Warm();
  }

  JobStore& jobs() override { return jobs_; }
  OrderStore& orders() override { return orders_; }
  CredentialStore& credentials() override { return credentials_; }
  WebhookStore& webhooks() override { return webhooks_; }

  int SchemaVersion() override {
    auto connection = pool_.Borrow();
    return CurrentSchemaVersion(*connection);
  }

  StoreHealth Health() override { return probe_.Check(); }

  void CheckWritable() override {
    watch_.Verify();
    auto connection = pool_.Borrow();
    if (connection->ReadOnly()) {
      throw StoreError("the store " + options_.path.string() +
                           " is read-only: this process may not write the file",
                       /*transient=*/false, StoreFault::kReadOnly);
    }
    try {
      sqlite::Transaction transaction(*connection);  // BEGIN IMMEDIATE
      transaction.Rollback();
    } catch (const StoreError& e) {
      // Another process writing (an import) proves nothing against us.
      if (e.fault() == StoreFault::kBusy) return;
      throw StoreError("the store " + options_.path.string() + " cannot be written: " +
                           std::string(DescribeStoreFault(e.fault())) + " (" + e.what() + ")",
                       /*transient=*/false, e.fault());
    }
  }

  void AbortLockWaits() override { options_.abort_waits->store(true); }

  void ReleaseCachedMemory() override {
    pool_.CloseIdleConnections();
    jobs_.ReleaseWriterMemory();
  }

  bool Ping() override {
    try {
      auto connection = pool_.Borrow();
      auto statement = connection->Prepare("SELECT 1");
      return statement->Step() && statement->ColumnInt64(0) == 1;
    } catch (const std::exception&) {
      return false;
    }
  }

 private:
  DatabaseOptions options_;
  StoreFileWatch watch_;
  StoreProbe probe_;
  ConnectionPool pool_;  // declared before the stores: they borrow from it
  SqliteJobStore jobs_;
  SqliteOrderStore orders_;
  SqliteCredentialStore credentials_;
  SqliteWebhookStore webhooks_;
};

}  // namespace

std::unique_ptr<Database> Database::Open(const DatabaseOptions& options) {
  std::filesystem::path parent = options.path.parent_path();
  if (!parent.empty()) {
    std::error_code error;
    std::filesystem::create_directories(parent, error);
    if (error) {
      throw StoreError(
          "cannot create the directory " + parent.string() + " for the store: " + error.message(),
          /*transient=*/false);
    }
  }
  DatabaseOptions opened = options;
  if (opened.abort_waits == nullptr)
    opened.abort_waits = std::make_shared<std::atomic<bool>>(false);
  auto first = OpenConnection(opened);
  Migrate(*first);
  auto database = std::make_unique<SqliteDatabase>(opened);
  database->Start(std::move(first));
  return database;
}

}  // namespace jobsd::storage
