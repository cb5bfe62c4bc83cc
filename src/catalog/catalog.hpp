#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "catalog/json_schema.hpp"
#include "core/result.hpp"

namespace billhook::catalog {

// A name a seed provider uses for an event: `source` is seed000, calmony, ezypay, lago, rapyd or stripe.
struct Alias {
  std::string name;
  std::string source;
};

struct Category {
  std::string name;
  std::string description;
};

// A category as a seed provider groups its events (seed 000's "Invoice payment processing"), which
// need not match the catalog's own categories: an endpoint may subscribe by it, by name or by title.
struct SeedCategory {
  std::string name;    // "invoice_payment_processing"
  std::string title;   // "Invoice payment processing", as the seed writes it
  std::string source;  // "seed000"
  std::vector<std::string> event_types;  // canonical names
};

// One catalog entry: what an event means and what its `data.object` must look like.
struct EventType {
  std::string name;         // canonical, e.g. "invoice.payment_failed"
  std::string category;     // e.g. "payment"
  std::string description;
  std::string aggregate;    // the resource kind whose order it follows, e.g. "invoice"
  std::vector<Alias> aliases;
  boost::json::value schema_json;  // as written in catalog.json ($refs unresolved)
  // schema_json plus a "$defs" holding every definition it refers to, directly or not: a
  // standalone JSON Schema a receiver can validate against.
  boost::json::value schema_document;
  boost::json::value example;      // a valid data.object
  std::optional<JsonSchema> schema;
};

// The event catalog, kept as data in src/catalog/data/catalog.json and compiled in.
class Catalog {
 public:
  // Parses and checks a catalog document: every entry complete, names and aliases unique,
  // categories declared, every schema compiling and every example valid against it.
  static core::Result<Catalog> parse(std::string_view json_text);
  // The compiled-in catalog; checked on first use (a broken one is a build defect and aborts).
  static const Catalog& builtin();

  const EventType* find(std::string_view canonical_name) const;
  const EventType* find_alias(std::string_view source, std::string_view alias) const;
  // A canonical name, or an alias that only one event type answers to; nullptr otherwise.
  const EventType* resolve(std::string_view name) const;

  const std::vector<EventType>& types() const { return types_; }
  const std::vector<Category>& categories() const { return categories_; }
  bool has_category(std::string_view name) const;
  const std::vector<SeedCategory>& seed_categories() const { return seed_categories_; }
  // A seed category by its name or its title (case-insensitive); nullptr if none.
  const SeedCategory* find_seed_category(std::string_view name_or_title) const;
  const std::string& api_version() const { return api_version_; }
  const boost::json::object& defs() const { return defs_; }

 private:
  std::string api_version_;
  std::vector<Category> categories_;
  std::vector<SeedCategory> seed_categories_;
  std::vector<EventType> types_;
  boost::json::object defs_;
  std::unordered_map<std::string, size_t> by_name_;
  std::unordered_map<std::string, size_t> by_source_alias_;  // "source\nalias"
  std::unordered_map<std::string, size_t> by_alias_;         // only aliases with one meaning
};

}  // namespace billhook::catalog
