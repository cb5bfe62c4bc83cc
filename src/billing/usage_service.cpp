#include "billing/usage_service.hpp"

#include <map>
#include <optional>
#include <utility>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "billing/advance_fees.hpp"
#include "billing/billable_metric.hpp"
#include "billing/charge_model.hpp"
#include "billing/document_json.hpp"
#include "billing/fee.hpp"
#include "billing/plan.hpp"
#include "billing/progressive_billing.hpp"
#include "billing/subscription.hpp"
#include "billing/usage_fees.hpp"
#include "billing/wallet_usage.hpp"
#include "core/text.hpp"

namespace billhook::billing {
namespace {

namespace json = boost::json;
using core::Error;
using core::Result;
using core::Status;

std::string at(std::string_view path, std::string_view field) {
  return path.empty() ? std::string(field) : fmt::format("{}.{}", path, field);
}

Error subscription_not_found(std::string_view what, std::string_view param) {
  Error e = Error::not_found("subscription_not_found", fmt::format("no live subscription is {}", what));
  e.param = std::string(param);
  return e;
}

// Why an event is kept but not billed, or "" when it is aggregated.
std::string validation_error(const UsageEventInput& event, const BillableMetric* metric) {
  if (!metric || metric->status == BillableMetricStatus::archived) return "invalid_code";
  if (metric->field_name && !event.properties.contains(*metric->field_name)) return "missing_aggregation_property";
  for (const auto& [property, allowed] : metric->filters) {
    auto it = event.properties.find(property);
    if (it != event.properties.end() && std::find(allowed.begin(), allowed.end(), it->second) == allowed.end())
      return "invalid_filter_value";
  }
  return {};
}

// A charge of a subscription's plan, priced once per call.
struct PricedCharge {
  Charge charge;
  ChargePricing pricing;
  std::string terms_key;  // a percentage charge's percentage_terms_key
};

struct Target {
  Subscription sub;
  Period period;
  std::vector<PricedCharge> in_advance;  // its plan's pay-in-advance charges priced by units
  std::vector<PricedCharge> percentage;  // its plan's percentage charges, priced per event
};

// One call's view of what it touches: subscriptions resolved, aggregates opened (written back once at
// the end, however many of the call's events they took).
class Intake {
 public:
  Intake(store::WriteTx& tx, int64_t now) : tx_(tx), now_(now) {}

  Result<const Target*> target(const UsageEventInput& event, std::string_view path) {
    const bool by_customer = event.external_subscription_id.empty();
    const std::string key = by_customer ? "cus:" + event.external_customer_id : event.external_subscription_id;
    if (auto it = targets_.find(key); it != targets_.end()) return &it->second;
    const std::string param = at(path, by_customer ? "external_customer_id" : "external_subscription_id");
    auto sub = by_customer ? by_customer_id(event.external_customer_id, param)
                           : by_subscription_key(event.external_subscription_id, param);
    if (!sub) return std::move(sub).error();
    auto period = current_period(*sub);
    if (!is_live(sub->status) || !period)
      return Error::conflict("subscription_not_billing",
                             fmt::format("subscription {} is {} and has no open period to add usage to", sub->id,
                                         core::described::name_of(sub->status)),
                             param);
    Target target{std::move(*sub), *period, {}, {}};
    if (auto s = price_charges(target); !s) return std::move(s).error();
    auto [it, _] = targets_.emplace(key, std::move(target));
    return &it->second;
  }

  Result<PeriodUsage*> usage(const Target& target, const BillableMetric& metric) {
    const auto key = std::make_pair(target.sub.id, metric.code);
    if (auto it = open_.find(key); it != open_.end()) return &it->second;
    auto latest = tx_.find_usage_aggregate(target.sub.id, metric.code, target.period.start, /*hold=*/true);
    if (!latest) return std::move(latest).error();
    auto usage = usage_for(aggregation_spec(metric), target.period, *latest);
    if (!usage) return std::move(usage).error();
    auto [it, _] = open_.emplace(key, std::move(*usage));
    periods_.emplace(key, target.period);
    return &it->second;
  }

