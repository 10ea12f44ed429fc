// Every promise of engine/queue/artifact_store.h, against every artifact
// store built (artifact_backend.h): publish all or nothing under a fresh
// key, reads by range (chunk boundaries included), abort, delete, reading on
// after a delete, a second handle (another node), and the orphan rules of
// the start-up sweep.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "tests/storage/conformance/artifact_backend.h"
#include "tests/support/temp_dir.h"

namespace jobsd::conformance {
namespace {

constexpr std::string_view kJobId = "10000000-0000-4000-8000-000000000001";
constexpr std::string_view kOtherJobId = "20000000-0000-4000-8000-000000000002";

ArtifactSpec CsvSpec(std::string_view job_id = kJobId) {
  return ArtifactSpec{std::string(job_id), "text/csv; charset=utf-8",
                      "orders-" + std::string(job_id) + ".csv"};
}

// CSV-like bytes where every line is numbered: a chunk read from the wrong
// place cannot pass for the right one.
std::string NumberedLines(std::size_t size) {
  std::string bytes;
  for (int line = 0; bytes.size() < size; ++line) {
    bytes += std::to_string(line) + ",\"quoted, field\",plain\r\n";
  }
  bytes.resize(size);
  return bytes;
}

std::string ReadAll(ArtifactReader& reader) {
  std::string out(reader.size(), '\0');
  std::size_t done = 0;
  while (done < out.size()) {
    const std::size_t got = reader.ReadAt(done, out.data() + done, out.size() - done);
    if (got == 0) break;
    done += got;
  }
  out.resize(done);
  return out;
}

std::string ReadRange(ArtifactReader& reader, std::uint64_t offset, std::size_t length) {
  std::string out(length, '\0');
  out.resize(reader.ReadAt(offset, out.data(), length));
  return out;
}

// Grace periods are measured on the server's clock: let it move on.
void LetTheClockMove() { std::this_thread::sleep_for(std::chrono::milliseconds(5)); }

class ArtifactStoreConformanceTest : public ::testing::TestWithParam<ArtifactBackend> {
 protected:
  ArtifactStoreConformanceTest() : handle_(Open()), store_(handle_->artifacts()) {}

  std::unique_ptr<OpenArtifactBackend> Open(Grace grace = Grace::kDefault) {
    return GetParam().open(dir_.path(), grace);
  }

  Artifact Publish(const std::string& bytes, std::string_view job_id = kJobId) {
    std::unique_ptr<ArtifactWriter> writer = store_.Begin(CsvSpec(job_id));
    writer->Write(bytes);
    return writer->Commit();
  }

  // What a sweep finds once every grace period has passed.
  std::vector<std::string> OrphansAfterGrace(const std::vector<std::string>& referenced) {
    LetTheClockMove();
    auto sweeper = Open(Grace::kNone);
    std::vector<std::string> orphans = sweeper->artifacts().ListOrphans(referenced);
    std::sort(orphans.begin(), orphans.end());
    return orphans;
  }

