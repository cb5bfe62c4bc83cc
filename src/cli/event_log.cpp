#include "cli/event_log.hpp"

#include <boost/json.hpp>

namespace billhook::cli {

namespace json = boost::json;

namespace {

std::string str(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : std::string(); }

std::string with_filter(std::string path, std::string_view filter) {
  if (!filter.empty()) path += "&" + std::string(filter);
  return path;
}

}  // namespace

std::string newest_event_id(ApiClient& api, std::string_view filter) {
  const auto page = api.get(with_filter("/v1/events?limit=1", filter));
  const auto& data = page.at("data").as_array();
  return data.empty() ? std::string() : str(data.front().at("id"));
}

json::array events_after(ApiClient& api, const std::string& after_id, std::string_view filter) {
  json::array newest_first;
  std::string cursor;
  for (;;) {
    auto page = api.get(with_filter("/v1/events?limit=100", filter) +
                        (cursor.empty() ? std::string() : "&starting_after=" + cursor));
    auto& data = page.at("data").as_array();
    for (auto& e : data) {
      if (!after_id.empty() && str(e.at("id")) <= after_id) return json::array(newest_first.rbegin(), newest_first.rend());
      newest_first.push_back(std::move(e));
    }
    if (data.empty() || !page.at("has_more").as_bool()) break;
    cursor = str(newest_first.back().at("id"));
  }
  return json::array(newest_first.rbegin(), newest_first.rend());
}

}  // namespace billhook::cli
