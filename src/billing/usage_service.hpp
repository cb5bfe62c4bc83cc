#pragma once

// The usage intake and current usage (DOMAINS.md §2), in the caller's write transaction.
//
// ingest stores each event once per (subscription, transaction_id) and folds it into the running
// aggregate of (subscription, metric, period) in the same transaction: the answer comes after both are
// durable, a repeat returns the first stored event and counts nothing, and current usage is read from
// the aggregates, never recomputed from the events. An event whose metric code is unknown, whose
// aggregated property is missing or whose filter value is not among the metric's is kept with its
// error and not billed (the validation report lists it). A batch is all or nothing.
//
// Usage goes to a subscription by its id, by its external_id (an address table the service keeps from
// the subscriptions' own events), or by the customer id of a customer with one live subscription.

#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "billing/billing_service.hpp"
#include "billing/registry/registry.hpp"
#include "billing/usage_event.hpp"
#include "billing/usage_validation.hpp"
#include "core/ids.hpp"
#include "store/store.hpp"

namespace billhook::billing {

struct IngestedUsageEvent {
  store::UsageEventRecord record;
  bool repeat = false;  // stored before under its transaction_id: this is that first event
};

class UsageService {
 public:
  explicit UsageService(BillingService& billing);
  ~UsageService();
  UsageService(const UsageService&) = delete;
  UsageService& operator=(const UsageService&) = delete;

  // Errors name the field under `path` ("" for one event, "events" for a batch: "events.3.timestamp"):
  // no such subscription (404 subscription_not_found), one that is not live or has no open period (409
  // subscription_not_billing), a timestamp outside its open period (400 timestamp_outside_period), an
  // aggregated property that is not a number where one is summed, compared or weighted (400
  // invalid_property).
  // Then, per subscription it added usage to, progressive billing (progressive_billing.hpp): the thresholds
  // of its plan passed, their events and invoice, in this transaction; `origin` is copied onto them.
  core::Result<std::vector<IngestedUsageEvent>> ingest(store::WriteTx& tx, const std::vector<UsageEventInput>& events,
                                                       std::string_view path, const Origin& origin = {});

  // The validation report (usage_validation.hpp) now: POST /v1/usage-events/validate. Null when no
  // invalid event was waiting.
  core::Result<std::optional<boost::json::object>> report_now(store::WriteTx& tx, const Origin& origin);
  // The schedule's handler on the document clock: the hourly report, when it is due.
  core::Result<bool> on_wake(store::WriteTx& tx, const Wake& wake);

  // GET /v1/subscriptions/{id}/usage: per charge of its plan, the units, events and amount accrued in the
  // open period. 404 for no such subscription, 409 subscription_not_billing without an open period.
  core::Result<boost::json::object> current_usage(store::Store& store, std::string_view subscription_id) const;

 private:
  BillingService& billing_;
};

// The API form of a stored usage event.
boost::json::object usage_event_json(const store::UsageEventRecord& record);

// The usage intake's service on the registry (the routes are api/routes/usage_routes.cpp).
void register_usage(DocumentRegistry& registry);

}  // namespace billhook::billing
