#include "app/api_key_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

#include <fmt/format.h>

namespace billhook::app {
namespace {

core::Error file_error(std::string message) {
  return core::Error::invalid("invalid_config", "--api-key-file (or BILLHOOK_API_KEY_FILE): " + std::move(message),
                              "api-key-file");
}

}  // namespace

core::Status load_api_key_file(core::ServeConfig& config) {
  if (config.api_key_file.empty()) return {};
  if (!config.api_key.empty())
    return file_error("give the key once: --api-key (or BILLHOOK_API_KEY) or --api-key-file, not both");
  std::ifstream in(config.api_key_file, std::ios::binary);
  if (!in) return file_error(fmt::format("cannot read '{}': {}", config.api_key_file, std::strerror(errno)));
  std::string key;
  std::getline(in, key);
  // Files written by editors and `echo` end in a line end, which is not part of the key.
  if (!key.empty() && key.back() == '\r') key.pop_back();
  if (key.empty()) return file_error(fmt::format("'{}' is empty; write the key on its first line", config.api_key_file));
  if (auto s = core::validate_api_key(key, "api-key-file", "BILLHOOK_API_KEY_FILE"); !s) return s;
  config.api_key = std::move(key);
  config.api_key_file.clear();  // the key is now in api_key; validate() refuses both set
  return {};
}

}  // namespace billhook::app
