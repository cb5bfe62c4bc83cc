#include "billing/payment_provider.hpp"

#include <cctype>

namespace billhook::billing {
namespace {

constexpr std::string_view kFailingDomain = "@fail.test";

bool ends_with_ignoring_case(std::string_view text, std::string_view suffix) {
  if (text.size() < suffix.size()) return false;
  text.remove_prefix(text.size() - suffix.size());
  for (size_t i = 0; i < suffix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(text[i])) != suffix[i]) return false;
  return true;
}

}  // namespace

std::string sandbox_customer_id(std::string_view customer_id) {
  const auto underscore = customer_id.find('_');
  const std::string_view ulid = underscore == std::string_view::npos ? customer_id : customer_id.substr(underscore + 1);
  return "sbx_cus_" + std::string(ulid);
}

ProviderReply SandboxPaymentProvider::mirror_customer(const Customer& customer,
                                                      const std::optional<std::string>& known_id) {
  if (customer.email && ends_with_ignoring_case(*customer.email, kFailingDomain))
    return {.customer_id = std::nullopt,
            .error = ProviderError{.code = "email_rejected",
                                   .message = "the sandbox provider refuses email addresses ending in @fail.test",
                                   .param = "email"}};
  // An update keeps the id the provider gave at creation.
  return {.customer_id = known_id ? *known_id : sandbox_customer_id(customer.id), .error = std::nullopt};
}

}  // namespace billhook::billing
