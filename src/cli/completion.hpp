#pragma once

// Shell completion scripts for a command tree: `billhook completion bash|zsh` prints them, and the Debian
// package installs them where bash-completion and zsh look.

#include <string>

#include "cli/command_tree.hpp"

namespace billhook::cli {

// A bash script defining _<program> and registering it with `complete`: subcommands, then each command's
// options; an option's value and an argument fall back to file names.
std::string bash_completion(const CommandDoc& root);

// A zsh script (#compdef <program>, for a file named _<program> on $fpath) that offers the same, with
// each subcommand's and option's description.
std::string zsh_completion(const CommandDoc& root);

}  // namespace billhook::cli
