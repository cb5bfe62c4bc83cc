#include "cli/doc_commands.hpp"

#include <iostream>

#include "cli/command_tree.hpp"
#include "cli/completion.hpp"
#include "cli/man_page.hpp"

namespace billhook::cli {

namespace {

constexpr const char* kProgram = "billhook";

constexpr const char* kManDescription =
    "billhook is a self-hosted service that runs the invoice lifecycle of a business and tells other systems about "
    "every step of it by webhook: signed, delivered at least once, in order per invoice, with a full delivery "
    "history. billhook serve runs the API and the delivery engine; the other commands operate its store or talk "
    "to a running server through its API.";

// What the man page says beyond the options: the Debian package's files and where the rest is documented.
constexpr const char* kManSections = R"(.SH FILES
.TP
.I /etc/billhook/billhook.env
The settings of the billhook service, one BILLHOOK_ variable a line (Debian package).
.TP
.I /var/lib/billhook
The service's data directory: the SQLite store, unless BILLHOOK_DATABASE_URL names a PostgreSQL database.
.SH EXAMPLES
.nf
systemctl enable \-\-now billhook
journalctl \-u billhook | grep \-A3 'created an API key'
billhook trigger invoice.payment_failed \-\-api\-key KEY
.fi
.SH SEE ALSO
The README in billhook's sources: the API, webhook delivery, operating and several nodes.
)";

}  // namespace

DocCommands::DocCommands(CLI::App& app) {
  completion_cmd_ = app.add_subcommand("completion", "print the shell completion script for bash or zsh "
                                                     "(source <(billhook completion bash))");
  completion_cmd_->add_option("shell", shell_, "bash or zsh")->required()->check(CLI::IsMember({"bash", "zsh"}));
  // Run by the build to write billhook.1; not for users, so hidden from --help and the completions.
  manpage_cmd_ = app.add_subcommand("manpage", "print the man page (roff)")->group("");
}

std::optional<int> DocCommands::run(const CLI::App& app, const std::string& version) const {
  if (!*completion_cmd_ && !*manpage_cmd_) return std::nullopt;
  const CommandDoc tree = describe(app, kProgram);
  if (*manpage_cmd_) std::cout << man_page(tree, {version, kManDescription, kManSections});
  else std::cout << (shell_ == "bash" ? bash_completion(tree) : zsh_completion(tree));
  return 0;
}

}  // namespace billhook::cli
