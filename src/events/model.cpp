#include "events/model.hpp"

#include <array>
#include <utility>

namespace billhook::events {

std::string_view to_string(DeliveryStatus status) {
  switch (status) {
    case DeliveryStatus::pending: return "pending";
    case DeliveryStatus::retrying: return "retrying";
    case DeliveryStatus::succeeded: return "succeeded";
    case DeliveryStatus::failed: return "failed";
    case DeliveryStatus::cancelled: return "cancelled";
  }
  return "pending";
}

std::optional<DeliveryStatus> parse_delivery_status(std::string_view text) {
  for (auto s : {DeliveryStatus::pending, DeliveryStatus::retrying, DeliveryStatus::succeeded,
                 DeliveryStatus::failed, DeliveryStatus::cancelled})
    if (to_string(s) == text) return s;
  return std::nullopt;
}

bool can_transition(DeliveryStatus from, DeliveryStatus to) {
  using S = DeliveryStatus;
  // A failed delivery goes back to pending only by a manual or bulk retry; succeeded and
  // cancelled are final.
  static constexpr std::array<std::pair<S, S>, 9> kAllowed{{
      {S::pending, S::succeeded},
      {S::pending, S::retrying},
      {S::pending, S::failed},
      {S::pending, S::cancelled},
      {S::retrying, S::succeeded},
      {S::retrying, S::failed},
      {S::retrying, S::cancelled},
      {S::failed, S::pending},
      {S::retrying, S::retrying},
  }};
  for (const auto& [f, t] : kAllowed)
    if (f == from && t == to) return true;
  return false;
}

}  // namespace billhook::events
