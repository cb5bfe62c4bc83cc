#include "app/data_dir.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

namespace billhook::app {

namespace {

core::Error data_dir_error(std::string message) {
  return core::Error::invalid("invalid_config", "--data-dir (or BILLHOOK_DATA_DIR): " + std::move(message));
}

// The directory holds every endpoint's signing secret and the customers' data: a directory that
// group or others can write lets them swap the database or its -wal file for their own.
core::Status check_not_shared(const std::string& data_dir) {
  struct stat st {};
  if (::stat(data_dir.c_str(), &st) != 0)
    return data_dir_error(fmt::format("cannot read '{}': {}", data_dir, std::strerror(errno)));
  if (!S_ISDIR(st.st_mode)) return data_dir_error(fmt::format("'{}' is not a directory", data_dir));
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
    return data_dir_error(fmt::format("'{}' can be written by {} (mode {:04o}); it holds signing secrets and "
                                      "customer data, so billhook refuses to use it. Run: chmod 700 '{}'",
                                      data_dir, (st.st_mode & S_IWOTH) != 0 ? "others" : "its group",
                                      st.st_mode & 07777, data_dir));
  return {};
}

// Creates `path` readable and writable by its owner only, or narrows an existing file to that, whatever
// the umask. SQLite then gives the -wal and -shm files it creates beside it the same mode.
core::Status make_private_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return data_dir_error(fmt::format("cannot open '{}': {}", path, std::strerror(errno)));
  const int rc = ::fchmod(fd, 0600);
  const int chmod_errno = errno;
  ::close(fd);
  if (rc != 0) return data_dir_error(fmt::format("cannot chmod 600 '{}': {}", path, std::strerror(chmod_errno)));
  return {};
}

}  // namespace

core::Status prepare_private_dir(const std::string& data_dir) {
  std::error_code ec;
  const bool created = std::filesystem::create_directories(data_dir, ec);
  if (ec) return data_dir_error(fmt::format("cannot create '{}': {}", data_dir, ec.message()));
  // create_directories applies the umask to 0777; a new directory is the owner's alone.
  if (created && ::chmod(data_dir.c_str(), 0700) != 0)
    return data_dir_error(fmt::format("cannot chmod 700 '{}': {}", data_dir, std::strerror(errno)));
  return check_not_shared(data_dir);
}

core::Result<std::string> prepare_data_dir(const std::string& data_dir) {
  if (auto dir = prepare_private_dir(data_dir); !dir) return std::move(dir).error();
  const std::string db_path = (std::filesystem::path(data_dir) / "billhook.db").string();
  // The database first (the -wal and -shm files take its mode when SQLite creates them), then any
  // -wal and -shm left by an earlier version that made them 0644.
  if (auto made = make_private_file(db_path); !made) return std::move(made).error();
  for (const char* suffix : {"-wal", "-shm"}) {
    const std::string side = db_path + suffix;
    if (::access(side.c_str(), F_OK) == 0 && ::chmod(side.c_str(), 0600) != 0)
      return data_dir_error(fmt::format("cannot chmod 600 '{}': {}", side, std::strerror(errno)));
  }
  return db_path;
}

DataDirLock& DataDirLock::operator=(DataDirLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

DataDirLock::~DataDirLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

core::Result<DataDirLock> lock_data_dir(const std::string& data_dir) {
  const auto path = (std::filesystem::path(data_dir) / "billhook.lock").string();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return core::Error::invalid("invalid_config", fmt::format("--data-dir: cannot open {}: {}", path, std::strerror(errno)));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return core::Error::invalid(
        "data_dir_in_use",
        fmt::format("--data-dir: {} is in use by another billhook process; stop it or choose another directory",
                    data_dir));
  }
  return DataDirLock(fd);
}

}  // namespace billhook::app
