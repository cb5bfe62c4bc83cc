#include "billing/sandbox_processor.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

namespace billhook::billing {
namespace {

ChargeRequest request(std::string card, int64_t amount = 4999, std::string currency = "EUR") {
  return ChargeRequest{.payment_id = "pay_1", .amount = amount, .currency = std::move(currency),
                       .card_number = std::move(card)};
}

ChargeResult charge(const ChargeRequest& r) { return SandboxProcessor{}.charge(r); }

// The README's table of test cards is how users learn them: it lists every card the sandbox knows.
TEST(SandboxProcessor, ReadmeListsEveryTestCard) {
  std::ifstream file(std::string(BILLHOOK_SOURCE_DIR) + "/README.md");
  ASSERT_TRUE(file.good());
  std::stringstream readme;
  readme << file.rdbuf();
  for (const auto& number : sandbox_card_numbers())
    EXPECT_NE(readme.str().find("| `" + number + "` |"), std::string::npos) << number << " is not in README.md";
  EXPECT_EQ(sandbox_card_numbers().size(), 7u);
}

TEST(SandboxProcessor, SuccessCardChargesAndCaptures) {
  const ChargeResult result = charge(request("4242424242424242"));
  EXPECT_EQ(result.outcome, ChargeOutcome::succeeded);
  EXPECT_TRUE(result.succeeded());
  EXPECT_TRUE(result.authorized);
  EXPECT_TRUE(result.captured);
  EXPECT_TRUE(result.failure_code.empty());
  EXPECT_TRUE(result.next_action.empty());
  EXPECT_EQ(result.card_brand, "visa");
  EXPECT_EQ(result.last4, "4242");
  EXPECT_EQ(result.processor_reference, "sandbox_pay_1");
}

TEST(SandboxProcessor, InsufficientFundsDeclines) {
  const ChargeResult result = charge(request("4000000000009995"));
  EXPECT_EQ(result.outcome, ChargeOutcome::declined);
  EXPECT_EQ(result.failure_code, "insufficient_funds");
  EXPECT_FALSE(result.authorized);
  EXPECT_FALSE(result.captured);
  EXPECT_FALSE(result.failure_message.empty());
  EXPECT_EQ(result.last4, "9995");
}

TEST(SandboxProcessor, ExpiredCardDeclines) {
  const ChargeResult result = charge(request("4000000000000069"));
  EXPECT_EQ(result.outcome, ChargeOutcome::declined);
  EXPECT_EQ(result.failure_code, "expired_card");
  EXPECT_FALSE(result.captured);
}

TEST(SandboxProcessor, ThreeDSecureCardNeedsActionThenSucceeds) {
  ChargeRequest r = request("4000000000003220");
  ChargeResult first = charge(r);
  EXPECT_EQ(first.outcome, ChargeOutcome::requires_action);
  EXPECT_EQ(first.next_action, "3d_secure_redirect");
  EXPECT_TRUE(first.failure_code.empty());
  EXPECT_FALSE(first.authorized);
  EXPECT_FALSE(first.captured);

  r.authentication_completed = true;
  ChargeResult second = charge(r);
  EXPECT_EQ(second.outcome, ChargeOutcome::succeeded);
  EXPECT_TRUE(second.captured);
  EXPECT_TRUE(second.next_action.empty());
}

TEST(SandboxProcessor, CaptureFailsAfterAuthorisation) {
  const ChargeResult result = charge(request("4000000000000341"));
  EXPECT_EQ(result.outcome, ChargeOutcome::capture_failed);
  EXPECT_EQ(result.failure_code, "capture_failed");
  EXPECT_TRUE(result.authorized);
  EXPECT_FALSE(result.captured);
}

TEST(SandboxProcessor, GenericDecline) {
  const ChargeResult result = charge(request("4000000000000002"));
  EXPECT_EQ(result.outcome, ChargeOutcome::declined);
  EXPECT_EQ(result.failure_code, "card_declined");
}

TEST(SandboxProcessor, CompletingAuthenticationChangesNothingForOtherCards) {
  for (const char* card : {"4000000000009995", "4000000000000069", "4000000000000341", "4000000000000002"}) {
    ChargeRequest r = request(card);
    const ChargeResult plain = charge(r);
    r.authentication_completed = true;
    const ChargeResult authenticated = charge(r);
    EXPECT_EQ(plain.outcome, authenticated.outcome) << card;
    EXPECT_EQ(plain.failure_code, authenticated.failure_code) << card;
  }
}

TEST(SandboxProcessor, SpacesAndDashesAreIgnored) {
  EXPECT_TRUE(charge(request("4242 4242 4242 4242")).succeeded());
  EXPECT_TRUE(charge(request("4242-4242-4242-4242")).succeeded());
  EXPECT_EQ(charge(request("4000 0000 0000 9995")).failure_code, "insufficient_funds");
}

TEST(SandboxProcessor, OtherValidCardsAreDeclinedWithTheirBrand) {
  const ChargeResult mastercard = charge(request("5555555555554444"));
  EXPECT_EQ(mastercard.outcome, ChargeOutcome::declined);
  EXPECT_EQ(mastercard.failure_code, "card_declined");
  EXPECT_EQ(mastercard.card_brand, "mastercard");
  EXPECT_EQ(charge(request("378282246310005")).card_brand, "amex");
  EXPECT_EQ(charge(request("2223003122003222")).card_brand, "mastercard");
  EXPECT_EQ(charge(request("6011111111111117")).card_brand, "discover");
  EXPECT_EQ(charge(request("3566002020360505")).card_brand, "jcb");
}

TEST(SandboxProcessor, BadNumbersAreInvalid) {
  for (const char* card : {"4242424242424241", "", "4242", "4242x424242424242", "abcd", "42424242424242424242"}) {
    const ChargeResult result = charge(request(card));
    EXPECT_EQ(result.outcome, ChargeOutcome::invalid) << card;
    EXPECT_EQ(result.failure_code, "incorrect_number") << card;
    EXPECT_TRUE(result.card_brand.empty()) << card;
  }
}

TEST(SandboxProcessor, BadAmountOrCurrencyIsInvalidWhateverTheCard) {
  EXPECT_EQ(charge(request("4242424242424242", 0)).failure_code, "invalid_amount");
  EXPECT_EQ(charge(request("4242424242424242", -1)).failure_code, "invalid_amount");
  EXPECT_EQ(charge(request("4242424242424242", 100, "XXX")).failure_code, "invalid_currency");
  EXPECT_EQ(charge(request("4242424242424242", 100, "eur")).outcome, ChargeOutcome::invalid);
  EXPECT_TRUE(charge(request("4242424242424242", 100, "JPY")).succeeded());
  EXPECT_TRUE(charge(request("4242424242424242", 1, "BHD")).succeeded());
}

TEST(SandboxProcessor, IsDeterministicAndUsableThroughTheInterface) {
  std::unique_ptr<PaymentProcessor> processor = std::make_unique<SandboxProcessor>();
  for (const char* card : {"4242424242424242", "4000000000009995", "4000000000003220", "1234"}) {
    const ChargeResult a = processor->charge(request(card));
    const ChargeResult b = processor->charge(request(card));
    EXPECT_EQ(a.outcome, b.outcome) << card;
    EXPECT_EQ(a.failure_code, b.failure_code) << card;
    EXPECT_EQ(a.processor_reference, b.processor_reference) << card;
  }
}

TEST(ChargeOutcome, Names) {
  EXPECT_EQ(to_string(ChargeOutcome::succeeded), "succeeded");
  EXPECT_EQ(to_string(ChargeOutcome::declined), "declined");
  EXPECT_EQ(to_string(ChargeOutcome::requires_action), "requires_action");
  EXPECT_EQ(to_string(ChargeOutcome::capture_failed), "capture_failed");
  EXPECT_EQ(to_string(ChargeOutcome::invalid), "invalid");
}

TEST(Luhn, KnownNumbers) {
  EXPECT_TRUE(luhn_valid("4242424242424242"));
  EXPECT_TRUE(luhn_valid("4000000000000002"));
  EXPECT_TRUE(luhn_valid("378282246310005"));
  EXPECT_FALSE(luhn_valid("4242424242424243"));
  EXPECT_TRUE(luhn_valid("424242424242"));   // 12 digits: the shortest accepted
  EXPECT_FALSE(luhn_valid("424242424243"));
  EXPECT_FALSE(luhn_valid("12345678901"));    // too short
  EXPECT_FALSE(luhn_valid("4242 4242 4242 4242"));  // digits only
}

}  // namespace
}  // namespace billhook::billing
