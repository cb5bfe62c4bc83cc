#include "core/config.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <string_view>

namespace billhook::core {
namespace {

TEST(ParseListenAddress, Ipv4HostAndPort) {
  auto a = parse_listen_address("127.0.0.1:8080");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 8080);
}

TEST(ParseListenAddress, BracketedIpv6WithPortZero) {
  auto a = parse_listen_address("[::1]:0");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, 0);
}

TEST(ParseListenAddress, PortOnlyMeansEveryInterface) {
  auto a = parse_listen_address(":9000");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->host, "0.0.0.0");
  EXPECT_EQ(a->port, 9000);
}

TEST(ParseListenAddress, LocalhostAndTheHighestPort) {
  auto a = parse_listen_address("localhost:1");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->host, "localhost");
  EXPECT_EQ(a->port, 1);

  auto b = parse_listen_address("127.0.0.1:65535");
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(b->port, 65535);
}

// Asserts an invalid_config error for --listen, naming the flag, the variable and the input.
::testing::AssertionResult refused(std::string_view text, std::string_view why) {
  auto a = parse_listen_address(text);
  if (a.ok()) return ::testing::AssertionFailure() << "'" << text << "' was accepted as " << a->host << " " << a->port;
  const Error& e = a.error();
  const std::string quoted = "'" + std::string(text) + "'";
  if (e.kind != ErrorKind::invalid_request || e.code != "invalid_config" || e.param != "listen" ||
      e.message.find("--listen") == std::string::npos || e.message.find("BILLHOOK_LISTEN") == std::string::npos ||
      e.message.find(quoted) == std::string::npos || e.message.find(why) == std::string::npos ||
      e.message.find("[::1]:8080") == std::string::npos)
    return ::testing::AssertionFailure() << "unexpected error: code '" << e.code << "' param '" << e.param
                                         << "' message '" << e.message << "'";
  return ::testing::AssertionSuccess();
}

TEST(ParseListenAddress, RefusesBadAddressesWithAClearMessage) {
  EXPECT_TRUE(refused("nonsense", "has no port"));
  EXPECT_TRUE(refused("", "has no port"));
  EXPECT_TRUE(refused("1.2.3.4:99999", "not a number from 0 to 65535"));
  EXPECT_TRUE(refused("1.2.3.4:65536", "not a number from 0 to 65535"));
  EXPECT_TRUE(refused("::1:80", "IPv6 host without brackets"));
  EXPECT_TRUE(refused("127.0.0.1:", "not a number"));
  EXPECT_TRUE(refused("127.0.0.1:http", "not a number"));
  EXPECT_TRUE(refused("127.0.0.1:80x", "not a number"));
  EXPECT_TRUE(refused("127.0.0.1:-1", "not a number"));
  EXPECT_TRUE(refused("[::1]", "unclosed IPv6 bracket or no port"));
  EXPECT_TRUE(refused("[::1:80", "unclosed IPv6 bracket or no port"));
  EXPECT_TRUE(refused("[::1]80", "unclosed IPv6 bracket or no port"));
}

TEST(ValidateServeConfig, DefaultsAreValid) { EXPECT_TRUE(validate(ServeConfig{}).ok()); }

TEST(ValidateServeConfig, TheMetricsListenerIsOptionalAndABadOneIsNamed) {
  ServeConfig config;
  config.metrics_listen = "10.0.0.5:9464";
  EXPECT_TRUE(validate(config).ok());
  config.metrics_listen = "10.0.0.5";
  const auto s = validate(config);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().param, "metrics-listen");
  EXPECT_NE(s.error().message.find("--metrics-listen (or BILLHOOK_METRICS_LISTEN): '10.0.0.5' has no port"),
            std::string::npos)
      << s.error().message;
}

