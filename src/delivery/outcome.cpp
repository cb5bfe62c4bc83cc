#include "delivery/outcome.hpp"

namespace billhook::delivery {
namespace {

std::optional<std::string> header_value(const OutboundResult& result, std::string_view name) {
  for (const auto& [k, v] : result.headers)
    if (k == name) return v;
  return std::nullopt;
}

}  // namespace

AttemptOutcome decide(const OutboundResult& result, int attempts_made, const Schedule& schedule, core::TimePoint now,
                      core::Random& random) {
  AttemptOutcome out;
  if (result.error_class == ErrorClass::none) {
    out.status = events::DeliveryStatus::succeeded;
    return out;
  }
  if (result.error_class == ErrorClass::http_status && result.status_code == 410) {
    out.status = events::DeliveryStatus::failed;
    out.disable = "gone";
    return out;
  }
  auto delay = next_delay(schedule, attempts_made, random);
  if (!delay) {
    out.status = events::DeliveryStatus::failed;
    out.exhausted = true;
    return out;
  }
  if (result.status_code == 429 || result.status_code == 503) {
    if (auto header = header_value(result, "retry-after")) {
      if (auto asked = parse_retry_after(*header, now)) delay = std::chrono::duration_cast<std::chrono::milliseconds>(*asked);
    }
  }
  out.status = events::DeliveryStatus::retrying;
  out.next_attempt_ms = core::to_unix_ms(now) + delay->count();
  return out;
}

bool should_disable_for_failing(int64_t failing_since_ms, int64_t now_ms, std::chrono::milliseconds threshold) {
  return failing_since_ms > 0 && now_ms - failing_since_ms >= threshold.count();
}

}  // namespace billhook::delivery
