#include "billing/refund.hpp"

#include <algorithm>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "billing/allocation.hpp"
#include "core/money.hpp"

namespace billhook::billing {
namespace {

namespace json = boost::json;
__extension__ using Int128 = __int128;

DocumentLookup refund_lookup(const Refund& refund) {
  return {.customer_id = refund.customer,
          .parent_id = refund.invoice,
          .status = std::string(core::described::name_of(refund.status)),
          .wake_at = refund.status == RefundStatus::processing ? refund.confirms_at : std::nullopt};
}

DocumentLookup dispute_lookup(const Dispute& dispute) {
  return {.customer_id = dispute.customer,
          .parent_id = dispute.invoice,
          .status = std::string(core::described::name_of(dispute.status)),
          .wake_at = std::nullopt};
}

}  // namespace

const DocumentKind<Refund> kRefunds{
    .kind = "refund", .noun = "refund", .id_kind = core::IdKind::refund, .hidden_fields = {}, .lookup = &refund_lookup};

const DocumentKind<Dispute> kDisputes{.kind = "dispute",
                                      .noun = "dispute",
                                      .id_kind = core::IdKind::dispute,
                                      .hidden_fields = {},
                                      .lookup = &dispute_lookup};

void set_payment(Refund& refund) {
  refund.payment = refund.allocations.size() == 1 ? std::optional<std::string>(refund.allocations.front().payment)
                                                  : std::nullopt;
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
    if (parts[i] > 0) out.push_back({payments[i].payment_id, parts[i], std::nullopt});
  return out;
}

}  // namespace billhook::billing
