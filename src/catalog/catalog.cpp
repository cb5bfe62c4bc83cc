#include "catalog/catalog.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <iostream>
#include <map>
#include <set>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "core/json.hpp"

namespace billhook::embedded {
extern const std::string_view catalog_json;
}

namespace billhook::catalog {
namespace {

using core::Error;

Error catalog_error(std::string message) {
  return Error{core::ErrorKind::internal, "invalid_catalog", std::move(message), {}};
}

core::Result<std::string> required_string(const boost::json::object& o, std::string_view key,
                                          std::string_view where) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_string() || v->get_string().empty())
    return catalog_error(fmt::format("{}: '{}' must be a non-empty string", where, key));
  return std::string(v->get_string());
}

// Adds to `used` the names of the definitions `schema` refers to, following refs inside them.
void collect_refs(const boost::json::value& schema, const boost::json::object& defs, std::set<std::string>& used) {
  if (schema.is_array()) {
    for (const auto& item : schema.get_array()) collect_refs(item, defs, used);
    return;
  }
  if (!schema.is_object()) return;
  for (const auto& [key, value] : schema.get_object()) {
    if (key == "$ref" && value.is_string()) {
      constexpr std::string_view kPrefix = "#/$defs/";
      const std::string_view ref = value.get_string();
      if (!ref.starts_with(kPrefix)) continue;
      const std::string name(ref.substr(kPrefix.size()));
      if (used.insert(name).second)
        if (const auto* def = defs.if_contains(name)) collect_refs(*def, defs, used);
    } else {
      collect_refs(value, defs, used);
    }
  }
}

boost::json::value standalone_schema(const boost::json::value& schema, const boost::json::object& defs) {
  std::set<std::string> used;
  collect_refs(schema, defs, used);
  boost::json::object document = schema.get_object();
  if (!used.empty()) {
    boost::json::object needed;
    for (const auto& name : used)
      if (const auto* def = defs.if_contains(name)) needed[name] = *def;
    document["$defs"] = std::move(needed);
  }
  return document;
}

}  // namespace

