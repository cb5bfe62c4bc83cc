#include "api/representations.hpp"

#include <boost/json.hpp>

namespace billhook::api {
namespace {

boost::json::array string_array(const std::vector<std::string>& items) {
  boost::json::array out;
  for (const auto& item : items) out.emplace_back(item);
  return out;
}

}  // namespace

boost::json::object endpoint_json(const events::Endpoint& ep) {
  boost::system::error_code ec;
  auto metadata = boost::json::parse(ep.metadata_json, ec);
  return {
      {"id", ep.id},
      {"object", "endpoint"},
      {"url", ep.url},
      {"description", ep.description},
      {"event_types", string_array(ep.event_types)},
      {"categories", string_array(ep.categories)},
      {"enabled", ep.enabled},
      {"metadata", ec || !metadata.is_object() ? boost::json::value(boost::json::object()) : std::move(metadata)},
      {"created", ep.created_ms / 1000},
      {"updated", ep.updated_ms / 1000},
  };
}

boost::json::object delivery_json(const events::Delivery& d) {
  const bool waiting = d.status == events::DeliveryStatus::pending || d.status == events::DeliveryStatus::retrying;
  return {
      {"id", d.id},
      {"object", "delivery"},
      {"event_id", d.event_id},
      {"event_type", d.event_type},
      {"endpoint_id", d.endpoint_id},
      {"status", events::to_string(d.status)},
      {"attempt_count", d.attempt_count},
      {"next_attempt_at", waiting ? boost::json::value(d.next_attempt_ms / 1000) : boost::json::value(nullptr)},
      {"created", d.created_ms / 1000},
      {"updated", d.updated_ms / 1000},
  };
}

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

}  // namespace billhook::api