  // The subscriptions this call added billed usage to, with their open period.
  // (Two addresses of one subscription are two targets: each is listed once.)
  std::vector<const Target*> billed_targets() const {
    std::map<std::string, const Target*> by_id;
    for (const auto& [key, target] : targets_)
      if (open_.lower_bound({target.sub.id, std::string()}) != open_.end() &&
          open_.lower_bound({target.sub.id, std::string()})->first.first == target.sub.id)
        by_id.emplace(target.sub.id, &target);
    std::vector<const Target*> out;
    for (const auto& [id, target] : by_id) out.push_back(target);
    return out;
  }

  Status write_back() {
    for (const auto& [key, usage] : open_) {
      const Period& period = periods_.at(key);
      store::UsageAggregateRecord record{.subscription_id = key.first,
                                         .code = key.second,
                                         .period_start = period.start,
                                         .period_end = period.end,
                                         .state = stored_state(usage),
                                         .updated_ms = now_ * 1000};
      if (auto s = tx_.put_usage_aggregate(record); !s) return s;
    }
    return {};
  }

 private:
  // The target's charges that the intake prices as events arrive.
  Status price_charges(Target& target) {
    auto plan = kPlans.find(tx_, target.sub.plan);
    if (!plan) return std::move(plan).error();
    if (!*plan) return {};
    for (size_t i = 0; i < (*plan)->charges.size(); ++i) {
      const Charge& charge = (*plan)->charges[i];
      const bool percentage = charge.charge_model == ChargeModel::percentage;
      if (!charge.pay_in_advance && !percentage) continue;
      auto pricing = pricing_of(charge, fmt::format("charges.{}", i));
      if (!pricing) return std::move(pricing).error();
      if (percentage)
        target.percentage.push_back({charge, std::move(*pricing), percentage_terms_key(charge)});
      else
        target.in_advance.push_back({charge, std::move(*pricing), {}});
    }
    return {};
  }

  Result<Subscription> by_subscription_key(const std::string& key, const std::string& param) {
    std::string id = key;
    if (!core::is_valid_id(core::IdKind::subscription, key)) {
      auto addressed = tx_.find_usage_address(key);
      if (!addressed) return std::move(addressed).error();
      if (!*addressed)
        return subscription_not_found(fmt::format("'{}' (neither its id nor its external_id)", core::clip(key)), param);
      id = **addressed;
    }
    auto sub = kSubscriptions.find(tx_, id);
    if (!sub) return std::move(sub).error();
    if (!*sub) return subscription_not_found(fmt::format("'{}'", core::clip(key)), param);
    return std::move(**sub);
  }

  Result<Subscription> by_customer_id(const std::string& customer, const std::string& param) {
    auto records = tx_.find_documents({.kind = std::string(kSubscriptions.kind), .customer_id = customer});
    if (!records) return std::move(records).error();
    std::optional<Subscription> found;
    for (const auto& record : *records) {
      auto sub = kSubscriptions.decode(record.body);
      if (!sub) return std::move(sub).error();
      if (!is_live(sub->status)) continue;
      if (found)
        return Error::conflict("subscription_ambiguous",
                               fmt::format("customer {} has more than one live subscription ({} and {}): send "
                                           "external_subscription_id instead",
                                           core::clip(customer), found->id, sub->id),
                               param);
      found = std::move(*sub);
    }
    if (!found) return subscription_not_found(fmt::format("of customer '{}'", core::clip(customer)), param);
    return std::move(*found);
  }

