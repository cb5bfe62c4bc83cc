#include "app/prune.hpp"

#include <ctime>

#include <fmt/format.h>

#include "app/open_store.hpp"
#include "store/retention.hpp"

namespace billhook::app {
namespace {

std::string utc(int64_t unix_ms) {
  const std::time_t seconds = unix_ms / 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return out;
}

}  // namespace

core::Result<std::string> prune(const core::ServeConfig& config, bool dry_run, const core::Clock& clock) {
  if (auto s = core::validate_database_url(config.database_url); !s) return std::move(s).error();
  if (config.retention_days == 0)
    return core::Error::invalid("invalid_config",
                                "--retention-days (or BILLHOOK_RETENTION_DAYS) is 0, which keeps everything: name "
                                "the retention to prune by, from 1 to 36500 days");
  if (config.retention_days > 36500)
    return core::Error::invalid("invalid_config", "--retention-days (or BILLHOOK_RETENTION_DAYS) must be from 1 to 36500");
  auto opened = open_store(config, clock, /*coordinate=*/false, /*lock_sqlite=*/!dry_run);
  if (!opened) {
    if (opened.error().code == "data_dir_in_use")
      return core::Error::invalid("data_dir_in_use",
                                  fmt::format("{} is in use by a running billhook, which prunes by itself every 10 "
                                              "minutes; stop it to prune by hand, or look with --dry-run",
                                              config.data_dir));
    return std::move(opened).error();
  }
  auto& store = *opened->store;
  const auto cutoffs = store::retention_cutoffs(core::to_unix_ms(clock.now()), config.retention_days);
  auto counted = store.count_prunable(cutoffs.events_before_ms, cutoffs.keys_before_ms);
  if (!counted) return std::move(counted).error();
  std::string report = fmt::format(
      "retention {} days: events created before {} whose deliveries all succeeded (or were cancelled), with their "
      "deliveries and attempts, and idempotency keys created before {}\n",
      config.retention_days, utc(cutoffs.events_before_ms), utc(cutoffs.keys_before_ms));
  store::PruneCounts done = *counted;
  if (!dry_run) {
    auto pruned = store::prune(store, cutoffs);
    if (!pruned) return std::move(pruned).error();
    done = *pruned;
    done.kept_events = counted->kept_events;
  }
  report += fmt::format("{}: {} events, {} deliveries, {} attempts, {} idempotency keys\n",
                        dry_run ? "would delete" : "deleted", done.events, done.deliveries, done.attempts,
                        done.idempotency_keys);
  report += fmt::format("kept past retention: {} events with a pending, retrying or failed delivery", done.kept_events);
  if (dry_run) report += "\ndry run: nothing was deleted";
  return report;
}

}  // namespace billhook::app