core::Result<Catalog> Catalog::parse(std::string_view json_text) {
  auto parsed = core::parse_json(json_text, {.max_depth = 64});
  if (!parsed) return catalog_error("catalog.json: " + parsed.error().message);
  if (!parsed->is_object()) return catalog_error("catalog.json: the document must be an object");
  const auto& root = parsed->get_object();

  Catalog c;
  auto version = required_string(root, "api_version", "catalog.json");
  if (!version) return std::move(version).error();
  c.api_version_ = *version;

  if (const auto* defs = root.if_contains("$defs"); defs && defs->is_object()) c.defs_ = defs->get_object();

  const auto* categories = root.if_contains("categories");
  if (!categories || !categories->is_array()) return catalog_error("catalog.json: 'categories' must be an array");
  for (const auto& item : categories->get_array()) {
    if (!item.is_object()) return catalog_error("catalog.json: each category must be an object");
    auto name = required_string(item.get_object(), "name", "category");
    if (!name) return std::move(name).error();
    auto description = required_string(item.get_object(), "description", "category " + *name);
    if (!description) return std::move(description).error();
    if (c.has_category(*name)) return catalog_error("category listed twice: " + *name);
    c.categories_.push_back({*name, *description});
  }

  const auto* types = root.if_contains("event_types");
  if (!types || !types->is_array()) return catalog_error("catalog.json: 'event_types' must be an array");
  std::multimap<std::string, size_t> alias_meanings;
  for (const auto& item : types->get_array()) {
    if (!item.is_object()) return catalog_error("catalog.json: each event type must be an object");
    const auto& o = item.get_object();
    EventType t;
    auto name = required_string(o, "name", "event type");
    if (!name) return std::move(name).error();
    t.name = *name;
    const std::string where = "event type " + t.name;
    for (auto [field, target] : {std::pair{"category", &t.category}, std::pair{"description", &t.description},
                                 std::pair{"aggregate", &t.aggregate}}) {
      auto value = required_string(o, field, where);
      if (!value) return std::move(value).error();
      *target = *value;
    }
    if (!c.has_category(t.category))
      return catalog_error(fmt::format("{}: category '{}' is not listed in 'categories'", where, t.category));
    const auto* schema = o.if_contains("schema");
    const auto* example = o.if_contains("example");
    if (!schema || !schema->is_object()) return catalog_error(where + ": 'schema' must be an object");
    if (!example) return catalog_error(where + ": 'example' is missing");
    t.schema_json = *schema;
    t.example = *example;
    auto compiled = JsonSchema::compile(t.schema_json, c.defs_);
    if (!compiled) return catalog_error(where + ": " + compiled.error().message);
    if (auto violation = compiled->validate(t.example, "example"))
      return catalog_error(fmt::format("{}: {} {}", where, violation->path, violation->message));
    t.schema = std::move(*compiled);
    t.schema_document = standalone_schema(t.schema_json, c.defs_);
    if (const auto* aliases = o.if_contains("aliases")) {
      if (!aliases->is_array()) return catalog_error(where + ": 'aliases' must be an array");
      for (const auto& a : aliases->get_array()) {
        if (!a.is_object()) return catalog_error(where + ": each alias must be an object");
        auto alias_name = required_string(a.get_object(), "name", where + " alias");
        if (!alias_name) return std::move(alias_name).error();
        auto source = required_string(a.get_object(), "source", where + " alias " + *alias_name);
        if (!source) return std::move(source).error();
        t.aliases.push_back({*alias_name, *source});
      }
    }
    if (c.by_name_.count(t.name)) return catalog_error("event type listed twice: " + t.name);
    const size_t index = c.types_.size();
    c.by_name_.emplace(t.name, index);
    for (const auto& a : t.aliases) {
      if (!c.by_source_alias_.emplace(a.source + "\n" + a.name, index).second)
        return catalog_error(fmt::format("alias '{}' of source {} names two event types", a.name, a.source));
      alias_meanings.emplace(a.name, index);
    }
    c.types_.push_back(std::move(t));
  }
  // An alias resolves without its source only if every source means the same event by it.
  for (auto it = alias_meanings.begin(); it != alias_meanings.end();) {
    const auto range = alias_meanings.equal_range(it->first);
    std::set<size_t> meanings;
    for (auto r = range.first; r != range.second; ++r) meanings.insert(r->second);
    if (meanings.size() == 1) c.by_alias_.emplace(it->first, *meanings.begin());
    it = range.second;
  }
  if (const auto* seeds = root.if_contains("seed_categories")) {
    if (!seeds->is_array()) return catalog_error("catalog.json: 'seed_categories' must be an array");
    for (const auto& item : seeds->get_array()) {
      if (!item.is_object()) return catalog_error("catalog.json: each seed category must be an object");
      const auto& o = item.get_object();
      SeedCategory sc;
      for (auto [field, target] : {std::pair{"name", &sc.name}, std::pair{"title", &sc.title},
                                   std::pair{"source", &sc.source}}) {
        auto value = required_string(o, field, "seed category");
        if (!value) return std::move(value).error();
        *target = *value;
      }
      const auto* list = o.if_contains("event_types");
      if (!list || !list->is_array() || list->get_array().empty())
        return catalog_error("seed category " + sc.name + ": 'event_types' must be a non-empty array");
      for (const auto& type : list->get_array()) {
        if (!type.is_string() || !c.find(type.get_string()))
          return catalog_error(fmt::format("seed category {}: {} is not a catalog event type", sc.name,
                                           boost::json::serialize(type)));
        sc.event_types.emplace_back(type.get_string());
      }
      if (c.find_seed_category(sc.name) || c.find_seed_category(sc.title) || c.has_category(sc.name))
        return catalog_error("seed category listed twice or named like a category: " + sc.name);
      c.seed_categories_.push_back(std::move(sc));
    }
  }
  return c;
}

const Catalog& Catalog::builtin() {
  static const Catalog instance = [] {
    auto parsed = parse(embedded::catalog_json);
    if (!parsed) {
      std::cerr << "billhook: the built-in event catalog is invalid: " << parsed.error().message << "\n";
      std::abort();
    }
    return std::move(parsed).value();
  }();
  return instance;
}

const EventType* Catalog::find(std::string_view canonical_name) const {
  const auto it = by_name_.find(std::string(canonical_name));
  return it == by_name_.end() ? nullptr : &types_[it->second];
}

const EventType* Catalog::find_alias(std::string_view source, std::string_view alias) const {
  const auto it = by_source_alias_.find(fmt::format("{}\n{}", source, alias));
  return it == by_source_alias_.end() ? nullptr : &types_[it->second];
}

const EventType* Catalog::resolve(std::string_view name) const {
  if (const auto* t = find(name)) return t;
  const auto it = by_alias_.find(std::string(name));
  return it == by_alias_.end() ? nullptr : &types_[it->second];
}

const SeedCategory* Catalog::find_seed_category(std::string_view name_or_title) const {
  auto same = [](std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
  };
  for (const auto& sc : seed_categories_)
    if (same(sc.name, name_or_title) || same(sc.title, name_or_title)) return &sc;
  return nullptr;
}

bool Catalog::has_category(std::string_view name) const {
  for (const auto& c : categories_)
    if (c.name == name) return true;
  return false;
}

}  // namespace billhook::catalog
