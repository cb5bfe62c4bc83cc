#include "app/data_dir.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

namespace billhook::app {

core::Result<std::string> prepare_data_dir(const std::string& data_dir) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec)
    return core::Error::invalid("invalid_config", fmt::format("--data-dir (or BILLHOOK_DATA_DIR): cannot create '{}': {}",
                                                              data_dir, ec.message()));
  return (std::filesystem::path(data_dir) / "billhook.db").string();
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
