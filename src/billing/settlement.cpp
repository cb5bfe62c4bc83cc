#include "billing/settlement.hpp"

#include <utility>

#include <fmt/format.h>

#include "core/ids.hpp"
#include "core/money.hpp"

namespace billhook::billing {
namespace {

using core::Error;
using core::Result;
using core::Status;

DocumentLookup batch_lookup(const SettlementBatch& batch) {
  return {.customer_id = {},
          .parent_id = {},
          .status = std::string(core::described::name_of(batch.status)),
          .wake_at = batch.status == SettlementBatchStatus::pending ? std::optional<int64_t>(batch.payout_date)
                                                                    : std::nullopt};
}

DocumentLookup entry_lookup(const PaymentSettlement& entry) {
  return {.customer_id = {},
          .parent_id = entry.payout,
          .status = std::string(core::described::name_of(entry.status)),
          .wake_at = std::nullopt};
}

Status check_currency(std::string_view currency) {
  if (auto e = core::currency_exponent(currency); !e) return std::move(e).error();
  return {};
}

}  // namespace

const DocumentKind<SettlementBatch> kSettlementBatches{.kind = "settlement_batch",
                                                       .noun = "settlement batch",
                                                       .id_kind = core::IdKind::settlement_batch,
                                                       .hidden_fields = {},
                                                       .lookup = &batch_lookup,
                                                       .object = {},
                                                       .plural = "settlement batches"};

const DocumentKind<PaymentSettlement> kPaymentSettlements{.kind = "payment_settlement",
                                                          .noun = "payment settlement",
                                                          .id_kind = core::IdKind::payment_settlement,
                                                          .hidden_fields = {},
                                                          .lookup = &entry_lookup};

int64_t payout_date_of(int64_t at, const PayoutTerms& terms) {
  int64_t day = at / kSecondsPerSettlementDay;
  if (at % kSecondsPerSettlementDay < 0) --day;  // floor, for times before 1970
  return (day + terms.delay_days) * kSecondsPerSettlementDay;
}

std::string settlement_batch_id(int64_t payout_date, std::string_view currency) {
  // The currency's three letters, a byte each, are the id's random part.
  uint64_t letters = 0;
  for (char c : currency.substr(0, 3)) letters = (letters << 8) | static_cast<unsigned char>(c);
  return core::derived_id(core::IdKind::settlement_batch, static_cast<uint64_t>(payout_date) * 1000, letters);
}

std::string settlement_entry_id(std::string_view source_id) {
  const auto underscore = source_id.find('_');
  const std::string_view ulid = underscore == std::string_view::npos ? source_id : source_id.substr(underscore + 1);
  return fmt::format("{}_{}", core::id_prefix(core::IdKind::payment_settlement), ulid);
}

Result<int64_t> settlement_fee(int64_t amount, std::string_view currency, const PayoutTerms& terms) {
  auto exponent = core::currency_exponent(currency);
  if (!exponent) return std::move(exponent).error();
  return core::percent_plus_fixed(amount, terms.fee_bps, terms.fixed_fee_hundredths, *exponent);
}

Result<PaymentSettlement> payment_entry(std::string_view payment_id, std::optional<std::string> invoice_id,
                                        int64_t amount, std::string_view currency, const PayoutTerms& terms,
                                        int64_t created) {
  if (amount <= 0)
    return Error::invalid("invalid_amount", fmt::format("a settled payment's amount is positive, got {}", amount),
                          "amount");
  auto fee = settlement_fee(amount, currency, terms);
  if (!fee) return std::move(fee).error();
  auto net = core::checked_sub(amount, *fee);
  if (!net) return std::move(net).error();
  return PaymentSettlement{.id = settlement_entry_id(payment_id),
                           .type = SettlementEntryType::payment,
                           .payment = std::string(payment_id),
                           .invoice = std::move(invoice_id),
                           .source = std::nullopt,
                           .amount = amount,
                           .fee = *fee,
                           .net = *net,
                           .currency = std::string(currency),
                           .payout = {},
                           .status = SettlementEntryStatus::pending,
                           .settled_at = std::nullopt,
                           .created = created};
}

Result<PaymentSettlement> deduction_entry(SettlementEntryType type, std::string_view source_id,
                                          std::string_view payment_id, std::optional<std::string> invoice_id,
                                          int64_t amount, std::string_view currency, int64_t created) {
  if (type == SettlementEntryType::payment) return Error::internal("a payment is not a deduction");
  if (amount <= 0)
    return Error::invalid("invalid_amount", fmt::format("a deduction's amount is positive, got {}", amount), "amount");
  if (auto s = check_currency(currency); !s) return std::move(s).error();
  return PaymentSettlement{.id = settlement_entry_id(source_id),
                           .type = type,
                           .payment = std::string(payment_id),
                           .invoice = std::move(invoice_id),
                           .source = std::string(source_id),
                           .amount = amount,
                           .fee = 0,
                           .net = -amount,
                           .currency = std::string(currency),
                           .payout = {},
                           .status = SettlementEntryStatus::pending,
                           .settled_at = std::nullopt,
                           .created = created};
}

SettlementBatch new_settlement_batch(int64_t payout_date, std::string_view currency, int64_t created) {
  return {.id = settlement_batch_id(payout_date, currency),
          .currency = std::string(currency),
          .payout_date = payout_date,
          .status = SettlementBatchStatus::pending,
          .payment_count = 0,
          .deduction_count = 0,
          .gross = 0,
          .fees = 0,
          .deductions = 0,
          .net = 0,
          .created = created,
          .paid_at = std::nullopt};
}

Status add_entry(SettlementBatch& batch, PaymentSettlement& entry) {
  if (batch.status != SettlementBatchStatus::pending)
    return Error::conflict("settlement_batch_paid", fmt::format("settlement batch {} is paid out already", batch.id));
  if (entry.currency != batch.currency)
    return Error::internal(fmt::format("a {} entry in the {} settlement batch {}", entry.currency, batch.currency,
                                       batch.id));
  SettlementBatch after = batch;
  if (entry.type == SettlementEntryType::payment) {
    auto gross = core::checked_add(after.gross, entry.amount);
    if (!gross) return std::move(gross).error();
    auto fees = core::checked_add(after.fees, entry.fee);
    if (!fees) return std::move(fees).error();
    after.gross = *gross;
    after.fees = *fees;
    ++after.payment_count;
  } else {
    auto deductions = core::checked_add(after.deductions, entry.amount);
    if (!deductions) return std::move(deductions).error();
    after.deductions = *deductions;
    ++after.deduction_count;
  }
  auto net = core::checked_add(after.net, entry.net);
  if (!net) return std::move(net).error();
  after.net = *net;
  batch = std::move(after);
  entry.payout = batch.id;
  return {};
}

Result<SettlementBatch> totals_of(const std::vector<PaymentSettlement>& entries, std::string_view currency) {
  SettlementBatch batch = new_settlement_batch(0, currency, 0);
  for (PaymentSettlement entry : entries)
    if (auto s = add_entry(batch, entry); !s) return std::move(s).error();
  return batch;
}

void pay_out(SettlementBatch& batch, std::vector<PaymentSettlement>& entries, int64_t now) {
  batch.status = SettlementBatchStatus::paid;
  batch.paid_at = now;
  for (auto& entry : entries) {
    entry.status = SettlementEntryStatus::settled;
    entry.settled_at = now;
  }
}

}  // namespace billhook::billing