TEST(ValidateServeConfig, DatabaseUrlsAndTheLeaseThatFollowsThem) {
  ServeConfig c;
  EXPECT_EQ(effective_delivery_lease_s(c), 300u) << "one node on SQLite: a lease only matters after a crash";
  c.database_url = "postgres://billhook@127.0.0.1:5432/billhook";
  EXPECT_TRUE(validate(c).ok());
  EXPECT_EQ(effective_delivery_lease_s(c), 30u) << "several nodes: another takes over soon";
  c.database_url = "postgresql://db.internal/billhook?sslmode=require";
  EXPECT_TRUE(validate(c).ok());
  c.delivery_lease_s = 5;
  EXPECT_EQ(effective_delivery_lease_s(c), 5u);
}

TEST(ValidateServeConfig, BoundariesAreAccepted) {
  ServeConfig c;
  c.api_key = std::string(kMinApiKeyLength, 'k');
  c.max_body_bytes = 1024;
  c.max_json_depth = 4;
  c.threads = 256;
  c.log_level = "debug";
  c.log_format = "json";
  EXPECT_TRUE(validate(c).ok());
  c.max_body_bytes = 64u << 20;
  c.max_json_depth = 256;
  c.log_level = "error";
  EXPECT_TRUE(validate(c).ok());
}

struct BadField {
  const char* label;
  void (*spoil)(ServeConfig&);
  const char* flag;
  const char* env;
  const char* why;
};

const BadField kBadFields[] = {
    {"listen", [](ServeConfig& c) { c.listen = "nonsense"; }, "listen", "BILLHOOK_LISTEN", "has no port"},
    {"data_dir", [](ServeConfig& c) { c.data_dir.clear(); }, "data-dir", "BILLHOOK_DATA_DIR", "must not be empty"},
    {"api_key_short", [](ServeConfig& c) { c.api_key = "short"; }, "api-key", "BILLHOOK_API_KEY",
     "at least 16 characters long (got 5)"},
    {"api_key_space", [](ServeConfig& c) { c.api_key = "0123456789 abcdef"; }, "api-key", "BILLHOOK_API_KEY",
     "printable ASCII"},
    {"api_key_control", [](ServeConfig& c) { c.api_key = "0123456789abcdef\n"; }, "api-key", "BILLHOOK_API_KEY",
     "printable ASCII"},
    {"max_body_bytes_low", [](ServeConfig& c) { c.max_body_bytes = 1023; }, "max-body-bytes",
     "BILLHOOK_MAX_BODY_BYTES", "between 1024 and 67108864"},
    {"max_body_bytes_high", [](ServeConfig& c) { c.max_body_bytes = (64u << 20) + 1; }, "max-body-bytes",
     "BILLHOOK_MAX_BODY_BYTES", "between 1024 and 67108864"},
    {"max_json_depth_low", [](ServeConfig& c) { c.max_json_depth = 3; }, "max-json-depth",
     "BILLHOOK_MAX_JSON_DEPTH", "between 4 and 256"},
    {"max_json_depth_high", [](ServeConfig& c) { c.max_json_depth = 257; }, "max-json-depth",
     "BILLHOOK_MAX_JSON_DEPTH", "between 4 and 256"},
    {"threads", [](ServeConfig& c) { c.threads = 257; }, "threads", "BILLHOOK_THREADS", "between 0 and 256"},
    {"log_level", [](ServeConfig& c) { c.log_level = "verbose"; }, "log-level", "BILLHOOK_LOG_LEVEL",
     "debug, info, warn, error"},
    {"log_format", [](ServeConfig& c) { c.log_format = "xml"; }, "log-format", "BILLHOOK_LOG_FORMAT",
     "text or json"},
    {"database_url", [](ServeConfig& c) { c.database_url = "mysql://db/billhook"; }, "database-url",
     "BILLHOOK_DATABASE_URL", "must be a PostgreSQL URL"},
    {"db_pool_size_zero", [](ServeConfig& c) { c.db_pool_size = 0; }, "db-pool-size", "BILLHOOK_DB_POOL_SIZE",
     "from 1 to 100"},
    {"db_pool_size_high", [](ServeConfig& c) { c.db_pool_size = 101; }, "db-pool-size", "BILLHOOK_DB_POOL_SIZE",
     "from 1 to 100"},
    {"db_statement_timeout", [](ServeConfig& c) { c.db_statement_timeout_s = 3601; }, "db-statement-timeout",
     "BILLHOOK_DB_STATEMENT_TIMEOUT", "from 0 (no limit) to 3600 seconds"},
    {"delivery_lease", [](ServeConfig& c) { c.delivery_lease_s = 2; }, "delivery-lease", "BILLHOOK_DELIVERY_LEASE",
     "from 3 to 3600 seconds"},
};

