// A real `jobsd serve` process on a fresh store in a temporary directory,
// listening on an ephemeral port of 127.0.0.1, with its first-run
// credentials read from its output. For tests that need the whole binary:
// the crash, serve and hostile-client suites.
//
// With JOBSD_TEST_STORE=postgres in the environment (CTest runs the crash
// and serve suites a second time so), the store is a fresh schema of the
// test PostgreSQL server (test_postgres.h) instead of a SQLite file.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/http_client.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace jobsd::testing {

// Waits until `serve` (a `jobsd serve` started with --listen
// 127.0.0.1:0) prints the address it listens on; returns its port, or 0
// when it did not within `timeout`. For tests that manage serve processes
// themselves (kill -9 at random moments, several at once).
int WaitForListeningPort(Background& serve,
                         std::chrono::milliseconds timeout = std::chrono::seconds(30));

class LiveJobsd {
 public:
  LiveJobsd();
  ~LiveJobsd();

  // Starts `jobsd serve` with `extra` arguments and waits until it listens
  // (false, with the reason added as a test failure, when it does not).
  // Called again after the process ended, restarts on the same store; the
  // first run's credentials stay known (a restart prints none).
  bool Start(const std::vector<std::string>& extra = {});
  // SIGTERM, then waits for the exit; the process's result.
  RunResult Stop(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  Background* process() { return serve_.get(); }

  // Another jobsd command on the same store (e.g. {"orders", "seed", ...}).
  RunResult Jobsd(std::vector<std::string> args, const std::string& input = "") const;

  // The environment every command of this instance runs with (JOBSD_DB,
  // JOBSD_EXPORTS, JOBSD_LISTEN); tests may add to it before Start.
  std::map<std::string, std::string>& env() { return env_; }
  const TempDir& dir() const { return dir_; }
  std::filesystem::path db() const { return dir_ / "store.db"; }
  std::filesystem::path exports() const { return dir_ / "exports"; }

  // The store this instance serves: a SQLite file path or a PostgreSQL
  // location (what JOBSD_DB says).
  const std::string& store() { return env_["JOBSD_DB"]; }
  bool on_postgres() { return store().rfind("postgresql://", 0) == 0; }

  // Uses another instance's credentials (several nodes on one store: only
  // the first prints any).
  void UseCredentials(const std::string& client_id, const std::string& client_secret);

  int port() const { return port_; }
  const std::string& client_id() const { return client_id_; }
  const std::string& client_secret() const { return client_secret_; }

  // A fresh access token for the first-run client ("" on failure).
  std::string Token() const;
  // "Authorization: Bearer <Token()>", fetched once and reused.
  std::string AuthHeader();

  // Requests to this server, Connection: close.
  HttpResponse Get(const std::string& target, std::vector<std::string> headers = {});
  HttpResponse Post(const std::string& target, const std::string& body,
                    std::vector<std::string> headers = {});
  // POST /v2/jobs of an order_export with `filter`, authorised.
  HttpResponse PostExport(const std::string& filter);

 private:
  TempDir dir_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<Background> serve_;
  int port_ = 0;
  std::string client_id_, client_secret_, auth_header_;
};

}  // namespace jobsd::testing
