#include <boost/json.hpp>

#include "api/routes/routes.hpp"

namespace billhook::api::routes {

void register_test_clock_routes(Routes& routes) {
  // Moves the manual clock forward, so a test can let a five-minute retry or a five-day
  // auto-disable come due in milliseconds; then wakes whoever waits on time.
  routes.add("POST", "/v1/test/clock", [](const std::shared_ptr<Call>& call) {
    auto body = call->body();
    if (!body) return call->fail(body.error());
    if (auto s = body->allow_only({"advance_seconds"}); !s) return call->fail(s.error());
    auto seconds = body->optional_int("advance_seconds", 0, 400LL * 24 * 3600);
    if (!seconds) return call->fail(seconds.error());
    if (!*seconds)
      return call->fail(core::Error::invalid("missing_field", "'advance_seconds' is required", "advance_seconds"));
    auto& services = call->services;
    services.test_clock->advance(std::chrono::seconds(**seconds));
    if (services.clock_moved) services.clock_moved();
    call->reply(200, boost::json::object{{"object", "test_clock"},
                                         {"now_ms", core::to_unix_ms(services.test_clock->now())}});
  });
}

}  // namespace billhook::api::routes
