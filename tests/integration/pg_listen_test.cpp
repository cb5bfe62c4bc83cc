// `billhook listen` on PostgreSQL: forwarding, in order, signed, resumed after SIGKILL, removed on exit.

#include "integration/listen_checks.hpp"
#include "support/pg_test_database.hpp"

namespace billhook::testing {
namespace {

TEST(PgListenTest, ForwardsEveryEventSignedInOrderAndResumesAfterKill9OnPostgres) {
  BILLHOOK_REQUIRE_POSTGRES();
  PgTestDatabase database;
  ASSERT_TRUE(database.available()) << database.error();
  ServerOptions options;
  options.extra_args = {"--database-url", database.url()};
  ServerProcess server(options);
  expect_listen_forwards_and_resumes(server);
}

}  // namespace
}  // namespace billhook::testing
