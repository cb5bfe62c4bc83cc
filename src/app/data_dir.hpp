#pragma once

#include <string>

#include "core/result.hpp"

namespace billhook::app {

// Creates the data directory if needed (0700 whatever the umask) and answers the path of the SQLite
// database in it, which it creates or narrows to 0600 before SQLite opens it, so that SQLite's -wal and
// -shm files are 0600 too. Refuses a directory that its group or others can write, naming the chmod to run.
core::Result<std::string> prepare_data_dir(const std::string& data_dir);
// The directory part of prepare_data_dir: creates it 0700 if needed and refuses one others can write.
core::Status prepare_private_dir(const std::string& data_dir);

// An exclusive lock on a data directory, held for the life of the object: two billhook processes
// on one SQLite store would each think their leases are the only ones.
class DataDirLock {
 public:
  DataDirLock() = default;
  explicit DataDirLock(int fd) : fd_(fd) {}
  DataDirLock(DataDirLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  DataDirLock& operator=(DataDirLock&& other) noexcept;
  ~DataDirLock();

 private:
  int fd_ = -1;
};

// Fails with a clear message if another process holds the directory.
core::Result<DataDirLock> lock_data_dir(const std::string& data_dir);

}  // namespace billhook::app
