#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>

#include "app/api_key_file.hpp"
#include "app/backup.hpp"
#include "app/migrate.hpp"
#include "app/prune.hpp"
#include "app/server_app.hpp"
#include "catalog/catalog.hpp"
#include "cli/client_commands.hpp"
#include "cli/doc_commands.hpp"
#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/log.hpp"

namespace {

using billhook::core::ServeConfig;

void add_serve_flags(CLI::App& serve, ServeConfig& config) {
  serve.add_option("--listen", config.listen, "address to listen on, HOST:PORT (port 0 picks a free one)")
      ->envname("BILLHOOK_LISTEN")
      ->capture_default_str();
  serve.add_option("--metrics-listen", config.metrics_listen,
                   "a second address, HOST:PORT, serving only GET /metrics without the API key; bind it to a "
                   "private address (without it, /metrics is on --listen and needs the key)")
      ->envname("BILLHOOK_METRICS_LISTEN");
  serve.add_option("--data-dir", config.data_dir, "where the embedded SQLite store keeps its files")
      ->envname("BILLHOOK_DATA_DIR")
      ->capture_default_str();
  serve.add_option("--database-url", config.database_url,
                   "a PostgreSQL URL (postgres://user:password@host:5432/db) to share with other nodes; "
                   "without it the store is SQLite in --data-dir")
      ->envname("BILLHOOK_DATABASE_URL");
  serve.add_option("--db-pool-size", config.db_pool_size, "PostgreSQL read connections per node")
      ->envname("BILLHOOK_DB_POOL_SIZE")
      ->capture_default_str();
  serve.add_option("--db-statement-timeout", config.db_statement_timeout_s,
                   "seconds a PostgreSQL statement may run before it is cancelled (0: no limit)")
      ->envname("BILLHOOK_DB_STATEMENT_TIMEOUT")
      ->capture_default_str();
  serve.add_option("--api-key", config.api_key,
                   "an API key to accept (at least 16 characters); on the command line it shows in `ps` to every "
                   "user of the machine: prefer --api-key-file or the BILLHOOK_API_KEY variable")
      ->envname("BILLHOOK_API_KEY");
  serve.add_option("--api-key-file", config.api_key_file,
                   "a file whose first line is the API key to accept (not shown in `ps`; keep it chmod 600)")
      ->envname("BILLHOOK_API_KEY_FILE");
  serve.add_option("--max-body-bytes", config.max_body_bytes, "largest request body accepted; larger ones get 413")
      ->envname("BILLHOOK_MAX_BODY_BYTES")
      ->capture_default_str();
  serve.add_option("--max-json-depth", config.max_json_depth, "deepest JSON nesting accepted")
      ->envname("BILLHOOK_MAX_JSON_DEPTH")
      ->capture_default_str();
  serve.add_option("--threads", config.threads, "HTTP worker threads (0: one per core)")
      ->envname("BILLHOOK_THREADS")
      ->capture_default_str();
  serve.add_option("--max-connections", config.max_connections,
                   "connections open at once; more are closed as they arrive (0: the open-file limit, raised to "
                   "its hard limit at start, less 64 + --db-pool-size + the deliveries' share, at most 65536)")
      ->envname("BILLHOOK_MAX_CONNECTIONS")
      ->capture_default_str();
  serve.add_option("--max-connections-per-client", config.max_connections_per_client,
                   "connections open at once from one client address (0: a quarter of --max-connections; behind "
                   "a reverse proxy every client is the proxy's address)")
      ->envname("BILLHOOK_MAX_CONNECTIONS_PER_CLIENT")
      ->capture_default_str();
  serve.add_option("--header-timeout", config.header_timeout_s,
                   "seconds a new connection has to send its first request's headers before it is closed")
      ->envname("BILLHOOK_HEADER_TIMEOUT")
      ->capture_default_str();
  serve.add_option("--log-level", config.log_level, "debug, info, warn or error")
      ->envname("BILLHOOK_LOG_LEVEL")
      ->capture_default_str();
  serve.add_option("--log-format", config.log_format, "text or json")
      ->envname("BILLHOOK_LOG_FORMAT")
      ->capture_default_str();
  serve.add_option("--allow-networks", config.allow_networks,
                   "comma-separated CIDRs that webhooks may reach although private or loopback, e.g. 10.0.0.0/8")
      ->envname("BILLHOOK_ALLOW_NETWORKS");
  serve.add_option("--delivery-timeout", config.delivery_timeout_s, "seconds one delivery attempt may take")
      ->envname("BILLHOOK_DELIVERY_TIMEOUT")
      ->capture_default_str();
  serve.add_option("--connect-timeout", config.connect_timeout_s,
                   "seconds to connect to a receiver (default 5, or the delivery timeout if shorter)")
      ->envname("BILLHOOK_CONNECT_TIMEOUT");
  serve.add_option("--max-in-flight", config.max_in_flight, "webhook requests in flight at once, all endpoints")
      ->envname("BILLHOOK_MAX_IN_FLIGHT")
      ->capture_default_str();
  serve.add_option("--disable-after-hours", config.disable_after_hours,
                   "disable an endpoint that has only failed for this long")
      ->envname("BILLHOOK_DISABLE_AFTER_HOURS")
      ->capture_default_str();
  serve.add_option("--reminder-days-before", config.reminder_days_before,
                   "days before the due date that invoice.will_be_due is sent, e.g. 7,3 (empty: never)")
      ->envname("BILLHOOK_REMINDER_DAYS_BEFORE")
      ->capture_default_str();
  serve.add_option("--overdue-reminder-every-days", config.overdue_reminder_every_days,
                   "days between invoice.overdue_reminder notices while an invoice stays overdue")
      ->envname("BILLHOOK_OVERDUE_REMINDER_EVERY_DAYS")
      ->capture_default_str();
  serve.add_option("--payment-retry-days", config.payment_retry_days,
                   "delays in days before each retry of a failed automatic collection (empty: no retries)")
      ->envname("BILLHOOK_PAYMENT_RETRY_DAYS")
      ->capture_default_str();
  serve.add_option("--batch-chunk-size", config.batch_chunk_size,
                   "invoice batch items invoiced per write transaction (each chunk commits whole)")
      ->envname("BILLHOOK_BATCH_CHUNK_SIZE")
      ->capture_default_str();
  serve.add_option("--upcoming-days", config.upcoming_days,
                   "days before a subscription's next invoice that invoice.upcoming announces it (0: never)")
      ->envname("BILLHOOK_UPCOMING_DAYS")
      ->capture_default_str();
  serve.add_option("--stop-collection-after-days", config.stop_collection_after_days,
                   "days an invoice of a subscription may be overdue before the subscription stops collecting "
                   "(past_due) until its overdue invoices are settled")
      ->envname("BILLHOOK_STOP_COLLECTION_AFTER_DAYS")
      ->capture_default_str();
  serve.add_option("--basket-abandon-after", config.basket_abandon_after,
                   "how long a basket may stay untouched before basket.abandoned is sent (a number and s, m, h or d)")
      ->envname("BILLHOOK_BASKET_ABANDON_AFTER")
      ->capture_default_str();
  serve.add_option("--public-url", config.public_url,
                   "the base of the links billhook hands out (an invoice's pdf_url, share and checkout pages), "
                   "as customers reach this server (default: http://<the listen address>)")
      ->envname("BILLHOOK_PUBLIC_URL");
  serve.add_option("--seller-name", config.seller_name, "the seller's name on invoice and credit-note PDFs")
      ->envname("BILLHOOK_SELLER_NAME");
  serve.add_option("--seller-address", config.seller_address,
                   "the seller's address on the PDFs, its lines separated by ';' (\"1 Main Street; 75001 Paris\")")
      ->envname("BILLHOOK_SELLER_ADDRESS");
  serve.add_option("--seller-email", config.seller_email, "the seller's e-mail address on the PDFs")
      ->envname("BILLHOOK_SELLER_EMAIL");
  serve.add_option("--seller-tax-id", config.seller_tax_id, "the seller's tax id (VAT number) on the PDFs")
      ->envname("BILLHOOK_SELLER_TAX_ID");
  serve.add_option("--payment-provider", config.payment_provider,
                   "where each new or changed customer is mirrored after the commit: none, or sandbox (fails emails "
                   "ending in @fail.test); customer.payment_provider_synced / _sync_failed")
      ->envname("BILLHOOK_PAYMENT_PROVIDER")
      ->capture_default_str();
  serve.add_option("--delivery-lease", config.delivery_lease_s,
                   "seconds a claimed delivery stays this node's, renewed while it works on it; after a node dies "
                   "another takes its deliveries over this late (0: 300 on SQLite, 30 with --database-url)")
      ->envname("BILLHOOK_DELIVERY_LEASE")
      ->capture_default_str();
  serve.add_option("--listen-session-expiry", config.listen_session_expiry,
                   "how long a `billhook listen` session may go unpolled before it is removed (a number and s, m, h "
                   "or d)")
      ->envname("BILLHOOK_LISTEN_SESSION_EXPIRY")
      ->capture_default_str();
  serve.add_option("--shutdown-timeout", config.shutdown_timeout_s,
                   "seconds that SIGTERM or SIGINT leaves the requests and webhook deliveries in flight to finish "
                   "(new connections are refused at once); what is unfinished then is released and sent again "
                   "by another node or the next start")
      ->envname("BILLHOOK_SHUTDOWN_TIMEOUT")
      ->capture_default_str();
  serve.add_option("--retention-days", config.retention_days,
                   "days an event is kept once every delivery of it has succeeded (or was cancelled); events with "
                   "a pending, retrying or failed delivery stay until it succeeds. Pruned in small batches every "
                   "10 minutes (0: prune nothing; an Idempotency-Key is free again after 24 h either way)")
      ->envname("BILLHOOK_RETENTION_DAYS")
      ->capture_default_str();
  serve.add_flag("--test-clock", config.test_clock,
                 "use a manual clock, moved by POST /v1/test/clock (for tests and demos; never in production)")
      ->envname("BILLHOOK_TEST_CLOCK");
}

int serve(ServeConfig config) {
  billhook::core::log::configure(billhook::core::log::parse_level(config.log_level), config.log_format == "json");
  if (auto loaded = billhook::app::load_api_key_file(config); !loaded) {
    std::cerr << "billhook: " << loaded.error().message << "\n";
    return 2;
  }
  auto app = billhook::app::ServerApp::start(config);
  if (!app) {
    std::cerr << "billhook: " << app.error().message << "\n";
    return 2;
  }
  (*app)->run_until_signalled();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"billhook: invoice events delivered as signed webhooks"};
  cli.require_subcommand(1);
  ServeConfig config;
  auto* serve_cmd = cli.add_subcommand("serve", "run the API and the delivery engine");
  add_serve_flags(*serve_cmd, config);
  auto* version_cmd = cli.add_subcommand("version", "print the version");
  auto* migrate_cmd = cli.add_subcommand("migrate", "apply database migrations and exit");
  migrate_cmd->add_option("--data-dir", config.data_dir, "where the embedded SQLite store keeps its files")
      ->envname("BILLHOOK_DATA_DIR")
      ->capture_default_str();
  migrate_cmd->add_option("--database-url", config.database_url, "a PostgreSQL URL to migrate instead of SQLite")
      ->envname("BILLHOOK_DATABASE_URL");
  std::string backup_path;
  auto* backup_cmd = cli.add_subcommand(
      "backup", "copy the SQLite store into a new file, consistently, while the server may be running (PostgreSQL: "
                "use pg_dump)");
  backup_cmd->add_option("DEST", backup_path, "the file to write (0600); it must not exist")->required();
  auto* restore_cmd = cli.add_subcommand(
      "restore", "check a backup and install it as the store of a data directory no server is running on (the "
                 "database it replaces is kept beside it)");
  restore_cmd->add_option("SRC", backup_path, "a file written by billhook backup")->required();
  for (auto* command : {backup_cmd, restore_cmd}) {
    command->add_option("--data-dir", config.data_dir, "the data directory of the SQLite store")
        ->envname("BILLHOOK_DATA_DIR")
        ->capture_default_str();
    command->add_option("--database-url", config.database_url, "a PostgreSQL URL: refused, name pg_dump instead")
        ->envname("BILLHOOK_DATABASE_URL");
  }
  bool dry_run = false;
  auto* prune_cmd = cli.add_subcommand(
      "prune", "delete what --retention-days lets go (the server does it by itself every 10 minutes), or with "
               "--dry-run only say what would go");
  prune_cmd->add_flag("--dry-run", dry_run, "count what would be deleted and change nothing");
  prune_cmd->add_option("--retention-days", config.retention_days, "days a delivered event is kept")
      ->envname("BILLHOOK_RETENTION_DAYS")
      ->capture_default_str();
  prune_cmd->add_option("--data-dir", config.data_dir, "the data directory of the SQLite store")
      ->envname("BILLHOOK_DATA_DIR")
      ->capture_default_str();
  prune_cmd->add_option("--database-url", config.database_url, "a PostgreSQL URL instead of SQLite")
      ->envname("BILLHOOK_DATABASE_URL");
  billhook::cli::ClientCommands client_commands(cli);
  billhook::cli::DocCommands doc_commands(cli);  // last: the completions and man page cover every command above
  CLI11_PARSE(cli, argc, argv);

