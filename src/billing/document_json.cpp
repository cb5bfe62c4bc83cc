#include "billing/document_json.hpp"

#include <utility>

#include <boost/json/parse.hpp>
#include <fmt/format.h>

namespace billhook::billing::doc_json {

core::Result<boost::json::object> parse_object(std::string_view body, std::string_view what) {
  boost::system::error_code ec;
  auto value = boost::json::parse(body, ec);
  if (ec || !value.is_object()) return core::Error::internal(fmt::format("a stored {} is not a JSON object", what));
  return std::move(value.get_object());
}

}  // namespace billhook::billing::doc_json
