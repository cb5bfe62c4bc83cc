#include "billing/sandbox_processor.hpp"

#include <array>

#include "core/money.hpp"

namespace billhook::billing {
namespace {

enum class Behaviour {
  success, insufficient_funds, expired, three_d_secure, capture_fails, generic_decline, refunds_fail
};

struct TestCard {
  std::string_view number;
  Behaviour behaviour;
};

constexpr std::array<TestCard, 7> kTestCards = {{
    {"4242424242424242", Behaviour::success},
    {"4000000000009995", Behaviour::insufficient_funds},
    {"4000000000000069", Behaviour::expired},
    {"4000000000003220", Behaviour::three_d_secure},
    {"4000000000000341", Behaviour::capture_fails},
    {"4000000000000002", Behaviour::generic_decline},
    {"4000000000005126", Behaviour::refunds_fail},
}};

std::string digits_of(std::string_view number, bool& clean) {
  std::string digits;
  clean = true;
  for (char c : number) {
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if (c != ' ' && c != '-') {
      clean = false;
    }
  }
  return digits;
}

// By the leading digits (IIN ranges), enough for display.
std::string brand_of(std::string_view digits) {
  const auto starts = [&](std::string_view prefix) { return digits.starts_with(prefix); };
  if (starts("4")) return "visa";
  if (starts("34") || starts("37")) return "amex";
  if (digits.size() >= 2 && digits[0] == '5' && digits[1] >= '1' && digits[1] <= '5') return "mastercard";
  if (digits.size() >= 4) {
    const int prefix4 = std::stoi(std::string(digits.substr(0, 4)));
    if (prefix4 >= 2221 && prefix4 <= 2720) return "mastercard";
  }
  if (starts("6011") || starts("65")) return "discover";
  if (starts("35")) return "jcb";
  return "unknown";
}

ChargeResult failed(ChargeResult result, ChargeOutcome outcome, std::string code, std::string message) {
  result.outcome = outcome;
  result.failure_code = std::move(code);
  result.failure_message = std::move(message);
  return result;
}

}  // namespace

std::string_view to_string(ChargeOutcome outcome) {
  switch (outcome) {
    case ChargeOutcome::succeeded: return "succeeded";
    case ChargeOutcome::declined: return "declined";
    case ChargeOutcome::requires_action: return "requires_action";
    case ChargeOutcome::capture_failed: return "capture_failed";
    case ChargeOutcome::invalid: return "invalid";
  }
  return "unknown";
}

std::optional<SandboxCard> sandbox_card(std::string_view number) {
  bool clean = true;
  const std::string digits = digits_of(number, clean);
  if (!clean) return std::nullopt;
  for (const auto& card : kTestCards)
    if (card.number == digits) return SandboxCard{digits, brand_of(digits), digits.substr(digits.size() - 4)};
  return std::nullopt;
}

std::optional<SandboxCard> sandbox_card_by_last4(std::string_view last4) {
  for (const auto& card : kTestCards)
    if (card.number.ends_with(last4) && last4.size() == 4) return sandbox_card(card.number);
  return std::nullopt;
}

std::vector<std::string> sandbox_card_numbers() {
  std::vector<std::string> out;
  for (const auto& card : kTestCards) out.emplace_back(card.number);
  return out;
}

bool luhn_valid(std::string_view digits) {
  if (digits.size() < 12 || digits.size() > 19) return false;
  int sum = 0;
  bool twice = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (*it < '0' || *it > '9') return false;
    int d = *it - '0';
    if (twice) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

ChargeResult SandboxProcessor::charge(const ChargeRequest& request) {
  ChargeResult result;
  result.processor_reference = "sandbox_" + request.payment_id;
  if (request.amount <= 0) {
    return failed(std::move(result), ChargeOutcome::invalid, "invalid_amount", "the amount must be positive");
  }
  if (!core::is_known_currency(request.currency)) {
    return failed(std::move(result), ChargeOutcome::invalid, "invalid_currency",
                  "the currency is not an active ISO 4217 code");
  }
  bool clean = false;
  const std::string digits = digits_of(request.card_number, clean);
  if (!clean || !luhn_valid(digits)) {
    return failed(std::move(result), ChargeOutcome::invalid, "incorrect_number", "the card number is not valid");
  }
  result.card_brand = brand_of(digits);
  result.last4 = digits.substr(digits.size() - 4);

  const TestCard* card = nullptr;
  for (const TestCard& candidate : kTestCards) {
    if (candidate.number == digits) card = &candidate;
  }
  if (card == nullptr) {
    return failed(std::move(result), ChargeOutcome::declined, "card_declined",
                  "the sandbox accepts only its test cards, such as 4242 4242 4242 4242");
  }
  switch (card->behaviour) {
    case Behaviour::success:
    case Behaviour::refunds_fail:
      break;
    case Behaviour::insufficient_funds:
      return failed(std::move(result), ChargeOutcome::declined, "insufficient_funds",
                    "the card has insufficient funds");
    case Behaviour::expired:
      return failed(std::move(result), ChargeOutcome::declined, "expired_card", "the card has expired");
    case Behaviour::three_d_secure:
      if (!request.authentication_completed) {
        result.outcome = ChargeOutcome::requires_action;
        result.next_action = "3d_secure_redirect";
        result.failure_message = "the customer must complete 3-D Secure authentication";
        return result;
      }
      break;
    case Behaviour::capture_fails:
      result.authorized = true;
      return failed(std::move(result), ChargeOutcome::capture_failed, "capture_failed",
                    "the payment was authorised but could not be captured");
    case Behaviour::generic_decline:
      return failed(std::move(result), ChargeOutcome::declined, "card_declined", "the card was declined");
  }
  result.outcome = ChargeOutcome::succeeded;
  result.authorized = true;
  result.captured = true;
  return result;
}

RefundResult SandboxProcessor::refund(const RefundRequest& request) {
  RefundResult result;
  result.processor_reference = "sandbox_" + request.refund_id + "_" + request.payment_id;
  const auto decline = [&](std::string code, std::string message) {
    result.failure_code = std::move(code);
    result.failure_message = std::move(message);
    return result;
  };
  if (request.amount <= 0) return decline("invalid_amount", "the refund amount must be positive");
  if (!core::is_known_currency(request.currency))
    return decline("invalid_currency", "the currency is not an active ISO 4217 code");
  if (!request.card_number.empty()) {
    bool clean = false;
    const std::string digits = digits_of(request.card_number, clean);
    for (const TestCard& card : kTestCards) {
      if (card.number == digits && card.behaviour == Behaviour::refunds_fail)
        return decline("refund_declined", "the card's issuer declined the refund");
    }
  }
  result.accepted = true;
  result.confirms_after_seconds = kSandboxRefundConfirmationSeconds;
  return result;
}

bool SandboxProcessor::cancel_refund(const std::string& processor_reference) {
  return processor_reference.starts_with("sandbox_");
}

}  // namespace billhook::billing
