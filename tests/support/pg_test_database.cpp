#include "support/pg_test_database.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>

#include "store/postgres/pg_connection.hpp"

namespace billhook::testing {

std::optional<std::string> test_database_server_url() {
  const char* url = std::getenv("BILLHOOK_TEST_DATABASE_URL");
  if (!url || !*url) return std::nullopt;
  return std::string(url);
}

std::string postgres_unavailable_message() {
  return "BILLHOOK_TEST_DATABASE_URL is not set, so the PostgreSQL tests cannot run. Start a throwaway "
         "server with `eval \"$(scripts/pg.sh start)\"` (scripts/test.sh does this itself)";
}

std::string with_database(std::string_view url, std::string_view database) {
  const size_t scheme = url.find("://");
  const size_t host_start = scheme == std::string_view::npos ? 0 : scheme + 3;
  const size_t query = url.find('?', host_start);
  const std::string_view before_query = url.substr(0, query);
  const std::string_view rest = query == std::string_view::npos ? std::string_view() : url.substr(query);
  const size_t slash = before_query.find('/', host_start);
  std::string out(slash == std::string_view::npos ? before_query : before_query.substr(0, slash));
  out += '/';
  out += database;
  out += rest;
  return out;
}

PgTestDatabase::PgTestDatabase() {
  auto server = test_database_server_url();
  if (!server) return;
  static std::atomic<int> counter{0};
  server_url_ = *server;
  name_ = "billhook_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  auto admin = store::postgres::Connection::open({.url = server_url_});
  if (!admin) {
    error_ = admin.error().message;
    return;
  }
  (void)(*admin)->exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)", "dropping a leftover test database");
  if (auto s = (*admin)->exec("CREATE DATABASE " + name_, "creating a test database"); !s) {
    error_ = s.error().message;
    return;
  }
  url_ = with_database(server_url_, name_);
}

PgTestDatabase::~PgTestDatabase() {
  if (url_.empty()) return;
  auto admin = store::postgres::Connection::open({.url = server_url_});
  if (admin) (void)(*admin)->exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)", "dropping a test database");
}

}  // namespace billhook::testing
