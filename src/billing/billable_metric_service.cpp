#include "billing/billable_metric_service.hpp"

#include <memory>
#include <string>
#include <utility>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "billing/previous_attributes.hpp"

namespace billhook::billing {

using core::Error;
using core::Result;
using core::Status;

Result<BillableMetric> BillableMetricService::load(store::WriteTx& tx, std::string_view id) {
  auto found = kBillableMetrics.find(tx, id);
  if (!found) return std::move(found).error();
  if (!*found) return kBillableMetrics.not_found(id);
  return std::move(**found);
}

Status BillableMetricService::announce(store::WriteTx& tx, const char* type, const BillableMetric& metric,
                                       boost::json::object previous, const Origin& origin) {
  return billing_.append(tx, type, std::string(kBillableMetrics.kind), metric.id, kBillableMetrics.api_json(metric),
                         std::move(previous), origin);
}

Result<BillableMetric> BillableMetricService::create(store::WriteTx& tx, const NewBillableMetric& request,
                                                     const Origin& origin) {
  const int64_t now = billing_.now_s();
  auto metric = new_billable_metric(request, billing_.ids().next(core::IdKind::billable_metric), now);
  if (!metric) return std::move(metric).error();
  // A code is taken for good (an archived metric keeps it, and old usage events name it): a unique key.
  auto claimed = tx.claim_once(fmt::format("billable_metric.code:{}", metric->code), metric->id, now * 1000);
  if (!claimed) return std::move(claimed).error();
  if (!*claimed)
    return Error::conflict("billable_metric_code_taken",
                           fmt::format("another billable metric already has the code '{}'", metric->code), "code");
  if (auto s = kBillableMetrics.insert(tx, *metric, metric->id, now * 1000); !s) return std::move(s).error();
  if (auto s = announce(tx, "billable_metric.created", *metric, {}, origin); !s) return std::move(s).error();
  return metric;
}

Result<BillableMetric> BillableMetricService::update(store::WriteTx& tx, std::string_view id,
                                                     const BillableMetricUpdate& change, const Origin& origin) {
  auto metric = load(tx, id);
  if (!metric) return metric;
  if (metric->status == BillableMetricStatus::archived)
    return Error::conflict("billable_metric_archived",
                           fmt::format("billable metric '{}' is archived and cannot change", metric->code), "status");
  auto after = updated_billable_metric(*metric, change);
  if (!after) return after;
  if (*after == *metric) return after;
  if (auto s = kBillableMetrics.update(tx, *after, after->id); !s) return std::move(s).error();
  auto previous = previous_attributes(kBillableMetrics.api_json(*metric), kBillableMetrics.api_json(*after));
  if (auto s = announce(tx, "billable_metric.updated", *after, std::move(previous), origin); !s)
    return std::move(s).error();
  return after;
}

Result<BillableMetric> BillableMetricService::archive(store::WriteTx& tx, std::string_view id, const Origin& origin) {
  auto metric = load(tx, id);
  if (!metric || metric->status == BillableMetricStatus::archived) return metric;
  BillableMetric after = *metric;
  after.status = BillableMetricStatus::archived;
  after.archived_at = billing_.now_s();
  if (auto s = kBillableMetrics.update(tx, after, after.id); !s) return std::move(s).error();
  auto previous = previous_attributes(kBillableMetrics.api_json(*metric), kBillableMetrics.api_json(after));
  if (auto s = announce(tx, "billable_metric.archived", after, std::move(previous), origin); !s)
    return std::move(s).error();
  return after;
}

// --- the registry's view ------------------------------------------------------------------------

void register_billable_metrics(DocumentRegistry& registry) {
  registry.provide(service_factory<BillableMetricService>(
      [](const DomainDeps& deps) { return std::make_unique<BillableMetricService>(deps.billing); }));

  RegisteredKind metrics = registered(kBillableMetrics, "/v1/billable-metrics", "BillableMetric");
  metrics.commands = {
      create_command<BillableMetricService, NewBillableMetric>(
          "Create a billable metric",
          "What usage events of one `code` add up to per subscription and period: `aggregation_type` (`count`, "
          "`sum`, `max`, `unique_count`, `latest`, `weighted_sum`) over the property `field_name` (none for "
          "`count`), the property values counted (`filters`: property → values) and whether the value carries "
          "over between periods (`recurring`: sum, unique_count and weighted_sum only). Sends "
          "`billable_metric.created`. A code any metric has had is a 409 `billable_metric_code_taken` naming "
          "`code`; bad input is a 400 naming the field.",
          [](BillableMetricService& s, store::WriteTx& tx, const NewBillableMetric& request, const Origin& origin) {
            return kBillableMetrics.answer(s.create(tx, request, origin));
          }),
      document_command<BillableMetricService, BillableMetricUpdate>(
          "PATCH", "", "Update a billable metric",
          "Changes its `name`, `description`, `aggregation_type`, `field_name`, `filters` or `recurring`; its "
          "code stays. Sends `billable_metric.updated` with the old values when anything changed. An archived "
          "metric is a 409.",
          [](BillableMetricService& s, store::WriteTx& tx, std::string_view id, const BillableMetricUpdate& request,
             const Origin& origin) { return kBillableMetrics.answer(s.update(tx, id, request, origin)); }),
      document_command<BillableMetricService, NoParams>(
          "POST", "archive", "Archive a billable metric",
          "No new usage is rated against it; its code stays taken. Sends `billable_metric.archived`; archiving "
          "twice changes nothing.",
          [](BillableMetricService& s, store::WriteTx& tx, std::string_view id, const NoParams&,
             const Origin& origin) { return kBillableMetrics.answer(s.archive(tx, id, origin)); }),
  };
  registry.add(std::move(metrics));
}

}  // namespace billhook::billing
