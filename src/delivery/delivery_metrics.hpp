#pragma once

#include <array>
#include <chrono>

#include "core/metrics.hpp"
#include "delivery/http_client.hpp"
#include "events/model.hpp"

namespace billhook::delivery {

// The dispatcher's counters for GET /metrics. Every label is an enum's value (an error class, a
// delivery state), so the set of series is fixed; counting is a relaxed atomic add in an array.
class DeliveryMetrics {
 public:
  // From an immediate send to a day of retries, in seconds.
  static constexpr double kDeliveryLatencyBounds[] = {0.01, 0.05, 0.1, 0.25, 0.5,  1,     2.5,  5,
                                                      10,   30,   60,  300,  900,  3600,  21600, 86400};

  // An attempt ended: answered (error_class none or http_status) or not, after `duration`.
  void attempt_finished(ErrorClass error_class, std::chrono::milliseconds duration);
  // A recorded attempt left its delivery in `status` (succeeded, retrying or failed). A success also
  // gives the delivery's latency: from its creation (the event's publication) to this success.
  void delivery_settled(events::DeliveryStatus status);
  void delivery_succeeded(std::chrono::milliseconds since_created);

  void write(core::metrics::TextWriter& out) const;

 private:
  static constexpr size_t kErrorClasses = static_cast<size_t>(ErrorClass::http_status) + 1;
  static constexpr size_t kStatuses = static_cast<size_t>(events::DeliveryStatus::cancelled) + 1;
  std::array<core::metrics::Counter, kErrorClasses> attempts_;
  std::array<core::metrics::Counter, kStatuses> settled_;
  core::metrics::Histogram attempt_duration_{core::metrics::kLatencyBounds};
  core::metrics::Histogram delivery_latency_{kDeliveryLatencyBounds};
};

}  // namespace billhook::delivery
