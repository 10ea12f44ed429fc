-- 0009_artifact_encoding: export chunks compressed by the node that writes
-- them, not by the server.
--
-- Until 0008 a chunk went over the wire as it is and the server compressed
-- it (lz4, 0003). Now the writer compresses each chunk with lz4 itself and
-- the server stores the bytes as they come (STORAGE EXTERNAL: no second
-- compression). The server is the one part every node shares; nodes are
-- added when they run short. Measured on a 200,000-order export (96 MB of
-- seeded CSV, a durable PostgreSQL 15 on the same 2 cores): lz4 takes it to
-- 44 MB, so the bytes sent, logged and stored halve, and the server no
-- longer compresses; the export ran in 1.8 s instead of 2.2-2.6 s.
--
--   artifacts.encoding  how the chunks of the file hold its bytes:
--     'identity'  each chunk is the bytes as they are (files written before
--                 this migration; the server may still have compressed
--                 them, which readers never see)
--     'lz4'       each chunk is one LZ4 block (the lz4 library's
--                 LZ4_compress_default) of the file's bytes [seq * chunk_size,
--                 (seq + 1) * chunk_size): chunk_size and size stay counts of
--                 the file's own bytes, so a range still maps to one chunk.
ALTER TABLE artifacts ADD COLUMN encoding text NOT NULL DEFAULT 'identity'
  CHECK (encoding IN ('identity', 'lz4'));

-- Compressed already: the server would only spend time failing to shrink it.
-- Chunks stored before keep their own compression.
ALTER TABLE artifact_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
