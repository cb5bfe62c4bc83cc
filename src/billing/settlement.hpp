#pragma once

// Settlement (DOMAINS.md §5, CATALOG.md STL): the processor pays the card money it collected out to the
// merchant in one batch per payout day and currency (PayoutTerms: the sandbox's T+2 days, less 2.9 % +
// 0.30 per payment). Two registered documents:
//
// - a settlement batch (kind "settlement_batch", id "po_…" derived from its payout day and currency, so
//   every node finds the same batch without a search): its totals, pending until its payout day, then
//   paid (the document clock wakes it at `payout_date`);
// - a settlement entry (kind "payment_settlement", id "stl_" + the ULID of what it settles, so a payment
//   is entered once; parented to its batch): a succeeded card payment (gross, fee, net) or a deduction —
//   a refund that went back through such payments, or a lost chargeback on one — with net −amount.
//
// Every batch keeps gross − fees − deductions = net, each the sum of its entries' (checked, exact).
// Amounts are minor units of the batch's currency; times unix seconds.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/describe.hpp>

#include "billing/registry/document_kind.hpp"
#include "billing/sandbox_processor.hpp"
#include "core/result.hpp"

namespace billhook::billing {

enum class SettlementBatchStatus { pending, paid };
BOOST_DESCRIBE_ENUM(SettlementBatchStatus, pending, paid)
enum class SettlementEntryType { payment, refund, dispute };
BOOST_DESCRIBE_ENUM(SettlementEntryType, payment, refund, dispute)
enum class SettlementEntryStatus { pending, settled };
BOOST_DESCRIBE_ENUM(SettlementEntryStatus, pending, settled)

// One line of a batch; what payment.settled shows ($defs/payment_settlement).
struct PaymentSettlement {
  std::string id;
  SettlementEntryType type = SettlementEntryType::payment;
  std::string payment;                // the payment settled, or the one the money went back through
  std::optional<std::string> invoice;
  std::optional<std::string> source;  // the refund or dispute deducted; null for a payment
  int64_t amount = 0;                 // a payment's gross; what a deduction takes (positive)
  int64_t fee = 0;                    // the processor's fee on a payment; 0 on a deduction
  int64_t net = 0;                    // amount − fee for a payment; −amount for a deduction
  std::string currency;
  std::string payout;  // the batch's id
  SettlementEntryStatus status = SettlementEntryStatus::pending;
  std::optional<int64_t> settled_at;
  int64_t created = 0;
  bool operator==(const PaymentSettlement&) const = default;
};
BOOST_DESCRIBE_STRUCT(PaymentSettlement, (),
                      (id, type, payment, invoice, source, amount, fee, net, currency, payout, status, settled_at,
                       created))

struct SettlementBatch {
  std::string id;
  std::string currency;
  int64_t payout_date = 0;  // midnight (UTC) of the day it is paid out
  SettlementBatchStatus status = SettlementBatchStatus::pending;
  int64_t payment_count = 0;
  int64_t deduction_count = 0;
  int64_t gross = 0;       // Σ payments' amounts
  int64_t fees = 0;        // Σ payments' fees
  int64_t deductions = 0;  // Σ refunds' and lost disputes' amounts
  int64_t net = 0;         // gross − fees − deductions: what is paid out (negative: owed to the processor)
  int64_t created = 0;
  std::optional<int64_t> paid_at;
  bool operator==(const SettlementBatch&) const = default;
};
BOOST_DESCRIBE_STRUCT(SettlementBatch, (),
                      (id, currency, payout_date, status, payment_count, deduction_count, gross, fees, deductions,
                       net, created, paid_at))

// A batch is looked up by its status and wakes at its payout date while pending; an entry by its batch
// (parent) and status.
extern const DocumentKind<SettlementBatch> kSettlementBatches;
extern const DocumentKind<PaymentSettlement> kPaymentSettlements;

inline constexpr int64_t kSecondsPerSettlementDay = 86'400;

// Midnight (UTC) of the payout day of money that moved at `at`: its day plus terms.delay_days.
int64_t payout_date_of(int64_t at, const PayoutTerms& terms);

// The batch of `payout_date` (a midnight) and `currency` (ISO 4217): the same id on every node.
std::string settlement_batch_id(int64_t payout_date, std::string_view currency);

// The entry that settles the payment, refund or dispute `source_id` ("pay_…", "re_…", "dp_…").
std::string settlement_entry_id(std::string_view source_id);

// The processor's fee on a payment of `amount` in `currency`, rounded once in its minor unit.
core::Result<int64_t> settlement_fee(int64_t amount, std::string_view currency, const PayoutTerms& terms);

// A payment's entry: its fee by the terms, net = amount − fee. invalid_request for a non-positive
// amount or an unknown currency.
core::Result<PaymentSettlement> payment_entry(std::string_view payment_id, std::optional<std::string> invoice_id,
                                              int64_t amount, std::string_view currency, const PayoutTerms& terms,
                                              int64_t created);

// A deduction's entry (type refund or dispute) of `amount` (> 0).
core::Result<PaymentSettlement> deduction_entry(SettlementEntryType type, std::string_view source_id,
                                                std::string_view payment_id, std::optional<std::string> invoice_id,
                                                int64_t amount, std::string_view currency, int64_t created);

// An empty pending batch.
SettlementBatch new_settlement_batch(int64_t payout_date, std::string_view currency, int64_t created);

// Adds `entry` to `batch`'s counts and totals (and sets the entry's payout to the batch). Errors: a
// currency other than the batch's, a batch already paid (conflict), a sum out of range; `batch` is
// unchanged then.
core::Status add_entry(SettlementBatch& batch, PaymentSettlement& entry);

// The totals of `entries` as one batch would hold them (what add_entry keeps, recomputed).
core::Result<SettlementBatch> totals_of(const std::vector<PaymentSettlement>& entries, std::string_view currency);

// The batch is paid out at `now`: it and each entry (settled_at now). The entries are `batch`'s.
void pay_out(SettlementBatch& batch, std::vector<PaymentSettlement>& entries, int64_t now);

}  // namespace billhook::billing
