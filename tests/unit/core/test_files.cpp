// fm/io/files.h: whole-file reads, atomic writes, SHA-256 (NIST FIPS 180-4 example vectors and the
// system's sha256sum) and ensure_directory.

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fm/error.h"
#include "fm/io/files.h"

namespace {

std::string make_temp_dir() {
  std::string templ = ::testing::TempDir() + "fm_files_XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return templ;
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* entry = ::readdir(d)) {
      std::string name = entry->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void spit(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

template <typename E, typename F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "no error";
}

// ---------------------------------------------------------------- SHA-256

TEST(Sha256, NistVectors) {
  // FIPS 180-4 / NIST CSRC example values.
  EXPECT_EQ(fm::sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(fm::sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(fm::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(
      fm::sha256_hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnop"
                     "jklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  EXPECT_EQ(fm::sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

std::string system_sha256sum(const std::string& path) {
  std::string command = "sha256sum '" + path + "' 2>/dev/null";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return "";
  char buffer[128] = {0};
  std::string out;
  if (std::fgets(buffer, sizeof buffer, pipe) != nullptr) out = buffer;
  ::pclose(pipe);
  return out.substr(0, std::min<std::size_t>(64, out.size()));
}

TEST(Sha256, FilesMatchSystemSha256sumAcrossPaddingAndChunkBoundaries) {
  if (system_sha256sum("/dev/null").size() != 64) GTEST_SKIP() << "sha256sum not available";
  const std::string dir = make_temp_dir();
  std::uint32_t state = 12345;
  for (std::size_t size : {0, 1, 55, 56, 63, 64, 65, 119, 120, 65535, 65536, 65537, 1000003}) {
    std::string content(size, '\0');
    for (char& c : content) {
      state = state * 1664525u + 1013904223u;
      c = static_cast<char>(state >> 24);
    }
    const std::string path = dir + "/f" + std::to_string(size);
    spit(path, content);
    const std::string expected = system_sha256sum(path);
    EXPECT_EQ(fm::sha256_file(path), expected) << size;
    EXPECT_EQ(fm::sha256_hex(content), expected) << size;
    std::remove(path.c_str());
  }
  ::rmdir(dir.c_str());
}

TEST(Sha256, MissingFile) {
  EXPECT_EQ(message_of<fm::DataError>([] { fm::sha256_file("/nonexistent/x.csv"); }),
            "/nonexistent/x.csv: cannot open: No such file or directory");
}

// ---------------------------------------------------------------- read_file

TEST(ReadFile, WholeContentIncludingNulBytes) {
  const std::string dir = make_temp_dir();
  std::string content("a\0b\r\nc", 6);
  content += std::string(300000, 'z');
  spit(dir + "/x.bin", content);
  EXPECT_EQ(fm::read_file(dir + "/x.bin"), content);
  spit(dir + "/empty", "");
  EXPECT_EQ(fm::read_file(dir + "/empty"), "");
}

TEST(ReadFile, FilesReportingSizeZero) {
  // /proc files have st_size 0 but content.
  EXPECT_NE(fm::read_file("/proc/self/status").find("Name:"), std::string::npos);
}

TEST(ReadFile, Errors) {
  EXPECT_EQ(message_of<fm::DataError>([] { fm::read_file("/nonexistent/in.csv"); }),
            "/nonexistent/in.csv: cannot open: No such file or directory");
  const std::string dir = make_temp_dir();
  EXPECT_EQ(message_of<fm::DataError>([&] { fm::read_file(dir); }),
            dir + ": cannot open: Is a directory");
}

// ---------------------------------------------------------------- write_file_atomic

TEST(WriteFileAtomic, CreatesAndReplacesWithoutLeftovers) {
  const std::string dir = make_temp_dir();
  const std::string path = dir + "/out.json";
  fm::write_file_atomic(path, "first");
  EXPECT_EQ(slurp(path), "first");
  fm::write_file_atomic(path, std::string("sec\0ond", 7));
  EXPECT_EQ(slurp(path), std::string("sec\0ond", 7));
  fm::write_file_atomic(path, "");
  EXPECT_EQ(slurp(path), "");
  EXPECT_EQ(list_dir(dir), std::vector<std::string>{"out.json"});

  // Mode follows the umask like an ordinary new file.
  mode_t old_mask = ::umask(022);
  fm::write_file_atomic(dir + "/mode", "x");
  ::umask(old_mask);
  struct stat st {};
  ASSERT_EQ(::stat((dir + "/mode").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST(WriteFileAtomic, RelativePathInCurrentDirectory) {
  const std::string dir = make_temp_dir();
  char old_cwd[4096];
  ASSERT_NE(::getcwd(old_cwd, sizeof old_cwd), nullptr);
  ASSERT_EQ(::chdir(dir.c_str()), 0);
  fm::write_file_atomic("rel.txt", "r");
  ASSERT_EQ(::chdir(old_cwd), 0);
  EXPECT_EQ(slurp(dir + "/rel.txt"), "r");
  EXPECT_EQ(list_dir(dir), std::vector<std::string>{"rel.txt"});
}

TEST(WriteFileAtomic, FailedRenameRemovesTempAndLeavesTargetUntouched) {
  const std::string dir = make_temp_dir();
  const std::string target = dir + "/run";  // a directory where the file should go
  ASSERT_EQ(::mkdir(target.c_str(), 0755), 0);
  spit(target + "/keep", "kept");
  EXPECT_EQ(message_of<fm::IoError>([&] { fm::write_file_atomic(target, "new"); }),
            target + ": cannot write: Is a directory");
  EXPECT_EQ(list_dir(dir), std::vector<std::string>{"run"});
  EXPECT_EQ(list_dir(target), std::vector<std::string>{"keep"});
  EXPECT_EQ(slurp(target + "/keep"), "kept");
}

TEST(WriteFileAtomic, FailedWriteLeavesOldContent) {
  // RLIMIT_FSIZE makes write() fail with EFBIG midway, even for root.
  const std::string dir = make_temp_dir();
  const std::string path = dir + "/model.bin";
  spit(path, "old content");
  struct rlimit old_limit {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old_limit;
  small.rlim_cur = 16;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  std::string message =
      message_of<fm::IoError>([&] { fm::write_file_atomic(path, std::string(4096, 'n')); });
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_EQ(message, path + ": cannot write: File too large");
  EXPECT_EQ(slurp(path), "old content");
  EXPECT_EQ(list_dir(dir), std::vector<std::string>{"model.bin"});
}

TEST(WriteFileAtomic, MissingDirectory) {
  const std::string dir = make_temp_dir();
  EXPECT_EQ(message_of<fm::IoError>([&] { fm::write_file_atomic(dir + "/no/x.json", "x"); }),
            dir + "/no/x.json: cannot write: No such file or directory");
  spit(dir + "/file", "f");
  EXPECT_EQ(message_of<fm::IoError>([&] { fm::write_file_atomic(dir + "/file/x.json", "x"); }),
            dir + "/file/x.json: cannot write: Not a directory");
}

TEST(WriteFileAtomic, ReadOnlyDirectory) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  const std::string dir = make_temp_dir();
  const std::string locked = dir + "/locked";
  ASSERT_EQ(::mkdir(locked.c_str(), 0755), 0);
  spit(locked + "/a.txt", "before");
  ASSERT_EQ(::chmod(locked.c_str(), 0555), 0);
  std::string message =
      message_of<fm::IoError>([&] { fm::write_file_atomic(locked + "/a.txt", "after"); });
  ::chmod(locked.c_str(), 0755);
  EXPECT_EQ(message, locked + "/a.txt: cannot write: Permission denied");
  EXPECT_EQ(slurp(locked + "/a.txt"), "before");
  EXPECT_EQ(list_dir(locked), std::vector<std::string>{"a.txt"});
}

// ---------------------------------------------------------------- ensure_directory

TEST(EnsureDirectory, CreatesParentsAndAcceptsExisting) {
  const std::string dir = make_temp_dir();
  const std::string nested = dir + "/a/b/c";
  fm::ensure_directory(nested);
  struct stat st {};
  ASSERT_EQ(::stat(nested.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  fm::ensure_directory(nested);                                // already there
  fm::ensure_directory(dir + "/a//b/c/d/");                    // doubled and trailing slashes
  EXPECT_EQ(list_dir(nested), std::vector<std::string>{"d"});  // no probe file left behind
  EXPECT_EQ(list_dir(dir + "/a/b/c/d"), std::vector<std::string>{});
}

TEST(EnsureDirectory, Errors) {
  const std::string dir = make_temp_dir();
  spit(dir + "/file", "f");
  EXPECT_EQ(message_of<fm::IoError>([&] { fm::ensure_directory(dir + "/file/sub"); }),
            dir + "/file/sub: cannot create directory: Not a directory");
  EXPECT_EQ(message_of<fm::IoError>([&] { fm::ensure_directory(dir + "/file"); }),
            dir + "/file: cannot create directory: Not a directory");
  // /proc refuses new files even for root.
  EXPECT_EQ(message_of<fm::IoError>([] { fm::ensure_directory("/proc"); }),
            "/proc: directory is not writable: No such file or directory");
}

TEST(EnsureDirectory, ReadOnlyDirectory) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  const std::string dir = make_temp_dir();
  const std::string locked = dir + "/locked";
  ASSERT_EQ(::mkdir(locked.c_str(), 0555), 0);
  EXPECT_EQ(message_of<fm::IoError>([&] { fm::ensure_directory(locked); }),
            locked + ": directory is not writable: Permission denied");
  EXPECT_EQ(message_of<fm::IoError>([&] { fm::ensure_directory(locked + "/sub"); }),
            locked + "/sub: cannot create directory: Permission denied");
  ::chmod(locked.c_str(), 0755);
}

TEST(CheckOutputs, TwoFlagsNamingOneFileAreRefused) {
  const auto dir = make_temp_dir();
  EXPECT_THROW(fm::check_outputs({{"--output", dir + "/a.txt"}, {"--junit", dir + "/./a.txt"}}),
               fm::ConfigError);
  EXPECT_NO_THROW(fm::check_outputs({{"--output", dir + "/a.txt"}, {"--junit", ""},
                                     {"--csv", dir + "/new/sub/b.csv"}}));
  EXPECT_FALSE(std::ifstream(dir + "/new").good());  // nothing created
}

TEST(CheckOutputs, ADirectoryUnderAFileIsRefusedBeforeAnythingIsWritten) {
  const auto dir = make_temp_dir();
  std::ofstream(dir + "/afile") << "x";
  try {
    fm::check_outputs({{"--output", dir + "/afile/sub/report.txt"}});
    FAIL() << "accepted";
  } catch (const fm::IoError& e) {
    EXPECT_NE(std::string(e.what()).find("afile/sub: cannot create directory: Not a directory"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(fm::check_outputs({{"--output", dir}}), fm::IoError);  // a directory
}

}  // namespace
