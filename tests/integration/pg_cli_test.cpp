// The command line with a database URL: `migrate` and `serve` on PostgreSQL, and the
// configuration errors that name what to fix.

#include "integration/integration_helpers.hpp"
#include "support/pg_test_database.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;

TEST(PgCliTest, MigrateBringsAnEmptyDatabaseUpToDateAndIsIdempotent) {
  BILLHOOK_REQUIRE_POSTGRES();
  PgTestDatabase database;
  ASSERT_TRUE(database.available()) << database.error();
  for (int run = 0; run < 2; ++run) {
    auto r = run_billhook({"migrate", "--database-url", database.url()});
    EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
    EXPECT_NE(r.stdout_text.find("PostgreSQL database is up to date"), std::string::npos) << r.stdout_text;
  }
  // The environment variable works as the flag does, and serve finds the schema in place.
  auto by_env = run_billhook({"migrate"}, 20s, {{"BILLHOOK_DATABASE_URL", database.url()}});
  EXPECT_EQ(by_env.exit_code, 0) << by_env.stderr_text;

  ServerOptions options;
  options.extra_args = {"--database-url", database.url()};
  ServerProcess server(options);
  auto c = client_for(server);
  auto published = c.post("/v1/events", invoice_event("inv_cli_pg"));
  ASSERT_EQ(published.status, 202) << describe(published);
  // A second node on the same database sees what the first stored.
  ServerProcess second(options);
  auto c2 = client_for(second);
  auto found = c2.get("/v1/events/" + str(published.json().at("id")));
  EXPECT_EQ(found.status, 200) << describe(found);
}

TEST(PgCliTest, AnUnreachableOrWrongDatabaseUrlIsAClearStartError) {
  // Nothing listens on port 1 of loopback: serve refuses to start and says why.
  auto refused = run_billhook({"serve", "--listen", "127.0.0.1:0", "--database-url",
                               "postgres://billhook@127.0.0.1:1/billhook", "--api-key", ServerOptions::kDefaultApiKey},
                              30s);
  EXPECT_EQ(refused.exit_code, 2) << refused.stdout_text;
  EXPECT_NE(refused.stderr_text.find("cannot reach the database"), std::string::npos) << refused.stderr_text;

  auto wrong = run_billhook({"serve", "--database-url", "mysql://127.0.0.1/billhook"});
  EXPECT_EQ(wrong.exit_code, 2);
  EXPECT_NE(wrong.stderr_text.find("--database-url"), std::string::npos) << wrong.stderr_text;
  EXPECT_NE(wrong.stderr_text.find("BILLHOOK_DATABASE_URL"), std::string::npos) << wrong.stderr_text;

  auto migrate_wrong = run_billhook({"migrate", "--database-url", "sqlite:///tmp/x"});
  EXPECT_EQ(migrate_wrong.exit_code, 2);
  EXPECT_NE(migrate_wrong.stderr_text.find("must be a PostgreSQL URL"), std::string::npos) << migrate_wrong.stderr_text;
}

}  // namespace
}  // namespace billhook::testing
