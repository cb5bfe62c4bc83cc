#include "billing/usage_validation.hpp"

#include <array>
#include <map>
#include <vector>

#include <boost/json.hpp>
#include <fmt/format.h>

namespace billhook::billing {
namespace {

namespace json = boost::json;
using core::Error;
using core::Result;
using core::Status;

DocumentLookup schedule_lookup(const UsageValidationSchedule& s) {
  return {.customer_id = "", .parent_id = "", .status = "", .wake_at = s.next_report_at};
}

struct ErrorKind {
  std::string_view code;
  std::string_view param;
  std::string_view why;
};
constexpr std::array<ErrorKind, 3> kKinds{{
    {"invalid_code", "code", "their code names no billable metric (or an archived one)"},
    {"missing_aggregation_property", "properties", "the property their metric aggregates is missing"},
    {"invalid_filter_value", "properties", "a filter value is not among their metric's"},
}};

// A field shared by every reported event, or null.
template <class Field>
json::value common(const std::vector<store::UsageEventRecord>& events, Field field) {
  for (const auto& e : events)
    if (field(e) != field(events.front())) return nullptr;
  return json::value(field(events.front()));
}

json::object report_json(const std::string& id, const std::vector<store::UsageEventRecord>& events, int64_t now) {
  std::map<std::string_view, json::array> by_kind;
  for (const auto& kind : kKinds) by_kind[kind.code] = {};
  json::array listed;
  for (const auto& e : events) {
    by_kind[e.error].push_back(json::value(e.transaction_id));
    listed.push_back(json::object{{"transaction_id", e.transaction_id},
                                  {"subscription", e.subscription_id},
                                  {"customer", e.customer_id},
                                  {"code", e.code},
                                  {"error", e.error},
                                  {"received_at", e.created_ms / 1000}});
  }
  json::array errors;
  for (const auto& kind : kKinds) {
    const size_t n = by_kind[kind.code].size();
    if (n == 0) continue;
    errors.push_back(json::object{{"code", kind.code},
                                  {"message", fmt::format("{} of the events reported: {}", n, kind.why)},
                                  {"param", kind.param}});
  }
  json::object out{{"id", id},
                   {"object", "usage_event_error"},
                   {"transaction_id", events.front().transaction_id},
                   {"customer", common(events, [](const auto& e) { return e.customer_id; })},
                   {"metric_code", common(events, [](const auto& e) { return e.code; })},
                   {"errors", std::move(errors)}};
  // Lago's events_errors: the transaction ids under each error kind.
  for (auto& [code, ids] : by_kind) out[code] = std::move(ids);
  out["events"] = std::move(listed);
  out["received_at"] = events.front().created_ms / 1000;
  out["created"] = now;
  return out;
}

Result<UsageValidationSchedule> load_schedule(store::WriteTx& tx) {
  auto found = kUsageValidation.find(tx, kUsageValidationId);
  if (!found) return std::move(found).error();
  if (*found) return std::move(**found);
  UsageValidationSchedule schedule{.id = std::string(kUsageValidationId)};
  if (auto s = kUsageValidation.insert(tx, schedule, schedule.id, 0); !s) return std::move(s).error();
  return schedule;
}

}  // namespace

const DocumentKind<UsageValidationSchedule> kUsageValidation{.kind = "usage_validation",
                                                             .noun = "usage validation schedule",
                                                             .id_kind = core::IdKind::usage_event_error,
                                                             .hidden_fields = {},
                                                             .lookup = &schedule_lookup};

Status arm_usage_report(store::WriteTx& tx, int64_t now) {
  auto schedule = load_schedule(tx);
  if (!schedule) return std::move(schedule).error();
  if (schedule->next_report_at) return {};
  schedule->next_report_at = now + kUsageReportIntervalSeconds;
  return kUsageValidation.update(tx, *schedule, schedule->id);
}

Result<std::optional<json::object>> report_invalid_usage(store::WriteTx& tx, BillingService& billing,
                                                         const Origin& origin) {
  const int64_t now = billing.now_s();
  auto events = tx.take_unreported_usage_errors(kMaxEventsPerUsageReport);
  if (!events) return std::move(events).error();
  auto schedule = load_schedule(tx);
  if (!schedule) return std::move(schedule).error();
  const bool more = events->size() == static_cast<size_t>(kMaxEventsPerUsageReport);
  schedule->next_report_at = more ? std::optional<int64_t>(now) : std::nullopt;
  if (events->empty()) {
    if (auto s = kUsageValidation.update(tx, *schedule, schedule->id); !s) return std::move(s).error();
    return std::optional<json::object>{};
  }
  ++schedule->reports;
  schedule->last_report_at = now;
  if (auto s = kUsageValidation.update(tx, *schedule, schedule->id); !s) return std::move(s).error();
  const std::string id = billing.ids().next(core::IdKind::usage_event_error);
  json::object report = report_json(id, *events, now);
  if (auto s = billing.append(tx, "usage_event.validation_failed", "usage_event_error", id, report, {}, origin); !s)
    return std::move(s).error();
  return std::optional<json::object>{std::move(report)};
}

}  // namespace billhook::billing
