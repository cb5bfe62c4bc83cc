#include "events/filter.hpp"
#include "core/text.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace billhook::events {
namespace {

bool wildcard_matches(std::string_view pattern, std::string_view name) {
  if (pattern == "*") return true;
  if (pattern.size() >= 2 && pattern.substr(pattern.size() - 2) == ".*") {
    const auto prefix = pattern.substr(0, pattern.size() - 1);  // keeps the dot: "invoice."
    return name.substr(0, prefix.size()) == prefix;
  }
  return pattern == name;
}

}  // namespace

core::Result<Subscription> normalize_subscription(const catalog::Catalog& catalog,
                                                 std::vector<std::string> event_types,
                                                 std::vector<std::string> categories) {
  Subscription out;
  for (size_t i = 0; i < event_types.size(); ++i) {
    const std::string& entry = event_types[i];
    const std::string param = fmt::format("event_types[{}]", i);
    std::string normalized;
    if (entry == "*") {
      normalized = entry;
    } else if (entry.size() > 2 && entry.ends_with(".*")) {
      const bool any = std::any_of(catalog.types().begin(), catalog.types().end(),
                                   [&](const catalog::EventType& t) { return wildcard_matches(entry, t.name); });
      if (!any)
        return core::Error::invalid("unknown_event_type",
                                    fmt::format("'{}' matches no event type; see GET /v1/event-types", entry), param);
      normalized = entry;
    } else if (const auto* t = catalog.resolve(entry)) {
      normalized = t->name;
    } else {
      return core::Error::invalid(
          "unknown_event_type",
          fmt::format("'{}' is not an event type; use a name from GET /v1/event-types, a wildcard such as "
                      "'invoice.*', or '*'",
                      core::clip(entry, 100)),
          param);
    }
    if (std::find(out.event_types.begin(), out.event_types.end(), normalized) == out.event_types.end())
      out.event_types.push_back(std::move(normalized));
  }
  for (size_t i = 0; i < categories.size(); ++i) {
    // A seed provider's own grouping (seed 000's "Invoice payment processing") stands for its event
    // types, stored as those names: the catalog's categories group the same events differently.
    if (const auto* seed = catalog.find_seed_category(categories[i])) {
      for (const auto& name : seed->event_types)
        if (std::find(out.event_types.begin(), out.event_types.end(), name) == out.event_types.end())
          out.event_types.push_back(name);
      continue;
    }
    if (!catalog.has_category(categories[i]))
      return core::Error::invalid("unknown_category",
                                  fmt::format("'{}' is not an event category; see GET /v1/event-types (categories, "
                                              "and seed_categories by name or title)",
                                              core::clip(categories[i], 100)),
                                  fmt::format("categories[{}]", i));
    if (std::find(out.categories.begin(), out.categories.end(), categories[i]) == out.categories.end())
      out.categories.push_back(std::move(categories[i]));
  }
  return out;
}

void default_to_everything(Subscription& subscription) {
  if (subscription.event_types.empty() && subscription.categories.empty()) subscription.event_types = {"*"};
}

bool subscribes_to(const std::vector<std::string>& event_types, const std::vector<std::string>& categories,
                   const catalog::EventType& type) {
  for (const auto& pattern : event_types)
    if (wildcard_matches(pattern, type.name)) return true;
  return std::find(categories.begin(), categories.end(), type.category) != categories.end();
}

}  // namespace billhook::events
