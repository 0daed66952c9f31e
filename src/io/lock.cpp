#include "fm/io/lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "fm/error.h"

namespace fm {
namespace {

std::string read_pid(int fd) {
  char buf[32] = {};
  const ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
  std::string pid = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid.empty() ? "unknown" : pid;
}

}  // namespace

FileLock FileLock::acquire(const std::string& path, const std::string& what) {
  // The holder unlinks the file when it releases, so a lock taken on a file that has since been
  // unlinked (or replaced) guards nothing: check that the path still names the locked inode, and
  // retry otherwise.
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) throw IoError(path + ": cannot lock: " + std::strerror(errno));
    int rc;
    do {
      rc = ::flock(fd, LOCK_EX | LOCK_NB);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
      const int err = errno;
      const auto pid = read_pid(fd);
      ::close(fd);
      if (err == EWOULDBLOCK) {
        throw IoError(what + ": in use by another process (pid " + pid + ", lock file " + path +
                      ")");
      }
      throw IoError(path + ": cannot lock: " + std::strerror(err));
    }
    struct stat held {}, named {};
    if (::fstat(fd, &held) != 0 || ::stat(path.c_str(), &named) != 0 ||
        held.st_ino != named.st_ino || held.st_dev != named.st_dev) {
      ::close(fd);
      continue;
    }
    const auto pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
      const int err = errno;
      ::unlink(path.c_str());
      ::close(fd);
      throw IoError(path + ": cannot lock: " + std::strerror(err));
    }
    return FileLock(path, fd);
  }
  throw IoError(path + ": cannot lock: the lock file keeps being replaced");
}

FileLock::FileLock(FileLock&& other) noexcept
    : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)) {}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    release();
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

FileLock::~FileLock() { release(); }

void FileLock::release() noexcept {
  if (fd_ < 0) return;
  // Unlink while still holding the lock: a waiter that opened the old file sees the inode change
  // and retries on a fresh file.
  ::unlink(path_.c_str());
  ::close(fd_);
  fd_ = -1;
}

}  // namespace fm
