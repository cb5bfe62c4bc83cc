#pragma once

// The one largest-remainder allocator: splits an amount of minor units pro rata, exactly. Used for an
// invoice's discount over its lines and a refund over the invoice's payments.

#include <cstdint>
#include <span>
#include <vector>

namespace billhook::billing {

// Splits `amount` over `weights` in proportion to them: part i is the floor of amount × weight_i / Σ
// weights, and the units this leaves over go one each to the parts with the largest remainders (the
// earlier part on a tie). The parts add up to `amount` exactly and each is within one unit of its
// exact share; a zero weight gets 0 when amount ≥ 0. Requires Σ weights > 0 and parts that fit in
// int64 (true whenever |amount| ≤ Σ weights); a negative weight is allowed, its share is floored too.
std::vector<int64_t> allocate_largest_remainder(int64_t amount, std::span<const int64_t> weights);

}  // namespace billhook::billing
