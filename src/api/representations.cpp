#include "api/representations.hpp"

#include <boost/json.hpp>


namespace billhook::api {

boost::json::object event_type_json(const catalog::EventType& t) {
  boost::json::array aliases;
  for (const auto& a : t.aliases) aliases.push_back(boost::json::object{{"name", a.name}, {"source", a.source}});
  return {
      {"name", t.name},
      {"object", "event_type"},
      {"category", t.category},
      {"description", t.description},
      {"aggregate", t.aggregate},
      {"aliases", std::move(aliases)},
      {"schema", t.schema_document},
      {"example", t.example},
  };
}

boost::json::object list_json(boost::json::array data, bool has_more, std::string url) {
  return {{"object", "list"}, {"url", std::move(url)}, {"data", std::move(data)}, {"has_more", has_more}};
}

namespace {
boost::json::value seconds_or_null(int64_t ms) { return ms ? boost::json::value(ms / 1000) : boost::json::value(nullptr); }
}  // namespace

boost::json::object endpoint_health_json(const events::Endpoint& endpoint, const store::EndpointHealth* health) {
  return {
      {"last_success_at", seconds_or_null(health ? health->last_success_ms : 0)},
      {"last_failure_at", seconds_or_null(health ? health->last_failure_ms : 0)},
      {"failure_streak", health ? health->failure_streak : 0},
      {"failing_since", seconds_or_null(endpoint.failing_since_ms)},
  };
}

}  // namespace billhook::api
