#include "billing/allocation.hpp"

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <limits>
#include <numeric>
#include <utility>

namespace billhook::billing {
namespace {

__extension__ using Int128 = __int128;

// floor(n / d) for d > 0, and the remainder that goes with it (0 ≤ r < d).
std::pair<Int128, Int128> floor_divide(Int128 n, Int128 d) {
  Int128 q = n / d;
  Int128 r = n % d;
  if (r < 0) {
    q -= 1;
    r += d;
  }
  return {q, r};
}

}  // namespace

std::vector<int64_t> allocate_largest_remainder(int64_t amount, std::span<const int64_t> weights) {
  Int128 total = 0;
  for (int64_t w : weights) total += w;
  assert(total > 0 && "allocate_largest_remainder needs a positive sum of weights");

  std::vector<Int128> parts(weights.size(), 0);
  std::vector<Int128> remainders(weights.size(), 0);
  Int128 given = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    const auto [q, r] = floor_divide(static_cast<Int128>(amount) * weights[i], total);
    parts[i] = q;
    remainders[i] = r;
    given += q;
  }
  // Σ remainders = (amount − given) × total with each remainder below total, so fewer units are left
  // than there are parts with a remainder: the loop never reaches a part whose remainder is 0.
  std::vector<size_t> order(weights.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return remainders[a] > remainders[b]; });
  for (size_t k = 0; given < amount && k < order.size(); ++k, ++given) parts[order[k]] += 1;

  std::vector<int64_t> out;
  out.reserve(parts.size());
  for (Int128 part : parts) {
    assert(part >= std::numeric_limits<int64_t>::min() && part <= std::numeric_limits<int64_t>::max());
    out.push_back(static_cast<int64_t>(part));
  }
  return out;
}

}  // namespace billhook::billing
