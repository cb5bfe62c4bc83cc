#include "app/migrate.hpp"

#include "app/open_store.hpp"
#include "core/clock.hpp"

namespace billhook::app {

core::Status migrate(const core::ServeConfig& config) {
  if (auto s = core::validate_database_url(config.database_url); !s) return s;
  core::SystemClock clock;
  auto opened = open_store(config, clock, /*coordinate=*/false);
  if (!opened) return std::move(opened).error();
  return {};
}

}  // namespace billhook::app
