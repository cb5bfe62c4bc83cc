// Several nodes on one PostgreSQL database are one installation: they sign webhooks with one key pair,
// made by the first node and read by the others from the database, so a receiver holding the public key
// one node serves verifies what any node signs.

#include "integration/integration_helpers.hpp"
#include "support/pg_test_database.hpp"

namespace billhook::testing {
namespace {

TEST(PgSigningKeyTest, NodesOnOneDatabaseShareOneKey) {
  BILLHOOK_REQUIRE_POSTGRES();
  PgTestDatabase database;
  ASSERT_TRUE(database.available()) << database.error();

  ServerOptions options;
  options.extra_args = {"--database-url", database.url()};
  ServerProcess a(options);
  ServerProcess b(options);
  const auto key_a = client_for(a).get("/v1/webhooks/public_key");
  ASSERT_EQ(key_a.status, 200) << describe(key_a);
  EXPECT_FALSE(key_a.body.empty());
  EXPECT_EQ(client_for(b).get("/v1/webhooks/public_key").body, key_a.body);
}

}  // namespace
}  // namespace billhook::testing
