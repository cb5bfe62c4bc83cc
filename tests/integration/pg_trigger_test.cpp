// `billhook trigger` for every event type of the catalog, on PostgreSQL.

#include "integration/trigger_checks.hpp"
#include "support/pg_test_database.hpp"

namespace billhook::testing {
namespace {

TEST(PgTriggerTest, EveryEventTypeOfTheCatalogIsProducedOnPostgres) {
  BILLHOOK_REQUIRE_POSTGRES();
  PgTestDatabase database;
  ASSERT_TRUE(database.available()) << database.error();
  ServerOptions options;
  options.extra_args = trigger_server_flags();
  options.extra_args.insert(options.extra_args.end(), {"--database-url", database.url()});
  ServerProcess server(options);
  expect_every_type_triggers(server);
}

}  // namespace
}  // namespace billhook::testing
