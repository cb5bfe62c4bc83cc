#pragma once

// A billable metric (DOMAINS.md §2): what usage events of one `code` add up to per subscription and
// period — its aggregation (usage_aggregate.hpp) over the property `field_name`, the property values it
// counts (`filters`) and whether its value carries over between periods (`recurring`). A registered
// document (billing/registry), kind "billable_metric", id "bm_…"; its struct is the stored, API and
// webhook form (the catalog's billable_metric: Lago's field names). Archived, never deleted: its code
// stays taken, and plans' charges name metrics by code.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/describe.hpp>

#include "billing/registry/document_kind.hpp"
#include "billing/usage_aggregate.hpp"
#include "core/result.hpp"

namespace billhook::billing {

inline constexpr size_t kMaxMetricCodeLength = 100;
inline constexpr size_t kMaxMetricNameLength = 500;
inline constexpr size_t kMaxMetricDescriptionLength = 1000;
inline constexpr size_t kMaxMetricFilters = 20;
inline constexpr size_t kMaxMetricFilterValues = 100;

enum class BillableMetricStatus { active, archived };
BOOST_DESCRIBE_ENUM(BillableMetricStatus, active, archived)

using MetricFilters = std::map<std::string, std::vector<std::string>>;

struct BillableMetric {
  std::string id;
  std::string code;  // unique among metrics, for good (the service claims it)
  std::string name;
  std::optional<std::string> description;
  AggregationType aggregation_type = AggregationType::count;
  std::optional<std::string> field_name;  // the property aggregated; null for count
  MetricFilters filters;                  // property → the values counted; empty: every event
  bool recurring = false;
  BillableMetricStatus status = BillableMetricStatus::active;
  int64_t created = 0;
  std::optional<int64_t> archived_at;
  bool operator==(const BillableMetric&) const = default;
};
BOOST_DESCRIBE_STRUCT(BillableMetric, (),
                      (id, code, name, description, aggregation_type, field_name, filters, recurring, status, created,
                       archived_at))

// Status "active" or "archived"; no customer, parent or time.
extern const DocumentKind<BillableMetric> kBillableMetrics;

// The body of POST /v1/billable-metrics.
struct NewBillableMetric {
  std::string code;
  std::string name;
  std::optional<std::string> description;
  AggregationType aggregation_type = AggregationType::count;
  std::optional<std::string> field_name;
  std::optional<MetricFilters> filters;
  std::optional<bool> recurring;  // false when absent
};
BOOST_DESCRIBE_STRUCT(NewBillableMetric, (),
                      (code, name, description, aggregation_type, field_name, filters, recurring))

// The body of PATCH /v1/billable-metrics/{id}: its code stays (usage events and charges name it).
// `description` and `field_name` null clear them.
struct BillableMetricUpdate {
  std::optional<std::string> name;
  std::optional<std::optional<std::string>> description;
  std::optional<AggregationType> aggregation_type;
  std::optional<std::optional<std::string>> field_name;
  std::optional<MetricFilters> filters;
  std::optional<bool> recurring;
};
BOOST_DESCRIBE_STRUCT(BillableMetricUpdate, (),
                      (name, description, aggregation_type, field_name, filters, recurring))

// What a caller supplies is acceptable, naming the field (invalid_request): code and name present and
// not too long; field_name present for every aggregation but count and absent for count; recurring
// only with sum, unique_count or weighted_sum (a count, max or latest does not carry over); filters with
// non-empty property names and non-empty lists of non-empty values ("filters.region.0").
core::Status check_billable_metric(const BillableMetric& metric);

// A new metric from a request, given `id` and `created`, checked.
core::Result<BillableMetric> new_billable_metric(NewBillableMetric request, std::string id, int64_t created);

// `metric` with `change` applied and checked.
core::Result<BillableMetric> updated_billable_metric(BillableMetric metric, const BillableMetricUpdate& change);

// What the usage intake aggregates for this metric.
AggregationSpec aggregation_spec(const BillableMetric& metric);

}  // namespace billhook::billing
