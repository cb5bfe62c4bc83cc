#pragma once

// The man page of a command tree, in roff (man(7) macros): every command with its arguments and options,
// their environment variables and defaults. The build writes it (`billhook manpage`) and the Debian
// package installs it as billhook.1.gz.

#include <string>

#include "cli/command_tree.hpp"

namespace billhook::cli {

struct ManPageText {
  std::string version;          // in the footer
  std::string description;      // the DESCRIPTION section's first paragraph (plain text)
  std::string extra_sections;   // roff appended as is (FILES, EXAMPLES, …)
};

std::string man_page(const CommandDoc& root, const ManPageText& text);

// `text` safe as roff body text: backslashes and hyphens escaped, a line that starts with a control
// character (. or ') defused.
std::string roff_escape(const std::string& text);

}  // namespace billhook::cli
