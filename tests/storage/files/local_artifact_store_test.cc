// LocalArtifactStore on a real directory: publishing is atomic, an aborted
// artifact leaves nothing, reads by range, delete, the orphan listing of the
// start-up sweep, and the free-space reserve.
#include "storage/files/local_artifact_store.h"

#include <gtest/gtest.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <string>
#include <system_error>
#include <vector>

#include "tests/support/temp_dir.h"

namespace jobsd::storage {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kJobId = "10000000-0000-4000-8000-000000000001";

ArtifactSpec CsvSpec(std::string_view job_id = kJobId) {
  return ArtifactSpec{std::string(job_id), "text/csv; charset=utf-8",
                      "orders-" + std::string(job_id) + ".csv"};
}

std::vector<std::string> NamesIn(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
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

class LocalArtifactStoreTest : public ::testing::Test {
 protected:
  Artifact Publish(const std::string& bytes, std::string_view job_id = kJobId) {
    std::unique_ptr<ArtifactWriter> writer = store_.Begin(CsvSpec(job_id));
    writer->Write(bytes);
    return writer->Commit();
  }

  testing::TempDir dir_;
  fs::path exports_ = dir_ / "exports";  // created by the first Begin
  LocalArtifactStore store_{exports_, /*min_free_disk=*/0};
};

TEST_F(LocalArtifactStoreTest, PublishIsAtomicUnderAFreshKeyAndToken) {
  std::unique_ptr<ArtifactWriter> writer = store_.Begin(CsvSpec());
  writer->Write("id\r\n");
  writer->Write("1\r\n");
  // Until the commit only a temporary exists: nothing downloadable, and the
  // sweep would take it.
  const std::vector<std::string> writing = NamesIn(exports_);
  ASSERT_EQ(writing.size(), 1u);
  EXPECT_TRUE(writing[0].starts_with(".tmp-" + std::string(kJobId) + "-")) << writing[0];
  EXPECT_TRUE(writing[0].ends_with(".csv")) << writing[0];
  EXPECT_EQ(store_.ListOrphans({}), std::vector<std::string>{(exports_ / writing[0]).string()});

  const Artifact artifact = writer->Commit();
  EXPECT_TRUE(std::regex_match(artifact.token, std::regex("[0-9a-f]{32}"))) << artifact.token;
  const fs::path file =
      fs::absolute(exports_) / (std::string(kJobId) + "-" + artifact.token.substr(0, 8) + ".csv");
  EXPECT_EQ(artifact.key, file.string());
  EXPECT_EQ(artifact.content_type, "text/csv; charset=utf-8");
  EXPECT_EQ(artifact.file_name, "orders-" + std::string(kJobId) + ".csv");
  EXPECT_EQ(artifact.size, 7);
  EXPECT_EQ(NamesIn(exports_), std::vector<std::string>{file.filename().string()});
  EXPECT_EQ(testing::ReadFile(file), "id\r\n1\r\n");
  EXPECT_EQ(store_.Describe(artifact.key), file.string());
  EXPECT_EQ(store_.Location(), fs::absolute(exports_).lexically_normal().string());

  // A second attempt of the same job never replaces the first's artifact.
  const Artifact again = Publish("id\r\n2\r\n");
  EXPECT_NE(again.key, artifact.key);
  EXPECT_NE(again.token, artifact.token);
  EXPECT_EQ(testing::ReadFile(file), "id\r\n1\r\n");
  writer.reset();  // destroying a committed writer keeps its artifact
  EXPECT_TRUE(fs::exists(file));
}

TEST_F(LocalArtifactStoreTest, AbortLeavesNothing) {
  {
    std::unique_ptr<ArtifactWriter> dropped = store_.Begin(CsvSpec());
    dropped->Write(std::string(100'000, 'x'));
  }  // destroyed without a commit
  EXPECT_TRUE(NamesIn(exports_).empty());

  std::unique_ptr<ArtifactWriter> aborted = store_.Begin(CsvSpec());
  aborted->Write("partial");
  aborted->Abort();
  aborted->Abort();  // idempotent
  EXPECT_TRUE(NamesIn(exports_).empty());
}

TEST_F(LocalArtifactStoreTest, ReadsByRangeAndKeepsReadingAfterDelete) {
  std::string bytes;
  while (bytes.size() < 200'000) bytes += "0123456789abcdef,\"quoted, field\"\r\n";
  const Artifact artifact = Publish(bytes);

  std::unique_ptr<ArtifactReader> reader = store_.Open(artifact.key);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->size(), bytes.size());
  char part[10];
  ASSERT_EQ(reader->ReadAt(3, part, sizeof part), sizeof part);
  EXPECT_EQ(std::string(part, sizeof part), bytes.substr(3, sizeof part));
  const std::uint64_t last = bytes.size() - 4;
  EXPECT_EQ(reader->ReadAt(last, part, sizeof part), 4u);  // short at the end
  EXPECT_EQ(std::string(part, 4), bytes.substr(last));
  EXPECT_EQ(reader->ReadAt(bytes.size(), part, sizeof part), 0u);

  // Retention deletes it mid-download: the open reader still has it all.
  EXPECT_TRUE(store_.Delete(artifact.key));
  EXPECT_EQ(store_.Open(artifact.key), nullptr);
  EXPECT_EQ(ReadAll(*reader), bytes);
}

TEST_F(LocalArtifactStoreTest, DeleteSaysWhetherThereWasOne) {
  const Artifact artifact = Publish("id\r\n");
  EXPECT_TRUE(store_.Delete(artifact.key));
  EXPECT_FALSE(fs::exists(artifact.key));
  EXPECT_FALSE(store_.Delete(artifact.key));
  EXPECT_EQ(store_.Open((exports_ / "never-written.csv").string()), nullptr);
  EXPECT_EQ(store_.Open(exports_.string()), nullptr);  // a directory is no artifact
}

TEST_F(LocalArtifactStoreTest, OrphansAreTemporariesAndUnreferencedArtifactsOnly) {
  EXPECT_TRUE(store_.ListOrphans({}).empty());  // no directory yet
  const Artifact kept = Publish("id\r\n1\r\n");
  const Artifact gone = Publish("id\r\n2\r\n", "20000000-0000-4000-8000-000000000002");
  testing::WriteFile(exports_ / ".tmp-crashed-mid-export.csv", "partial");
  testing::WriteFile(exports_ / "orphan.csv", "job row gone");
  testing::WriteFile(exports_ / "notes.txt", "not ours");
  fs::create_directories(exports_ / "sub.csv");  // not a file: not ours either

  // The referenced key under another spelling of the directory is the same
  // file.
  const std::string other_spelling = (exports_ / "." / fs::path(kept.key).filename()).string();
  std::vector<std::string> orphans = store_.ListOrphans({other_spelling});
  std::sort(orphans.begin(), orphans.end());
  std::vector<std::string> expected = {(exports_ / ".tmp-crashed-mid-export.csv").string(),
                                       gone.key, (exports_ / "orphan.csv").string()};
  for (std::string& key : expected) key = fs::absolute(key).lexically_normal().string();
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(orphans, expected);

  for (const std::string& key : orphans) EXPECT_TRUE(store_.Delete(key)) << key;
  EXPECT_TRUE(store_.ListOrphans({kept.key}).empty());
  EXPECT_TRUE(fs::exists(kept.key));
  EXPECT_TRUE(fs::exists(exports_ / "notes.txt"));
}

TEST(LocalArtifactStoreReserveTest, BeginRefusesWhenTheReserveIsReachedAndLeavesNothing) {
  testing::TempDir dir;
  struct statvfs stats {};
  ASSERT_EQ(::statvfs(dir.path().c_str(), &stats), 0);
  const auto free_bytes = static_cast<std::int64_t>(stats.f_bavail) * stats.f_frsize;
  // Well above what is free: other processes on this machine free space too.
  const std::int64_t reserve = free_bytes + (std::int64_t{8} << 30);
  LocalArtifactStore store(dir / "exports", reserve);
  try {
    store.Begin(CsvSpec());
    FAIL() << "Begin passed a reserve above the free space";
  } catch (const FreeSpaceReserveReached& e) {
    EXPECT_EQ(e.reserve(), reserve);
  }
  EXPECT_TRUE(NamesIn(dir / "exports").empty());

  // 0 turns the check off.
  LocalArtifactStore unchecked(dir / "exports", 0);
  std::unique_ptr<ArtifactWriter> writer = unchecked.Begin(CsvSpec());
  writer->Write("id\r\n");
  EXPECT_EQ(writer->Commit().size, 4);
}

TEST(LocalArtifactStoreErrorsTest, AnUnusableDirectoryIsASystemError) {
  testing::TempDir dir;
  testing::WriteFile(dir / "plain-file", "x");
  LocalArtifactStore store(dir / "plain-file" / "exports", 0);
  EXPECT_THROW(store.Begin(CsvSpec()), std::system_error);
  EXPECT_EQ(testing::ReadFile(dir / "plain-file"), "x");
}

}  // namespace
}  // namespace jobsd::storage
