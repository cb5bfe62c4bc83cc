#include "support/server_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/wait.hpp"

extern char** environ;

namespace billhook::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::string_view kReadyMarker = "billhook listening on http://";

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// A file descriptor closed when it goes out of scope.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  Fd read;
  Fd write;
};

Pipe make_pipe() {
  int fds[2];
  // O_CLOEXEC: a child spawned by another thread at the same time must not inherit our ends.
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(errno_text("pipe2"));
  return Pipe{Fd(fds[0]), Fd(fds[1])};
}

milliseconds remaining(Clock::time_point deadline) {
  return std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
}

// The child's environment: ours without BILLHOOK_* (so the developer's shell cannot change a
// test), plus `extra`.
std::vector<std::string> child_environment(const EnvVars& extra) {
  std::vector<std::string> out;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    if (entry.starts_with("BILLHOOK_")) continue;
    bool overridden = false;
    for (const auto& [name, value] : extra) overridden = overridden || entry.starts_with(name + "=");
    if (!overridden) out.emplace_back(entry);
  }
  for (const auto& [name, value] : extra) out.push_back(name + "=" + value);
  return out;
}

std::vector<char*> c_strings(std::vector<std::string>& items) {
  std::vector<char*> out;
  for (auto& s : items) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// fork + exec of the billhook binary with stdin from /dev/null and the given stdout/stderr.
// The child is killed if the thread that spawned it dies (PR_SET_PDEATHSIG), so a crashed test
// run leaves no server behind.
pid_t spawn(std::vector<std::string> args, const EnvVars& env, int stdout_fd, int stderr_fd,
            std::optional<uint64_t> open_file_limit = std::nullopt) {
  args.insert(args.begin(), billhook_binary());
  auto environment = child_environment(env);
  auto argv = c_strings(args);
  auto envp = c_strings(environment);
  const pid_t parent = ::getpid();
  Fd dev_null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (dev_null.get() < 0) throw std::runtime_error(errno_text("open /dev/null"));

  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(errno_text("fork"));
  if (pid == 0) {
    // Only async-signal-safe calls from here on.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig : {SIGTERM, SIGINT, SIGPIPE}) ::signal(sig, SIG_DFL);
    if (::dup2(dev_null.get(), 0) < 0 || ::dup2(stdout_fd, 1) < 0 || ::dup2(stderr_fd, 2) < 0) ::_exit(126);
    if (open_file_limit) {
      // Soft and hard, so that the server cannot raise it back: descriptors run out after a few hundred.
      const rlimit limit{static_cast<rlim_t>(*open_file_limit), static_cast<rlim_t>(*open_file_limit)};
      if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) ::_exit(126);
    }
    ::execve(argv[0], argv.data(), envp.data());
    constexpr char kMessage[] = "server_process: execve of the billhook binary failed\n";
    [[maybe_unused]] auto ignored = ::write(2, kMessage, sizeof kMessage - 1);
    ::_exit(127);
  }
  return pid;
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Waits up to `timeout` for `pid` to exit and reaps it. Returns its decoded status, or
// std::nullopt if it still runs. Waits on a pidfd, so there is no polling (unless the kernel has
// no pidfd: then it looks every 5 ms).
std::optional<int> wait_pid(pid_t pid, milliseconds timeout) {
  std::optional<int> exited;
  auto reaped = [&] {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) exited = decode_status(status);
    if (r < 0 && errno != EINTR) throw std::runtime_error(errno_text("waitpid"));
    return exited.has_value();
  };
  Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (pidfd.get() < 0) {
    poll_until(reaped, timeout, milliseconds(5));
    return exited;
  }
  const auto deadline = Clock::now() + timeout;
  while (!reaped()) {
    const auto left = remaining(deadline);
    if (left.count() == 0) return std::nullopt;
    pollfd p{pidfd.get(), POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(left.count()));
  }
  return exited;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::filesystem::path make_temp_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/billhook-test-XXXXXX";
  if (!::mkdtemp(pattern.data())) throw std::runtime_error(errno_text("mkdtemp"));
  return pattern;
}

// Finds the port in "billhook listening on http://HOST:PORT\n" (HOST may be [v6]).
std::optional<uint16_t> parse_ready_line(std::string_view output) {
  const size_t at = output.find(kReadyMarker);
  if (at == std::string_view::npos) return std::nullopt;
  const size_t end = output.find('\n', at);
  if (end == std::string_view::npos) return std::nullopt;
  std::string_view url = output.substr(at + kReadyMarker.size(), end - at - kReadyMarker.size());
  if (!url.empty() && url.back() == '\r') url.remove_suffix(1);
  const size_t colon = url.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  unsigned port = 0;
  const auto text = url.substr(colon + 1);
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc() || ptr != text.data() + text.size() || port == 0 || port > 65535) return std::nullopt;
  return static_cast<uint16_t>(port);
}

std::string join(const std::vector<std::string>& args) {
  std::string out;
  for (const auto& a : args) out += (out.empty() ? "" : " ") + a;
  return out;
}

}  // namespace

