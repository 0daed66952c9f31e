#include "fm/io/files.h"

#include <fcntl.h>
#include <stdio.h>  // renameat2, RENAME_EXCHANGE (glibc >= 2.28)
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <random>

#include "fm/error.h"

namespace fm {
namespace {

std::string errno_text(int err) { return std::strerror(err); }

/// Closes a file descriptor on scope exit unless released.
class FdGuard {
 public:
  explicit FdGuard(int fd) : fd_(fd) {}
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;
  ~FdGuard() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  /// Closes now and returns close()'s errno (0 on success).
  int close_now() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc == 0 ? 0 : errno;
  }

 private:
  int fd_;
};

int open_for_reading(const std::string& path) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) throw DataError(path + ": cannot open: " + errno_text(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    int err = S_ISDIR(st.st_mode) ? EISDIR : errno;
    ::close(fd);
    throw DataError(path + ": cannot open: " + errno_text(err));
  }
  return fd;
}

/// read() that retries on EINTR; returns bytes read, 0 at end, -1 with errno set on error.
ssize_t read_some(int fd, char* buffer, std::size_t size) {
  ssize_t n;
  do {
    n = ::read(fd, buffer, size);
  } while (n < 0 && errno == EINTR);
  return n;
}

std::string parent_directory(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// pid + per-process counter + random suffix: unique across threads and concurrent processes, and
// O_EXCL catches the rest.
std::string unique_suffix() {
  static std::atomic<std::uint64_t> counter{0};
  static const std::uint64_t salt = std::random_device{}();
  std::uint64_t n = counter.fetch_add(1);
  return std::to_string(::getpid()) + "." + std::to_string(n) + "." +
         std::to_string((salt ^ (n * 0x9E3779B97F4A7C15ULL)) % 1000000007ULL);
}

/// SHA-256 as specified in FIPS 180-4 §6.2, fed incrementally.
class Sha256 {
 public:
  void update(const unsigned char* data, std::size_t size) {
    total_bytes_ += size;
    if (buffered_ > 0) {
      std::size_t take = std::min(size, kBlockSize - buffered_);
      std::memcpy(buffer_.data() + buffered_, data, take);
      buffered_ += take;
      data += take;
      size -= take;
      if (buffered_ < kBlockSize) return;
      compress(buffer_.data());
      buffered_ = 0;
    }
    while (size >= kBlockSize) {
      compress(data);
      data += kBlockSize;
      size -= kBlockSize;
    }
    std::memcpy(buffer_.data(), data, size);
    buffered_ = size;
  }

  std::string hex_digest() {
    // Padding (§5.1.1): a 1 bit, zeros up to 56 mod 64 bytes, then the bit length big-endian.
    std::uint64_t bit_length = total_bytes_ * 8;
    unsigned char pad[kBlockSize * 2] = {0x80};
    std::size_t pad_size = (buffered_ < 56 ? 56 : 120) - buffered_;
    for (int i = 0; i < 8; ++i) {
      pad[pad_size + i] = static_cast<unsigned char>(bit_length >> (56 - 8 * i));
    }
    update(pad, pad_size + 8);
    static const char kHex[] = "0123456789abcdef";
    std::string out(64, '0');
    for (int i = 0; i < 8; ++i) {
      for (int b = 0; b < 8; ++b) out[i * 8 + b] = kHex[(state_[i] >> (28 - 4 * b)) & 0xF];
    }
    return out;
  }

 private:
  static constexpr std::size_t kBlockSize = 64;

  static std::uint32_t rotr(std::uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

  void compress(const unsigned char* block) {
    static const std::uint32_t kK[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2};
    std::uint32_t w[64];
    for (int t = 0; t < 16; ++t) {
      w[t] = (std::uint32_t{block[4 * t]} << 24) | (std::uint32_t{block[4 * t + 1]} << 16) |
             (std::uint32_t{block[4 * t + 2]} << 8) | std::uint32_t{block[4 * t + 3]};
    }
    for (int t = 16; t < 64; ++t) {
      std::uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
      std::uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
      w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    std::uint32_t a = state_[0], b = state_[1], c = state_[2], d = state_[3];
    std::uint32_t e = state_[4], f = state_[5], g = state_[6], h = state_[7];
    for (int t = 0; t < 64; ++t) {
      std::uint32_t big_s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
      std::uint32_t ch = (e & f) ^ (~e & g);
      std::uint32_t t1 = h + big_s1 + ch + kK[t] + w[t];
      std::uint32_t big_s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
      std::uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
      std::uint32_t t2 = big_s0 + maj;
      h = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    state_[0] += a;
    state_[1] += b;
    state_[2] += c;
    state_[3] += d;
    state_[4] += e;
    state_[5] += f;
    state_[6] += g;
    state_[7] += h;
  }

  std::array<std::uint32_t, 8> state_ = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                         0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  std::array<unsigned char, kBlockSize> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t total_bytes_ = 0;
};

}  // namespace

std::string read_file(const std::string& path) {
  FdGuard fd(open_for_reading(path));
  struct stat st {};
  std::string content;
  if (::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    content.resize(static_cast<std::size_t>(st.st_size));
  }
  std::size_t used = 0;
  while (used < content.size()) {
    ssize_t n = read_some(fd.get(), &content[used], content.size() - used);
    if (n < 0) throw DataError(path + ": cannot read: " + errno_text(errno));
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  content.resize(used);
  // Keep reading past st_size: pipes and /proc files report 0, and files may grow.
  char chunk[1 << 16];
  for (;;) {
    ssize_t n = read_some(fd.get(), chunk, sizeof chunk);
    if (n < 0) throw DataError(path + ": cannot read: " + errno_text(errno));
    if (n == 0) break;
    content.append(chunk, static_cast<std::size_t>(n));
  }
  return content;
}

void write_file_atomic(const std::string& path, std::string_view content) {
  auto fail = [&](const std::string& reason) { throw IoError(path + ": cannot write: " + reason); };
  if (path.empty() || path.back() == '/') fail("not a file name");
  const std::string directory = parent_directory(path);
  const std::string base = path.substr(path.find_last_of('/') + 1);

  std::string temp;
  int raw_fd = -1;
  for (int attempt = 0; attempt < 100 && raw_fd < 0; ++attempt) {
    temp = directory + "/." + base + ".tmp." + unique_suffix();
    raw_fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (raw_fd < 0 && errno != EEXIST && errno != EINTR) fail(errno_text(errno));
  }
  if (raw_fd < 0) fail("no free temporary file name");

  FdGuard fd(raw_fd);
  auto fail_and_remove = [&](int err) {
    if (fd.get() >= 0) fd.close_now();
    ::unlink(temp.c_str());
    fail(errno_text(err));
  };
  const char* data = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd.get(), data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_and_remove(errno);
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) fail_and_remove(errno);
  if (int err = fd.close_now(); err != 0) fail_and_remove(err);
  if (::rename(temp.c_str(), path.c_str()) != 0) fail_and_remove(errno);

  // Persist the rename itself; a failure here does not make the file any less complete.
  int dir_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

std::string sha256_hex(std::string_view data) {
  Sha256 sha;
  sha.update(reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return sha.hex_digest();
}

std::string sha256_file(const std::string& path) {
  FdGuard fd(open_for_reading(path));
  Sha256 sha;
  std::string buffer(1 << 16, '\0');
  for (;;) {
    ssize_t n = read_some(fd.get(), buffer.data(), buffer.size());
    if (n < 0) throw DataError(path + ": cannot read: " + errno_text(errno));
    if (n == 0) break;
    sha.update(reinterpret_cast<const unsigned char*>(buffer.data()), static_cast<std::size_t>(n));
  }
  return sha.hex_digest();
}

std::map<std::string, std::string> sha256_tree(const std::string& dir) {
  namespace fs = std::filesystem;
  std::map<std::string, std::string> digests;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, ec), end;
  if (ec) throw DataError(dir + ": cannot open: " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) throw DataError(dir + ": cannot read: " + ec.message());
    if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
    const auto relative = it->path().lexically_relative(dir).generic_string();
    digests[relative] = sha256_file(it->path().string());
  }
  if (ec) throw DataError(dir + ": cannot read: " + ec.message());
  return digests;
}

std::string replace_directory(const std::string& from, const std::string& to) {
  struct stat st {};
  if (::stat(to.c_str(), &st) != 0) {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      throw IoError(to + ": cannot replace: " + errno_text(errno));
    }
    return "";
  }
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_EXCHANGE) == 0) return from;
  if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP) {
    throw IoError(to + ": cannot replace: " + errno_text(errno));
  }
  // No RENAME_EXCHANGE here (some network and overlay file systems): a crash between the two
  // renames leaves the previous directory at `old` and the new one complete at `from`.
  const auto old = to + ".old." + unique_suffix();
  if (::rename(to.c_str(), old.c_str()) != 0 || ::rename(from.c_str(), to.c_str()) != 0) {
    throw IoError(to + ": cannot replace: " + errno_text(errno));
  }
  return old;
}

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {}, sb {};
  if (a.empty() || b.empty() || ::stat(a.c_str(), &sa) != 0 || ::stat(b.c_str(), &sb) != 0) {
    return false;
  }
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

