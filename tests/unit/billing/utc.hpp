#pragma once

// A calendar moment as unix seconds, UTC: what the subscription tests write their periods in.

#include <chrono>
#include <cstdint>

namespace billhook::billing {

inline int64_t utc(int y, unsigned m, unsigned d, int hour = 0) {
  const std::chrono::sys_days day{std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}};
  return std::chrono::sys_seconds{day}.time_since_epoch().count() + hour * 3600;
}

}  // namespace billhook::billing
