#pragma once

// The command line as data — every command, its subcommands, options and arguments with their help text —
// read from the CLI11 tree, so that the shell completions and the man page are made from the very definitions
// that parse the arguments and cannot drift from them.

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace billhook::cli {

struct OptionDoc {
  std::vector<std::string> names;  // "--data-dir", "-h": long names first
  std::string value_name;          // "TEXT", "UINT", …; empty for a flag
  std::string description;
  std::string envname;        // empty if none
  std::string default_value;  // empty if none shown
  bool help = false;          // CLI11's -h,--help, which every command has
};

struct ArgumentDoc {
  std::string name;  // "DEST", "event_type"
  std::string description;
  bool required = false;
};

struct CommandDoc {
  std::string name;          // "billhook", "serve", "tail"
  std::string path;          // "billhook events tail"
  std::string description;
  std::vector<OptionDoc> options;
  std::vector<ArgumentDoc> arguments;
  std::vector<CommandDoc> subcommands;  // in the order they were added
};

// The tree under `app`, named `program` at its root. Hidden commands and options (no group) are left out.
CommandDoc describe(const CLI::App& app, const std::string& program);

}  // namespace billhook::cli