  store::WriteTx& tx_;
  int64_t now_;
  std::map<std::string, Target> targets_;
  std::map<std::pair<std::string, std::string>, PeriodUsage> open_;
  std::map<std::pair<std::string, std::string>, Period> periods_;
};

// A percentage charge's running fee with a state in `usage`: stored, new, or folded again from the
// period's stored events (its terms changed mid-period) less `record`, which the caller adds.
Status open_percentage_fee(store::WriteTx& tx, const Target& t, const PricedCharge& c, const BillableMetric& metric,
                           PeriodUsage& usage, const store::UsageEventRecord& record) {
  if (usage.percentage_fees.contains(c.terms_key)) return {};
  auto fee = percentage_fee_for(
      usage, c.terms_key, c.pricing.percentage, metric,
      [&] { return tx.list_usage_events(t.sub.id, metric.code, t.period.start, t.period.end); },
      record.transaction_id);
  if (!fee) return std::move(fee).error();
  usage.percentage_fees.emplace(c.terms_key, fee->state(c.terms_key));
  return {};
}

// Adds a billed event to its metric's usage for the period: the running aggregate, every percentage
// charge's running fee, and the fee it owes each pay-in-advance charge on the metric.
Status add_to_usage(BillingService& billing, store::WriteTx& tx, const Target& t, const BillableMetric& metric,
                    PeriodUsage& usage, const store::UsageEventRecord& record, const UsageProperties& properties,
                    std::string_view item, const Origin& origin) {
  const auto on_metric = [&](const PricedCharge& c) { return c.charge.billable_metric == metric.code; };
  // The fee of terms no charge has any more would miss this event: dropped, so that if those terms come
  // back they are folded again rather than read stale.
  std::erase_if(usage.percentage_fees, [&](const auto& fee) {
    return std::none_of(t.percentage.begin(), t.percentage.end(),
                        [&](const PricedCharge& c) { return on_metric(c) && c.terms_key == fee.first; });
  });
  for (const PricedCharge& c : t.percentage)
    if (on_metric(c))
      if (auto s = open_percentage_fee(tx, t, c, metric, usage, record); !s) return s;
  // A pay-in-advance charge priced by units is owed what the event adds to its amount.
  const bool in_advance = std::any_of(t.in_advance.begin(), t.in_advance.end(), on_metric);
  std::optional<core::Decimal> before;
  if (in_advance) {
    auto value = usage.aggregate.value();
    if (!value) return std::move(value).error();
    before = *value;
  }
  const int64_t scope = carries_over(aggregation_spec(metric)) ? 0 : t.period.start;
  auto counted = usage.aggregate.add(UsageEvent{record.timestamp, properties}, [&](const std::string& value) {
    return tx.add_usage_value(t.sub.id, metric.code, scope, value);
  });
  if (!counted) {
    Error e = std::move(counted).error();
    e.param = at(item, e.param.empty() ? "properties" : fmt::format("properties.{}", e.param));
    return e;
  }
  if (!*counted) return {};  // the metric's filters leave it out
  if (before) {
    auto after = usage.aggregate.value();
    if (!after) return std::move(after).error();
    for (const PricedCharge& c : t.in_advance) {
      if (!on_metric(c)) continue;
      auto owed = advance_amount(c.pricing, *before, *after, t.sub.currency);
      if (!owed) return std::move(owed).error();
      if (*owed)
        if (auto s = charge_in_advance(billing, tx, t.sub, t.period, c.charge, metric, **owed, record, origin); !s)
          return s;
    }
  }
  for (const PricedCharge& c : t.percentage) {
    if (!on_metric(c)) continue;
    auto amount = percentage_event_amount(metric, properties);
    if (!amount) return std::move(amount).error();
    auto fee = PercentageFee::restore(c.pricing.percentage, usage.percentage_fees.at(c.terms_key));
    if (!fee) return std::move(fee).error();
    const core::Decimal fee_before = fee->amount();
    if (auto s = fee->add_event(*amount); !s) return s;
    usage.percentage_fees[c.terms_key] = fee->state(c.terms_key);
    if (!c.charge.pay_in_advance) continue;
    auto increase = fee->amount().minus(fee_before);
    if (!increase) return std::move(increase).error();
    if (increase->sign() <= 0) continue;  // a free event
    auto minor = fee_minor_units(*increase, t.sub.currency);
    if (!minor) return std::move(minor).error();
    const AdvanceAmount owed{*amount, *increase, *minor};
    if (auto s = charge_in_advance(billing, tx, t.sub, t.period, c.charge, metric, owed, record, origin); !s) return s;
  }
  return {};
}

json::value properties_json(const std::string& stored) {
  std::error_code ec;
  json::value v = json::parse(stored, ec);
  return ec ? json::value(json::object{}) : v;
}

}  // namespace

UsageService::UsageService(BillingService& billing) : billing_(billing) {
  // A subscription's external_id is an address for its usage: kept from its own events, in their
  // transaction, so usage sent right after the subscription is created finds it.
  billing_.observe_events(this, "subscription",
                          [](store::WriteTx& tx, std::string_view, const json::object& sub, const Origin&) -> Status {
                            const auto* external_id = sub.if_contains("external_id");
                            const auto* id = sub.if_contains("id");
                            if (!external_id || !external_id->is_string() || !id || !id->is_string()) return {};
                            return tx.set_usage_address(external_id->get_string(), id->get_string());
                          });
}

UsageService::~UsageService() { billing_.stop_observing(this); }

Result<std::vector<IngestedUsageEvent>> UsageService::ingest(store::WriteTx& tx,
                                                            const std::vector<UsageEventInput>& events,
                                                            std::string_view path, const Origin& origin) {
  const int64_t now = billing_.now_s();
  auto metrics = metrics_in(tx);
  if (!metrics) return std::move(metrics).error();
  Intake intake(tx, now);
  bool invalid_kept = false;
  std::vector<IngestedUsageEvent> out;
  out.reserve(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    const UsageEventInput& event = events[i];
    const std::string item = path.empty() ? std::string() : fmt::format("{}.{}", path, i);
    auto target = intake.target(event, item);
    if (!target) return std::move(target).error();
    const Target& t = **target;
    const int64_t timestamp = event.timestamp.value_or(now);
    if (timestamp < t.period.start || timestamp >= t.period.end)
      return Error::invalid("timestamp_outside_period",
                            fmt::format("the event's timestamp {} is outside subscription {}'s open period [{}, {})",
                                        timestamp, t.sub.id, t.period.start, t.period.end),
                            at(item, "timestamp"));
    auto found = metrics->find(event.code);
    const BillableMetric* metric = found == metrics->end() ? nullptr : &found->second;
    std::string error = validation_error(event, metric);
    if (error.empty() && metric->field_name && aggregates_a_number(metric->aggregation_type) &&
        !core::Decimal::parse(event.properties.at(*metric->field_name)))
      return Error::invalid("invalid_property",
                            fmt::format("metric '{}' aggregates '{}' by {}: it must be a decimal such as \"12.5\"",
                                        metric->code, *metric->field_name,
                                        core::described::name_of(metric->aggregation_type)),
                            at(item, fmt::format("properties.{}", *metric->field_name)));
    store::UsageEventRecord record{.subscription_id = t.sub.id,
                                   .transaction_id = event.transaction_id,
                                   .id = billing_.ids().next(core::IdKind::usage_event),
                                   .customer_id = t.sub.customer,
                                   .code = event.code,
                                   .timestamp = timestamp,
                                   .properties = event.properties_json,
                                   .created_ms = now * 1000,
                                   .error = error};
    auto first = tx.insert_usage_event(record);
    if (!first) return std::move(first).error();
    if (*first) {
      out.push_back({std::move(**first), true});
      continue;
    }
    invalid_kept = invalid_kept || !error.empty();
    if (error.empty()) {
      auto usage = intake.usage(t, *metric);
      if (!usage) return std::move(usage).error();
      if (auto s = add_to_usage(billing_, tx, t, *metric, **usage, record, event.properties, item, origin); !s)
        return std::move(s).error();
    }
    out.push_back({std::move(record), false});
  }
  if (auto s = intake.write_back(); !s) return std::move(s).error();
  for (const Target* t : intake.billed_targets())
    if (auto s = bill_progressively(billing_, tx, t->sub, t->period, origin); !s) return std::move(s).error();
  // Then the customer's wallet: its ongoing balance less the usage not yet invoiced (depletion, once).
  for (const Target* t : intake.billed_targets())
    if (auto s = refresh_wallet_usage(billing_, tx, t->sub, t->period, origin); !s) return std::move(s).error();
  if (invalid_kept)
    if (auto s = arm_usage_report(tx, now); !s) return std::move(s).error();
  return out;
}

Result<std::optional<json::object>> UsageService::report_now(store::WriteTx& tx, const Origin& origin) {
  return report_invalid_usage(tx, billing_, origin);
}

Result<bool> UsageService::on_wake(store::WriteTx& tx, const Wake& wake) {
  auto schedule = kUsageValidation.find(tx, wake.id);
  if (!schedule) return std::move(schedule).error();
  if (!*schedule || !(*schedule)->next_report_at || *(*schedule)->next_report_at > billing_.now_s()) return false;
  auto report = report_invalid_usage(tx, billing_, {});
  if (!report) return std::move(report).error();
  auto after = kUsageValidation.find(tx, wake.id);
  if (!after) return std::move(after).error();
  // More than one report's worth was waiting: the next one at once.
  return *after && (*after)->next_report_at && *(*after)->next_report_at <= billing_.now_s();
}

Result<json::object> UsageService::current_usage(store::Store& store, std::string_view subscription_id) const {
  auto sub_record = store.find_document(kSubscriptions.kind, subscription_id);
  if (!sub_record) return std::move(sub_record).error();
  if (!*sub_record) return kSubscriptions.not_found(subscription_id);
  auto sub = kSubscriptions.decode((*sub_record)->body);
  if (!sub) return std::move(sub).error();
  auto period = current_period(*sub);
  if (!is_live(sub->status) || !period)
    return Error::conflict("subscription_not_billing",
                           fmt::format("subscription {} is {} and has no open period", sub->id,
                                       core::described::name_of(sub->status)));
  auto plan_record = store.find_document(kPlans.kind, sub->plan);
  if (!plan_record) return std::move(plan_record).error();
  if (!*plan_record) return Error::internal(fmt::format("subscription {}'s plan {} is missing", sub->id, sub->plan));
  auto plan = kPlans.decode((*plan_record)->body);
  if (!plan) return std::move(plan).error();
  auto aggregates = store.list_usage_aggregates(sub->id);
  if (!aggregates) return std::move(aggregates).error();
  auto metric_records = store.find_documents({.kind = std::string(kBillableMetrics.kind)});
  if (!metric_records) return std::move(metric_records).error();
  auto metrics = metrics_by_code(*metric_records);
  if (!metrics) return std::move(metrics).error();
  const UsageSource source{
      .latest = [&](const std::string& code) -> Result<std::optional<store::UsageAggregateRecord>> {
        std::optional<store::UsageAggregateRecord> latest;
        for (const auto& record : *aggregates)
          if (record.code == code && record.period_start <= period->start) latest = record;
        return latest;
      },
      .events = [&](const std::string& code) {
        return store.list_usage_events(sub->id, code, period->start, period->end);
      }};
  auto usage = price_usage(*plan, *metrics, *period, sub->currency, source);
  if (!usage) return std::move(usage).error();
  json::array charges;
  int64_t total = 0;
  for (const ChargeUsage& u : *usage) {
    total += u.amount;
    charges.push_back(json::object{
        {"billable_metric",
         json::object{{"id", u.metric.id},
                      {"code", u.metric.code},
                      {"name", u.metric.name},
                      {"aggregation_type", core::described::name_of(u.metric.aggregation_type)}}},
        {"charge_model", core::described::name_of(u.charge.charge_model)},
        {"units", u.units.to_string()},
        {"events_count", u.events_count},
        {"amount", u.amount},
        {"precise_amount", u.precise_amount.to_string()},
    });
  }
  return json::object{{"object", "subscription_usage"},
                      {"subscription", sub->id},
                      {"customer", sub->customer},
                      {"from_datetime", period->start},
                      {"to_datetime", period->end},
                      {"currency", sub->currency},
                      {"amount", total},
                      {"charges_usage", std::move(charges)}};
}

json::object usage_event_json(const store::UsageEventRecord& record) {
  return json::object{{"id", record.id},
                      {"object", "usage_event"},
                      {"transaction_id", record.transaction_id},
                      {"subscription", record.subscription_id},
                      {"customer", record.customer_id},
                      {"code", record.code},
                      {"timestamp", record.timestamp},
                      {"properties", properties_json(record.properties)},
                      {"status", record.error.empty() ? "accepted" : "not_billed"},
                      {"error", record.error.empty() ? json::value(nullptr) : json::value(record.error)},
                      {"created", record.created_ms / 1000}};
}

void register_usage(DocumentRegistry& registry) {
  registry.provide(service_factory<UsageService>(
      [](const DomainDeps& deps) { return std::make_unique<UsageService>(deps.billing); }));
  // Pay-in-advance fees: read through GET /v1/fees[/{id}] (?customer=, ?subscription=).
  RegisteredKind fees = registered(kFees, "/v1/fees", "Fee");
  fees.customer_filter = "customer";
  fees.parent_filter = "subscription";
  registry.add(std::move(fees));
  // The report's schedule: no API of its own, only what time does to it.
  registry.add(RegisteredKind{.kind = kUsageValidation.kind,
                              .noun = kUsageValidation.noun,
                              .plural = {},
                              .id_kind = kUsageValidation.id_kind,
                              .api_path = {},
                              .wake = wake_with(&UsageService::on_wake)});
}

}  // namespace billhook::billing
