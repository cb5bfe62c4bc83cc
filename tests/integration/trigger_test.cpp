// `billhook trigger`: every event type of the catalog produced through the API, on SQLite; usage errors.

#include "integration/trigger_checks.hpp"

namespace billhook::testing {
namespace {

TEST(TriggerTest, EveryEventTypeOfTheCatalogIsProducedOnSqlite) {
  ServerOptions options;
  options.extra_args = trigger_server_flags();
  ServerProcess server(options);
  expect_every_type_triggers(server);
}

TEST(TriggerTest, TextOutputNamesTheResourcesItCreated) {
  ServerOptions options;
  options.extra_args = trigger_server_flags();
  ServerProcess server(options);
  const auto r = run_billhook(trigger_args(server, {"invoice.payment_failed"}));
  ASSERT_EQ(r.exit_code, 0) << run_output(r);
  for (const char* expected : {"customer ", "payment_method ", "invoice ", "invoice.payment_failed"})
    EXPECT_NE(r.stdout_text.find(expected), std::string::npos) << expected << "\n" << r.stdout_text;
  auto client = client_for(server);
  const auto failed = list_all(client, "/v1/events?type=invoice.payment_failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_NE(r.stdout_text.find(str(failed.front().at("aggregate").at("id"))), std::string::npos) << r.stdout_text;
}

TEST(TriggerTest, UnknownTypeWrongKeyAndMissingClockFail) {
  ServerProcess plain;  // no --test-clock
  auto r = run_billhook(trigger_args(plain, {"invoice.nonsense"}));
  EXPECT_EQ(r.exit_code, 2) << run_output(r);
  EXPECT_NE(r.stderr_text.find("--list"), std::string::npos) << run_output(r);

  r = run_billhook({"trigger", "invoice.paid", "--server", plain.base_url(), "--api-key", "wrong-key-0123456789"});
  EXPECT_EQ(r.exit_code, 1) << run_output(r);
  EXPECT_NE(r.stderr_text.find("401"), std::string::npos) << run_output(r);

  r = run_billhook(trigger_args(plain, {"invoice.overdue"}));
  EXPECT_EQ(r.exit_code, 1) << run_output(r);
  EXPECT_NE(r.stderr_text.find("--test-clock"), std::string::npos) << run_output(r);
}

}  // namespace
}  // namespace billhook::testing