std::string billhook_binary() {
  // BILLHOOK_TEST_BINARY runs the suite against another build of the server.
  if (const char* path = std::getenv("BILLHOOK_TEST_BINARY"); path && *path) return path;
#ifdef BILLHOOK_BINARY
  return BILLHOOK_BINARY;
#else
  throw std::runtime_error("the billhook binary is unknown: build with BILLHOOK_BINARY or set BILLHOOK_TEST_BINARY");
#endif
}

// Reads the child's stdout after the ready line until EOF, so a later print never blocks it.
struct ServerProcess::OutputReader {
  Fd fd;
  mutable std::mutex mutex;
  std::string text;
  std::thread thread;

  OutputReader(Fd f, std::string already) : fd(std::move(f)), text(std::move(already)) {
    thread = std::thread([this] {
      char buffer[4096];
      for (;;) {
        const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        std::lock_guard lock(mutex);
        text.append(buffer, static_cast<size_t>(n));
      }
    });
  }
  // Call only once the child has exited (its end of the pipe is then closed).
  void join() {
    if (thread.joinable()) thread.join();
  }
  ~OutputReader() { join(); }
  std::string snapshot() const {
    std::lock_guard lock(mutex);
    return text;
  }
};

ServerProcess::ServerProcess(ServerOptions options) : options_(std::move(options)) {
  root_ = make_temp_dir();
  data_dir_ = options_.data_dir ? *options_.data_dir : root_ / "data";
  stderr_path_ = root_ / "stderr.log";
  if (options_.api_key) api_key_ = *options_.api_key;
  try {
    spawn();
  } catch (...) {
    if (!options_.keep_data_dir) {
      std::error_code ec;
      std::filesystem::remove_all(root_, ec);
    }
    throw;
  }
}

