#include "core/config.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

namespace billhook::core {
namespace {

Error config_error(std::string_view flag, std::string_view env, std::string message) {
  return Error::invalid("invalid_config", fmt::format("--{} (or {}): {}", flag, env, message), std::string(flag));
}

}  // namespace

Result<ListenAddress> parse_listen_address(std::string_view text, std::string_view flag, std::string_view env) {
  const auto bad = [&](std::string_view why) {
    return config_error(flag, env,
                        fmt::format("'{}' {}; expected HOST:PORT such as 127.0.0.1:8080 or [::1]:8080", text, why));
  };
  ListenAddress out;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return bad("has an unclosed IPv6 bracket or no port");
    out.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("has no port");
    if (text.substr(0, colon).find(':') != std::string_view::npos) return bad("has an IPv6 host without brackets");
    out.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  if (out.host.empty()) out.host = "0.0.0.0";
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535)
    return bad("has a port that is not a number from 0 to 65535");
  out.port = static_cast<uint16_t>(port);
  return out;
}

unsigned effective_connect_timeout_s(const ServeConfig& config) {
  constexpr unsigned kDefaultConnectTimeoutS = 5;
  if (config.connect_timeout_s) return config.connect_timeout_s;
  return std::min(kDefaultConnectTimeoutS, config.delivery_timeout_s);
}

Result<std::vector<int64_t>> parse_day_list(std::string_view text, std::string_view flag, std::string_view env) {
  constexpr size_t kMaxItems = 10;
  constexpr int64_t kMaxDays = 365;
  std::vector<int64_t> days;
  if (text.empty()) return days;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string_view item = text.substr(start, comma - start);
    int64_t value = 0;
    bool digits = !item.empty() && item.size() <= 3;
    for (char c : item) {
      digits = digits && c >= '0' && c <= '9';
      value = value * 10 + (c - '0');
    }
    if (!digits || value < 1 || value > kMaxDays)
      return config_error(flag, env, "must be a comma-separated list of whole days from 1 to 365, such as 1,3,5");
    days.push_back(value);
    if (days.size() > kMaxItems) return config_error(flag, env, "may list at most 10 days");
    start = comma + 1;
  }
  return days;
}

Result<int64_t> parse_duration_s(std::string_view text, std::string_view flag, std::string_view env) {
  constexpr int64_t kMaxSeconds = 365 * 86'400;
  const auto bad = [&] {
    return config_error(flag, env, "must be a whole number and a unit (s, m, h or d) from 1s to 365d, such as 24h");
  };
  if (text.size() < 2 || text.size() > 9) return bad();
  int64_t unit = 0;
  switch (text.back()) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3'600; break;
    case 'd': unit = 86'400; break;
    default: return bad();
  }
  int64_t value = 0;
  for (char c : text.substr(0, text.size() - 1)) {
    if (c < '0' || c > '9') return bad();
    value = value * 10 + (c - '0');
  }
  if (value < 1 || value * unit > kMaxSeconds) return bad();
  return value * unit;
}

Status validate_database_url(std::string_view url) {
  if (url.empty()) return {};
  if (url.substr(0, 11) != "postgres://" && url.substr(0, 13) != "postgresql://")
    return config_error("database-url", "BILLHOOK_DATABASE_URL",
                        "must be a PostgreSQL URL such as postgres://user:password@host:5432/billhook");
  return {};
}

unsigned effective_delivery_lease_s(const ServeConfig& config) {
  if (config.delivery_lease_s) return config.delivery_lease_s;
  return config.database_url.empty() ? 300 : 30;
}

Status validate_api_key(std::string_view key, std::string_view flag, std::string_view env) {
  if (key.size() < kMinApiKeyLength)
    return config_error(flag, env,
                        fmt::format("must be at least {} characters long (got {})", kMinApiKeyLength, key.size()));
  for (char c : key)
    if (c <= ' ' || c > '~') return config_error(flag, env, "must be printable ASCII without spaces");
  return {};
}

ConnectionCaps connection_caps(const ServeConfig& config, uint64_t open_file_limit) {
  ConnectionCaps caps;
  if (config.max_connections != 0) {
    caps.max_connections = config.max_connections;
  } else {
    // What else holds descriptors: stdio, the log, the listening socket, the store (SQLite's database,
    // -wal, -shm and lock files, or PostgreSQL's writer, listener and readers), the timers and poll
    // descriptors of the threads, and the deliveries' sockets (up to --max-in-flight, but a quarter of
    // the limit at most, so that a small limit still leaves room for the API).
    const uint64_t deliveries = std::min<uint64_t>(config.max_in_flight, open_file_limit / 4);
    const uint64_t headroom = kFixedDescriptorHeadroom + config.db_pool_size + deliveries;
    const uint64_t available = open_file_limit > headroom ? open_file_limit - headroom : 0;
    caps.max_connections =
        static_cast<size_t>(std::clamp<uint64_t>(available, kMinDefaultConnections, kMaxDefaultConnections));
  }
  caps.max_connections_per_client = config.max_connections_per_client != 0
                                        ? config.max_connections_per_client
                                        : std::max<size_t>(1, caps.max_connections / 4);
  return caps;
}

