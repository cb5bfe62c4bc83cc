#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "delivery/http_client.hpp"
#include "delivery/listen_hub.hpp"

namespace billhook::delivery {

// The URL a listen session's endpoint is stored with: `listen:<endpoint id>`. No http(s) URL looks like it,
// and the endpoint API accepts only http(s), so only a listen session has one.
std::string listen_url(std::string_view session_id);
// The session id of a listen URL; nullopt for any other URL.
std::optional<std::string> listen_session_of(std::string_view url);

// The HttpClient the dispatcher sends through: requests to a listen URL wait in the ListenHub for the
// session's CLI, every other one goes to `network` (curl, behind the SSRF guard). This is the whole seam
// between listen sessions and the dispatcher, which renders, signs, orders and retries as for any endpoint.
class ListenRoutingClient final : public HttpClient {
 public:
  ListenRoutingClient(HttpClient& network, ListenHub& hub) : network_(network), hub_(hub) {}

  void send(OutboundRequest request, Done done) override;
  size_t in_flight() const override { return network_.in_flight() + hub_.pending(); }

 private:
  HttpClient& network_;
  ListenHub& hub_;
};

}  // namespace billhook::delivery
