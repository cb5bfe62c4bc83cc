#pragma once

#include "core/config.hpp"
#include "core/result.hpp"

namespace billhook::app {

// Reads --api-key-file into config.api_key, so that the key never appears on a command line (where
// `ps` shows it to every user of the machine). The key is the file's first line, without its line end;
// it is checked as --api-key is, with errors naming --api-key-file. Nothing happens without the flag.
core::Status load_api_key_file(core::ServeConfig& config);

}  // namespace billhook::app
