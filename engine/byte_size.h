// Sizes as people write them on a command line: a whole number of bytes,
// or one with a binary unit (K, M, G, T, alone or as KiB, MiB, GiB, TiB):
// 512MiB, 1GiB, 4096. Decimal units (KB, MB, GB) are refused rather than
// guessed at.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace jobsd {

// nullopt, with why in *reason, when `text` is not such a size or does
// not fit in 63 bits.
std::optional<std::int64_t> ParseByteSize(std::string_view text, std::string* reason);

// The largest unit that divides `bytes` exactly: 1GiB, 1536MiB, 100.
std::string FormatByteSize(std::int64_t bytes);

}  // namespace jobsd
