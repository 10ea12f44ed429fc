// What the PostgreSQL artifact store promises beyond the port
// (storage/postgres/postgres_artifact_store.h): a deleted artifact's chunks
// are purged once its grace has passed, after which a reader still going
// fails cleanly; the store hands out its artifacts through
// PostgresStore::own_artifacts() with production chunks; no password in
// Location. Here rather than in jobsd_storage_tests because this binary is
// the one linked with the test server's support.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <system_error>
#include <thread>

#include "storage/postgres/pg_migrations.h"
#include "storage/postgres/pg_pool.h"
#include "storage/postgres/postgres_artifact_store.h"
#include "storage/postgres/postgres_store.h"
#include "tests/support/test_postgres.h"

namespace jobsd::storage {
namespace {

constexpr int kChunk = 1000;

ArtifactSpec CsvSpec() {
  return ArtifactSpec{"30000000-0000-4000-8000-000000000003", "text/csv; charset=utf-8",
                      "orders-30000000-0000-4000-8000-000000000003.csv"};
}

std::string Bytes(std::size_t size) {
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; ++i)
    bytes[i] = static_cast<char>('a' + (i * 7 + i / kChunk) % 26);
  return bytes;
}

std::int64_t Count(pg::Pool& pool, const std::string& sql, const pg::Params& params = {}) {
  auto lease = pool.Borrow();
  return lease->RunOnce(sql, params).Int64(0, 0);
}

class PostgresArtifactsTest : public ::testing::Test {
 protected:
  PostgresArtifactsTest() : location_(testing::FreshPostgresSchema()), pool_(location_, 4) {
    auto lease = pool_.Borrow();
    pg::Migrate(*lease);
  }

  PostgresArtifactOptions NoGrace() const {
    PostgresArtifactOptions options;
    options.chunk_bytes = kChunk;
    options.stale_after = std::chrono::milliseconds(0);
    options.deleted_kept_for = std::chrono::milliseconds(0);
    return options;
  }

  Artifact Publish(ArtifactStore& store, const std::string& bytes) {
    auto writer = store.Begin(CsvSpec());
    writer->Write(bytes);
    return writer->Commit();
  }

