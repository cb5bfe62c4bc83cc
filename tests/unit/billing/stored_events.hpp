#pragma once

// What the billing tests read back from the store: one aggregate's events, oldest first, each checked on the
// way against its catalog schema and its per-aggregate sequence number.

#include <cstdint>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "catalog/catalog.hpp"
#include "store/store.hpp"

namespace billhook::billing::testing {

using Strings = std::vector<std::string>;

struct StoredEvent {
  std::string type;
  boost::json::object object;
  boost::json::object previous;
};

inline std::vector<StoredEvent> stored_events_of(store::Store& store, const std::string& aggregate_id) {
  namespace json = boost::json;
  auto page = store.list_events({.page = {.limit = 100}, .aggregate_id = aggregate_id});
  EXPECT_TRUE(page.ok());
  std::vector<StoredEvent> out;
  if (!page.ok()) return out;
  int64_t sequence = 0;
  for (auto it = page->items.rbegin(); it != page->items.rend(); ++it) {
    const auto data = json::parse(it->data_json).as_object();
    const auto* type = catalog::Catalog::builtin().find(it->type);
    EXPECT_NE(type, nullptr) << it->type;
    EXPECT_TRUE(data.contains("previous_attributes")) << it->type;
    if (type && type->schema) {
      auto violation = type->schema->validate(data.at("object"));
      EXPECT_FALSE(violation.has_value())
          << it->type << ": " << violation->path << " " << violation->message << "\n"
          << json::serialize(data.at("object"));
    }
    EXPECT_EQ(it->aggregate->sequence, ++sequence) << "per-aggregate sequence";
    out.push_back({it->type, data.at("object").as_object(), data.at("previous_attributes").as_object()});
  }
  return out;
}

inline Strings stored_types_of(store::Store& store, const std::string& aggregate_id) {
  Strings out;
  for (const auto& e : stored_events_of(store, aggregate_id)) out.push_back(e.type);
  return out;
}

}  // namespace billhook::billing::testing
