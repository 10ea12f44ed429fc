#include "tests/support/test_postgres.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <string>

#include "storage/postgres/pg.h"

namespace jobsd::testing {
namespace {

std::string WithSearchPath(const std::string& uri, const std::string& schema) {
  // libpq URIs take `options` percent-encoded: -c search_path=<schema>.
  return uri + (uri.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" +
         schema;
}

std::string SchemaName(std::string_view seed) {
  char name[32];
  std::snprintf(name, sizeof name, "jobsd_%016zx", std::hash<std::string_view>{}(seed));
  return name;
}

}  // namespace

std::string TestPostgresUri() {
  const char* uri = std::getenv("JOBSD_TEST_POSTGRES_URI");
  if (uri == nullptr || *uri == '\0') {
    throw std::runtime_error(
        "JOBSD_TEST_POSTGRES_URI is not set: run the tests through scripts/with-postgres.sh "
        "(scripts/test.sh does), which starts a throwaway PostgreSQL");
  }
  return uri;
}

std::string PostgresSchemaFor(std::string_view seed) {
  const std::string uri = TestPostgresUri();
  const std::string schema = SchemaName(seed);
  auto connection = storage::pg::Connection::Open(uri);
  // Two processes may create it at once: IF NOT EXISTS still races on the
  // catalog, so a unique violation means the other one won.
  try {
    connection->Exec("CREATE SCHEMA IF NOT EXISTS " + schema);
  } catch (const storage::pg::PgError& error) {
    if (!error.unique_violation()) throw;
  }
  return WithSearchPath(uri, schema);
}

std::string FreshPostgresSchema() {
  static std::atomic<int> counter = 0;
  return PostgresSchemaFor("fresh-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) +
                           "-" + std::to_string(std::rand()));
}

}  // namespace jobsd::testing
