#include "billing/billable_metric.hpp"

#include <fmt/format.h>

#include "core/described.hpp"

namespace billhook::billing {
namespace {

using core::Error;
using core::Status;

DocumentLookup metric_lookup(const BillableMetric& metric) {
  return {.customer_id = "",
          .parent_id = "",
          .status = std::string(core::described::name_of(metric.status)),
          .wake_at = std::nullopt};
}

Error invalid(std::string message, std::string param) {
  return Error::invalid("parameter_invalid", std::move(message), std::move(param));
}

Status check_text(const std::string& value, size_t max, const char* field) {
  if (value.empty())
    return Error::invalid("parameter_missing", fmt::format("'{}' must not be empty", field), field);
  if (value.size() > max) return invalid(fmt::format("'{}' is at most {} characters", field, max), field);
  return {};
}

Status check_filters(const MetricFilters& filters) {
  if (filters.size() > kMaxMetricFilters)
    return invalid(fmt::format("'filters' has at most {} properties", kMaxMetricFilters), "filters");
  for (const auto& [property, values] : filters) {
    const std::string at = fmt::format("filters.{}", property);
    if (property.empty()) return invalid("'filters' names a property with an empty name", "filters");
    if (values.empty() || values.size() > kMaxMetricFilterValues)
      return invalid(fmt::format("'{}' must list 1–{} values", at, kMaxMetricFilterValues), at);
    for (size_t i = 0; i < values.size(); ++i)
      if (values[i].empty())
        return invalid(fmt::format("'{}.{}' must not be empty", at, i), fmt::format("{}.{}", at, i));
  }
  return {};
}

}  // namespace

const DocumentKind<BillableMetric> kBillableMetrics{.kind = "billable_metric",
                                                    .noun = "billable metric",
                                                    .id_kind = core::IdKind::billable_metric,
                                                    .hidden_fields = {},
                                                    .lookup = &metric_lookup};

Status check_billable_metric(const BillableMetric& metric) {
  if (auto s = check_text(metric.code, kMaxMetricCodeLength, "code"); !s) return s;
  if (auto s = check_text(metric.name, kMaxMetricNameLength, "name"); !s) return s;
  if (metric.description && metric.description->size() > kMaxMetricDescriptionLength)
    return invalid(fmt::format("'description' is at most {} characters", kMaxMetricDescriptionLength),
                   "description");
  const std::string_view aggregation = core::described::name_of(metric.aggregation_type);
  if (metric.aggregation_type == AggregationType::count) {
    if (metric.field_name)
      return invalid("'field_name' must be null for a count: it counts events, not a property", "field_name");
  } else if (!metric.field_name || metric.field_name->empty()) {
    return Error::invalid("parameter_missing",
                          fmt::format("'field_name' is required for a {} aggregation: the property it aggregates",
                                      aggregation),
                          "field_name");
  } else if (metric.field_name->size() > kMaxMetricCodeLength) {
    return invalid(fmt::format("'field_name' is at most {} characters", kMaxMetricCodeLength), "field_name");
  }
  if (metric.recurring && metric.aggregation_type != AggregationType::sum &&
      metric.aggregation_type != AggregationType::unique_count &&
      metric.aggregation_type != AggregationType::weighted_sum)
    return invalid(fmt::format("'recurring' is for sum, unique_count and weighted_sum, not {}", aggregation),
                   "recurring");
  return check_filters(metric.filters);
}

core::Result<BillableMetric> new_billable_metric(NewBillableMetric request, std::string id, int64_t created) {
  BillableMetric metric{.id = std::move(id),
                        .code = std::move(request.code),
                        .name = std::move(request.name),
                        .description = std::move(request.description),
                        .aggregation_type = request.aggregation_type,
                        .field_name = std::move(request.field_name),
                        .filters = std::move(request.filters).value_or(MetricFilters{}),
                        .recurring = request.recurring.value_or(false),
                        .status = BillableMetricStatus::active,
                        .created = created,
                        .archived_at = std::nullopt};
  if (auto s = check_billable_metric(metric); !s) return std::move(s).error();
  return metric;
}

core::Result<BillableMetric> updated_billable_metric(BillableMetric metric, const BillableMetricUpdate& change) {
  if (change.name) metric.name = *change.name;
  if (change.description) metric.description = *change.description;
  if (change.aggregation_type) metric.aggregation_type = *change.aggregation_type;
  if (change.field_name) metric.field_name = *change.field_name;
  if (change.filters) metric.filters = *change.filters;
  if (change.recurring) metric.recurring = *change.recurring;
  if (auto s = check_billable_metric(metric); !s) return std::move(s).error();
  return metric;
}

AggregationSpec aggregation_spec(const BillableMetric& metric) {
  return {.type = metric.aggregation_type,
          .field = metric.field_name.value_or(""),
          .filters = metric.filters,
          .recurring = metric.recurring};
}

}  // namespace billhook::billing
