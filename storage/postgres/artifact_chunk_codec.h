// How the chunks of an export file are held in artifact_chunks.data
// (artifacts.encoding, migrations/postgres/0009_artifact_encoding.sql and
// 0013_artifact_zstd.sql). Each chunk is encoded on its own, so a range
// read needs only the chunks it covers.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct ZSTD_CCtx_s;
struct ZSTD_DCtx_s;

namespace jobsd::storage::pg {

enum class ChunkEncoding {
  kIdentity,  // the bytes as they are (files written before 0009)
  kLz4,       // one LZ4 block (files written from 0009 to 0012)
  kZstd,      // one zstd frame (files written since 0013)
};

// The encoding artifacts.encoding calls `name`; nullopt for a name this
// jobsd does not know.
std::optional<ChunkEncoding> ChunkEncodingNamed(std::string_view name);
std::string_view ChunkEncodingName(ChunkEncoding encoding);

// Compresses the chunks of new files; one per writer, its state reused from
// chunk to chunk.
class ChunkCompressor {
 public:
  static constexpr ChunkEncoding kEncoding = ChunkEncoding::kZstd;

  ChunkCompressor();
  ~ChunkCompressor();
  ChunkCompressor(const ChunkCompressor&) = delete;
  ChunkCompressor& operator=(const ChunkCompressor&) = delete;

  // `bytes` compressed into `out` (replaced). Throws std::system_error
  // (ENOMEM) if the library cannot work.
  void Compress(std::string_view bytes, std::string& out);

 private:
  struct Free {
    void operator()(ZSTD_CCtx_s* context) const;
  };
  std::unique_ptr<ZSTD_CCtx_s, Free> context_;
};

// Reads chunks back; one per reader.
class ChunkDecompressor {
 public:
  ChunkDecompressor();
  ~ChunkDecompressor();
  ChunkDecompressor(const ChunkDecompressor&) = delete;
  ChunkDecompressor& operator=(const ChunkDecompressor&) = delete;

  // The file's bytes that `stored` holds under `encoding`, into `out`
  // (replaced). False, with `out` unspecified, when `stored` is not a chunk
  // of exactly `expected` bytes in that encoding (damaged).
  bool Decompress(ChunkEncoding encoding, std::string_view stored, std::size_t expected,
                  std::string& out);

 private:
  struct Free {
    void operator()(ZSTD_DCtx_s* context) const;
  };
  std::unique_ptr<ZSTD_DCtx_s, Free> context_;
};

}  // namespace jobsd::storage::pg
