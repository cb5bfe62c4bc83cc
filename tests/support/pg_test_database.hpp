#pragma once

// A fresh PostgreSQL database per test, on the server named by BILLHOOK_TEST_DATABASE_URL
// (scripts/pg.sh starts a throwaway one; scripts/test.sh exports the variable).
//
// Without the variable the PostgreSQL tests are skipped with a message, except under CI=true,
// where they fail: CI must never pass by silently skipping them. Use BILLHOOK_REQUIRE_POSTGRES()
// at the start of a test or SetUp().

#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace billhook::testing {

// The server's URL, if the environment names one.
std::optional<std::string> test_database_server_url();

// `url` with its database name replaced by `database`.
std::string with_database(std::string_view url, std::string_view database);

// Why PostgreSQL tests cannot run here, for the skip or failure message.
std::string postgres_unavailable_message();

inline bool running_in_ci() {
  const char* ci = std::getenv("CI");
  return ci && std::string_view(ci) == "true";
}

// Creates a database with a unique name on the test server and drops it (with any connections
// left) when destroyed. `url()` is empty when no server is configured.
class PgTestDatabase {
 public:
  PgTestDatabase();
  ~PgTestDatabase();
  PgTestDatabase(const PgTestDatabase&) = delete;
  PgTestDatabase& operator=(const PgTestDatabase&) = delete;

  bool available() const { return !url_.empty(); }
  const std::string& url() const { return url_; }
  // Why creating the database failed, if it did.
  const std::string& error() const { return error_; }

 private:
  std::string server_url_;
  std::string name_;
  std::string url_;
  std::string error_;
};

}  // namespace billhook::testing

// Skips the current test (or fails it under CI=true) when no PostgreSQL server is configured.
#define BILLHOOK_REQUIRE_POSTGRES()                                                       \
  do {                                                                                    \
    if (!::billhook::testing::test_database_server_url()) {                               \
      if (::billhook::testing::running_in_ci()) {                                         \
        FAIL() << ::billhook::testing::postgres_unavailable_message();                    \
      } else {                                                                            \
        GTEST_SKIP() << ::billhook::testing::postgres_unavailable_message();              \
      }                                                                                   \
    }                                                                                     \
  } while (0)
