#pragma once

#include <string>
#include <vector>

#include "catalog/catalog.hpp"
#include "core/result.hpp"
#include "events/model.hpp"

namespace billhook::events {

// What an endpoint subscribes to, checked against the catalog.
struct Subscription {
  std::vector<std::string> event_types;  // canonical names, "<prefix>.*" or "*"
  std::vector<std::string> categories;
};

// Checks each entry and rewrites seed aliases to canonical names (so "invoice_paid" becomes
// "invoice.paid"). Unknown names, wildcards that match nothing and unknown categories are
// invalid_request errors naming the entry (param "event_types[2]" / "categories[0]"). A seed category
// (catalog seed_categories, by name or title, e.g. "Invoice payment processing") is expanded into its
// event types.
core::Result<Subscription> normalize_subscription(const catalog::Catalog& catalog, std::vector<std::string> event_types,
                                                 std::vector<std::string> categories);

// An endpoint that names neither types nor categories receives everything: event_types ["*"].
void default_to_everything(Subscription& subscription);

// Whether an endpoint with this subscription wants events of `type`.
bool subscribes_to(const std::vector<std::string>& event_types, const std::vector<std::string>& categories,
                   const catalog::EventType& type);

}  // namespace billhook::events
