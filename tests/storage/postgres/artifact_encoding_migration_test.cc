// 0009 makes writers compress export chunks (encoding 'lz4'), 0013 makes
// them zstd: a PostgreSQL store left at schema 8 with a file written as
// release 8 wrote it (chunks as they are), or at schema 12 with one written
// as release 12 wrote it (lz4 blocks), migrates forward with this code; the
// old file still reads byte for byte, and files written after are zstd. A
// damaged chunk fails the read with EIO instead of handing out garbage.
#include <gtest/gtest.h>
#include <lz4.h>

#include <cerrno>
#include <memory>
#include <string>
#include <system_error>

#include "storage/postgres/pg.h"
#include "storage/postgres/postgres_store.h"
#include "tests/storage/postgres/store_at_version.h"
#include "tests/storage/store_test_data.h"
#include "tests/support/test_postgres.h"

namespace jobsd::storage {
namespace {

constexpr int kChunk = 1 << 20;  // the production chunk size, which own_artifacts() uses

std::string ReadAll(ArtifactStore& artifacts, const std::string& key) {
  auto reader = artifacts.Open(key);
  if (reader == nullptr) return "<not found>";
  std::string out(reader->size(), '\0');
  std::size_t done = 0;
  while (done < out.size()) {
    const std::size_t got = reader->ReadAt(done, out.data() + done, 64 * 1024);
    if (got == 0) break;
    done += got;
  }
  out.resize(done);
  return out;
}

TEST(PostgresMigrationsTest, Schema8ArtifactsStillReadAndNewOnesAreCompressedByTheWriter) {
  const std::string location = testing::FreshPostgresSchema();
  const std::string old_bytes = testing::CsvLikeBytes(kChunk + kChunk / 2);
  {
    auto connection = testing::OpenPostgresStoreAtVersion(location, 8);
    // Release 8's Begin, chunk inserts and publication.
    connection->Run(
        "INSERT INTO artifacts (key, job_id, content_type, file_name, chunk_size, written_by,"
        " created_at, touched_at) VALUES ('old', 'job', 'text/csv', 'old.csv', $1, 'h:1', 1, 1)",
        pg::Params().Add(kChunk));
    for (int seq = 0; seq < 2; ++seq) {
      connection->Run("INSERT INTO artifact_chunks (key, seq, data) VALUES ('old', $1, $2)",
                      pg::Params().Add(seq).AddBytes(std::string_view(old_bytes).substr(
                          static_cast<std::size_t>(seq) * kChunk, kChunk)));
    }
    connection->Run(
        "UPDATE artifacts SET state = 'published', size = $1, published_at = 2 WHERE key = 'old'",
        pg::Params().Add(static_cast<std::int64_t>(old_bytes.size())));
  }

  auto store = PostgresStore::Open({location, 2});
  ArtifactStore& artifacts = *store->own_artifacts();
  EXPECT_EQ(ReadAll(artifacts, "old"), old_bytes);

  const std::string new_bytes = testing::CsvLikeBytes(2 * kChunk + 5);
  auto writer = artifacts.Begin(ArtifactSpec{"job2", "text/csv", "new.csv"});
  writer->Write(new_bytes);
  const Artifact published = writer->Commit();
  EXPECT_EQ(ReadAll(artifacts, published.key), new_bytes);

  auto connection = pg::Connection::Open(location);
  EXPECT_EQ(connection->Run("SELECT encoding FROM artifacts WHERE key = 'old'").Text(0, 0),
            "identity");
  EXPECT_EQ(
      connection
          ->Run("SELECT encoding FROM artifacts WHERE key = $1", pg::Params().Add(published.key))
          .Text(0, 0),
      "zstd");
  // What went over the wire and into the table is smaller than the file.
  EXPECT_LT(connection
                ->Run("SELECT sum(length(data)) FROM artifact_chunks WHERE key = $1",
                      pg::Params().Add(published.key))
                .Int64(0, 0),
            static_cast<std::int64_t>(new_bytes.size()) / 2);

  // A chunk that is not the zstd frame it should be.
  connection->Run(
      "UPDATE artifact_chunks SET data = '\\x00ff00ff'::bytea WHERE key = $1 AND seq = 1",
      pg::Params().Add(published.key));
  auto reader = artifacts.Open(published.key);
  ASSERT_NE(reader, nullptr);
  char byte = 0;
  EXPECT_EQ(reader->ReadAt(0, &byte, 1), 1u);  // chunk 0 is whole
  try {
    reader->ReadAt(kChunk, &byte, 1);
    ADD_FAILURE() << "a damaged chunk was read";
  } catch (const std::system_error& error) {
    EXPECT_EQ(error.code().value(), EIO) << error.what();
    EXPECT_NE(std::string(error.what()).find("chunk 1"), std::string::npos) << error.what();
  }
}

TEST(PostgresMigrationsTest, Schema12Lz4ArtifactsStillReadAndNewOnesAreZstd) {
  const std::string location = testing::FreshPostgresSchema();
  const std::string old_bytes = testing::CsvLikeBytes(kChunk + kChunk / 3);
  {
    auto connection = testing::OpenPostgresStoreAtVersion(location, 12);
    // Release 12's Begin, chunk inserts (one LZ4 block each) and publication.
    connection->Run(
        "INSERT INTO artifacts (key, job_id, content_type, file_name, chunk_size, written_by,"
        " encoding, created_at, touched_at)"
        " VALUES ('old', 'job', 'text/csv', 'old.csv', $1, 'h:1', 'lz4', 1, 1)",
        pg::Params().Add(kChunk));
    for (int seq = 0; seq < 2; ++seq) {
      const std::string_view part =
          std::string_view(old_bytes).substr(static_cast<std::size_t>(seq) * kChunk, kChunk);
      std::string block(static_cast<std::size_t>(LZ4_compressBound(static_cast<int>(part.size()))),
                        '\0');
      block.resize(static_cast<std::size_t>(LZ4_compress_default(part.data(), block.data(),
                                                                 static_cast<int>(part.size()),
                                                                 static_cast<int>(block.size()))));
      connection->Run("INSERT INTO artifact_chunks (key, seq, data) VALUES ('old', $1, $2)",
                      pg::Params().Add(seq).AddBytes(block));
    }
    connection->Run(
        "UPDATE artifacts SET state = 'published', size = $1, published_at = 2 WHERE key = 'old'",
        pg::Params().Add(static_cast<std::int64_t>(old_bytes.size())));
  }

  auto store = PostgresStore::Open({location, 2});
  ArtifactStore& artifacts = *store->own_artifacts();
  EXPECT_EQ(ReadAll(artifacts, "old"), old_bytes);

  const std::string new_bytes = testing::CsvLikeBytes(kChunk + 7);
  auto writer = artifacts.Begin(ArtifactSpec{"job2", "text/csv", "new.csv"});
  writer->Write(new_bytes);
  const Artifact published = writer->Commit();
  EXPECT_EQ(ReadAll(artifacts, published.key), new_bytes);

  auto connection = pg::Connection::Open(location);
  EXPECT_EQ(
      connection
          ->Run("SELECT encoding FROM artifacts WHERE key = $1", pg::Params().Add(published.key))
          .Text(0, 0),
      "zstd");
  // The schema now takes 'zstd' and still refuses what no jobsd writes.
  EXPECT_THROW(connection->Run("UPDATE artifacts SET encoding = 'gzip' WHERE key = 'old'"),
               pg::PgError);
  // A file in an encoding this jobsd does not know is refused, not guessed.
  connection->Run("ALTER TABLE artifacts DROP CONSTRAINT artifacts_encoding_check");
  connection->Run("UPDATE artifacts SET encoding = 'gzip' WHERE key = 'old'");
  try {
    artifacts.Open("old");
    ADD_FAILURE() << "a gzip file was opened";
  } catch (const std::system_error& error) {
    EXPECT_EQ(error.code().value(), EIO) << error.what();
    EXPECT_NE(std::string(error.what()).find("'gzip', unknown"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace jobsd::storage
