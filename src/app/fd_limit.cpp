#include "app/fd_limit.hpp"

#include <sys/resource.h>

#include <fstream>

namespace billhook::app {
namespace {

// Linux refuses RLIM_INFINITY for RLIMIT_NOFILE; the most it allows is fs.nr_open.
uint64_t kernel_ceiling() {
  std::ifstream in("/proc/sys/fs/nr_open");
  uint64_t value = 0;
  if (in >> value && value > 0) return value;
  return 1u << 20;  // the kernel's default nr_open
}

}  // namespace

FdLimit raise_fd_limit() {
  FdLimit out;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    out.raise_failed = true;
    return out;
  }
  out.soft_before = limit.rlim_cur;
  out.soft = limit.rlim_cur;
  out.hard = limit.rlim_max == RLIM_INFINITY ? kernel_ceiling() : limit.rlim_max;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur >= out.hard) return out;
  if (limit.rlim_cur == RLIM_INFINITY) {
    out.soft = out.hard;
    return out;
  }
  rlimit raised = limit;
  raised.rlim_cur = static_cast<rlim_t>(out.hard);
  if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) {
    out.soft = out.hard;
  } else {
    out.raise_failed = true;
  }
  return out;
}

}  // namespace billhook::app
