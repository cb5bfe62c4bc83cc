#include "billing/previous_attributes.hpp"

namespace billhook::billing {

boost::json::object previous_attributes(const boost::json::object& before, const boost::json::object& after) {
  boost::json::object previous;
  for (const auto& field : after) {
    const auto it = before.find(field.key());
    if (it == before.end()) {
      previous[field.key()] = nullptr;
    } else if (it->value() != field.value()) {
      previous[field.key()] = it->value();
    }
  }
  for (const auto& field : before) {
    if (!after.contains(field.key())) previous[field.key()] = field.value();
  }
  return previous;
}

}  // namespace billhook::billing