void PrintTo(const BadField& bad, std::ostream* out) { *out << bad.label; }

class ValidateBadField : public ::testing::TestWithParam<BadField> {};

TEST_P(ValidateBadField, MessageNamesTheFlagAndTheVariable) {
  const BadField& bad = GetParam();
  ServeConfig c;
  bad.spoil(c);
  const Status s = validate(c);
  ASSERT_FALSE(s.ok());
  const Error& e = s.error();
  EXPECT_EQ(e.kind, ErrorKind::invalid_request);
  EXPECT_EQ(e.code, "invalid_config");
  EXPECT_EQ(e.param, bad.flag);
  EXPECT_NE(e.message.find(std::string("--") + bad.flag), std::string::npos) << e.message;
  EXPECT_NE(e.message.find(bad.env), std::string::npos) << e.message;
  EXPECT_NE(e.message.find(bad.why), std::string::npos) << e.message;
}

INSTANTIATE_TEST_SUITE_P(EachField, ValidateBadField, ::testing::ValuesIn(kBadFields),
                         [](const auto& test_param) { return std::string(test_param.param.label); });

TEST(ParseDayList, ListsOfWholeDays) {
  EXPECT_EQ(*parse_day_list("1,3,5", "payment-retry-days", "BILLHOOK_PAYMENT_RETRY_DAYS"),
            (std::vector<int64_t>{1, 3, 5}));
  EXPECT_EQ(*parse_day_list("365", "f", "E"), std::vector<int64_t>{365});
  EXPECT_TRUE(parse_day_list("", "f", "E")->empty());
  for (const char* bad : {"0", "366", "1,,3", "1,", "a", "-1", "1.5", " 1", "1,2,3,4,5,6,7,8,9,10,11"}) {
    auto r = parse_day_list(bad, "payment-retry-days", "BILLHOOK_PAYMENT_RETRY_DAYS");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find("--payment-retry-days"), std::string::npos) << r.error().message;
  }
}

TEST(Validate, BillingScheduleFlags) {
  ServeConfig config;
  EXPECT_TRUE(validate(config).ok());
  config.reminder_days_before = "7,x";
  EXPECT_FALSE(validate(config).ok());
  config = ServeConfig{};
  config.overdue_reminder_every_days = 0;
  EXPECT_FALSE(validate(config).ok());
  config = ServeConfig{};
  config.payment_retry_days = "";
  EXPECT_TRUE(validate(config).ok()) << "no retries is a choice";
}

// The subscription settings counted in days: 0 to 365, an error naming the flag and the variable.
TEST(Validate, SubscriptionDaySettings) {
  struct Setting {
    int64_t ServeConfig::*field;
    int64_t default_value;
    std::string flag;
    std::string env;
  };
  for (const auto& [field, default_value, flag, env] :
       {Setting{&ServeConfig::upcoming_days, 3, "--upcoming-days", "BILLHOOK_UPCOMING_DAYS"},
        Setting{&ServeConfig::stop_collection_after_days, 14, "--stop-collection-after-days",
                "BILLHOOK_STOP_COLLECTION_AFTER_DAYS"}}) {
    ServeConfig config;
    EXPECT_EQ(config.*field, default_value) << flag;
    for (int64_t good : {int64_t{0}, int64_t{365}}) {
      config.*field = good;
      EXPECT_TRUE(validate(config).ok()) << flag << " " << good;
    }
    for (int64_t bad : {int64_t{-1}, int64_t{366}}) {
      config.*field = bad;
      auto r = validate(config);
      ASSERT_FALSE(r.ok()) << flag << " " << bad;
      EXPECT_NE(r.error().message.find(flag), std::string::npos) << r.error().message;
      EXPECT_NE(r.error().message.find(env), std::string::npos) << r.error().message;
    }
  }
}

