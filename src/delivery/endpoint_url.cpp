#include "delivery/endpoint_url.hpp"

#include <string>

#include <boost/url/parse.hpp>
#include <fmt/format.h>

namespace billhook::delivery {

using core::Error;

core::Status check_endpoint_url(std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed)
    return Error::invalid("invalid_url", "'url' must be an absolute URL such as https://example.com/hook", "url");
  const auto scheme = parsed->scheme();
  if (scheme != "http" && scheme != "https")
    return Error::invalid("invalid_url", fmt::format("'url' must use http or https, not '{}'", std::string(scheme)),
                          "url");
  if (!parsed->has_authority() || parsed->encoded_host().empty())
    return Error::invalid("invalid_url", "'url' must name a host", "url");
  if (parsed->has_fragment()) return Error::invalid("invalid_url", "'url' must not have a #fragment", "url");
  return {};
}

}  // namespace billhook::delivery
