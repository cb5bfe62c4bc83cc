#pragma once

// Billable metrics as stored documents (DOMAINS.md §2): each command loads in the caller's write
// transaction, checks with billable_metric.hpp, saves with kBillableMetrics and appends its event
// (billable_metric.created, .updated, .archived) through BillingService::append in that same
// transaction, so a metric and its announcement commit together.

#include <string_view>

#include "billing/billable_metric.hpp"
#include "billing/billing_service.hpp"
#include "billing/origin.hpp"
#include "billing/registry/registry.hpp"
#include "store/store.hpp"

namespace billhook::billing {

class BillableMetricService {
 public:
  explicit BillableMetricService(BillingService& billing) : billing_(billing) {}

  // A new metric; conflict "billable_metric_code_taken" naming `code` when any metric, archived or not,
  // has had its code.
  core::Result<BillableMetric> create(store::WriteTx& tx, const NewBillableMetric& request, const Origin& origin);
  // PATCH; billable_metric.updated with the old values when anything changed. An archived metric is a
  // conflict, "billable_metric_archived".
  core::Result<BillableMetric> update(store::WriteTx& tx, std::string_view id, const BillableMetricUpdate& change,
                                      const Origin& origin);
  // Archived from now on (billable_metric.archived); archiving twice changes nothing and says nothing.
  core::Result<BillableMetric> archive(store::WriteTx& tx, std::string_view id, const Origin& origin);

 private:
  core::Result<BillableMetric> load(store::WriteTx& tx, std::string_view id);
  core::Status announce(store::WriteTx& tx, const char* type, const BillableMetric& metric,
                        boost::json::object previous, const Origin& origin);

  BillingService& billing_;
};

// Billable metrics on the registry: GET /v1/billable-metrics[/{id}], POST /v1/billable-metrics,
// PATCH /v1/billable-metrics/{id}, POST /v1/billable-metrics/{id}/archive, and the service behind them.
void register_billable_metrics(DocumentRegistry& registry);

}  // namespace billhook::billing
