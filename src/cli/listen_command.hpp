#pragma once

// `billhook listen`: a temporary endpoint on a running server whose webhooks are forwarded to a local app.

#include <string>

namespace billhook::cli {

struct ListenOptions {
  std::string server = "http://127.0.0.1:8080";
  std::string api_key;
  std::string forward_to;  // the local app's URL, http(s)
  std::string events;      // comma-separated event types (names, aliases, `invoice.*`); empty: every type
  std::string profile;     // a compatibility profile; empty: billhook's own envelope
  std::string session_id;  // resume this session (after a crash) instead of creating one
};

// Creates (or resumes) a listen session, prints its signing secret, then forwards each webhook to
// `forward_to` and reports the local app's answer as the attempt's result, one line per webhook, until
// SIGINT or SIGTERM, when it deletes the session. Reconnects by itself, with backoff, when the server goes
// away. Exit codes: 0 after a signal, 1 when the server refuses (bad input, unknown or expired session),
// 2 for bad flags.
int run_listen(const ListenOptions& options);

}  // namespace billhook::cli