// Where customers are mirrored: none (the default, nothing changes for anyone) or the sandbox.
TEST(Validate, PaymentProvider) {
  ServeConfig config;
  EXPECT_EQ(config.payment_provider, "none");
  for (const char* good : {"none", "sandbox"}) {
    config.payment_provider = good;
    EXPECT_TRUE(validate(config).ok()) << good;
  }
  for (const char* bad : {"", "stripe", "Sandbox"}) {
    config.payment_provider = bad;
    auto r = validate(config);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().param, "payment-provider");
    EXPECT_NE(r.error().message.find("--payment-provider"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("BILLHOOK_PAYMENT_PROVIDER"), std::string::npos) << r.error().message;
  }
}

TEST(Validate, BasketAbandonAfter) {
  ServeConfig config;
  EXPECT_EQ(config.basket_abandon_after, "24h");
  EXPECT_EQ(parse_duration_s("24h", "f", "E").value(), 86'400);
  EXPECT_EQ(parse_duration_s("90s", "f", "E").value(), 90);
  EXPECT_EQ(parse_duration_s("30m", "f", "E").value(), 1'800);
  EXPECT_EQ(parse_duration_s("2d", "f", "E").value(), 172'800);
  EXPECT_EQ(parse_duration_s("365d", "f", "E").value(), 365 * 86'400);
  for (const char* bad : {"", "24", "h", "0h", "-1h", "1.5h", "366d", "24H", "1w", "99999999s"}) {
    config.basket_abandon_after = bad;
    auto r = validate(config);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().param, "basket-abandon-after");
    EXPECT_NE(r.error().message.find("--basket-abandon-after"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("BILLHOOK_BASKET_ABANDON_AFTER"), std::string::npos) << r.error().message;
  }
}

TEST(Validate, BatchChunkSize) {
  ServeConfig config;
  EXPECT_EQ(config.batch_chunk_size, 50u);
  for (unsigned good : {1u, 1000u}) {
    config.batch_chunk_size = good;
    EXPECT_TRUE(validate(config).ok()) << good;
  }
  for (unsigned bad : {0u, 1001u}) {
    config.batch_chunk_size = bad;
    auto r = validate(config);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find("--batch-chunk-size"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("BILLHOOK_BATCH_CHUNK_SIZE"), std::string::npos) << r.error().message;
  }
}

TEST(ValidateServeConfig, PublicUrlIsAnHttpBaseWithoutQueryOrFragment) {
  ServeConfig c;
  for (const char* good : {"https://billing.example.com", "http://127.0.0.1:8080/", "https://example.com/billhook"}) {
    c.public_url = good;
    EXPECT_TRUE(validate(c).ok()) << good;
  }
  for (const char* bad : {"ftp://example.com", "example.com", "https://", "https://example.com/?a=1",
                          "https://example.com/#top", "https://user:pw@example.com", "https://exa mple.com",
                          "https://example.com/\"><script>"}) {
    c.public_url = bad;
    auto s = validate(c);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_NE(s.error().message.find("--public-url (or BILLHOOK_PUBLIC_URL)"), std::string::npos) << s.error().message;
  }
}

TEST(ValidateServeConfig, PublicUrlDefaultsToTheAddressListenedOn) {
  ServeConfig c;
  EXPECT_EQ(effective_public_url(c, {"127.0.0.1", 41234}), "http://127.0.0.1:41234");
  EXPECT_EQ(effective_public_url(c, {"::1", 8080}), "http://[::1]:8080");
  c.public_url = "https://billing.example.com/";
  EXPECT_EQ(effective_public_url(c, {"127.0.0.1", 8080}), "https://billing.example.com") << "no trailing slash";
}

}  // namespace
}  // namespace billhook::core

namespace billhook::core {
namespace {

TEST(ConnectionCaps, DefaultIsTheOpenFileLimitLessTheHeadroom) {
  ServeConfig config;  // db_pool_size 8, max_in_flight 512
  // 1,048,576 descriptors: the ceiling, memory being the limit long before.
  EXPECT_EQ(connection_caps(config, 1 << 20).max_connections, 65536u);
  // 4096: 64 fixed, 8 for the pool, 512 for deliveries.
  EXPECT_EQ(connection_caps(config, 4096).max_connections, 4096u - 64 - 8 - 512);
  // 256: deliveries get a quarter of the limit at most (64).
  EXPECT_EQ(connection_caps(config, 256).max_connections, 120u);
  EXPECT_EQ(connection_caps(config, 256).max_connections_per_client, 30u);
  // Less than the headroom: still a few, and the accept loop's backoff copes with the shortage.
  EXPECT_EQ(connection_caps(config, 64).max_connections, 16u);
  config.db_pool_size = 40;
  EXPECT_EQ(connection_caps(config, 4096).max_connections, 4096u - 64 - 40 - 512);
}

TEST(ConnectionCaps, ConfiguredValuesWin) {
  ServeConfig config;
  config.max_connections = 50;
  EXPECT_EQ(connection_caps(config, 256).max_connections, 50u);
  EXPECT_EQ(connection_caps(config, 256).max_connections_per_client, 12u);
  config.max_connections_per_client = 5;
  EXPECT_EQ(connection_caps(config, 256).max_connections_per_client, 5u);
  config.max_connections = 2;
  config.max_connections_per_client = 0;
  EXPECT_EQ(connection_caps(config, 256).max_connections_per_client, 1u);
}

TEST(ValidateConnections, LimitsOutOfRangeNameTheirFlag) {
  ServeConfig config;
  config.header_timeout_s = 0;
  ASSERT_FALSE(validate(config).ok());
  EXPECT_NE(validate(config).error().message.find("--header-timeout"), std::string::npos);
  config.header_timeout_s = 5;
  config.max_connections = kMaxConnectionsCeiling + 1;
  ASSERT_FALSE(validate(config).ok());
  EXPECT_NE(validate(config).error().message.find("--max-connections"), std::string::npos);
  config.max_connections = 0;
  config.max_connections_per_client = kMaxConnectionsCeiling + 1;
  ASSERT_FALSE(validate(config).ok());
  EXPECT_NE(validate(config).error().message.find("--max-connections-per-client"), std::string::npos);
  config.max_connections_per_client = 0;
  EXPECT_TRUE(validate(config).ok());
}

TEST(ValidateApiKey, BothTheKeyAndItsFileAreRefused) {
  ServeConfig config;
  config.api_key = "0123456789abcdef0123";
  config.api_key_file = "/run/secrets/billhook";
  ASSERT_FALSE(validate(config).ok());
  EXPECT_NE(validate(config).error().message.find("--api-key-file"), std::string::npos);
  EXPECT_FALSE(validate_api_key("short", "api-key-file", "BILLHOOK_API_KEY_FILE").ok());
  EXPECT_NE(validate_api_key("short", "api-key-file", "BILLHOOK_API_KEY_FILE").error().message.find("--api-key-file"),
            std::string::npos);
  EXPECT_TRUE(validate_api_key("0123456789abcdef", "api-key", "BILLHOOK_API_KEY").ok());
}

}  // namespace
}  // namespace billhook::core
