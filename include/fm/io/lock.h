#pragma once
/// \file
/// An exclusive, advisory lock held through a lock file (flock(2)), for one writer at a time.

#include <string>

namespace fm {

/// Holds an exclusive flock(2) on a lock file for its lifetime. The file holds the holder's pid,
/// so a second process can say who has it. The lock dies with the process (kill -9 included); the
/// file is removed on release. Locks are advisory: they exclude fmkit processes, not other tools.
class FileLock {
 public:
  /// Takes the lock on `path` (created if missing) without waiting. When another process holds
  /// it, throws fm::IoError "`what`: in use by another process (pid N, lock file `path`)".
  /// Other failures (unwritable directory) throw fm::IoError "path: cannot lock: <reason>".
  static FileLock acquire(const std::string& path, const std::string& what);

  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

  /// The lock file.
  const std::string& path() const { return path_; }

 private:
  FileLock(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  void release() noexcept;

  std::string path_;
  int fd_ = -1;
};

}  // namespace fm