  if (auto exit_code = doc_commands.run(cli, BILLHOOK_VERSION)) return *exit_code;
  if (auto exit_code = client_commands.run()) return *exit_code;
  if (*version_cmd) {
    std::printf("billhook %s (api version %s)\n", BILLHOOK_VERSION,
                billhook::catalog::Catalog::builtin().api_version().c_str());
    return 0;
  }
  if (*backup_cmd || *restore_cmd) {
    auto done = *backup_cmd ? billhook::app::backup(config, backup_path) : billhook::app::restore(config, backup_path);
    if (!done) {
      const bool untouched = done.error().kind == billhook::core::ErrorKind::invalid_request;
      std::cerr << "billhook: " << (*backup_cmd ? "backup" : "restore") << " failed: " << done.error().message
                << (untouched && *restore_cmd ? "; nothing was changed" : "") << "\n";
      return 2;
    }
    std::printf("%s\n", done->c_str());
    return 0;
  }
  if (*prune_cmd) {
    billhook::core::log::configure(billhook::core::log::Level::warn, false);
    billhook::core::SystemClock clock;
    auto report = billhook::app::prune(config, dry_run, clock);
    if (!report) {
      std::cerr << "billhook: prune failed: " << report.error().message << "\n";
      return 2;
    }
    std::printf("%s\n", report->c_str());
    return 0;
  }
  if (*migrate_cmd) {
    billhook::core::log::configure(billhook::core::log::Level::info, false);
    if (auto s = billhook::app::migrate(config); !s) {
      std::cerr << "billhook: " << s.error().message << "\n";
      return 2;
    }
    if (config.database_url.empty()) std::printf("billhook: the database in %s is up to date\n", config.data_dir.c_str());
    else std::printf("billhook: the PostgreSQL database is up to date\n");
    return 0;
  }
  return serve(config);
}
