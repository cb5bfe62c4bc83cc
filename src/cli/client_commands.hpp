#pragma once

// The commands that talk to a running server through its API (`listen`, `trigger`, `events tail`, `deliveries …`),
// added to the `billhook` command line.

#include <optional>

#include <CLI/CLI.hpp>

#include "cli/listen_command.hpp"
#include "cli/ops_commands.hpp"
#include "cli/trigger_command.hpp"

namespace billhook::cli {

class ClientCommands {
 public:
  // Adds the subcommands to `app`; keep this object alive until run().
  explicit ClientCommands(CLI::App& app);
  // After parsing: the exit code of the client command that was chosen, or nullopt if none was.
  std::optional<int> run() const;

 private:
  TriggerOptions trigger_;
  ListenOptions listen_;
  ServerFlags flags_;
  TailOptions tail_;
  std::string delivery_id_;
  std::string endpoint_id_;
  int64_t since_ = 0;
  CLI::App* trigger_cmd_ = nullptr;
  CLI::App* listen_cmd_ = nullptr;
  CLI::App* tail_cmd_ = nullptr;
  CLI::App* retry_cmd_ = nullptr;
  CLI::App* recover_cmd_ = nullptr;
};

}  // namespace billhook::cli
