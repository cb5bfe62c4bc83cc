#include "billing/credit_note.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/money.hpp"

namespace billhook::billing {
namespace {

__extension__ using Int128 = __int128;

DocumentLookup credit_note_lookup(const CreditNote& note) {
  return {.customer_id = note.customer,
          .parent_id = note.invoice,
          .status = std::string(core::described::name_of(note.status)),
          .wake_at = std::nullopt};
}

DocumentLookup balance_transaction_lookup(const BalanceTransaction& entry) {
  return {.customer_id = entry.customer,
          .parent_id = entry.invoice.value_or(""),
          .status = std::string(core::described::name_of(entry.type)),
          .wake_at = std::nullopt};
}

core::Error negative(std::string_view name) {
  return core::Error::invalid("parameter_invalid", fmt::format("'{}' must not be negative", name), std::string(name));
}

}  // namespace

const DocumentKind<CreditNote> kCreditNotes{.kind = "credit_note",
                                             .noun = "credit note",
                                             .id_kind = core::IdKind::credit_note,
                                             .hidden_fields = {"records_return"},
                                             .lookup = &credit_note_lookup};

const DocumentKind<BalanceTransaction> kBalanceTransactions{.kind = "balance_transaction",
                                                            .noun = "balance transaction",
                                                            .id_kind = core::IdKind::balance_transaction,
                                                            .hidden_fields = {},
                                                            .lookup = &balance_transaction_lookup,
                                                            .object = "customer_balance_transaction"};

core::Result<CreditSplit> split_credit_note(const CreditSplitRequest& request, int64_t remaining, int64_t returnable,
                                            std::string_view currency) {
  if (request.total <= 0)
    return core::Error::invalid(
        "parameter_invalid", fmt::format("'amount' must be positive (minor units), got {}", request.total), "amount");
  if (request.refund_amount && *request.refund_amount < 0) return negative("refund_amount");
  if (request.credit_amount && *request.credit_amount < 0) return negative("credit_amount");
  if (request.out_of_band_amount && *request.out_of_band_amount < 0) return negative("out_of_band_amount");
  CreditSplit split;
  split.pre_payment = std::min(request.total, std::max<int64_t>(0, remaining));
  const int64_t post = request.total - split.pre_payment;
  if (post > returnable) {
    return core::Error::conflict(
        "credit_note_exceeds_invoice",
        fmt::format("the credit note's {} {} exceed what the invoice still asks for ({} {}) and what of its payments "
                    "can still be given back ({} {}) together",
                    core::to_major_string(request.total, currency), currency, core::to_major_string(split.pre_payment, currency),
                    currency, core::to_major_string(returnable, currency), currency),
        "amount");
  }
  if (!request.refund_amount && !request.credit_amount && !request.out_of_band_amount) {
    split.credit = post;
    return split;
  }
  split.refund = request.refund_amount.value_or(0);
  split.credit = request.credit_amount.value_or(0);
  split.out_of_band = request.out_of_band_amount.value_or(0);
  const Int128 sum = static_cast<Int128>(split.refund) + split.credit + split.out_of_band;
  if (sum != post) {
    return core::Error::invalid(
        "credit_note_split_mismatch",
        fmt::format("refund_amount, credit_amount and out_of_band_amount must add up to the {} {} already paid that "
                    "this credit note gives back (its amount less the {} {} that lowers what is still due)",
                    core::to_major_string(post, currency), currency, core::to_major_string(split.pre_payment, currency), currency),
        "amount");
  }
  return split;
}

}  // namespace billhook::billing
