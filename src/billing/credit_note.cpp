#include "billing/credit_note.hpp"

#include <array>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "billing/document_json.hpp"
#include "core/money.hpp"

namespace billhook::billing {
namespace {

namespace json = boost::json;
__extension__ using Int128 = __int128;
using namespace doc_json;

constexpr std::array<std::string_view, 3> kStatuses = {"draft", "issued", "voided"};
constexpr std::array<std::string_view, 3> kCreditStatuses = {"available", "consumed", "voided"};
constexpr std::array<std::string_view, 3> kRefundStatuses = {"pending", "succeeded", "failed"};
constexpr std::array<std::string_view, 6> kReasons = {"duplicated_charge", "product_unsatisfactory", "order_change",
                                                      "order_cancellation", "fraudulent_charge", "other"};
constexpr std::array<std::string_view, 4> kEntryTypes = {"overpayment", "credit_note", "applied_to_invoice",
                                                         "credit_note_voided"};

template <class E, size_t N>
std::optional<E> parse(const std::array<std::string_view, N>& names, std::string_view text) {
  for (size_t i = 0; i < N; ++i)
    if (names[i] == text) return static_cast<E>(i);
  return std::nullopt;
}

template <class E>
json::value optional_enum(const std::optional<E>& v) {
  return v ? json::value(to_string(*v)) : json::value(nullptr);
}

core::Error negative(std::string_view name) {
  return core::Error::invalid("parameter_invalid", fmt::format("'{}' must not be negative", name), std::string(name));
}

}  // namespace

std::string_view to_string(CreditNoteStatus s) { return kStatuses[static_cast<size_t>(s)]; }
std::string_view to_string(CreditStatus s) { return kCreditStatuses[static_cast<size_t>(s)]; }
std::string_view to_string(CreditRefundStatus s) { return kRefundStatuses[static_cast<size_t>(s)]; }
std::string_view to_string(CreditNoteReason r) { return kReasons[static_cast<size_t>(r)]; }
std::string_view to_string(BalanceEntryType t) { return kEntryTypes[static_cast<size_t>(t)]; }

std::optional<CreditNoteReason> parse_credit_note_reason(std::string_view text) {
  return parse<CreditNoteReason>(kReasons, text);
}

json::object to_json(const CreditNote& note) {
  json::object out;
  out["id"] = note.id;
  out["object"] = "credit_note";
  out["number"] = note.number;
  out["invoice"] = note.invoice_id;
  out["customer"] = note.customer_id;
  out["currency"] = note.currency;
  out["status"] = to_string(note.status);
  out["credit_status"] = optional_enum(note.credit_status);
  out["refund_status"] = optional_enum(note.refund_status);
  out["reason"] = to_string(note.reason);
  out["memo"] = nullable(note.memo);
  out["total"] = note.total;
  out["pre_payment_amount"] = note.pre_payment_amount;
  out["credit_amount"] = note.credit_amount;
  out["refund_amount"] = note.refund_amount;
  out["out_of_band_amount"] = note.out_of_band_amount;
  out["credit_remaining"] = note.credit_remaining;
  out["explicit_split"] = note.explicit_split;
  out["refund"] = nullable(note.refund_id);
  if (note.refund_error) {
    const auto& e = *note.refund_error;
    out["refund_error"] = json::object{{"code", e.code},
                                       {"message", e.message},
                                       {"param", e.param.empty() ? json::value(nullptr) : json::value(e.param)}};
  } else {
    out["refund_error"] = nullptr;
  }
  out["pdf_version"] = 0;
  out["pdf_url"] = nullptr;
  json::object metadata;
  for (const auto& [k, v] : note.metadata) metadata[k] = v;
  out["metadata"] = std::move(metadata);
  out["created"] = note.created;
  out["refunded_at"] = nullable(note.refunded_at);
  out["voided_at"] = nullable(note.voided_at);
  return out;
}

core::Result<CreditNote> decode_credit_note(std::string_view body) {
  auto parsed = parse_object(body, "credit note");
  if (!parsed) return std::move(parsed).error();
  const json::object& o = *parsed;
  CreditNote n;
  n.id = text(o, "id");
  n.number = text(o, "number");
  n.invoice_id = text(o, "invoice");
  n.customer_id = text(o, "customer");
  n.currency = text(o, "currency");
  auto status = parse<CreditNoteStatus>(kStatuses, text(o, "status"));
  auto reason = parse<CreditNoteReason>(kReasons, text(o, "reason"));
  if (!status || !reason) return core::Error::internal("a stored credit note has an unknown status or reason");
  n.status = *status;
  n.reason = *reason;
  if (auto t = optional_text(o, "credit_status")) n.credit_status = parse<CreditStatus>(kCreditStatuses, *t);
  if (auto t = optional_text(o, "refund_status")) n.refund_status = parse<CreditRefundStatus>(kRefundStatuses, *t);
  n.memo = optional_text(o, "memo");
  n.total = integer(o, "total");
  n.pre_payment_amount = integer(o, "pre_payment_amount");
  n.credit_amount = integer(o, "credit_amount");
  n.refund_amount = integer(o, "refund_amount");
  n.out_of_band_amount = integer(o, "out_of_band_amount");
  n.credit_remaining = integer(o, "credit_remaining");
  if (const auto* e = o.if_contains("explicit_split"); e && e->is_bool()) n.explicit_split = e->get_bool();
  n.refund_id = optional_text(o, "refund");
  if (const auto* e = o.if_contains("refund_error"); e && e->is_object()) {
    const auto& eo = e->get_object();
    n.refund_error = ErrorDetail{text(eo, "code"), text(eo, "message"), text(eo, "param")};
  }
  if (const auto* m = o.if_contains("metadata"); m && m->is_object())
    for (const auto& item : m->get_object())
      if (item.value().is_string()) n.metadata[std::string(item.key())] = std::string(item.value().get_string());
  n.created = integer(o, "created");
  n.refunded_at = optional_integer(o, "refunded_at");
  n.voided_at = optional_integer(o, "voided_at");
  return n;
}

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

json::object to_json(const BalanceTransaction& entry) {
  json::object out;
  out["id"] = entry.id;
  out["object"] = "customer_balance_transaction";
  out["customer"] = entry.customer_id;
  out["type"] = to_string(entry.type);
  out["amount"] = entry.amount;
  out["currency"] = entry.currency;
  out["ending_balance"] = entry.ending_balance;
  out["invoice"] = nullable(entry.invoice_id);
  out["credit_note"] = nullable(entry.credit_note_id);
  out["created"] = entry.created;
  return out;
}

core::Result<BalanceTransaction> decode_balance_transaction(std::string_view body) {
  auto parsed = parse_object(body, "balance transaction");
  if (!parsed) return std::move(parsed).error();
  const json::object& o = *parsed;
  BalanceTransaction t;
  t.id = text(o, "id");
  t.customer_id = text(o, "customer");
  auto type = parse<BalanceEntryType>(kEntryTypes, text(o, "type"));
  if (!type) return core::Error::internal("a stored balance transaction has an unknown type");
  t.type = *type;
  t.amount = integer(o, "amount");
  t.currency = text(o, "currency");
  t.ending_balance = integer(o, "ending_balance");
  t.invoice_id = optional_text(o, "invoice");
  t.credit_note_id = optional_text(o, "credit_note");
  t.created = integer(o, "created");
  return t;
}

}  // namespace billhook::billing
