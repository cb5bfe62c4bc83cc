#include "cli/client_commands.hpp"

#include <iostream>

namespace billhook::cli {

namespace {

void add_server_flags(CLI::App& cmd, std::string& server, std::string& api_key, std::string& output) {
  cmd.add_option("--server", server, "the billhook server's base URL")->envname("BILLHOOK_SERVER")->capture_default_str();
  cmd.add_option("--api-key", api_key, "an API key of that server")->envname("BILLHOOK_API_KEY");
  cmd.add_option("--output", output, "text or json")->capture_default_str();
}

}  // namespace

ClientCommands::ClientCommands(CLI::App& app) {
  listen_cmd_ = app.add_subcommand("listen", "forward a running server's webhooks to a local app, signed as an "
                                             "endpoint gets them, one line per webhook (Ctrl-C ends the session)");
  listen_cmd_->add_option("--forward-to", listen_.forward_to, "the local app's URL, e.g. http://localhost:3000/hooks")
      ->required();
  listen_cmd_->add_option("--events", listen_.events,
                          "comma-separated event types (aliases and invoice.* too); default: every type");
  listen_cmd_->add_option("--profile", listen_.profile, "a compatibility profile (lago, stripe, …); default: billhook");
  listen_cmd_->add_option("--session", listen_.session_id,
                          "resume this session (printed at start) after listen was killed, missing nothing");
  listen_cmd_->add_option("--server", listen_.server, "the billhook server's base URL")
      ->envname("BILLHOOK_SERVER")
      ->capture_default_str();
  listen_cmd_->add_option("--api-key", listen_.api_key, "an API key of that server")->envname("BILLHOOK_API_KEY");

  trigger_cmd_ = app.add_subcommand("trigger", "produce an event type through a running server's API, the way "
                                               "production does (a customer, a card, an invoice, …)");
  trigger_cmd_->add_option("event_type", trigger_.event_type, "the event type, e.g. invoice.payment_failed");
  trigger_cmd_->add_flag("--list", trigger_.list, "list the event types trigger can produce, and how");
  add_server_flags(*trigger_cmd_, trigger_.server, trigger_.api_key, trigger_.output);

  auto* events = app.add_subcommand("events", "the event log of a running server");
  events->require_subcommand(1);
  tail_cmd_ = events->add_subcommand("tail", "follow the event log, one line per event (JSON: one envelope a line)");
  tail_cmd_->add_option("--type", tail_.type, "only events of this type");
  tail_cmd_->add_option("--aggregate-id", tail_.aggregate_id, "only events about this resource");
  tail_cmd_->add_option("--count", tail_.count, "exit after this many events (default: follow)");
  tail_cmd_->add_flag("--from-start", tail_.from_start, "begin with the oldest event instead of the next one");
  add_server_flags(*tail_cmd_, flags_.server, flags_.api_key, flags_.output);

  auto* deliveries = app.add_subcommand("deliveries", "deliveries of a running server");
  deliveries->require_subcommand(1);
  retry_cmd_ = deliveries->add_subcommand("retry", "retry one delivery now");
  retry_cmd_->add_option("delivery_id", delivery_id_, "the delivery (dlv_…)")->required();
  add_server_flags(*retry_cmd_, flags_.server, flags_.api_key, flags_.output);
  recover_cmd_ = deliveries->add_subcommand("recover", "retry every failed delivery of an endpoint since a time");
  recover_cmd_->add_option("endpoint_id", endpoint_id_, "the endpoint (ep_…)")->required();
  recover_cmd_->add_option("--since", since_, "unix seconds: deliveries that failed since then")->required();
  add_server_flags(*recover_cmd_, flags_.server, flags_.api_key, flags_.output);
}

std::optional<int> ClientCommands::run() const {
  if (*listen_cmd_) return run_listen(listen_);
  if (*trigger_cmd_) {
    if (!trigger_.list && trigger_.event_type.empty()) {
      std::cerr << "billhook trigger: name an event type, or --list\n";
      return 2;
    }
    return run_trigger(trigger_);
  }
  if (*tail_cmd_) return run_events_tail(flags_, tail_);
  if (*retry_cmd_) return run_delivery_retry(flags_, delivery_id_);
  if (*recover_cmd_) return run_delivery_recover(flags_, endpoint_id_, since_);
  return std::nullopt;
}

}  // namespace billhook::cli
