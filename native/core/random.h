// SPDX-License-Identifier: MIT
// The one random source of the core: SplitMix64 (Steele, Lea & Flood 2014), the same bits on every
// platform. Indexed (output i of a seed, for streams that threads draw from in any order) and
// sequential (a state that advances, for the generators seeded from it).
#pragma once

#include <cstdint>

namespace dse {
namespace random {

constexpr std::uint64_t kGolden = 0x9E3779B97F4A7C15ULL;

inline std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Output i (0-based) of SplitMix64 seeded with `state`.
inline std::uint64_t splitmix(std::uint64_t state, std::uint64_t i) { return mix64(state + (i + 1) * kGolden); }

// The next output of SplitMix64 whose state is `state` (advanced).
inline std::uint64_t splitmixNext(std::uint64_t& state) { return mix64(state += kGolden); }

// SplitMix64 as a generator of doubles in [-1, 1) (53 bits).
struct SplitMix64 {
  std::uint64_t state;
  explicit SplitMix64(std::uint64_t seed) : state(seed) {}
  double uniform() { return static_cast<double>(splitmixNext(state) >> 11) * (2.0 / 9007199254740992.0) - 1.0; }
};

}  // namespace random
}  // namespace dse
