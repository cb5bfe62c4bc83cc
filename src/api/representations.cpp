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

}  // namespace billhook::api
