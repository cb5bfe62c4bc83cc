#pragma once

// Charging a payment method. PaymentProcessor is the boundary a real PSP adapter implements;
// SandboxProcessor is the deterministic stand-in used by tests, demos and `serve` without a PSP: the
// outcome depends only on the card number, as with the test cards PSPs publish.
//
//   card number         outcome           failure_code        what it stands for
//   4242424242424242    succeeded         —                   a card that works
//   4000000000009995    declined          insufficient_funds  not enough money on the account
//   4000000000000069    declined          expired_card        the card has expired
//   4000000000003220    requires_action   —                   3-D Secure needed (next_action "3d_secure_redirect");
//                                                             succeeded once the request says it was completed
//   4000000000000341    capture_failed    capture_failed      authorised, then the capture fails
//   4000000000000002    declined          card_declined       a generic decline
//   4000000000005126    succeeded         —                   charges work, but every refund to it is declined
//                                                             (refund failure_code "refund_declined")
//   other, Luhn-valid   declined          card_declined       a real card number: the sandbox refuses it
//   other               invalid           incorrect_number    not a card number (fails the Luhn check)
//
// Spaces and dashes in the number are ignored. A non-positive amount or an unknown currency is
// `invalid` with failure_code "invalid_amount" / "invalid_currency", whatever the card.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace billhook::billing {

struct ChargeRequest {
  std::string payment_id;    // the caller's id for this attempt, echoed into the processor reference
  int64_t amount = 0;        // minor units
  std::string currency;      // ISO 4217
  std::string card_number;   // the PAN; only the sandbox ever sees one
  bool authentication_completed = false;  // the customer finished the 3-D Secure challenge
};

enum class ChargeOutcome {
  succeeded,        // authorised and captured: money moved
  declined,         // the issuer said no; failure_code says why
  requires_action,  // the customer must authenticate (SCA); retry with authentication_completed
  capture_failed,   // authorised, but the capture failed: no money moved
  invalid,          // the request itself is unusable (number, amount, currency)
};

std::string_view to_string(ChargeOutcome outcome);

struct ChargeResult {
  ChargeOutcome outcome = ChargeOutcome::invalid;
  std::string failure_code;     // empty on success and requires_action
  std::string failure_message;  // for a person
  std::string next_action;      // "3d_secure_redirect" when outcome is requires_action
  bool authorized = false;
  bool captured = false;
  std::string card_brand;  // "visa", "mastercard", …, or "unknown"; empty when the number is invalid
  std::string last4;
  std::string processor_reference;  // "sandbox_<payment_id>"

  bool succeeded() const { return outcome == ChargeOutcome::succeeded; }
};

// One refund of (part of) one payment.
struct RefundRequest {
  std::string refund_id;    // the caller's refund, echoed into the processor reference
  std::string payment_id;   // the payment the money goes back through
  int64_t amount = 0;       // minor units
  std::string currency;
  // The PAN of the card the payment was charged to; empty for a payment made elsewhere (external),
  // which is refunded out of band and always accepted.
  std::string card_number;
};

struct RefundResult {
  bool accepted = false;        // the processor took the refund; it confirms asynchronously
  std::string failure_code;     // when not accepted
  std::string failure_message;
  std::string processor_reference;
  // When accepted: how long until the processor counts the refund as confirmed on its own, for a
  // processor that does not call back (the sandbox); nullopt when its confirmation arrives as a call.
  std::optional<int64_t> confirms_after_seconds;
};

// The sandbox confirms every refund it accepted this long after (on the injectable clock).
inline constexpr int64_t kSandboxRefundConfirmationSeconds = 300;

// How a processor pays the card money it collected out to the merchant (DOMAINS.md §5): in one batch
// per day and currency, `delay_days` after the day (UTC) a payment succeeded, less a fee per payment of
// `fee_bps` of its amount plus `fixed_fee_hundredths` hundredths of a major unit of its currency,
// rounded once (core::percent_plus_fixed). Refunds and lost chargebacks are deducted from the batch of
// the day they happened.
struct PayoutTerms {
  int64_t delay_days = 2;
  int64_t fee_bps = 290;               // 2.9 %
  int64_t fixed_fee_hundredths = 30;   // 0.30
};

// The boundary to a payment service provider.
class PaymentProcessor {
 public:
  virtual ~PaymentProcessor() = default;
  // Charges `request.amount` once. Never throws for a business outcome: declines, authentication
  // and capture failures are results. Implementations document whether they are thread-safe.
  virtual ChargeResult charge(const ChargeRequest& request) = 0;
  // Asks for `request.amount` back on one payment. A decline is a result, not an exception.
  virtual RefundResult refund(const RefundRequest& request) = 0;
  // Withdraws a refund accepted moments ago that must not happen after all (another part of the same
  // refund was declined). True when it is withdrawn.
  virtual bool cancel_refund(const std::string& processor_reference) = 0;
  // Its payout schedule and fees.
  virtual PayoutTerms payout_terms() const = 0;
};

// Deterministic and stateless: the same request always gives the same result; safe from any thread.
class SandboxProcessor final : public PaymentProcessor {
 public:
  ChargeResult charge(const ChargeRequest& request) override;
  // Declines refunds to the refund-fails test card, and any non-positive amount or unknown currency;
  // confirms the others kSandboxRefundConfirmationSeconds later.
  RefundResult refund(const RefundRequest& request) override;
  bool cancel_refund(const std::string& processor_reference) override;
  // T+2 days, 2.9 % + 0.30.
  PayoutTerms payout_terms() const override { return {}; }
};

// A stored sandbox card. billhook never keeps a card number: the sandbox's test cards differ in their
// last four digits, so brand + last4 identify one, the way a PSP's token would.
struct SandboxCard {
  std::string number;  // digits only
  std::string brand;
  std::string last4;
};

// The test card `number` names (spaces and dashes ignored); nullopt for any other number.
std::optional<SandboxCard> sandbox_card(std::string_view number);
// The test card with these last four digits; nullopt when none has them.
std::optional<SandboxCard> sandbox_card_by_last4(std::string_view last4);
// Every test card's number, in the table's order (what the README must list).
std::vector<std::string> sandbox_card_numbers();

// True when `digits` (digits only) passes the Luhn check.
bool luhn_valid(std::string_view digits);

}  // namespace billhook::billing