  testing::TempDir dir_;
  std::unique_ptr<OpenArtifactBackend> handle_;
  ArtifactStore& store_;
};

TEST_P(ArtifactStoreConformanceTest, CommitPublishesAllTheBytesUnderAFreshKeyAndToken) {
  const std::string bytes = NumberedLines(5 * kTestChunkBytes + 123);
  std::unique_ptr<ArtifactWriter> writer = store_.Begin(CsvSpec());
  // Writes of every size: smaller than a chunk, across boundaries, several
  // chunks at once.
  std::size_t at = 0;
  for (std::size_t step : {std::size_t{1}, std::size_t{100}, std::size_t{kTestChunkBytes},
                           std::size_t{kTestChunkBytes - 1}, std::size_t{3 * kTestChunkBytes}}) {
    const std::size_t n = std::min(step, bytes.size() - at);
    writer->Write(std::string_view(bytes).substr(at, n));
    at += n;
  }
  writer->Write(std::string_view(bytes).substr(at));
  const Artifact artifact = writer->Commit();

  EXPECT_FALSE(artifact.key.empty());
  EXPECT_TRUE(std::regex_match(artifact.token, std::regex("[0-9a-f]{32}"))) << artifact.token;
  EXPECT_EQ(artifact.content_type, "text/csv; charset=utf-8");
  EXPECT_EQ(artifact.file_name, "orders-" + std::string(kJobId) + ".csv");
  EXPECT_EQ(artifact.size, static_cast<std::int64_t>(bytes.size()));
  EXPECT_NE(store_.Describe(artifact.key), "");
  EXPECT_NE(store_.Location(), "");

  std::unique_ptr<ArtifactReader> reader = store_.Open(artifact.key);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->size(), bytes.size());
  EXPECT_EQ(ReadAll(*reader), bytes);
  writer.reset();  // destroying a committed writer keeps its artifact
  EXPECT_NE(store_.Open(artifact.key), nullptr);
}

TEST_P(ArtifactStoreConformanceTest, ReadsAnyRange) {
  const std::string bytes = NumberedLines(3 * kTestChunkBytes + 10);
  const Artifact artifact = Publish(bytes);
  std::unique_ptr<ArtifactReader> reader = store_.Open(artifact.key);
  ASSERT_NE(reader, nullptr);
  const std::uint64_t size = bytes.size();

  EXPECT_EQ(ReadRange(*reader, 0, 1), bytes.substr(0, 1));              // first byte
  EXPECT_EQ(ReadRange(*reader, size - 1, 1), bytes.substr(size - 1));   // last byte
  EXPECT_EQ(ReadRange(*reader, size - 4, 10), bytes.substr(size - 4));  // short at the end
  EXPECT_EQ(ReadRange(*reader, size, 10), "");                          // at the end
  EXPECT_EQ(ReadRange(*reader, size + 1000, 10), "");                   // past the end
  EXPECT_EQ(ReadRange(*reader, kTestChunkBytes - 3, 6),                 // across a boundary
            bytes.substr(kTestChunkBytes - 3, 6));
  EXPECT_EQ(ReadRange(*reader, kTestChunkBytes, 1), bytes.substr(kTestChunkBytes, 1));
  EXPECT_EQ(ReadRange(*reader, 10, 2 * kTestChunkBytes + 5),  // three chunks
            bytes.substr(10, 2 * kTestChunkBytes + 5));
  EXPECT_EQ(ReadRange(*reader, 2 * kTestChunkBytes + 7, 3),  // backwards
            bytes.substr(2 * kTestChunkBytes + 7, 3));
  EXPECT_EQ(ReadRange(*reader, 5, 3), bytes.substr(5, 3));
}

TEST_P(ArtifactStoreConformanceTest, AnEmptyArtifactIsPublishedToo) {
  std::unique_ptr<ArtifactWriter> writer = store_.Begin(CsvSpec());
  const Artifact artifact = writer->Commit();
  EXPECT_EQ(artifact.size, 0);
  std::unique_ptr<ArtifactReader> reader = store_.Open(artifact.key);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->size(), 0u);
  EXPECT_EQ(ReadRange(*reader, 0, 10), "");

  // Exactly one chunk's worth: no empty chunk after it.
  const std::string one_chunk = NumberedLines(kTestChunkBytes);
  const Artifact full = Publish(one_chunk);
  reader = store_.Open(full.key);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(ReadAll(*reader), one_chunk);
  EXPECT_EQ(ReadRange(*reader, kTestChunkBytes, 1), "");
}

TEST_P(ArtifactStoreConformanceTest, AbortAndDestructionWithoutCommitLeaveNothing) {
  {
    std::unique_ptr<ArtifactWriter> dropped = store_.Begin(CsvSpec());
    dropped->Write(NumberedLines(3 * kTestChunkBytes + 1));
  }  // destroyed without a commit
  std::unique_ptr<ArtifactWriter> aborted = store_.Begin(CsvSpec(kOtherJobId));
  aborted->Write(NumberedLines(2 * kTestChunkBytes));
  aborted->Abort();
  aborted->Abort();  // idempotent
  aborted.reset();
  EXPECT_EQ(OrphansAfterGrace({}), std::vector<std::string>{});
}

TEST_P(ArtifactStoreConformanceTest, EveryCommitGetsItsOwnKeyAndToken) {
  const Artifact first = Publish("id\r\n1\r\n");
  const Artifact second = Publish("id\r\n2\r\n");  // a second attempt of the same job
  EXPECT_NE(first.key, second.key);
  EXPECT_NE(first.token, second.token);
  std::unique_ptr<ArtifactReader> reader = store_.Open(first.key);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(ReadAll(*reader), "id\r\n1\r\n");
  reader = store_.Open(second.key);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(ReadAll(*reader), "id\r\n2\r\n");
}

TEST_P(ArtifactStoreConformanceTest, DeleteSaysWhetherThereWasOne) {
  const Artifact artifact = Publish("id\r\n");
  EXPECT_TRUE(store_.Delete(artifact.key));
  EXPECT_EQ(store_.Open(artifact.key), nullptr);
  EXPECT_FALSE(store_.Delete(artifact.key));
  const std::string never = artifact.key + "-never-written";
  EXPECT_EQ(store_.Open(never), nullptr);
  EXPECT_FALSE(store_.Delete(never));
}

