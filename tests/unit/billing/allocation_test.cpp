// The one largest-remainder allocator (an invoice's discount over its lines, a refund over payments).
#include "billing/allocation.hpp"

#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace billhook::billing {
namespace {

__extension__ using Int128 = __int128;
using Parts = std::vector<int64_t>;

Int128 sum_of(const std::vector<int64_t>& v) {
  Int128 s = 0;
  for (int64_t x : v) s += x;
  return s;
}

// The rule written another way: part i is its floored share, plus one when fewer than the leftover
// units go to parts ranked before it (a larger remainder, or an equal one earlier).
Parts reference(int64_t amount, const std::vector<int64_t>& weights) {
  const Int128 total = sum_of(weights);
  std::vector<Int128> floors, remainders;
  Int128 given = 0;
  for (int64_t w : weights) {
    const Int128 scaled = static_cast<Int128>(amount) * w;
    Int128 q = scaled / total;
    if (q * total > scaled) q -= 1;
    floors.push_back(q);
    remainders.push_back(scaled - q * total);
    given += q;
  }
  const Int128 left = amount - given;
  Parts out;
  for (size_t i = 0; i < weights.size(); ++i) {
    Int128 ahead = 0;
    for (size_t j = 0; j < weights.size(); ++j)
      if (remainders[j] > remainders[i] || (remainders[j] == remainders[i] && j < i)) ++ahead;
    out.push_back(static_cast<int64_t>(floors[i] + (ahead < left ? 1 : 0)));
  }
  return out;
}

TEST(AllocateLargestRemainder, ExactSharesNeedNoRounding) {
  EXPECT_EQ(allocate_largest_remainder(400, std::vector<int64_t>{0, 300, 100}), (Parts{0, 300, 100}));
  EXPECT_EQ(allocate_largest_remainder(50, std::vector<int64_t>{100, 300, 100}), (Parts{10, 30, 10}));
  EXPECT_EQ(allocate_largest_remainder(7, std::vector<int64_t>{42}), (Parts{7}));
  EXPECT_EQ(allocate_largest_remainder(0, std::vector<int64_t>{1, 2, 3}), (Parts{0, 0, 0}));
}

TEST(AllocateLargestRemainder, LeftoverUnitsGoToTheLargestRemainders) {
  // 1000 over 1:1:1 is 333.33 each: 333 × 3 = 999 leaves one unit; equal remainders, the first part takes it.
  EXPECT_EQ(allocate_largest_remainder(1000, std::vector<int64_t>{1, 1, 1}), (Parts{334, 333, 333}));
  // 10 over 3:3:4 is 3, 3, 4 exactly; 11 over it is 3.3, 3.3, 4.4: the 0.4 remainder wins.
  EXPECT_EQ(allocate_largest_remainder(11, std::vector<int64_t>{3, 3, 4}), (Parts{3, 3, 5}));
  // 2150 over 6000, 1600, 1000 (an invoice's 25 % discount): 1500, 400, 250 exactly.
  EXPECT_EQ(allocate_largest_remainder(2150, std::vector<int64_t>{6000, 1600, 1000}), (Parts{1500, 400, 250}));
}

TEST(AllocateLargestRemainder, TiesGoToTheEarlierPart) {
  EXPECT_EQ(allocate_largest_remainder(2, std::vector<int64_t>{1, 1, 1}), (Parts{1, 1, 0}));
  EXPECT_EQ(allocate_largest_remainder(1, std::vector<int64_t>{5, 5}), (Parts{1, 0}));
  // A later part with a strictly larger remainder goes first.
  EXPECT_EQ(allocate_largest_remainder(1, std::vector<int64_t>{1, 2}), (Parts{0, 1}));
}

TEST(AllocateLargestRemainder, ZeroWeightsGetNothing) {
  EXPECT_EQ(allocate_largest_remainder(2, std::vector<int64_t>{0, 1, 0, 1, 1, 0}), (Parts{0, 1, 0, 1, 0, 0}));
}

TEST(AllocateLargestRemainder, NegativeWeightsAreFlooredToo) {
  // A credit line (-100) beside a 300 line: 100 over them is -50 and 150.
  EXPECT_EQ(allocate_largest_remainder(100, std::vector<int64_t>{-100, 300}), (Parts{-50, 150}));
  const Parts parts = allocate_largest_remainder(7, std::vector<int64_t>{-1, 3, 1});
  EXPECT_EQ(sum_of(parts), 7);
  EXPECT_EQ(parts, reference(7, {-1, 3, 1}));
}

TEST(AllocateLargestRemainder, LargeAmountsDoNotOverflow) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  const Parts parts = allocate_largest_remainder(kMax, std::vector<int64_t>{kMax, kMax, kMax});
  EXPECT_EQ(sum_of(parts), kMax);
  EXPECT_EQ(parts, reference(kMax, {kMax, kMax, kMax}));
}

// The property: for any weights with a positive sum and any amount up to that sum, the parts add up
// to the amount exactly, each is within one unit of its exact share (floor or floor + 1), and they
// follow the largest-remainder rule with ties to the earlier part.
TEST(AllocateLargestRemainder, PartsAlwaysSumToTheAmountWithinOneOfTheExactShare) {
  std::mt19937_64 random(12);
  for (int round = 0; round < 5000; ++round) {
    const size_t n = 1 + random() % 8;
    const bool negatives = round % 4 == 0;
    const int64_t scale = round % 3 == 0 ? 10 : (round % 3 == 1 ? 100'000 : int64_t{1} << 40);
    std::vector<int64_t> weights;
    for (size_t i = 0; i < n; ++i) {
      int64_t w = static_cast<int64_t>(random() % static_cast<uint64_t>(scale));
      if (negatives && random() % 3 == 0) w = -w / 2;
      weights.push_back(w);
    }
    const Int128 total = sum_of(weights);
    if (total <= 0) continue;
    const auto amount = static_cast<int64_t>(random() % (static_cast<uint64_t>(total) + 1));
    const Parts parts = allocate_largest_remainder(amount, weights);
    ASSERT_EQ(parts.size(), weights.size());
    ASSERT_TRUE(sum_of(parts) == amount) << "round " << round;
    for (size_t i = 0; i < n; ++i) {
      // part × total within [exact, exact + total) ⇔ floor(exact share) ≤ part ≤ floor + 1, and |part − share| < 1.
      const Int128 exact = static_cast<Int128>(amount) * weights[i];
      const Int128 scaled = static_cast<Int128>(parts[i]) * total;
      ASSERT_TRUE(scaled > exact - total && scaled < exact + total) << "round " << round << " part " << i;
    }
    ASSERT_EQ(parts, reference(amount, weights)) << "round " << round;
  }
}

}  // namespace
}  // namespace billhook::billing
