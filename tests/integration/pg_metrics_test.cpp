// GET /metrics on PostgreSQL: the same counters as on SQLite (metrics_checks.hpp), the store's group
// commit, COMMIT durations, reader pool and queue query included.

#include "integration/metrics_checks.hpp"
#include "support/pg_test_database.hpp"

namespace billhook::testing {
namespace {

TEST(PgMetricsTest, CountersMoveByWhatWasPublishedAndDeliveredOnPostgres) {
  BILLHOOK_REQUIRE_POSTGRES();
  PgTestDatabase database;
  ASSERT_TRUE(database.available()) << database.error();
  Receiver rx;  // outlives the server
  ServerOptions options;
  options.extra_args = {"--database-url", database.url(),         "--allow-networks", "127.0.0.0/8,::1/128",
                        "--test-clock",   "--metrics-listen", "127.0.0.1:0"};
  ServerProcess server(options);
  HttpClient api = client_for(server);
  HttpClient metrics(printed_metrics_port(server), std::nullopt);
  expect_metrics_count_deliveries(api, metrics, rx);
}

}  // namespace
}  // namespace billhook::testing