void refuse_overwriting_inputs(const std::string& flag, const std::string& path,
                               const std::vector<std::string>& inputs) {
  for (const auto& input : inputs) {
    if (same_file(path, input)) {
      throw ConfigError(flag + " " + path + ": is the input file " + input +
                        " (writing it would destroy the input)");
    }
  }
}

namespace {

/// The absolute, normalised spelling of `path` (symbolic links resolved as far as it exists).
std::string output_identity(const std::string& path) {
  std::error_code ec;
  auto p = std::filesystem::weakly_canonical(std::filesystem::absolute(path, ec), ec);
  return ec ? std::filesystem::path(path).lexically_normal().string() : p.string();
}

void check_output_directory(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw IoError(path + ": cannot write: " + errno_text(EISDIR));
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  fs::path ancestor = dir;
  while (!ancestor.empty() && !fs::exists(ancestor, ec)) ancestor = ancestor.parent_path();
  if (ancestor.empty()) ancestor = ".";
  if (!fs::is_directory(ancestor, ec)) {
    throw IoError(dir.string() + ": cannot create directory: " + errno_text(ENOTDIR));
  }
  if (::access(ancestor.c_str(), W_OK | X_OK) != 0) {
    const int err = errno;
    throw IoError(ancestor == dir ? path + ": cannot write: " + errno_text(err)
                                  : dir.string() + ": cannot create directory: " + errno_text(err));
  }
}

}  // namespace

