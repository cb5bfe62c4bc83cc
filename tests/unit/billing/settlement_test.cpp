// Settlement arithmetic (pure): the sandbox's 2.9 % + 0.30 per payment in each currency's minor unit,
// rounded once, against hand-computed batches (EUR with a refund in the same batch, JPY, BHD); payout
// days and batch ids; and, for random batches, gross − fees − deductions = net with every fee one
// half-up rounding of the exact amount.

#include "billing/settlement.hpp"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/ids.hpp"
#include "core/money.hpp"

namespace billhook::billing {
namespace {

constexpr int64_t kDay = 86'400;
constexpr int64_t kNov1 = 1'793'491'200;  // 2026-11-01T00:00:00Z

const PayoutTerms kSandbox{};

PaymentSettlement payment(const std::string& id, int64_t amount, const std::string& currency) {
  auto entry = payment_entry(id, std::string("inv_x"), amount, currency, kSandbox, kNov1);
  EXPECT_TRUE(entry.ok()) << (entry.ok() ? "" : entry.error().message);
  return entry.ok() ? *entry : PaymentSettlement{};
}

PaymentSettlement refund(const std::string& id, int64_t amount, const std::string& currency) {
  auto entry = deduction_entry(SettlementEntryType::refund, id, "pay_x", std::string("inv_x"), amount, currency, kNov1);
  EXPECT_TRUE(entry.ok());
  return entry.ok() ? *entry : PaymentSettlement{};
}

TEST(SettlementFee, HandComputedInEachCurrencysMinorUnit) {
  // EUR 119.00: 345.1 + 30 = 375.1 → 3.75.
  EXPECT_EQ(settlement_fee(11900, "EUR", kSandbox).value(), 375);
  // JPY 14,740 (no decimals): 427.46 + 0.3 = 427.76 → 428 yen.
  EXPECT_EQ(settlement_fee(14740, "JPY", kSandbox).value(), 428);
  // BHD 12.345 (three decimals): 358.005 + 300 = 658.005 → 0.658.
  EXPECT_EQ(settlement_fee(12345, "BHD", kSandbox).value(), 658);
  // One rounding: JPY 1,007 is 29.203 + 0.3 = 29.503 → 30 (rounding the percentage first gives 29).
  EXPECT_EQ(settlement_fee(1007, "JPY", kSandbox).value(), 30);
  EXPECT_FALSE(settlement_fee(100, "XYZ", kSandbox).ok());
}

TEST(SettlementBatchTotals, EurWithARefundInTheSameBatch) {
  SettlementBatch batch = new_settlement_batch(kNov1 + 2 * kDay, "EUR", kNov1);
  PaymentSettlement a = payment("pay_a", 11900, "EUR");  // fee 375, net 11525
  PaymentSettlement b = payment("pay_b", 5000, "EUR");   // 145 + 30 = 175, net 4825
  PaymentSettlement r = refund("re_a", 2000, "EUR");
  EXPECT_EQ(a.fee, 375);
  EXPECT_EQ(a.net, 11525);
  EXPECT_EQ(b.fee, 175);
  EXPECT_EQ(r.net, -2000);
  ASSERT_TRUE(add_entry(batch, a).ok());
  ASSERT_TRUE(add_entry(batch, b).ok());
  ASSERT_TRUE(add_entry(batch, r).ok());
  EXPECT_EQ(batch.gross, 16900);
  EXPECT_EQ(batch.fees, 550);
  EXPECT_EQ(batch.deductions, 2000);
  EXPECT_EQ(batch.net, 14350);
  EXPECT_EQ(batch.payment_count, 2);
  EXPECT_EQ(batch.deduction_count, 1);
  EXPECT_EQ(a.payout, batch.id);
  EXPECT_EQ(r.payout, batch.id);
}

TEST(SettlementBatchTotals, JpyAndBhd) {
  SettlementBatch yen = new_settlement_batch(kNov1, "JPY", kNov1);
  PaymentSettlement p1 = payment("pay_1", 14740, "JPY");  // 428
  PaymentSettlement p2 = payment("pay_2", 500, "JPY");    // 14.5 + 0.3 = 14.8 → 15
  ASSERT_TRUE(add_entry(yen, p1).ok());
  ASSERT_TRUE(add_entry(yen, p2).ok());
  EXPECT_EQ(yen.gross, 15240);
  EXPECT_EQ(yen.fees, 443);
  EXPECT_EQ(yen.net, 14797);

  SettlementBatch dinar = new_settlement_batch(kNov1, "BHD", kNov1);
  PaymentSettlement p3 = payment("pay_3", 12345, "BHD");  // 658, net 11687
  PaymentSettlement lost =
      *deduction_entry(SettlementEntryType::dispute, "dp_1", "pay_3", std::string("inv_x"), 12345, "BHD", kNov1);
  ASSERT_TRUE(add_entry(dinar, p3).ok());
  ASSERT_TRUE(add_entry(dinar, lost).ok());
  EXPECT_EQ(dinar.gross, 12345);
  EXPECT_EQ(dinar.fees, 658);
  EXPECT_EQ(dinar.deductions, 12345);
  EXPECT_EQ(dinar.net, -658);  // the fee stays with the processor: the merchant owes it
}

TEST(SettlementBatchTotals, RefusesAnotherCurrencyAPaidBatchAndBadAmounts) {
  SettlementBatch batch = new_settlement_batch(kNov1, "EUR", kNov1);
  PaymentSettlement yen = payment("pay_y", 100, "JPY");
  EXPECT_FALSE(add_entry(batch, yen).ok());
  EXPECT_EQ(batch.payment_count, 0);
  std::vector<PaymentSettlement> none;
  pay_out(batch, none, kNov1);
  PaymentSettlement eur = payment("pay_e", 100, "EUR");
  auto refused = add_entry(batch, eur);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "settlement_batch_paid");
  EXPECT_EQ(batch.gross, 0);
  EXPECT_FALSE(payment_entry("pay_z", std::nullopt, 0, "EUR", kSandbox, kNov1).ok());
  EXPECT_FALSE(payment_entry("pay_z", std::nullopt, 100, "EURO", kSandbox, kNov1).ok());
  EXPECT_FALSE(deduction_entry(SettlementEntryType::refund, "re_z", "pay_z", std::nullopt, -1, "EUR", kNov1).ok());
}

TEST(SettlementDays, PayoutIsTheDayPlusTwoAndTheBatchIdItsDayAndCurrency) {
  EXPECT_EQ(payout_date_of(kNov1, kSandbox), kNov1 + 2 * kDay);
  EXPECT_EQ(payout_date_of(kNov1 + kDay - 1, kSandbox), kNov1 + 2 * kDay);  // 23:59:59 is the same day
  EXPECT_EQ(payout_date_of(kNov1 + kDay, kSandbox), kNov1 + 3 * kDay);
  const std::string eur = settlement_batch_id(kNov1, "EUR");
  EXPECT_TRUE(core::is_valid_id(core::IdKind::settlement_batch, eur)) << eur;
  EXPECT_EQ(eur.rfind("po_", 0), 0u);
  EXPECT_EQ(eur, settlement_batch_id(kNov1, "EUR"));
  EXPECT_NE(eur, settlement_batch_id(kNov1, "JPY"));
  EXPECT_NE(eur, settlement_batch_id(kNov1 + kDay, "EUR"));
  EXPECT_EQ(settlement_entry_id("pay_01KEQR1700HAGS0WWVQ3GT9HM6"), "stl_01KEQR1700HAGS0WWVQ3GT9HM6");
}

// gross − fees − deductions = net for random batches, every total the sum of its entries, and every fee
// the exact 2.9 % + 0.30 rounded once, half-up.
TEST(SettlementProperty, GrossLessFeesLessDeductionsIsNet) {
  std::mt19937_64 rng(18);
  const std::vector<std::string> currencies = {"JPY", "EUR", "BHD", "CLF", "USD", "KWD"};
  for (int round = 0; round < 500; ++round) {
    const std::string& currency = currencies[rng() % currencies.size()];
    const int exponent = *core::currency_exponent(currency);
    SettlementBatch batch = new_settlement_batch(kNov1, currency, kNov1);
    std::vector<PaymentSettlement> entries;
    int64_t gross = 0, fees = 0, deductions = 0;
    const int n = static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
      const int64_t amount = 1 + static_cast<int64_t>(rng() % (rng() % 2 ? 1'000 : 1'000'000'000));
      PaymentSettlement entry;
      if (rng() % 4 == 0) {
        entry = refund("re_" + std::to_string(i), amount, currency);
        deductions += amount;
      } else {
        entry = payment("pay_" + std::to_string(i), amount, currency);
        // exact fee × 10^6 = amount × 290 × 100 + 30 × 10^exponent × 10^4; the fee is within half a unit.
        __extension__ using Int128 = __int128;
        Int128 scale = 1;
        for (int e = 0; e < exponent; ++e) scale *= 10;
        const Int128 exact = static_cast<Int128>(amount) * 290 * 100 + 30 * scale * 10'000;
        const Int128 diff = static_cast<Int128>(entry.fee) * 1'000'000 - exact;
        ASSERT_TRUE(diff <= 500'000 && diff > -500'000) << currency << " " << amount << " fee " << entry.fee;
        EXPECT_EQ(entry.net, amount - entry.fee);
        gross += amount;
        fees += entry.fee;
      }
      ASSERT_TRUE(add_entry(batch, entry).ok());
      entries.push_back(entry);
    }
    EXPECT_EQ(batch.gross, gross);
    EXPECT_EQ(batch.fees, fees);
    EXPECT_EQ(batch.deductions, deductions);
    EXPECT_EQ(batch.gross - batch.fees - batch.deductions, batch.net) << currency;
    int64_t sum_of_nets = 0;
    for (const auto& e : entries) sum_of_nets += e.net;
    EXPECT_EQ(batch.net, sum_of_nets);
    auto recomputed = totals_of(entries, currency);
    ASSERT_TRUE(recomputed.ok());
    EXPECT_EQ(recomputed->net, batch.net);
    EXPECT_EQ(recomputed->payment_count + recomputed->deduction_count, n);
  }
}

}  // namespace
}  // namespace billhook::billing