TEST_P(ArtifactStoreConformanceTest, AnOpenReaderReadsOnAfterTheArtifactIsDeleted) {
  const std::string bytes = NumberedLines(4 * kTestChunkBytes + 9);
  const Artifact artifact = Publish(bytes);
  std::unique_ptr<ArtifactReader> reader = store_.Open(artifact.key);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(ReadRange(*reader, 0, 10), bytes.substr(0, 10));  // a download under way

  // Retention deletes it mid-download: gone for everyone else, not for the
  // open reader.
  EXPECT_TRUE(store_.Delete(artifact.key));
  EXPECT_EQ(store_.Open(artifact.key), nullptr);
  EXPECT_EQ(ReadAll(*reader), bytes);
}

TEST_P(ArtifactStoreConformanceTest, AnotherHandleReadsAndDeletesWhatOneCommitted) {
  auto other_node = Open();
  const std::string bytes = NumberedLines(2 * kTestChunkBytes + 77);
  const Artifact artifact = Publish(bytes);
  std::unique_ptr<ArtifactReader> reader = other_node->artifacts().Open(artifact.key);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->size(), bytes.size());
  EXPECT_EQ(ReadAll(*reader), bytes);
  EXPECT_EQ(other_node->artifacts().Describe(artifact.key), store_.Describe(artifact.key));

  EXPECT_TRUE(other_node->artifacts().Delete(artifact.key));
  EXPECT_EQ(store_.Open(artifact.key), nullptr);
}

TEST_P(ArtifactStoreConformanceTest, OrphansAreLeftoversAndUnreferencedArtifacts) {
  const Artifact kept = Publish("id\r\n1\r\n");
  const Artifact gone = Publish("id\r\n2\r\n", kOtherJobId);          // its job row is gone
  std::unique_ptr<ArtifactWriter> crashed = store_.Begin(CsvSpec());  // a writer that died
  crashed->Write(NumberedLines(kTestChunkBytes + 1));

  std::vector<std::string> orphans = OrphansAfterGrace({kept.key});
  ASSERT_EQ(orphans.size(), 2u) << ::testing::PrintToString(orphans);
  EXPECT_TRUE(std::count(orphans.begin(), orphans.end(), gone.key) == 1);
  EXPECT_TRUE(std::count(orphans.begin(), orphans.end(), kept.key) == 0);

  // Deleting them all leaves exactly the referenced artifacts (a few rounds
  // for stores that keep a deleted artifact's bytes a while for readers).
  auto sweeper = Open(Grace::kNone);
  for (int round = 0; round < 3 && !orphans.empty(); ++round) {
    for (const std::string& key : orphans) EXPECT_TRUE(sweeper->artifacts().Delete(key)) << key;
    orphans = OrphansAfterGrace({kept.key});
  }
  EXPECT_EQ(orphans, std::vector<std::string>{});
  EXPECT_EQ(store_.Open(gone.key), nullptr);
  std::unique_ptr<ArtifactReader> reader = store_.Open(kept.key);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(ReadAll(*reader), "id\r\n1\r\n");

  // The writer whose leftovers were swept cannot publish them any more.
  EXPECT_THROW(
      {
        crashed->Write(NumberedLines(kTestChunkBytes));
        crashed->Commit();
      },
      std::system_error);
}

TEST_P(ArtifactStoreConformanceTest, ASweepSparesWhatOtherNodesAreStillWritingOrRecording) {
  auto other_node = Open();
  std::unique_ptr<ArtifactWriter> writing = other_node->artifacts().Begin(CsvSpec());
  writing->Write(NumberedLines(kTestChunkBytes + 1));
  // Committed, not yet in its job row (the completer records in batches).
  const Artifact just_committed = Publish("id\r\n", kOtherJobId);

  const std::vector<std::string> orphans = store_.ListOrphans({});
  if (GetParam().orphans_wait_for_grace) {
    EXPECT_EQ(orphans, std::vector<std::string>{});
    const Artifact finished = writing->Commit();  // the sweep took nothing of it
    std::unique_ptr<ArtifactReader> reader = store_.Open(finished.key);
    ASSERT_NE(reader, nullptr);
    EXPECT_EQ(ReadAll(*reader), NumberedLines(kTestChunkBytes + 1));
  } else {
    // The local adapter belongs to one node, swept before its workers start:
    // everything unreferenced is an orphan at once.
    EXPECT_EQ(orphans.size(), 2u) << ::testing::PrintToString(orphans);
  }
  // Once the grace has passed, an artifact still unreferenced is an orphan.
  const std::vector<std::string> later = OrphansAfterGrace({});
  EXPECT_EQ(std::count(later.begin(), later.end(), just_committed.key), 1)
      << ::testing::PrintToString(later);
}

INSTANTIATE_TEST_SUITE_P(Backends, ArtifactStoreConformanceTest,
                         ::testing::ValuesIn(ArtifactBackends()), ArtifactBackendName);

}  // namespace
}  // namespace jobsd::conformance
