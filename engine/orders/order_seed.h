// `jobsd orders seed`: realistic, deterministic orders for demos and
// benchmarks. The same seed gives byte-identical orders on every machine:
// the generator uses only its own integer PRNG (no std distributions, whose
// output differs between standard libraries) and no clock.
//
// The data is meant to exercise the export: names and addresses with commas,
// quotes, apostrophes, line breaks and non-ASCII letters; text that starts
// with '=', '+', '-' or '@' (formula injection); every status, payment and
// shipping value; several currencies; SKUs and customers drawn from shared
// pools so that filters match many orders.
#pragma once

#include <cstdint>
#include <functional>

#include "engine/orders/order.h"
#include "engine/orders/order_store.h"

namespace jobsd {

class OrderGenerator {
 public:
  // `expected_count` only spreads created_at: about two years over that many
  // orders, increasing with a little jitter.
  explicit OrderGenerator(std::uint64_t seed, std::int64_t expected_count = 1'000'000);

  Order Next();
  // The same, overwriting `out` so that its strings keep their capacity.
  void Next(Order& out);

 private:
  std::uint64_t NextU64();
  std::uint64_t Below(std::uint64_t bound);  // [0, bound)
  bool Chance(int percent);

  std::uint64_t seed_;
  std::uint64_t state_[4];
  std::int64_t sequence_ = 0;
  Nanos clock_;
  Nanos mean_step_;
};

struct SeedReport {
  std::int64_t written = 0;
  int transactions = 0;
  double commit_seconds = 0;  // the store's write lock is held only while committing
};

// Orders are written in sessions of this many: one transaction per chunk
// keeps the WAL bounded (about 1.6 GB per million orders) for many millions.
// Large on purpose: a session at least as big as the store lets the store
// rebuild its secondary indexes once instead of maintaining them row by row
// (SqliteOrderStore's DeferIndexes), and a page cache warmed by one chunk
// is not thrown away at the next. Measured on 1M orders: 100k chunks took
// 58 s of CPU (224 s wall on a loaded 2-core machine), one 1M chunk 43 s
// (120 s wall).
inline constexpr std::int64_t kSeedChunk = 1'000'000;

// How far a seed is: orders generated, and whether a chunk is committing.
struct SeedProgress {
  std::int64_t generated = 0;
  std::int64_t count = 0;
  bool committing = false;
};

// `on_progress` (may be empty) is called every few thousand orders and
// before each commit.
SeedReport SeedOrders(OrderStore& store, std::int64_t count, std::uint64_t seed,
                      std::int64_t chunk = kSeedChunk,
                      const std::function<void(const SeedProgress&)>& on_progress = {});

}  // namespace jobsd
