#include "app/data_dir.hpp"

#include <filesystem>

#include <fmt/format.h>

namespace billhook::app {

core::Result<std::string> prepare_data_dir(const std::string& data_dir) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec)
    return core::Error::invalid("invalid_config", fmt::format("--data-dir (or BILLHOOK_DATA_DIR): cannot create '{}': {}",
                                                              data_dir, ec.message()));
  return (std::filesystem::path(data_dir) / "billhook.db").string();
}

}  // namespace billhook::app
