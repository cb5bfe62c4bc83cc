#include "delivery/delivery_metrics.hpp"

namespace billhook::delivery {

void DeliveryMetrics::attempt_finished(ErrorClass error_class, std::chrono::milliseconds duration) {
  attempts_[static_cast<size_t>(error_class)].add();
  attempt_duration_.observe(std::chrono::duration<double>(duration).count());
}

void DeliveryMetrics::delivery_settled(events::DeliveryStatus status) { settled_[static_cast<size_t>(status)].add(); }

void DeliveryMetrics::delivery_succeeded(std::chrono::milliseconds since_created) {
  delivery_latency_.observe(std::chrono::duration<double>(since_created).count());
}

void DeliveryMetrics::write(core::metrics::TextWriter& out) const {
  out.family("billhook_delivery_attempts_total", "counter",
             "Webhook attempts by error class (none: a 2xx answer; http_status: any other answer).");
  for (size_t i = 0; i < attempts_.size(); ++i)
    out.sample("billhook_delivery_attempts_total", {{"error_class", to_string(static_cast<ErrorClass>(i))}},
               attempts_[i].value());
  out.family("billhook_delivery_attempt_duration_seconds", "histogram",
             "Time from sending a webhook to its answer (or to the error that ended the attempt).");
  out.histogram("billhook_delivery_attempt_duration_seconds", {}, attempt_duration_.snapshot());
  out.family("billhook_deliveries_total", "counter",
             "Recorded attempts by the state they left their delivery in: succeeded, retrying or failed (dead).");
  for (auto status : {events::DeliveryStatus::succeeded, events::DeliveryStatus::retrying,
                      events::DeliveryStatus::failed})
    out.sample("billhook_deliveries_total", {{"outcome", events::to_string(status)}},
               settled_[static_cast<size_t>(status)].value());
  out.family("billhook_delivery_latency_seconds", "histogram",
             "Time from a delivery's creation (its event's publication) to its successful attempt, retries included.");
  out.histogram("billhook_delivery_latency_seconds", {}, delivery_latency_.snapshot());
}

}  // namespace billhook::delivery
