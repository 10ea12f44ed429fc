-- 0013_artifact_zstd: new export files are stored as zstd frames.
--
-- 0009 made the writing node compress each 1 MiB chunk with lz4. zstd at its
-- fastest standard level (1) stores far fewer bytes for little more of the
-- node's time, and storing bytes is the server's share of an export, which
-- every node shares. Measured on a 200,000-order export (96 MB of seeded
-- CSV, a durable PostgreSQL 15 on the same 2 cores): lz4 44 MB, zstd 26 MB;
-- the export ran in 1.41 s instead of 1.61 s (README, "Export files on
-- PostgreSQL").
--
--   artifacts.encoding  gains
--     'zstd'  each chunk is one zstd frame (the zstd library's
--             ZSTD_compressCCtx) of the file's bytes [seq * chunk_size,
--             (seq + 1) * chunk_size); chunk_size and size stay counts of
--             the file's own bytes, as for 'lz4'.
--
-- Files written before keep their encoding and read as before. A node older
-- than this migration refuses the store when it starts (the schema is newer
-- than it knows); one still running takes a zstd file's chunks for bytes as
-- they are and refuses them for not being the sizes it expects (all but a
-- last chunk that happens to compress to exactly its own size): upgrade
-- every node before serving files written by the new ones.
ALTER TABLE artifacts DROP CONSTRAINT artifacts_encoding_check;
ALTER TABLE artifacts ADD CONSTRAINT artifacts_encoding_check
  CHECK (encoding IN ('identity', 'lz4', 'zstd'));
