#pragma once

// A Store that forwards every call to another one: the base of test doubles that watch what a
// component asks of its store (override the calls to observe, call the base to forward them).
// write_relaxed is left to the Store default, which goes through write(): a double that observes
// write() sees every write.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/store.hpp"

namespace billhook::testing {

class ForwardingStore : public store::Store {
 public:
  explicit ForwardingStore(store::Store& inner) : inner_(inner) {}

  void write(WriteJob job, WriteDone done) override { inner_.write(std::move(job), std::move(done)); }
  core::Result<store::Page<events::Event>> list_events(const store::EventQuery& q) override {
    return inner_.list_events(q);
  }
  core::Result<std::optional<events::Event>> find_event(std::string_view id) override { return inner_.find_event(id); }
  core::Result<std::vector<events::Event>> find_events(const std::vector<std::string>& ids) override {
    return inner_.find_events(ids);
  }
  core::Result<store::Page<events::Endpoint>> list_endpoints(const store::PageRequest& page) override {
    return inner_.list_endpoints(page);
  }
  core::Result<std::optional<events::Endpoint>> find_endpoint(std::string_view id) override {
    return inner_.find_endpoint(id);
  }
  core::Result<store::Page<events::Delivery>> list_deliveries(const store::DeliveryQuery& q) override {
    return inner_.list_deliveries(q);
  }
  core::Result<std::optional<events::Delivery>> find_delivery(std::string_view id) override {
    return inner_.find_delivery(id);
  }
  core::Result<std::optional<store::IdempotencyRecord>> find_idempotency(std::string_view scope,
                                                                        std::string_view key) override {
    return inner_.find_idempotency(scope, key);
  }
  core::Result<std::vector<store::ApiKeyRecord>> api_keys() override { return inner_.api_keys(); }
  core::Result<int64_t> count_events() override { return inner_.count_events(); }
  core::Result<store::PruneCounts> count_prunable(int64_t before_ms, int64_t keys_before_ms) override {
    return inner_.count_prunable(before_ms, keys_before_ms);
  }
  core::Result<std::vector<events::Attempt>> list_attempts(std::string_view delivery_id) override {
    return inner_.list_attempts(delivery_id);
  }
  core::Result<std::optional<int64_t>> next_due_ms() override { return inner_.next_due_ms(); }
  core::Result<std::optional<store::DocumentRecord>> find_document(std::string_view kind,
                                                                   std::string_view id) override {
    return inner_.find_document(kind, id);
  }
  core::Result<std::vector<store::DocumentRecord>> find_documents(const store::DocumentFilter& filter) override {
    return inner_.find_documents(filter);
  }
  core::Result<std::vector<store::UsageAggregateRecord>> list_usage_aggregates(
      std::string_view subscription_id) override {
    return inner_.list_usage_aggregates(subscription_id);
  }
  core::Result<std::vector<store::UsageEventRecord>> list_usage_events(std::string_view subscription_id,
                                                                       std::string_view code, int64_t period_start,
                                                                       int64_t period_end) override {
    return inner_.list_usage_events(subscription_id, code, period_start, period_end);
  }
  core::Result<store::Page<store::DocumentRecord>> list_documents(const store::DocumentQuery& query) override {
    return inner_.list_documents(query);
  }
  core::Result<std::vector<std::string>> documents_needing_time(std::string_view kind, int64_t now_s,
                                                                std::string_view after_id, int limit) override {
    return inner_.documents_needing_time(kind, now_s, after_id, limit);
  }
  core::Result<std::vector<store::StatsBucket>> delivery_stats(int64_t from_minute, int64_t to_minute,
                                                               int64_t step_minutes) override {
    return inner_.delivery_stats(from_minute, to_minute, step_minutes);
  }
  core::Result<std::vector<store::EndpointHealth>> endpoint_health(const std::vector<std::string>& ids) override {
    return inner_.endpoint_health(ids);
  }
  core::Result<std::vector<store::EndpointHealth>> failing_endpoints(int64_t since_ms, int limit) override {
    return inner_.failing_endpoints(since_ms, limit);
  }
  core::Result<int64_t> queue_depth() override { return inner_.queue_depth(); }
  void set_work_listener(std::function<void()> listener) override { inner_.set_work_listener(std::move(listener)); }
  bool runs_time_jobs() override { return inner_.runs_time_jobs(); }

 protected:
  store::Store& inner_;
};

}  // namespace billhook::testing
