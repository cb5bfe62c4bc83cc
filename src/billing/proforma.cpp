#include "billing/proforma.hpp"

#include <array>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "billing/previous_attributes.hpp"
#include "core/money.hpp"

namespace billhook::billing {
namespace {

namespace json = boost::json;

constexpr std::array<std::string_view, 6> kReasonNames = {
    "duplicated_charge", "product_unsatisfactory", "order_change", "order_cancellation", "fraudulent_charge", "other"};

}  // namespace

std::string_view to_string(ProformaCreditReason reason) { return kReasonNames[static_cast<size_t>(reason)]; }

std::optional<ProformaCreditReason> parse_proforma_credit_reason(std::string_view text) {
  for (size_t i = 0; i < kReasonNames.size(); ++i)
    if (kReasonNames[i] == text) return static_cast<ProformaCreditReason>(i);
  return std::nullopt;
}

core::Result<Transition> credit_proforma(const Invoice& before, const ProformaCredit& credit, int64_t) {
  if (before.kind != InvoiceKind::proforma)
    return core::Error::conflict("invalid_transition",
                                 fmt::format("cannot credit invoice {} as a proforma: it is an invoice; credit an "
                                             "invoice with a credit note",
                                             before.id));
  if (before.status != InvoiceStatus::open)
    return core::Error::conflict("invalid_transition",
                                 fmt::format("cannot credit a proforma that is {}", to_string(before.status)));
  if (credit.amount <= 0)
    return core::Error::invalid("parameter_invalid",
                                fmt::format("a credit must be a positive amount in minor units, got {}", credit.amount),
                                "amount");
  if (credit.amount >= before.amount_remaining) {
    return core::Error::conflict(
        "credit_exceeds_remaining",
        fmt::format("a credit of {} {} would leave nothing to pay on proforma {} ({} {} remain); credit less, or "
                    "void the proforma",
                    core::to_major_string(credit.amount, before.currency), before.currency, before.id,
                    core::to_major_string(before.amount_remaining, before.currency), before.currency),
        "amount");
  }
  Invoice after = before;
  auto credited = core::checked_add(before.amount_credited, credit.amount);
  if (!credited) return std::move(credited).error();
  after.amount_credited = *credited;
  if (auto s = compute_totals(after); !s) return std::move(s).error();

  json::object object = to_json(after);
  json::object previous = previous_attributes(to_json(before), object);
  object["credit"] = json::object{
      {"amount", credit.amount},
      {"reason", to_string(credit.reason)},
      {"description", credit.description ? json::value(*credit.description) : json::value(nullptr)}};
  Transition t;
  t.invoice = std::move(after);
  t.events.push_back({"proforma.credited", t.invoice.id, std::move(object), std::move(previous)});
  return t;
}

}  // namespace billhook::billing
