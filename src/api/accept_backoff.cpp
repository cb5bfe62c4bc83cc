#include "api/accept_backoff.hpp"

namespace billhook::api {

AcceptBackoff::Decision AcceptBackoff::failed(Clock::time_point now, bool resource_exhausted) {
  Decision decision;
  // Doubling while short of resources: a descriptor freed by a closing connection is taken within
  // kMaxDelay, and a long shortage costs a wake-up a second. Another error (a connection reset before
  // it was accepted) is retried soon.
  if (!resource_exhausted) delay_.succeeded();
  decision.delay = delay_.failed();
  decision.log_failures = log_.note(now);
  return decision;
}

}  // namespace billhook::api
