// What the SSRF guard parses: an endpoint's URL (delivery/endpoint_url.hpp), --allow-networks lists and
// address literals (delivery/network_policy.hpp). The input is tried as each. Properties: a CIDR that
// parses prints as text that parses back to the same network; an address literal gets a verdict with a
// reason; the built-in ranges block what they contain unless the list allows it.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "delivery/endpoint_url.hpp"
#include "delivery/network_policy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace billhook::delivery;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (auto url = check_endpoint_url(text); !url && url.error().message.empty()) std::abort();

  if (auto cidr = parse_cidr(text)) {
    auto again = parse_cidr(cidr->to_string());
    if (!again || !(*again == *cidr)) std::abort();
  }

  static const NetworkPolicy guard;
  const AddressCheck check = guard.check(text);
  if (check.reason.empty()) std::abort();

  if (auto list = parse_cidr_list(text)) {
    const NetworkPolicy allowing(*list);
    if (allowing.check(text).reason.empty()) std::abort();
  }
  return 0;
}
