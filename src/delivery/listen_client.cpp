#include "delivery/listen_client.hpp"

namespace billhook::delivery {

namespace {
constexpr std::string_view kListenScheme = "listen:";
}

std::string listen_url(std::string_view session_id) { return std::string(kListenScheme) + std::string(session_id); }

std::optional<std::string> listen_session_of(std::string_view url) {
  if (!url.starts_with(kListenScheme) || url.size() == kListenScheme.size()) return std::nullopt;
  return std::string(url.substr(kListenScheme.size()));
}

void ListenRoutingClient::send(OutboundRequest request, Done done) {
  if (auto session = listen_session_of(request.url)) {
    // The CLI's report is the result; its own timeout bounds the local app's answer.
    hub_.submit(*session, std::move(request), std::move(done));
    return;
  }
  network_.send(std::move(request), std::move(done));
}

}  // namespace billhook::delivery
