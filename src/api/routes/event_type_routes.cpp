#include <boost/json.hpp>
#include <fmt/format.h>

#include "api/representations.hpp"
#include "api/routes/routes.hpp"
#include "core/text.hpp"

namespace billhook::api::routes {

void register_event_type_routes(Routes& routes) {
  routes.add("GET", "/v1/event-types", [](const std::shared_ptr<Call>& call) {
    if (auto s = call->query.allow_only({"category"}); !s) return call->fail(s.error());
    const auto& catalog = call->services.catalog;
    const auto category = call->query.get("category");
    if (category && !catalog.has_category(*category)) {
      std::string known;
      for (const auto& c : catalog.categories()) known += (known.empty() ? "" : ", ") + c.name;
      return call->fail(core::Error::invalid(
          "unknown_category", fmt::format("'{}' is not a category; categories are: {}", core::clip(*category), known),
          "category"));
    }
    boost::json::array data;
    for (const auto& type : catalog.types())
      if (!category || type.category == *category) data.push_back(event_type_json(type));
    auto body = list_json(std::move(data), false, "/v1/event-types");
    boost::json::array categories;
    for (const auto& c : catalog.categories())
      categories.push_back(boost::json::object{{"name", c.name}, {"description", c.description}});
    body["categories"] = std::move(categories);
    boost::json::array seed_categories;
    for (const auto& sc : catalog.seed_categories()) {
      boost::json::array types;
      for (const auto& t : sc.event_types) types.emplace_back(t);
      seed_categories.push_back(boost::json::object{
          {"name", sc.name}, {"title", sc.title}, {"source", sc.source}, {"event_types", std::move(types)}});
    }
    body["seed_categories"] = std::move(seed_categories);
    body["api_version"] = catalog.api_version();
    call->reply(200, body);
  });

  routes.add("GET", "/v1/event-types/{name}", [](const std::shared_ptr<Call>& call) {
    const auto& name = call->param("name");
    const auto* type = call->services.catalog.resolve(name);
    if (!type)
      return call->fail(core::Error::not_found(
          "event_type_not_found", fmt::format("no event type is named '{}'; see GET /v1/event-types", core::clip(name, 100))));
    call->reply(200, event_type_json(*type));
  });
}

}  // namespace billhook::api::routes
