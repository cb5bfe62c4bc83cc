#include "core/log.hpp"

#include <atomic>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace billhook::core::log {
namespace {

std::atomic<bool> g_json{false};

std::shared_ptr<spdlog::logger> logger() {
  static const auto instance = [] {
    auto l = spdlog::stderr_logger_mt("billhook");
    l->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
    l->flush_on(spdlog::level::warn);
    return l;
  }();
  return instance;
}

spdlog::level::level_enum to_spdlog(Level level) {
  switch (level) {
    case Level::debug: return spdlog::level::debug;
    case Level::info: return spdlog::level::info;
    case Level::warn: return spdlog::level::warn;
    case Level::error: return spdlog::level::err;
  }
  return spdlog::level::info;
}

bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v)
    if (c <= ' ' || c == '"' || c == '=' || c == '\\') return true;
  return false;
}

std::string json_string(std::string_view s) { return boost::json::serialize(boost::json::string(s)); }

}  // namespace

void configure(Level level, bool json) {
  g_json = json;
  auto l = logger();
  l->set_level(to_spdlog(level));
  if (json) l->set_pattern("{\"ts\":\"%Y-%m-%dT%H:%M:%S.%eZ\",\"level\":\"%l\",%v}", spdlog::pattern_time_type::utc);
  else l->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
}

Level parse_level(std::string_view name) {
  if (name == "debug") return Level::debug;
  if (name == "warn") return Level::warn;
  if (name == "error") return Level::error;
  return Level::info;
}

void write(Level level, std::string_view message, std::initializer_list<Field> fields) {
  auto l = logger();
  if (!l->should_log(to_spdlog(level))) return;
  std::string line;
  if (g_json) {
    line = "\"msg\":" + json_string(message);
    for (const auto& f : fields) line += "," + json_string(f.key) + ":" + json_string(f.value);
  } else {
    line.assign(message);
    for (const auto& f : fields) {
      line.append(" ").append(f.key).append("=");
      line += needs_quotes(f.value) ? json_string(f.value) : f.value;
    }
  }
  l->log(to_spdlog(level), line);
}

}  // namespace billhook::core::log
