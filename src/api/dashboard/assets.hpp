#pragma once

// The dashboard's files (api/dashboard/assets/), compiled into the binary by CMake
// (billhook_embed_assets): the page works with no network and no files beside the binary.

#include <span>
#include <string_view>

namespace billhook::api::dashboard {

struct Asset {
  std::string_view name;   // path below assets/, e.g. "pages/endpoints.js"
  std::string_view bytes;
};

std::span<const Asset> assets();

}  // namespace billhook::api::dashboard