  std::string location_;
  pg::Pool pool_;
};

TEST_F(PostgresArtifactsTest, ChunksAreWrittenAsTheyFillAndTheRowPublishedAtCommit) {
  PostgresArtifactOptions options;
  options.chunk_bytes = kChunk;
  PostgresArtifactStore store(pool_, options);
  auto writer = store.Begin(CsvSpec());
  writer->Write(Bytes(3 * kChunk + 10));
  // Three full chunks went out: the first two are in, the third may still
  // be on its way (one chunk in flight while the next fills); the rest
  // waits in the writer's one-chunk buffer.
  const std::int64_t in = Count(pool_, "SELECT count(*) FROM artifact_chunks");
  EXPECT_GE(in, 2);
  EXPECT_LE(in, 3);
  EXPECT_EQ(Count(pool_, "SELECT count(*) FROM artifacts WHERE state = 'writing'"), 1);
  const Artifact artifact = writer->Commit();
  EXPECT_EQ(Count(pool_, "SELECT count(*) FROM artifact_chunks"), 4);
  EXPECT_EQ(Count(pool_, "SELECT count(*) FROM artifacts WHERE state = 'published' AND size = $1",
                  pg::Params().Add(3 * kChunk + 10)),
            1);
  EXPECT_TRUE(artifact.key.starts_with(CsvSpec().job_id + "-")) << artifact.key;
  EXPECT_EQ(store.Describe(artifact.key), "artifact " + artifact.key + " in PostgreSQL");
}

// Chunks commit without waiting for the WAL flush; a server that crashes
// loses the unflushed ones while the writer goes on with the next. Here a
// stored chunk disappears before publication: the file fails with EIO and
// is never published.
TEST_F(PostgresArtifactsTest, AChunkLostBeforePublicationFailsTheFileInsteadOfPublishingIt) {
  PostgresArtifactOptions options;
  options.chunk_bytes = kChunk;
  PostgresArtifactStore store(pool_, options);
  {
    auto writer = store.Begin(CsvSpec());
    writer->Write(Bytes(3 * kChunk + 10));
    ASSERT_GE(Count(pool_, "SELECT count(*) FROM artifact_chunks"), 2);
    Count(pool_, "WITH gone AS (DELETE FROM artifact_chunks WHERE seq = 0 RETURNING 1)"
                 " SELECT count(*) FROM gone");
    try {
      writer->Commit();
      ADD_FAILURE() << "a file with a chunk missing was published";
    } catch (const std::system_error& error) {
      EXPECT_EQ(error.code().value(), EIO) << error.what();
      EXPECT_NE(std::string(error.what()).find("has 3 of its 4 chunks"), std::string::npos)
          << error.what();
    }
    EXPECT_EQ(Count(pool_, "SELECT count(*) FROM artifacts WHERE state = 'published'"), 0);
  }
  // The failed writer leaves nothing behind.
  EXPECT_EQ(Count(pool_, "SELECT count(*) FROM artifacts"), 0);
  EXPECT_EQ(Count(pool_, "SELECT count(*) FROM artifact_chunks"), 0);

  // Whole, the same bytes publish.
  const std::string bytes = Bytes(3 * kChunk + 10);
  const Artifact artifact = Publish(store, bytes);
  EXPECT_EQ(Count(pool_, "SELECT count(*) FROM artifact_chunks WHERE key = $1",
                  pg::Params().Add(artifact.key)),
            4);
}

TEST_F(PostgresArtifactsTest, DeletedChunksStayForReadersThenArePurgedAndAReaderFailsCleanly) {
  PostgresArtifactOptions kept;
  kept.chunk_bytes = kChunk;
  PostgresArtifactStore store(pool_, kept);
  const std::string bytes = Bytes(3 * kChunk);
  const Artifact artifact = Publish(store, bytes);
  auto reader = store.Open(artifact.key);
  ASSERT_NE(reader, nullptr);
  char first[10];
  ASSERT_EQ(reader->ReadAt(0, first, sizeof first), sizeof first);

  // Deleted: a tombstone whose chunks stay while the grace lasts.
  EXPECT_TRUE(store.Delete(artifact.key));
  EXPECT_FALSE(store.Delete(artifact.key));  // nothing left to delete yet
  EXPECT_EQ(Count(pool_, "SELECT count(*) FROM artifact_chunks"), 3);
  EXPECT_EQ(store.ListOrphans({}), std::vector<std::string>{});

  // Past the grace, the sweep lists it and Delete purges it.
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  PostgresArtifactStore sweeper(pool_, NoGrace());
  EXPECT_EQ(sweeper.ListOrphans({}), std::vector<std::string>{artifact.key});
  EXPECT_TRUE(sweeper.Delete(artifact.key));
  EXPECT_EQ(Count(pool_, "SELECT count(*) FROM artifact_chunks"), 0);
  EXPECT_EQ(Count(pool_, "SELECT count(*) FROM artifacts"), 0);

  // The reader has chunk 0 at hand; the next one is gone: an error, never
  // wrong bytes.
  char part[10];
  EXPECT_EQ(reader->ReadAt(20, part, sizeof part), sizeof part);
  EXPECT_EQ(std::string(part, sizeof part), bytes.substr(20, sizeof part));
  try {
    reader->ReadAt(kChunk + 5, part, sizeof part);
    FAIL() << "read a purged chunk";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory) << e.what();
  }
}