Status validate(const ServeConfig& config) {
  if (auto listen = parse_listen_address(config.listen); !listen) return listen.error();
  if (!config.metrics_listen.empty())
    if (auto metrics = parse_listen_address(config.metrics_listen, "metrics-listen", "BILLHOOK_METRICS_LISTEN"); !metrics)
      return metrics.error();
  if (config.data_dir.empty()) return config_error("data-dir", "BILLHOOK_DATA_DIR", "must not be empty");
  if (auto s = validate_database_url(config.database_url); !s) return s;
  if (config.db_pool_size < 1 || config.db_pool_size > 100)
    return config_error("db-pool-size", "BILLHOOK_DB_POOL_SIZE", "must be from 1 to 100");
  if (config.db_statement_timeout_s > 3600)
    return config_error("db-statement-timeout", "BILLHOOK_DB_STATEMENT_TIMEOUT",
                        "must be from 0 (no limit) to 3600 seconds");
  if (config.delivery_lease_s != 0 && (config.delivery_lease_s < 3 || config.delivery_lease_s > 3600))
    return config_error("delivery-lease", "BILLHOOK_DELIVERY_LEASE", "must be from 3 to 3600 seconds (0: default)");
  if (config.retention_days > 36500)
    return config_error("retention-days", "BILLHOOK_RETENTION_DAYS", "must be from 0 (keep everything) to 36500");
  if (config.shutdown_timeout_s < 1 || config.shutdown_timeout_s > 3600)
    return config_error("shutdown-timeout", "BILLHOOK_SHUTDOWN_TIMEOUT", "must be from 1 to 3600 seconds");
  if (!config.api_key.empty() && !config.api_key_file.empty())
    return config_error("api-key-file", "BILLHOOK_API_KEY_FILE",
                        "give the key once: --api-key (or BILLHOOK_API_KEY) or --api-key-file, not both");
  if (!config.api_key.empty())
    if (auto s = validate_api_key(config.api_key, "api-key", "BILLHOOK_API_KEY"); !s) return s;
  if (config.max_body_bytes < 1024 || config.max_body_bytes > (64u << 20))
    return config_error("max-body-bytes", "BILLHOOK_MAX_BODY_BYTES", "must be between 1024 and 67108864");
  if (config.max_json_depth < 4 || config.max_json_depth > 256)
    return config_error("max-json-depth", "BILLHOOK_MAX_JSON_DEPTH", "must be between 4 and 256");
  if (config.threads > 256) return config_error("threads", "BILLHOOK_THREADS", "must be between 0 and 256");
  if (config.max_connections > kMaxConnectionsCeiling)
    return config_error("max-connections", "BILLHOOK_MAX_CONNECTIONS",
                        fmt::format("must be from 0 (sized from the open-file limit) to {}", kMaxConnectionsCeiling));
  if (config.max_connections_per_client > kMaxConnectionsCeiling)
    return config_error("max-connections-per-client", "BILLHOOK_MAX_CONNECTIONS_PER_CLIENT",
                        fmt::format("must be from 0 (a quarter of --max-connections) to {}", kMaxConnectionsCeiling));
  if (config.header_timeout_s < 1 || config.header_timeout_s > 300)
    return config_error("header-timeout", "BILLHOOK_HEADER_TIMEOUT", "must be from 1 to 300 seconds");
  if (config.log_level != "debug" && config.log_level != "info" && config.log_level != "warn" &&
      config.log_level != "error")
    return config_error("log-level", "BILLHOOK_LOG_LEVEL", "must be one of debug, info, warn, error");
  if (config.log_format != "text" && config.log_format != "json")
    return config_error("log-format", "BILLHOOK_LOG_FORMAT", "must be text or json");
  if (config.delivery_timeout_s < 1 || config.delivery_timeout_s > 300)
    return config_error("delivery-timeout", "BILLHOOK_DELIVERY_TIMEOUT", "must be from 1 to 300 seconds");
  if (config.connect_timeout_s > config.delivery_timeout_s)
    return config_error("connect-timeout", "BILLHOOK_CONNECT_TIMEOUT",
                        "must not be longer than the delivery timeout (--delivery-timeout)");
  if (config.max_in_flight < 1 || config.max_in_flight > 100000)
    return config_error("max-in-flight", "BILLHOOK_MAX_IN_FLIGHT", "must be from 1 to 100000");
  if (config.disable_after_hours < 1 || config.disable_after_hours > 24 * 365)
    return config_error("disable-after-hours", "BILLHOOK_DISABLE_AFTER_HOURS", "must be from 1 to 8760");
  if (auto days = parse_day_list(config.reminder_days_before, "reminder-days-before", "BILLHOOK_REMINDER_DAYS_BEFORE");
      !days)
    return std::move(days).error();
  if (config.overdue_reminder_every_days < 1 || config.overdue_reminder_every_days > 365)
    return config_error("overdue-reminder-every-days", "BILLHOOK_OVERDUE_REMINDER_EVERY_DAYS",
                        "must be from 1 to 365");
  if (auto days = parse_day_list(config.payment_retry_days, "payment-retry-days", "BILLHOOK_PAYMENT_RETRY_DAYS"); !days)
    return std::move(days).error();
  if (config.batch_chunk_size < 1 || config.batch_chunk_size > 1000)
    return config_error("batch-chunk-size", "BILLHOOK_BATCH_CHUNK_SIZE", "must be from 1 to 1000");
  if (config.upcoming_days < 0 || config.upcoming_days > 365)
    return config_error("upcoming-days", "BILLHOOK_UPCOMING_DAYS", "must be from 0 to 365");
  for (const auto& [text, flag, env] : {std::tuple{&config.seller_name, "seller-name", "BILLHOOK_SELLER_NAME"},
                                        std::tuple{&config.seller_address, "seller-address", "BILLHOOK_SELLER_ADDRESS"},
                                        std::tuple{&config.seller_email, "seller-email", "BILLHOOK_SELLER_EMAIL"},
                                        std::tuple{&config.seller_tax_id, "seller-tax-id", "BILLHOOK_SELLER_TAX_ID"}})
    if (text->size() > 500) return config_error(flag, env, "must be at most 500 characters");
  if (config.stop_collection_after_days < 0 || config.stop_collection_after_days > 365)
    return config_error("stop-collection-after-days", "BILLHOOK_STOP_COLLECTION_AFTER_DAYS", "must be from 0 to 365");
  if (auto after = parse_duration_s(config.basket_abandon_after, "basket-abandon-after", "BILLHOOK_BASKET_ABANDON_AFTER");
      !after)
    return std::move(after).error();
  if (auto expiry = parse_duration_s(config.listen_session_expiry, "listen-session-expiry",
                                     "BILLHOOK_LISTEN_SESSION_EXPIRY");
      !expiry)
    return std::move(expiry).error();
  if (auto s = validate_public_url(config.public_url); !s) return s;
  if (config.payment_provider != "none" && config.payment_provider != "sandbox")
    return config_error("payment-provider", "BILLHOOK_PAYMENT_PROVIDER", "must be none or sandbox");
  return {};
}

