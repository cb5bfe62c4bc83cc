#include "support/node_receiver.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "support/http_client.hpp"

namespace billhook::testing {

NodeReceiver::NodeReceiver(const std::string& script) {
  const std::string path = std::string(BILLHOOK_TEST_SUPPORT_DIR) + "/seed_receivers/" + script;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::dup2(fds[1], STDOUT_FILENO);
    const char* argv[] = {"node", path.c_str(), nullptr};
    ::execvp("node", const_cast<char* const*>(argv));
    ::_exit(127);
  }
  ::close(fds[1]);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (output_.find('\n') == std::string::npos) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    pollfd pfd{fds[0], POLLIN, 0};
    if (left <= 0 || ::poll(&pfd, 1, static_cast<int>(left)) <= 0) break;
    char buffer[256];
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n <= 0) break;
    output_.append(buffer, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  if (output_.rfind("listening ", 0) != 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
    throw std::runtime_error("node " + path + " did not start (is node installed and `npm ci --prefix tests/support` "
                             "done? scripts/setup.sh does both); it printed: " + output_);
  }
  port_ = static_cast<uint16_t>(std::stoi(output_.substr(10)));
}

NodeReceiver::~NodeReceiver() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  ::waitpid(pid_, nullptr, 0);
}

std::string NodeReceiver::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void NodeReceiver::configure(const boost::json::object& settings) {
  HttpClient client(port_, std::nullopt);
  const auto r = client.post("/_config", boost::json::value(settings));
  if (r.status != 200) throw std::runtime_error("configuring the seed receiver failed: " + std::to_string(r.status));
}

boost::json::array NodeReceiver::received(size_t count, std::chrono::milliseconds timeout) {
  HttpClient client(port_, std::nullopt);
  client.set_timeout(timeout + std::chrono::seconds(5));
  const auto r = client.get("/_received?count=" + std::to_string(count) + "&timeout_ms=" + std::to_string(timeout.count()));
  if (r.status != 200) throw std::runtime_error("reading the seed receiver failed: " + std::to_string(r.status));
  return r.json().as_array();
}

}  // namespace billhook::testing
