#pragma once

// The customer's mirror at a payment provider (DOMAINS.md §5): PaymentProvider is the boundary a real
// provider's adapter implements (create the provider's customer, or update the one it made before);
// SandboxPaymentProvider is the deterministic stand-in that `--payment-provider sandbox` and the tests
// use. The sandbox's customer id is derived from ours (`sbx_cus_<our id's ULID>`), so the same
// customer always gets the same mirror, and it refuses any email address ending in `@fail.test`
// (code `email_rejected`, param `email`), the way a provider's validation would.

#include <optional>
#include <string>
#include <string_view>

#include "billing/invoice.hpp"

namespace billhook::billing {

// Why the provider refused: its code, a message for a person, the customer field at fault if known.
struct ProviderError {
  std::string code;
  std::string message;
  std::optional<std::string> param;
  bool operator==(const ProviderError&) const = default;
};
BOOST_DESCRIBE_STRUCT(ProviderError, (), (code, message, param))

// Either the provider's id for the customer, or why it refused.
struct ProviderReply {
  std::optional<std::string> customer_id;
  std::optional<ProviderError> error;

  bool ok() const { return customer_id.has_value(); }
};

class PaymentProvider {
 public:
  virtual ~PaymentProvider() = default;
  // Its name as events show it (payment_provider.name): "sandbox", "stripe", …
  virtual std::string_view name() const = 0;
  // Creates the customer at the provider, or updates `known_id` (its id there from an earlier sync)
  // to match `customer`. A refusal is a reply, not an exception. Called on the document clock's
  // thread; implementations document whether they are thread-safe.
  virtual ProviderReply mirror_customer(const Customer& customer, const std::optional<std::string>& known_id) = 0;
};

// Stateless and deterministic: the reply depends only on the customer; safe from any thread.
class SandboxPaymentProvider final : public PaymentProvider {
 public:
  std::string_view name() const override { return "sandbox"; }
  ProviderReply mirror_customer(const Customer& customer, const std::optional<std::string>& known_id) override;
};

// The sandbox's id for our customer `customer_id` ("cus_01J…" → "sbx_cus_01J…").
std::string sandbox_customer_id(std::string_view customer_id);

}  // namespace billhook::billing
