#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace billhook::core {

struct ListenAddress {
  std::string host;  // an IPv4 or IPv6 literal, or "localhost"
  uint16_t port = 0; // 0 asks the OS for a free port (tests)
};

enum class LogFormat { text, json };

// Everything `billhook serve` can be told. Each field has a flag and a BILLHOOK_* variable (cli/).
struct ServeConfig {
  std::string listen = "127.0.0.1:8080";
  // A second address serving only GET /metrics, without the API key (bind it to a private address);
  // empty: none, and /metrics is served on `listen` with the key only.
  std::string metrics_listen;
  std::string data_dir = "./billhook-data";
  // Storage for several nodes: a PostgreSQL URL (postgres://…) instead of SQLite in data_dir.
  std::string database_url;
  unsigned db_pool_size = 8;               // read connections per node
  unsigned db_statement_timeout_s = 30;    // longest a statement may run; 0: no limit
  std::string api_key;               // empty: keep existing keys, or mint one on first start
  // A file holding the key (its first line), read at start into api_key: unlike --api-key, it does not
  // show in `ps`. Set at most one of the two.
  std::string api_key_file;
  size_t max_body_bytes = 1 << 20;   // larger request bodies are answered 413
  size_t max_json_depth = 32;
  unsigned threads = 0;              // HTTP worker threads; 0 = one per core
  // Connections open at once (0: sized from the open-file limit, see connection_caps), from one client
  // address (0: a quarter of that), and the seconds a new connection has to send its first request's header.
  size_t max_connections = 0;
  size_t max_connections_per_client = 0;
  unsigned header_timeout_s = 5;
  std::string log_level = "info";
  std::string log_format = "text";

  // Delivery.
  std::string allow_networks;          // CIDRs the SSRF guard lets through, e.g. "127.0.0.0/8,::1/128"
  unsigned delivery_timeout_s = 15;    // one attempt, connect to last byte
  unsigned connect_timeout_s = 0;      // 0: 5 s, or the delivery timeout if that is shorter
  size_t max_in_flight = 512;          // requests in flight across all endpoints
  unsigned disable_after_hours = 120;  // an endpoint failing this long without a success is disabled
  bool test_clock = false;             // a manual clock moved by POST /v1/test/clock (tests and demos)
  // How long a claimed delivery stays this node's; renewed while it works on it. 0: 5 minutes on
  // SQLite (one node), 30 seconds with a database URL (how soon another node takes over).
  unsigned delivery_lease_s = 0;
  // A listen session (`billhook listen`) that no CLI has polled for this long is removed: a number and
  // a unit, s, m, h or d.
  std::string listen_session_expiry = "5m";
  // On SIGTERM or SIGINT: how long the requests and deliveries in flight have to finish before the
  // process exits anyway (what is still unfinished then is released for another node or the next start).
  unsigned shutdown_timeout_s = 30;
  // Delivered events (with their deliveries and attempts) older than this many days are pruned; events with a
  // pending, retrying or failed delivery are kept. 0 keeps everything.
  unsigned retention_days = 30;

  // Billing: the time-driven rules.
  std::string reminder_days_before = "3";    // invoice.will_be_due this many days before the due date
  unsigned overdue_reminder_every_days = 7;  // invoice.overdue_reminder every n days past due
  std::string payment_retry_days = "1,3,5";  // failed automatic collection retried after these delays
  unsigned batch_chunk_size = 50;  // invoice batch items invoiced per write transaction
  int64_t upcoming_days = 3;       // invoice.upcoming this many days before a subscription's next invoice (0: never)
  // A subscription stops collecting (past_due) once an invoice of it has been overdue this many days.
  int64_t stop_collection_after_days = 14;
  // A basket untouched this long is abandoned (basket.abandoned): a whole number and a unit, s, m, h or d.
  std::string basket_abandon_after = "24h";

  // The base of every link billhook hands out (an invoice's pdf_url, share and checkout pages):
  // http(s)://host[:port][/path]. Empty: http://<the listen address>.
  std::string public_url;

  // The seller block printed on invoice and credit-note PDFs.
  std::string seller_name;
  std::string seller_address;  // its lines separated by ";": "1 Main Street; 75001 Paris; France"
  std::string seller_email;
  std::string seller_tax_id;
  // Where customers are mirrored after each change: none, or sandbox (the deterministic stand-in).
  std::string payment_provider = "none";
};

// A comma-separated list of whole days, each from 1 to 365, at most 10 ("1,3,5"); "" is none.
// Errors name `flag` and `env`.
Result<std::vector<int64_t>> parse_day_list(std::string_view text, std::string_view flag, std::string_view env);

// A duration as a whole number and a unit — "90s", "30m", "24h", "2d" — in seconds, from 1 second to 365
// days. Errors name `flag` and `env`.
Result<int64_t> parse_duration_s(std::string_view text, std::string_view flag, std::string_view env);

// "host:port", "[v6]:port" or ":port". Errors name the flag (--listen unless told) and show the expected form.
Result<ListenAddress> parse_listen_address(std::string_view text, std::string_view flag = "listen",
                                           std::string_view env = "BILLHOOK_LISTEN");

// Checks a --public-url: http or https, a host, no query, fragment or credentials; empty is the default.
Status validate_public_url(std::string_view url);

// The public URL in force, without a trailing slash: the one given, else http://<host>:<port> of the
// address actually listened on (the port chosen when 0 was asked; IPv6 hosts in brackets).
std::string effective_public_url(const ServeConfig& config, const ListenAddress& listening);

// The connection caps in force given the process's open-file limit (RLIMIT_NOFILE, once raised to its
// hard limit): the ones configured, else the limit less a headroom for the store, the deliveries and
// the logs, from kMinDefaultConnections to kMaxDefaultConnections (past which memory, not descriptors,
// runs out first); per client a quarter of the total.
struct ConnectionCaps {
  size_t max_connections = 0;
  size_t max_connections_per_client = 0;
};
inline constexpr uint64_t kFixedDescriptorHeadroom = 64;
inline constexpr uint64_t kMinDefaultConnections = 16;
inline constexpr uint64_t kMaxDefaultConnections = 65536;
inline constexpr size_t kMaxConnectionsCeiling = 10'000'000;
ConnectionCaps connection_caps(const ServeConfig& config, uint64_t open_file_limit);

// Checks every field and answers the first problem, naming its flag and environment variable.
Status validate(const ServeConfig& config);

// The lease in force: the one given, else the default of the store in use.
unsigned effective_delivery_lease_s(const ServeConfig& config);

// Checks a database URL: postgres:// or postgresql://, or empty (SQLite). Errors name `flag`/`env`.
Status validate_database_url(std::string_view url);

// The connect timeout in force: the one given, else 5 s capped by the delivery timeout.
unsigned effective_connect_timeout_s(const ServeConfig& config);

// An API key given with --api-key must be long enough to be unguessable.
inline constexpr size_t kMinApiKeyLength = 16;

// An API key: at least kMinApiKeyLength characters of printable ASCII without spaces. Errors name `flag`/`env`.
Status validate_api_key(std::string_view key, std::string_view flag, std::string_view env);

}  // namespace billhook::core
