// The PostgreSQL server the tests run against: the one
// scripts/with-postgres.sh started (JOBSD_TEST_POSTGRES_URI). Each test takes
// a schema of its own in it, so tests run in parallel and never see one
// another's rows. Without the variable the PostgreSQL tests fail, saying
// how to run them: they are never skipped in silence.
#pragma once

#include <string>
#include <string_view>

namespace jobsd::testing {

// JOBSD_TEST_POSTGRES_URI; throws std::runtime_error when it is not set.
std::string TestPostgresUri();

// A location (the URI plus search_path) naming schema `jobsd_<hash of
// seed>`, created empty the first time a seed is seen, reused after: the
// same seed in another process names the same store.
std::string PostgresSchemaFor(std::string_view seed);

// A location naming a new, empty schema.
std::string FreshPostgresSchema();

}  // namespace jobsd::testing
