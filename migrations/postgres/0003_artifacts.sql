-- 0003_artifacts: export files (artifacts) kept in the store, so that every
-- node serves every file (GET, HEAD, Range) and nodes keep nothing of their
-- own (storage/postgres/postgres_artifact_store.h).
--
-- A file is a row of `artifacts` and its bytes are rows of fixed-size bytea
-- chunks in `artifact_chunks` (the last one shorter), not large objects:
-- chunks stream (the writer inserts one at a time, a reader fetches the one
-- a range starts in), they are deleted with their row like any other data
-- (no lo_unlink to forget, no pg_largeobject to vacuum apart), and plain
-- tables port to PostgreSQL-compatible distributed databases, which mostly
-- lack large objects.
--
-- Times are bigint nanoseconds since the Unix epoch, UTC, as everywhere in
-- the store, and always the SERVER's clock (clock_timestamp()): the grace
-- periods below compare times that different nodes wrote.
--
-- Tables:
--   artifacts        one row per file:
--                    'writing'    a writer is inserting chunks; nobody can
--                                 open it. touched_at moves with every chunk.
--                    'published'  committed (all chunks and the size in one
--                                 transaction): readers see all or nothing.
--                    'deleted'    a tombstone: deleted, no longer opened, but
--                                 its chunks stay for readers that opened it
--                                 before (a download outliving retention)
--                                 until a grace period has passed.
--   artifact_chunks  the bytes: chunk `seq` holds bytes [seq * chunk_size,
--                    (seq + 1) * chunk_size) of the file.

CREATE TABLE artifacts (
  key text PRIMARY KEY,  -- <job id>-<32 random hex digits>: fresh per Begin, never reused
  job_id text NOT NULL,
  content_type text NOT NULL,
  file_name text NOT NULL,
  state text NOT NULL DEFAULT 'writing' CHECK (state IN ('writing', 'published', 'deleted')),
  chunk_size integer NOT NULL CHECK (chunk_size > 0),  -- bytes per chunk, per file
  size bigint CHECK (size >= 0),  -- bytes; set at publication
  written_by text NOT NULL,       -- host:pid of the writer, for operators
  created_at bigint NOT NULL,     -- ns
  touched_at bigint NOT NULL,     -- ns; the last chunk written (the sweep's clock for 'writing')
  published_at bigint,            -- ns
  deleted_at bigint,              -- ns
  CHECK ((state = 'writing') = (size IS NULL)),
  CHECK ((state = 'deleted') = (deleted_at IS NOT NULL))
);

-- Tombstones to purge, oldest first (every Delete purges a few).
CREATE INDEX artifacts_deleted ON artifacts (deleted_at) WHERE state = 'deleted';

CREATE TABLE artifact_chunks (
  key text NOT NULL REFERENCES artifacts (key) ON DELETE CASCADE,
  seq integer NOT NULL CHECK (seq >= 0),
  data bytea NOT NULL,
  PRIMARY KEY (key, seq)
);

-- Chunks are compressed with lz4 where the server has it, else stored
-- uncompressed (EXTERNAL). Measured on PostgreSQL 15 with a 100 MiB
-- order-like CSV in 1 MiB chunks (durable server, same machine): lz4 stores
-- it in a fifth of the space and writes faster than no compression at all
-- (54 MiB/s against 37: less WAL and TOAST to write), reads too (230 MiB/s
-- against 200). The default, pglz, shrinks CSV as well but spends so much
-- of the server's CPU that it halves the write rate against no compression
-- (21 MiB/s against 42 with fsync off), so it is never used. lz4 is in the
-- PostgreSQL packages of Debian, Ubuntu, RHEL and the official images; a
-- server built without it says so with feature_not_supported.
DO $$
BEGIN
  ALTER TABLE artifact_chunks ALTER COLUMN data SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  ALTER TABLE artifact_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
END $$;
