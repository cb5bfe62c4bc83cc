#pragma once

// The validation report of the usage intake (DOMAINS.md §2): events kept but not billed — an unknown
// metric code, a missing aggregated property, a filter value not among the metric's — are listed by
// error kind in one `usage_event.validation_failed` (Lago's `events.errors`) an hour after the first
// of them arrived, and on demand (POST /v1/usage-events/validate). Each event is reported once: the
// store marks it reported in the transaction that appends the report.
//
// The hour is kept by one document, kind "usage_validation" (the schedule), which the intake arms when
// an invalid event arrives and the document clock wakes (UsageService::on_wake).

#include <cstdint>
#include <optional>
#include <string>

#include <boost/describe.hpp>
#include <boost/json/object.hpp>

#include "billing/billing_service.hpp"
#include "billing/origin.hpp"
#include "billing/registry/document_kind.hpp"
#include "core/result.hpp"
#include "store/store.hpp"

namespace billhook::billing {

inline constexpr int64_t kUsageReportIntervalSeconds = 3600;
// At most this many events in one report (a longer backlog is reported in several, at once).
inline constexpr int kMaxEventsPerUsageReport = 500;

struct UsageValidationSchedule {
  std::string id;
  std::optional<int64_t> next_report_at;  // armed by the first invalid event not yet reported
  std::optional<int64_t> last_report_at;
  int64_t reports = 0;
  bool operator==(const UsageValidationSchedule&) const = default;
};
BOOST_DESCRIBE_STRUCT(UsageValidationSchedule, (), (id, next_report_at, last_report_at, reports))

// The one schedule ("uee_" and zeros: it is no report itself).
extern const DocumentKind<UsageValidationSchedule> kUsageValidation;
inline constexpr std::string_view kUsageValidationId = "uee_00000000000000000000000000";

// Arms the schedule for a report an hour from now, unless one is already due.
core::Status arm_usage_report(store::WriteTx& tx, int64_t now);

// Appends one report of up to kMaxEventsPerUsageReport unreported invalid events, if there are any, and
// answers it (null when there was nothing to report); the schedule is disarmed, or left due now when
// more are waiting.
core::Result<std::optional<boost::json::object>> report_invalid_usage(store::WriteTx& tx, BillingService& billing,
                                                                     const Origin& origin);

}  // namespace billhook::billing
