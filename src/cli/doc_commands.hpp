#pragma once

// `billhook completion bash|zsh` prints a shell completion script, and the hidden `billhook manpage`
// the man page, both made from the command line's own definitions (cli/command_tree.hpp).

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

namespace billhook::cli {

class DocCommands {
 public:
  // Adds the subcommands to `app`; keep this object alive until run().
  explicit DocCommands(CLI::App& app);
  // After parsing: the exit code of the command that was chosen, or nullopt if neither was. `app` is the
  // whole command line, every command added.
  std::optional<int> run(const CLI::App& app, const std::string& version) const;

 private:
  std::string shell_;
  CLI::App* completion_cmd_ = nullptr;
  CLI::App* manpage_cmd_ = nullptr;
};

}  // namespace billhook::cli
