#pragma once

// Runs a Node script of tests/support/ to completion (a browser driver, say) and hands back what it
// printed. Only the pid it spawned is ever signalled: on timeout it is killed, and it dies with the
// thread that started it.

#include <chrono>
#include <string>
#include <vector>

namespace billhook::testing {

struct ScriptResult {
  int exit_code = -1;  // -1: killed (timeout) or did not exit normally
  std::string output;  // its standard output
};

ScriptResult run_node_script(const std::string& script, const std::vector<std::string>& args,
                             std::chrono::seconds timeout);

// tests/support/<name>, for scripts and tools that live there.
std::string test_support_path(const std::string& name);

}  // namespace billhook::testing
