#include "billing/refund.hpp"

#include <algorithm>
#include <array>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "billing/allocation.hpp"
#include "billing/document_json.hpp"
#include "core/money.hpp"

namespace billhook::billing {
namespace {

namespace json = boost::json;
__extension__ using Int128 = __int128;
using namespace doc_json;

constexpr std::array<std::string_view, 4> kRefundStatuses = {"pending", "processing", "succeeded", "failed"};
constexpr std::array<std::string_view, 4> kDisputeStatuses = {"needs_response", "under_review", "won", "lost"};

}  // namespace

std::string_view to_string(RefundStatus status) { return kRefundStatuses[static_cast<size_t>(status)]; }

std::string_view to_string(DisputeStatus status) { return kDisputeStatuses[static_cast<size_t>(status)]; }

std::optional<DisputeStatus> parse_dispute_status(std::string_view text) {
  for (size_t i = 0; i < kDisputeStatuses.size(); ++i)
    if (kDisputeStatuses[i] == text) return static_cast<DisputeStatus>(i);
  return std::nullopt;
}

json::object to_json(const Refund& refund) {
  json::object out;
  out["id"] = refund.id;
  out["object"] = "refund";
  out["amount"] = refund.amount;
  out["currency"] = refund.currency;
  out["status"] = to_string(refund.status);
  out["reason"] = nullable(refund.reason);
  // `payment` names the one payment a refund went back through; a refund spread over several has null.
  out["payment"] = refund.allocations.size() == 1 ? json::value(refund.allocations.front().payment_id)
                                                  : json::value(nullptr);
  out["invoice"] = refund.invoice_id;
  out["customer"] = refund.customer_id;
  out["credit_note"] = nullable(refund.credit_note_id);
  json::array allocations;
  for (const auto& a : refund.allocations) {
    json::object item{{"payment", a.payment_id}, {"amount", a.amount}};
    if (!a.processor_reference.empty()) item["processor_reference"] = a.processor_reference;
    allocations.push_back(std::move(item));
  }
  out["allocations"] = std::move(allocations);
  out["failure_code"] = nullable(refund.failure_code);
  out["failure_message"] = nullable(refund.failure_message);
  out["created"] = refund.created;
  out["refunded_at"] = nullable(refund.refunded_at);
  out["confirmed_at"] = nullable(refund.confirmed_at);
  out["confirms_at"] = nullable(refund.confirms_at);
  return out;
}

core::Result<Refund> decode_refund(std::string_view body) {
  auto parsed = parse_object(body, "refund");
  if (!parsed) return std::move(parsed).error();
  const json::object& o = *parsed;
  Refund r;
  r.id = text(o, "id");
  r.invoice_id = text(o, "invoice");
  r.customer_id = text(o, "customer");
  r.currency = text(o, "currency");
  r.amount = integer(o, "amount");
  const std::string status = text(o, "status");
  const auto it = std::find(kRefundStatuses.begin(), kRefundStatuses.end(), status);
  if (it == kRefundStatuses.end()) return core::Error::internal("a stored refund has an unknown status");
  r.status = static_cast<RefundStatus>(it - kRefundStatuses.begin());
  r.reason = optional_text(o, "reason");
  r.credit_note_id = optional_text(o, "credit_note");
  if (const auto* a = o.if_contains("allocations"); a && a->is_array()) {
    for (const auto& item : a->get_array()) {
      if (!item.is_object()) continue;
      const auto& io = item.get_object();
      r.allocations.push_back({text(io, "payment"), integer(io, "amount"), text(io, "processor_reference")});
    }
  }
  r.failure_code = optional_text(o, "failure_code");
  r.failure_message = optional_text(o, "failure_message");
  r.created = integer(o, "created");
  r.refunded_at = optional_integer(o, "refunded_at");
  r.confirmed_at = optional_integer(o, "confirmed_at");
  r.confirms_at = optional_integer(o, "confirms_at");
  return r;
}

json::object to_json(const Dispute& dispute) {
  json::object out;
  out["id"] = dispute.id;
  out["object"] = "dispute";
  out["amount"] = dispute.amount;
  out["currency"] = dispute.currency;
  out["status"] = to_string(dispute.status);
  out["reason"] = nullable(dispute.reason);
  out["payment"] = dispute.payment_id;
  out["invoice"] = dispute.invoice_id;
  out["customer"] = dispute.customer_id;
  out["evidence_due_by"] = nullable(dispute.evidence_due_by);
  out["created"] = dispute.created;
  out["closed_at"] = nullable(dispute.closed_at);
  return out;
}

core::Result<Dispute> decode_dispute(std::string_view body) {
  auto parsed = parse_object(body, "dispute");
  if (!parsed) return std::move(parsed).error();
  const json::object& o = *parsed;
  Dispute d;
  d.id = text(o, "id");
  d.invoice_id = text(o, "invoice");
  d.customer_id = text(o, "customer");
  d.payment_id = text(o, "payment");
  d.currency = text(o, "currency");
  d.amount = integer(o, "amount");
  auto status = parse_dispute_status(text(o, "status"));
  if (!status) return core::Error::internal("a stored dispute has an unknown status");
  d.status = *status;
  d.reason = optional_text(o, "reason");
  d.evidence_due_by = optional_integer(o, "evidence_due_by");
  d.created = integer(o, "created");
  d.closed_at = optional_integer(o, "closed_at");
  return d;
}

core::Result<std::vector<RefundAllocation>> allocate_refund(const std::vector<RefundablePayment>& payments,
                                                            int64_t amount, std::string_view currency) {
  if (amount <= 0)
    return core::Error::invalid("parameter_invalid", fmt::format("a refund amount must be positive, got {}", amount),
                                "amount");
  std::vector<int64_t> weights;  // what each payment can still give back
  weights.reserve(payments.size());
  Int128 total = 0;
  for (const auto& p : payments) {
    weights.push_back(std::max<int64_t>(0, p.refundable));
    total += weights.back();
  }
  if (total < amount) {
    return core::Error::conflict(
        "refund_exceeds_paid",
        fmt::format("a refund of {} {} is more than the {} {} the invoice's payments can still give back",
                    core::to_major_string(amount, currency), currency,
                    core::to_major_string(static_cast<int64_t>(total), currency), currency),
        "amount");
  }
  const std::vector<int64_t> parts = allocate_largest_remainder(amount, weights);
  std::vector<RefundAllocation> out;
  for (size_t i = 0; i < payments.size(); ++i)
    if (parts[i] > 0) out.push_back({payments[i].payment_id, parts[i], ""});
  return out;
}

}  // namespace billhook::billing
