// The billhook command line: configuration errors, `version`, `migrate`.

#include <fstream>
#include <regex>

#include "integration/integration_helpers.hpp"

namespace billhook::testing {
namespace {

using std::chrono::milliseconds;
// How long a command that must not start a server may take: one that exits at once does so in well under a
// second, but a sanitizer build on a loaded two-core machine once took over 5 s just to print its version,
// and a server that did start would run until killed, however long this is.
constexpr milliseconds kQuick{30000};

std::string all_output(const CommandResult& r) {
  return "exit " + std::to_string(r.exit_code) + (r.timed_out ? " (timed out)" : "") + "\n--- stdout ---\n" +
         r.stdout_text + "\n--- stderr ---\n" + r.stderr_text;
}

// `serve` with a bad setting must exit non-zero at once, naming the flag on stderr.
void expect_config_error(std::vector<std::string> args, const std::string& flag, const EnvVars& env = {}) {
  TempDir dir;
  args.insert(args.begin(), "serve");
  args.insert(args.end(), {"--data-dir", (dir.path() / "data").string()});
  auto r = run_billhook(args, kQuick, env);
  SCOPED_TRACE(all_output(r));
  EXPECT_FALSE(r.timed_out) << "a bad configuration must not start a server";
  EXPECT_NE(r.exit_code, 0);
  EXPECT_LT(r.elapsed, kQuick);
  EXPECT_NE(r.stderr_text.find(flag), std::string::npos) << "stderr must name " << flag;
  EXPECT_EQ(r.stdout_text.find("listening on"), std::string::npos);
}

TEST(CliTest, ServeWithNonsenseListenAddressFails) {
  expect_config_error({"--listen", "nonsense", "--api-key", ServerOptions::kDefaultApiKey}, "--listen");
  expect_config_error({"--listen", "127.0.0.1:99999", "--api-key", ServerOptions::kDefaultApiKey}, "--listen");
  expect_config_error({"--listen", "not-an-ip:8080", "--api-key", ServerOptions::kDefaultApiKey}, "--listen");
}

TEST(CliTest, ServeWithShortApiKeyFails) {
  expect_config_error({"--listen", "127.0.0.1:0", "--api-key", "short"}, "--api-key");
  expect_config_error({"--listen", "127.0.0.1:0", "--api-key", "has spaces in the middle of it"}, "--api-key");
}

TEST(CliTest, ServeWithOtherBadSettingsFails) {
  expect_config_error({"--listen", "127.0.0.1:0", "--max-body-bytes", "10"}, "--max-body-bytes");
  expect_config_error({"--listen", "127.0.0.1:0", "--max-json-depth", "1000"}, "--max-json-depth");
  expect_config_error({"--listen", "127.0.0.1:0", "--log-level", "loud"}, "--log-level");
}

TEST(CliTest, EnvironmentVariablesAreCheckedToo) {
  expect_config_error({}, "BILLHOOK_LISTEN", {{"BILLHOOK_LISTEN", "nonsense"}});
  expect_config_error({"--listen", "127.0.0.1:0"}, "BILLHOOK_API_KEY", {{"BILLHOOK_API_KEY", "short"}});
}

TEST(CliTest, EnvironmentConfiguresTheServer) {
  ServerOptions options;
  options.env = {{"BILLHOOK_MAX_BODY_BYTES", "2048"}};
  ServerProcess server(options);
  auto c = client_for(server);
  auto body = invoice_event("inv_env_limit");
  body["data"].as_object()["object"].as_object()["description"] = std::string(3000, 'd');
  auto r = c.post("/v1/events", body);
  EXPECT_EQ(r.status, 413) << describe(r);
  EXPECT_EQ(count_all(c, "/v1/events"), 0u);
}

TEST(CliTest, UnknownSubcommandOrFlagFails) {
  auto r = run_billhook({"serv"}, kQuick);
  EXPECT_FALSE(r.timed_out);
  EXPECT_NE(r.exit_code, 0) << all_output(r);
  r = run_billhook({"serve", "--no-such-flag"}, kQuick);
  EXPECT_FALSE(r.timed_out);
  EXPECT_NE(r.exit_code, 0) << all_output(r);
  EXPECT_NE((r.stdout_text + r.stderr_text).find("--no-such-flag"), std::string::npos) << all_output(r);
}

TEST(CliTest, VersionPrintsTheVersion) {
  auto r = run_billhook({"version"}, kQuick);
  ASSERT_EQ(r.exit_code, 0) << all_output(r);
  const std::string expected = std::string("billhook ") + BILLHOOK_VERSION + " (api version " +
                               catalog::Catalog::builtin().api_version() + ")\n";
  EXPECT_EQ(r.stdout_text, expected);
}

TEST(CliTest, MigrateSucceedsTwiceAndTheServerStartsOnTheResult) {
  TempDir dir;
  const auto data = dir.path() / "data";
  auto first = run_billhook({"migrate", "--data-dir", data.string()});
  ASSERT_EQ(first.exit_code, 0) << all_output(first);
  EXPECT_NE(first.stdout_text.find("up to date"), std::string::npos) << all_output(first);
  EXPECT_TRUE(std::filesystem::exists(data)) << "migrate creates the data dir";
  auto second = run_billhook({"migrate", "--data-dir", data.string()});
  ASSERT_EQ(second.exit_code, 0) << all_output(second);

  ServerOptions options;
  options.data_dir = data;
  ServerProcess server(options);
  auto c = client_for(server);
  EXPECT_EQ(c.post("/v1/events", invoice_event("inv_migrated")).status, 202);
  EXPECT_EQ(server.stop(), 0);
  auto third = run_billhook({"migrate", "--data-dir", data.string()});
  EXPECT_EQ(third.exit_code, 0) << all_output(third);
}

TEST(CliTest, MigrateOnAnUnusableDataDirFails) {
  TempDir dir;
  const auto file = dir.path() / "a-file";
  { std::ofstream(file) << "not a directory"; }
  auto r = run_billhook({"migrate", "--data-dir", file.string()}, kQuick);
  EXPECT_FALSE(r.timed_out);
  EXPECT_NE(r.exit_code, 0) << all_output(r);
  EXPECT_FALSE(r.stderr_text.empty());
}

}  // namespace
}  // namespace billhook::testing