TEST_F(PostgresArtifactsTest, EveryDeletePurgesAFewExpiredTombstones) {
  PostgresArtifactStore store(pool_, NoGrace());
  for (int i = 0; i < 3; ++i) {
    const Artifact artifact = Publish(store, Bytes(kChunk + 1));
    EXPECT_TRUE(store.Delete(artifact.key));  // tombstones
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  // Retention deleting another artifact purges the expired tombstones.
  const Artifact last = Publish(store, Bytes(10));
  EXPECT_TRUE(store.Delete(last.key));
  EXPECT_EQ(
      Count(pool_, "SELECT count(*) FROM artifacts WHERE key <> $1", pg::Params().Add(last.key)),
      0);
  EXPECT_EQ(Count(pool_, "SELECT count(*) FROM artifact_chunks WHERE key <> $1",
                  pg::Params().Add(last.key)),
            0);
}

TEST_F(PostgresArtifactsTest, AFileStillBeingWrittenIsDeletedAtOnce) {
  PostgresArtifactStore store(pool_, NoGrace());
  auto writer = store.Begin(CsvSpec());
  writer->Write(Bytes(2 * kChunk));
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const std::vector<std::string> orphans = store.ListOrphans({});
  ASSERT_EQ(orphans.size(), 1u);
  EXPECT_TRUE(store.Delete(orphans[0]));
  EXPECT_EQ(Count(pool_, "SELECT count(*) FROM artifacts"), 0);
  EXPECT_EQ(Count(pool_, "SELECT count(*) FROM artifact_chunks"), 0);
  // Its writer finds out by its commit at the latest: the chunk in flight
  // when the file was deleted may have gone in just before.
  EXPECT_THROW(
      {
        writer->Write(Bytes(kChunk));
        writer->Commit();
      },
      std::system_error);
}

// The chunk in flight when its connection is killed is sent again on
// another: the file commits whole.
TEST_F(PostgresArtifactsTest, AConnectionKilledWhileAChunkIsInFlightLosesNoByte) {
  // A name of our own, so that only this writer's connections are killed.
  const std::string name = "jobsd_kill_" + std::to_string(::getpid());
  pg::Pool pool(location_ + "&application_name=" + name, 4);
  PostgresArtifactOptions options;
  options.chunk_bytes = kChunk;
  PostgresArtifactStore store(pool, options);
  const std::string bytes = Bytes(6 * kChunk + 3);
  auto writer = store.Begin(CsvSpec());
  writer->Write(std::string_view(bytes).substr(0, 2 * kChunk));  // chunk 1 in flight
  auto killer = pg::Connection::Open(testing::TestPostgresUri());
  EXPECT_GE(killer
                ->RunOnce("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                          " WHERE application_name = $1",
                          pg::Params().Add(name))
                .Int64(0, 0),
            1);
  writer->Write(std::string_view(bytes).substr(2 * kChunk));
  const Artifact artifact = writer->Commit();
  EXPECT_EQ(artifact.size, static_cast<std::int64_t>(bytes.size()));
  auto reader = store.Open(artifact.key);
  ASSERT_NE(reader, nullptr);
  std::string read(bytes.size(), '\0');
  EXPECT_EQ(reader->ReadAt(0, read.data(), read.size()), bytes.size());
  EXPECT_EQ(read, bytes);
}

TEST_F(PostgresArtifactsTest, LocationNamesTheStoreWithoutItsPassword) {
  pg::Pool with_password("postgresql://jobsd:s3cret@db.internal:5432/jobsd", 1);
  PostgresArtifactStore store(with_password);
  EXPECT_EQ(store.Location(), "PostgreSQL postgresql://jobsd:***@db.internal:5432/jobsd");
}

TEST(PostgresStoreArtifactsTest, TheStoreKeepsItsOwnArtifactsInProductionChunks) {
  const std::string location = testing::FreshPostgresSchema();
  const std::string bytes = Bytes((std::size_t{5} << 20) / 2 + 3);  // 2.5 MiB: three 1 MiB chunks
  std::string key;
  {
    auto store = PostgresStore::Open({location});
    ArtifactStore* artifacts = store->own_artifacts();
    ASSERT_NE(artifacts, nullptr);
    auto writer = artifacts->Begin(CsvSpec());
    writer->Write(bytes);
    key = writer->Commit().key;
  }
  // Another node (another store on the same database) serves it.
  auto other = PostgresStore::Open({location});
  auto reader = other->own_artifacts()->Open(key);
  ASSERT_NE(reader, nullptr);
  std::string out(bytes.size(), '\0');
  std::size_t done = 0;
  while (done < out.size()) {
    const std::size_t got = reader->ReadAt(done, out.data() + done, 64 * 1024);
    ASSERT_GT(got, 0u);
    done += got;
  }
  EXPECT_EQ(out, bytes);
  pg::Pool pool(location, 1);
  EXPECT_EQ(Count(pool, "SELECT count(*) FROM artifact_chunks"), 3);
  EXPECT_EQ(
      Count(pool, "SELECT count(*) FROM artifacts WHERE encoding = 'zstd' AND chunk_size = $1",
            pg::Params().Add(1 << 20)),
      1);
  // The writer compressed each chunk (the bytes repeat: they shrink a lot),
  // and the server stored them as they came, without compressing them again
  // (migrations 0009 and 0013).
  EXPECT_LT(Count(pool, "SELECT max(length(data)) FROM artifact_chunks"), (1 << 20) / 4);
  EXPECT_EQ(
      Count(pool, "SELECT count(*) FROM artifact_chunks WHERE pg_column_compression(data) IS NULL"),
      3);
}

}  // namespace
}  // namespace jobsd::storage
