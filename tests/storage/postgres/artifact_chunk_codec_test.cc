// The encodings of export file chunks: each reads back byte for byte, a
// chunk that is damaged or of the wrong size is refused rather than handed
// out, and names map both ways (an unknown one is not guessed).
#include "storage/postgres/artifact_chunk_codec.h"

#include <gtest/gtest.h>
#include <lz4.h>

#include <string>
#include <string_view>

#include "tests/storage/store_test_data.h"

namespace jobsd::storage::pg {
namespace {

std::string Lz4(const std::string& bytes) {  // as releases 9 to 12 wrote a chunk
  std::string out(static_cast<std::size_t>(LZ4_compressBound(static_cast<int>(bytes.size()))),
                  '\0');
  out.resize(static_cast<std::size_t>(LZ4_compress_default(
      bytes.data(), out.data(), static_cast<int>(bytes.size()), static_cast<int>(out.size()))));
  return out;
}

TEST(ArtifactChunkCodecTest, NewChunksAreZstdAndReadBackByteForByte) {
  ChunkCompressor compressor;
  ChunkDecompressor decompressor;
  EXPECT_EQ(ChunkCompressor::kEncoding, ChunkEncoding::kZstd);
  std::string stored;
  std::string read;
  // The compressor's state is reused from chunk to chunk: each still reads alone.
  for (const std::size_t size : {std::size_t{1} << 20, std::size_t{12345}, std::size_t{0}}) {
    const std::string bytes = testing::CsvLikeBytes(size);
    compressor.Compress(bytes, stored);
    if (size > 1000) {
      EXPECT_LT(stored.size(), size / 3) << size;
    }
    ASSERT_TRUE(decompressor.Decompress(ChunkEncoding::kZstd, stored, size, read)) << size;
    EXPECT_EQ(read, bytes) << size;
  }
}

TEST(ArtifactChunkCodecTest, OlderEncodingsStillRead) {
  ChunkDecompressor decompressor;
  const std::string bytes = testing::CsvLikeBytes(100'000);
  std::string read;
  ASSERT_TRUE(decompressor.Decompress(ChunkEncoding::kLz4, Lz4(bytes), bytes.size(), read));
  EXPECT_EQ(read, bytes);
  ASSERT_TRUE(decompressor.Decompress(ChunkEncoding::kIdentity, bytes, bytes.size(), read));
  EXPECT_EQ(read, bytes);
}

TEST(ArtifactChunkCodecTest, DamagedOrMisSizedChunksAreRefused) {
  ChunkCompressor compressor;
  ChunkDecompressor decompressor;
  const std::string bytes = testing::CsvLikeBytes(50'000);
  std::string zstd;
  compressor.Compress(bytes, zstd);
  std::string read;
  // The file expects another size than the chunk holds.
  EXPECT_FALSE(decompressor.Decompress(ChunkEncoding::kZstd, zstd, bytes.size() - 1, read));
  EXPECT_FALSE(decompressor.Decompress(ChunkEncoding::kZstd, zstd, bytes.size() + 1, read));
  EXPECT_FALSE(decompressor.Decompress(ChunkEncoding::kLz4, Lz4(bytes), bytes.size() + 1, read));
  EXPECT_FALSE(decompressor.Decompress(ChunkEncoding::kIdentity, bytes, bytes.size() + 1, read));
  // Bytes that are not a frame, or a frame cut short.
  EXPECT_FALSE(decompressor.Decompress(ChunkEncoding::kZstd,
                                       std::string_view("\x00\xff\x00\xff", 4), 4, read));
  EXPECT_FALSE(decompressor.Decompress(
      ChunkEncoding::kZstd, std::string_view(zstd).substr(0, zstd.size() / 2), bytes.size(), read));
  EXPECT_FALSE(decompressor.Decompress(ChunkEncoding::kLz4, std::string_view("\x00\xff\x00\xff", 4),
                                       4, read));
  // One chunk kept by another encoding's reader.
  EXPECT_FALSE(decompressor.Decompress(ChunkEncoding::kLz4, zstd, bytes.size(), read));
  // The decompressor still works after all that.
  ASSERT_TRUE(decompressor.Decompress(ChunkEncoding::kZstd, zstd, bytes.size(), read));
  EXPECT_EQ(read, bytes);
}

TEST(ArtifactChunkCodecTest, NamesAreTheColumnsValuesAndUnknownOnesAreNotGuessed) {
  for (const ChunkEncoding encoding :
       {ChunkEncoding::kIdentity, ChunkEncoding::kLz4, ChunkEncoding::kZstd}) {
    EXPECT_EQ(ChunkEncodingNamed(ChunkEncodingName(encoding)), encoding);
  }
  EXPECT_EQ(ChunkEncodingName(ChunkEncoding::kZstd), "zstd");
  EXPECT_EQ(ChunkEncodingNamed("gzip"), std::nullopt);
  EXPECT_EQ(ChunkEncodingNamed("ZSTD"), std::nullopt);
  EXPECT_EQ(ChunkEncodingNamed(""), std::nullopt);
}

}  // namespace
}  // namespace jobsd::storage::pg
