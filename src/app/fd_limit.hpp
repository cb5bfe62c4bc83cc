#pragma once

#include <cstdint>

namespace billhook::app {

struct FdLimit {
  uint64_t soft_before = 0;  // the soft RLIMIT_NOFILE the process started with
  uint64_t soft = 0;         // the soft limit now in force
  uint64_t hard = 0;
  bool raise_failed = false;  // setrlimit refused; `soft` is still `soft_before`
};

// Raises the soft open-file limit to the hard one: the soft default (often 1024) is far below what a
// server with thousands of connections needs, and only the hard limit is the operator's decision.
// An unlimited hard limit is taken as the kernel's per-process ceiling (fs.nr_open).
FdLimit raise_fd_limit();

}  // namespace billhook::app