Status validate_public_url(std::string_view url) {
  if (url.empty()) return {};
  const auto bad = [&](std::string_view why) {
    return config_error("public-url", "BILLHOOK_PUBLIC_URL",
                        fmt::format("'{}' {}; expected http(s)://host[:port][/path], such as https://billing.example.com",
                                    url.substr(0, 200), why));
  };
  // Links are pasted into e-mails and HTML: only printable ASCII without spaces or quotes.
  for (char c : url)
    if (c <= ' ' || c > '~' || c == '"' || c == '\\' || c == '<' || c == '>') return bad("has a character a URL may not");
  size_t scheme_end = 0;
  if (url.starts_with("https://")) scheme_end = 8;
  else if (url.starts_with("http://")) scheme_end = 7;
  else return bad("is not an http:// or https:// URL");
  // A query or fragment would end up in the middle of every link made from it.
  if (url.find_first_of("?#") != std::string_view::npos) return bad("has a query or fragment");
  const std::string_view authority = url.substr(scheme_end, url.find('/', scheme_end) - scheme_end);
  if (authority.empty()) return bad("has no host");
  if (authority.find('@') != std::string_view::npos) return bad("has credentials");
  return {};
}

std::string effective_public_url(const ServeConfig& config, const ListenAddress& listening) {
  std::string url = config.public_url;
  if (url.empty()) {
    const bool v6 = listening.host.find(':') != std::string::npos;
    url = fmt::format("http://{}{}{}:{}", v6 ? "[" : "", listening.host, v6 ? "]" : "", listening.port);
  }
  while (url.size() > 8 && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace billhook::core
