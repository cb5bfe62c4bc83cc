#pragma once

// What the browser tests share: Debian's headless chromium (driven by tests/support/*.mjs through npm's
// puppeteer-core), where they photograph pages, and the JSON a script prints as what it saw.

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

namespace billhook::testing {

// Chromium is required under CI=true (scripts/setup.sh installs it) and skips the test elsewhere. A
// fatal failure or a skip here only leaves this function: callers return when
// IsSkipped() || HasFatalFailure().
inline void require_chromium() {
  const char* chosen = std::getenv("BILLHOOK_CHROMIUM");
  if (std::filesystem::exists(chosen ? chosen : "/usr/bin/chromium")) return;
  if (std::getenv("CI")) FAIL() << "chromium is missing: scripts/setup.sh installs it";
  GTEST_SKIP() << "chromium is not installed (scripts/setup.sh installs it)";
}

inline bool chromium_missing() { return ::testing::Test::IsSkipped() || ::testing::Test::HasFatalFailure(); }

// Where a browser test photographs pages: $BILLHOOK_SCREENSHOT_DIR if set (scripts/screenshots.sh sets
// docs/screenshots/), kept; else a scratch directory named after `name` and this process, removed with this.
class ScreenshotDir {
 public:
  explicit ScreenshotDir(std::string_view name) {
    const char* chosen = std::getenv("BILLHOOK_SCREENSHOT_DIR");
    scratch_ = chosen == nullptr;
    path_ = chosen ? std::filesystem::path(chosen)
                   : std::filesystem::temp_directory_path() / (std::string(name) + "-" + std::to_string(::getpid()));
    std::filesystem::create_directories(path_);
  }
  ~ScreenshotDir() {
    std::error_code ignored;
    if (scratch_) std::filesystem::remove_all(path_, ignored);
  }
  ScreenshotDir(const ScreenshotDir&) = delete;
  ScreenshotDir& operator=(const ScreenshotDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  bool scratch_ = true;
};

// The JSON object a browser script prints as its last line; anything before it is the browser's own chatter.
inline boost::json::object last_json_line(const std::string& output) {
  const size_t last = output.rfind("\n{");
  return boost::json::parse(output.substr(last == std::string::npos ? 0 : last + 1)).as_object();
}

}  // namespace billhook::testing