ServerProcess::~ServerProcess() {
  if (running()) {
    try {
      stop();
    } catch (...) {
      // Already killed by stop(); a destructor must not throw.
    }
  }
  reader_.reset();
  if (!options_.keep_data_dir) {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
}

std::string ServerProcess::base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

std::string ServerProcess::stdout_text() const { return reader_ ? reader_->snapshot() : startup_output_; }

std::string ServerProcess::stderr_text() const { return read_file(stderr_path_); }

void ServerProcess::fail(const std::string& why) {
  std::string message = "billhook server: " + why + "\n--- stdout ---\n" + startup_output_ + "\n--- stderr (" +
                        stderr_path_.string() + ") ---\n" + stderr_text();
  throw std::runtime_error(message);
}

void ServerProcess::spawn() {
  std::vector<std::string> args{"serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir_.string()};
  if (options_.api_key) {
    args.emplace_back("--api-key");
    args.push_back(*options_.api_key);
  }
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());

  Fd err(::open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (err.get() < 0) throw std::runtime_error(errno_text("open stderr log"));
  Pipe out = make_pipe();
  startup_output_.clear();
  port_ = 0;
  pid_ = billhook::testing::spawn(args, options_.env, out.write.get(), err.get(), options_.open_file_limit);
  out.write.reset();  // so that EOF means the child is gone

  const auto deadline = Clock::now() + options_.ready_timeout;
  std::optional<uint16_t> port;
  while (!port) {
    const auto left = remaining(deadline);
    if (left.count() == 0) {
      kill9();
      fail("not ready within " + std::to_string(options_.ready_timeout.count()) + " ms (" + join(args) + ")");
    }
    pollfd p{out.read.get(), POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno != EINTR) throw std::runtime_error(errno_text("poll"));
    if (r <= 0) continue;
    char buffer[4096];
    const ssize_t n = ::read(out.read.get(), buffer, sizeof buffer);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {
      // stdout closed before the ready line: the server is exiting.
      const auto status = wait_pid(pid_, std::chrono::seconds(5));
      if (!status) {
        kill9();
        fail("closed stdout without becoming ready (" + join(args) + ")");
      }
      pid_ = -1;
      fail("exited with status " + std::to_string(*status) + " before becoming ready (" + join(args) + ")");
    }
    startup_output_.append(buffer, static_cast<size_t>(n));
    port = parse_ready_line(startup_output_);
  }
  port_ = *port;
  if (!options_.api_key && api_key_.empty()) {
    // First start without --api-key: the server prints the key it minted.
    const size_t at = startup_output_.find("bhk_");
    if (at != std::string::npos) {
      const size_t end = startup_output_.find_first_not_of("0123456789abcdefghijklmnopqrstuvwxyz_", at);
      api_key_ = startup_output_.substr(at, end - at);
    }
  }
  // Keep draining stdout so that the child never blocks writing to a full pipe.
  reader_ = std::make_unique<OutputReader>(std::move(out.read), startup_output_);
}

void ServerProcess::finish_output_reader() {
  if (reader_) reader_->join();
}

int ServerProcess::stop(milliseconds timeout) {
  if (!running()) return -1;
  ::kill(pid_, SIGTERM);
  auto status = wait_pid(pid_, timeout);
  if (!status) {
    kill9();
    fail("did not exit within " + std::to_string(timeout.count()) + " ms of SIGTERM; killed it");
  }
  pid_ = -1;
  finish_output_reader();
  return *status;
}

void ServerProcess::kill9() {
  if (!running()) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  finish_output_reader();
}

void ServerProcess::restart() {
  if (running()) stop();
  reader_.reset();
  spawn();
}

CommandResult run_billhook(const std::vector<std::string>& args, milliseconds timeout, const EnvVars& env) {
  CommandResult result;
  Pipe out = make_pipe();
  Pipe err = make_pipe();
  const auto started = Clock::now();
  const auto deadline = started + timeout;
  const pid_t pid = spawn(args, env, out.write.get(), err.write.get());
  out.write.reset();
  err.write.reset();

  Fd* fds[2] = {&out.read, &err.read};
  std::string* sinks[2] = {&result.stdout_text, &result.stderr_text};
  for (;;) {
    std::vector<pollfd> polls;
    for (auto* fd : fds)
      if (fd->get() >= 0) polls.push_back(pollfd{fd->get(), POLLIN, 0});
    if (polls.empty()) break;
    const auto left = remaining(deadline);
    if (left.count() == 0) {
      result.timed_out = true;
      break;
    }
    const int r = ::poll(polls.data(), polls.size(), static_cast<int>(left.count()));
    if (r < 0 && errno != EINTR) throw std::runtime_error(errno_text("poll"));
    for (int i = 0; i < 2; ++i) {
      if (fds[i]->get() < 0) continue;
      for (const auto& p : polls) {
        if (p.fd != fds[i]->get() || p.revents == 0) continue;
        char buffer[4096];
        const ssize_t n = ::read(p.fd, buffer, sizeof buffer);
        if (n > 0) {
          sinks[i]->append(buffer, static_cast<size_t>(n));
        } else if (n == 0 || errno != EINTR) {
          fds[i]->reset();
        }
      }
    }
  }
  auto status = wait_pid(pid, remaining(deadline));
  if (!status) {
    result.timed_out = true;
    ::kill(pid, SIGKILL);
    status = wait_pid(pid, std::chrono::seconds(10));
  }
  result.exit_code = status.value_or(-1);
  result.elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - started);
  return result;
}

CommandProcess::CommandProcess(const std::vector<std::string>& args, const EnvVars& env) {
  Pipe out = make_pipe();
  Pipe err = make_pipe();
  pid_ = spawn(args, env, out.write.get(), err.write.get());
  out.write.reset();
  err.write.reset();
  reader_ = std::thread([this, o = out.read.release(), e = err.read.release()] { read_output(o, e); });
}

CommandProcess::~CommandProcess() {
  if (pid_ > 0) kill9();
  if (reader_.joinable()) reader_.join();
}

void CommandProcess::read_output(int out_fd, int err_fd) {
  Fd out(out_fd), err(err_fd);
  Fd* fds[2] = {&out, &err};
  std::string* sinks[2] = {&stdout_, &stderr_};
  for (;;) {
    std::vector<pollfd> polls;
    for (auto* fd : fds)
      if (fd->get() >= 0) polls.push_back(pollfd{fd->get(), POLLIN, 0});
    if (polls.empty()) break;
    if (::poll(polls.data(), polls.size(), -1) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      for (const auto& p : polls) {
        if (fds[i]->get() < 0 || p.fd != fds[i]->get() || p.revents == 0) continue;
        char buffer[4096];
        const ssize_t n = ::read(p.fd, buffer, sizeof buffer);
        if (n > 0) {
          std::lock_guard lock(mutex_);
          sinks[i]->append(buffer, static_cast<size_t>(n));
        } else if (n == 0 || errno != EINTR) {
          fds[i]->reset();
        }
      }
    }
    changed_.notify_all();
  }
  std::lock_guard lock(mutex_);
  closed_ = true;
  changed_.notify_all();
}

std::string CommandProcess::stdout_text() const {
  std::lock_guard lock(mutex_);
  return stdout_;
}

std::string CommandProcess::stderr_text() const {
  std::lock_guard lock(mutex_);
  return stderr_;
}

bool CommandProcess::wait_for_stdout(const std::function<bool(const std::string&)>& done, milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return done(stdout_) || closed_; }) && done(stdout_);
}

int CommandProcess::stop(int signal, milliseconds timeout) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, signal);
  auto status = wait_pid(pid_, timeout);
  if (!status) {
    ::kill(pid_, SIGKILL);
    wait_pid(pid_, std::chrono::seconds(10));
  }
  pid_ = -1;
  if (reader_.joinable()) reader_.join();
  return status.value_or(-1);
}

void CommandProcess::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  wait_pid(pid_, std::chrono::seconds(10));
  pid_ = -1;
  if (reader_.joinable()) reader_.join();
}

TempDir::TempDir() : path_(make_temp_dir()) {}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace billhook::testing
