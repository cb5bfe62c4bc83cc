#pragma once

// Runs the real `billhook` binary as a child process for integration tests.
//
// A ServerProcess spawns `billhook serve --listen 127.0.0.1:0` on a fresh temporary data
// directory, waits on its stdout pipe for the "billhook listening on http://HOST:PORT" line and
// parses the port from it. stderr (the logs) goes to a file so that a failure can show it.
// Only the pid this object spawned is ever signalled. The child is killed if the thread that
// started it exits (PR_SET_PDEATHSIG), so a crashed test leaves no server behind: start and
// restart servers from the test's main thread. Errors are thrown as std::runtime_error
// whose message carries the captured stderr, so GoogleTest shows why a server did not start.

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace billhook::testing {

// The path of the billhook binary under test: $BILLHOOK_TEST_BINARY if set, else BILLHOOK_BINARY
// (compiled in by CMake).
std::string billhook_binary();

using EnvVars = std::vector<std::pair<std::string, std::string>>;

struct ServerOptions {
  // The key passed as --api-key; std::nullopt starts the server without one (it then mints and
  // prints a key on its first start).
  std::optional<std::string> api_key = std::string(kDefaultApiKey);
  // Extra `serve` flags, e.g. {"--max-body-bytes", "4096"}.
  std::vector<std::string> extra_args;
  // Extra environment variables for the child. Inherited BILLHOOK_* variables are always dropped.
  EnvVars env;
  // How long to wait for the "listening on" line. A hang, not a slow start, is what it catches: an instrumented
  // server that a loaded 2-core machine shares with chromium and two other tests has needed more than 20 s.
  std::chrono::milliseconds ready_timeout{60'000};
  // Keep the temporary directory (data dir and logs) after the object is destroyed.
  bool keep_data_dir = false;
  // Use this data directory instead of a fresh one; it is never removed by the harness.
  std::optional<std::filesystem::path> data_dir;
  // RLIMIT_NOFILE (soft and hard) for the server, e.g. 256 to run it out of descriptors quickly.
  std::optional<uint64_t> open_file_limit;

  static constexpr const char* kDefaultApiKey = "testkey-0123456789abcdef";
};

class ServerProcess {
 public:
  // Starts the server and returns once it is listening; throws if it exits or is not ready in time.
  explicit ServerProcess(ServerOptions options = {});
  // Stops the server if it still runs (SIGTERM, then SIGKILL) and removes the temporary directory.
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  uint16_t port() const { return port_; }
  std::string base_url() const;
  // The key to authenticate with: --api-key, or the one the server printed on its first start.
  const std::string& api_key() const { return api_key_; }
  const std::filesystem::path& data_dir() const { return data_dir_; }
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }

  // Everything the current process wrote to stdout up to and including the ready line.
  const std::string& startup_output() const { return startup_output_; }
  // Everything written to stdout by the current process so far.
  std::string stdout_text() const;
  // The logs of every start of this server so far (stderr is appended to one file).
  std::string stderr_text() const;

  // SIGTERM and wait for the exit (SIGKILL once `timeout` has passed). Returns the exit code, or
  // 128 + signal if it died of a signal. Throws if it had to be killed.
  int stop(std::chrono::milliseconds timeout = std::chrono::seconds(15));
  // SIGKILL and reap: a crash with no chance to flush anything.
  void kill9();
  // Starts again on the same data directory and a new port (stopping it first if it runs).
  void restart();

 private:
  void spawn();
  int wait_for_exit(std::chrono::milliseconds timeout);
  void finish_output_reader();
  [[noreturn]] void fail(const std::string& why);

  ServerOptions options_;
  std::filesystem::path root_;  // temporary directory holding data/ and stderr.log
  std::filesystem::path data_dir_;
  std::filesystem::path stderr_path_;
  std::string api_key_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string startup_output_;

  struct OutputReader;  // drains stdout after the ready line so the child never blocks on it
  std::unique_ptr<OutputReader> reader_;
};

// The result of running `billhook <args>` to completion.
struct CommandResult {
  int exit_code = -1;      // 128 + signal if killed by a signal
  bool timed_out = false;  // killed because it ran longer than the timeout
  std::string stdout_text;
  std::string stderr_text;
  std::chrono::milliseconds elapsed{0};
};

// Runs the billhook binary with `args` (no --api-key or other flags are added), waits for it to
// exit, and collects its output. A process still running after `timeout` is killed.
CommandResult run_billhook(const std::vector<std::string>& args,
                           std::chrono::milliseconds timeout = std::chrono::seconds(20), const EnvVars& env = {});

// `billhook <args>` running in the background (e.g. `listen`), its output collected as it comes. Only the
// pid it spawned is ever signalled; it is killed if still running when the object goes, and dies with the
// thread that started it (PR_SET_PDEATHSIG).
class CommandProcess {
 public:
  explicit CommandProcess(const std::vector<std::string>& args, const EnvVars& env = {});
  ~CommandProcess();
  CommandProcess(const CommandProcess&) = delete;
  CommandProcess& operator=(const CommandProcess&) = delete;

  pid_t pid() const { return pid_; }
  std::string stdout_text() const;
  std::string stderr_text() const;
  // Blocks until `done(stdout so far)` holds, re-checked on each output, or `timeout` passes (or the
  // process has exited and closed its output). Answers whether it held.
  bool wait_for_stdout(const std::function<bool(const std::string&)>& done, std::chrono::milliseconds timeout) const;
  // Sends `signal` (SIGINT, SIGTERM) and waits for the exit: its code, or 128 + signal; -1 if it had to be
  // killed after `timeout`.
  int stop(int signal, std::chrono::milliseconds timeout = std::chrono::seconds(15));
  // SIGKILL and reap: no chance to clean up.
  void kill9();

 private:
  void read_output(int out_fd, int err_fd);

  pid_t pid_ = -1;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::string stdout_;
  std::string stderr_;
  bool closed_ = false;
  std::thread reader_;
};

// A fresh directory under $TMPDIR (or /tmp), removed when the object is destroyed.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace billhook::testing