void check_outputs(const std::vector<std::pair<std::string, std::string>>& outputs) {
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const auto& [flag, path] = outputs[i];
    if (path.empty()) continue;
    for (std::size_t j = 0; j < i; ++j) {
      const auto& [other_flag, other] = outputs[j];
      if (!other.empty() && output_identity(path) == output_identity(other)) {
        throw ConfigError(flag + " " + path + ": is also the " + other_flag +
                          " output (each output needs a file of its own)");
      }
    }
    check_output_directory(path);
  }
}

void ensure_directory(const std::string& path) {
  if (path.empty()) throw IoError("(empty path): cannot create directory: empty path");
  auto fail_create = [&](int err) {
    throw IoError(path + ": cannot create directory: " + errno_text(err));
  };
  // Create each prefix ending before a '/', then the full path.
  for (std::size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos < path.size() && path[pos] != '/') continue;
    std::string prefix = path.substr(0, pos);
    if (prefix.back() == '/') continue;
    if (::mkdir(prefix.c_str(), 0777) == 0) continue;
    int err = errno;
    struct stat st {};
    if (::stat(prefix.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) fail_create(ENOTDIR);
      continue;
    }
    fail_create(err);
  }

  std::string probe = path + "/.fm-write-probe." + unique_suffix();
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw IoError(path + ": directory is not writable: " + errno_text(errno));
  ::close(fd);
  ::unlink(probe.c_str());
}

}  // namespace fm
