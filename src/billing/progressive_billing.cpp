#include "billing/progressive_billing.hpp"

#include <algorithm>
#include <utility>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "billing/billing_documents.hpp"
#include "billing/codec.hpp"
#include "billing/plan.hpp"
#include "billing/subscription_invoice.hpp"
#include "billing/usage_fees.hpp"

namespace billhook::billing {

namespace json = boost::json;
using core::Result;
using core::Status;

std::vector<ThresholdLevel> threshold_levels(const std::vector<UsageThreshold>& thresholds, int64_t total) {
  std::vector<ThresholdLevel> out;
  for (const UsageThreshold& t : thresholds) {
    if (t.amount <= 0 || total < t.amount) continue;
    out.push_back({t, t.recurring ? total / t.amount * t.amount : t.amount});
  }
  return out;
}

Result<BilledUsage> billed_progressively(store::WriteTx& tx, const Subscription& sub, const Period& period) {
  // A customer's invoices are few beside its usage; they are read only when a period closes or a
  // threshold is newly passed.
  auto records = tx.find_documents({.kind = std::string(stored::kInvoice), .customer_id = sub.customer});
  if (!records) return std::move(records).error();
  BilledUsage billed;
  for (const auto& record : *records) {
    auto invoice = decode_invoice(record.body);
    if (!invoice) return std::move(invoice).error();
    if (invoice->subscription_id != sub.id || invoice->billing_reason != BillingReason::threshold ||
        invoice->period_start != period.start || invoice->status == InvoiceStatus::void_ ||
        invoice->status == InvoiceStatus::deleted || invoice->status == InvoiceStatus::draft)
      continue;
    for (const LineItem& line : invoice->lines)
      if (line.usage) billed[{line.usage->billable_metric, line.usage->charge_model}] += line.amount;
  }
  return billed;
}

std::vector<LineItem> less_billed(std::vector<LineItem> lines, BilledUsage billed) {
  std::vector<LineItem> out;
  for (LineItem& line : lines) {
    if (line.usage) {
      int64_t& left = billed[{line.usage->billable_metric, line.usage->charge_model}];
      const int64_t taken = std::clamp<int64_t>(left, 0, std::max<int64_t>(line.unit_amount, 0));
      left -= taken;
      if (taken > 0) {
        line.unit_amount -= taken;
        if (line.unit_amount == 0) continue;
        line.description += " (less progressive billing)";
      }
    }
    out.push_back(std::move(line));
  }
  return out;
}

Status bill_progressively(BillingService& billing, store::WriteTx& tx, const Subscription& sub, const Period& period,
                          const Origin& origin) {
  auto plan = kPlans.find(tx, sub.plan);
  if (!plan) return std::move(plan).error();
  if (!*plan || (*plan)->usage_thresholds.empty()) return {};
  auto metrics = metrics_in(tx);
  if (!metrics) return std::move(metrics).error();
  auto usage = price_usage(**plan, *metrics, period, sub.currency, usage_in(tx, sub.id, period));
  if (!usage) return std::move(usage).error();
  int64_t total = 0;
  for (const ChargeUsage& u : *usage) total += u.amount;

  std::vector<ThresholdLevel> reached;
  for (ThresholdLevel& level : threshold_levels((*plan)->usage_thresholds, total)) {
    auto claimed = tx.claim_once(fmt::format("{}:threshold:{}:{}", sub.id, period.start, level.level), sub.id,
                                 billing.now_s() * 1000);
    if (!claimed) return std::move(claimed).error();
    if (*claimed) reached.push_back(std::move(level));
  }
  if (reached.empty()) return {};
  for (const ThresholdLevel& level : reached) {
    json::object object = kSubscriptions.api_json(sub);
    object["usage_threshold"] = json::object{
        {"name", level.threshold.name ? json::value(*level.threshold.name) : json::value(nullptr)},
        {"amount", level.threshold.amount},
        {"recurring", level.threshold.recurring},
        {"current_usage_amount", total}};
    if (auto s = billing.append(tx, "subscription.usage_threshold_reached", std::string(kSubscriptions.kind), sub.id,
                                std::move(object), {}, origin);
        !s)
      return s;
  }

  // The usage to date, without min_amount (the period's closing invoice applies it), less what earlier
  // progressive invoices of the period billed.
  for (ChargeUsage& u : *usage) u.charge.min_amount = 0;
  auto billed = billed_progressively(tx, sub, period);
  if (!billed) return std::move(billed).error();
  std::vector<LineItem> lines = less_billed(usage_lines(*usage, period), std::move(*billed));
  if (lines.empty()) return {};
  auto invoice = issue_subscription_invoice(billing, tx, sub, period, 0, BillingReason::threshold, origin,
                                            std::move(lines));
  if (!invoice) return std::move(invoice).error();
  return {};
}

}  // namespace billhook::billing
