// fm/io/lock.h: one writer at a time, the holder's pid in the message, no lock file left behind;
// and fm/io/files.h's directory helpers used with it (replace_directory, sha256_tree, same_file).

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "fm/error.h"
#include "fm/io/files.h"
#include "fm/io/lock.h"

namespace {
namespace fs = std::filesystem;

class LockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("fm_lock_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  void write(const std::string& name, const std::string& text) const {
    fs::create_directories(fs::path(path(name)).parent_path());
    std::ofstream(path(name)) << text;
  }
  fs::path dir_;
};

TEST_F(LockTest, SecondHolderIsRefusedWithTheFirstPid) {
  auto first = fm::FileLock::acquire(path("run.lock"), "runs/x");
  try {
    fm::FileLock::acquire(path("run.lock"), "runs/x");
    FAIL() << "a second lock on the same file was granted";
  } catch (const fm::IoError& e) {
    EXPECT_EQ(std::string(e.what()), "runs/x: in use by another process (pid " +
                                         std::to_string(::getpid()) + ", lock file " +
                                         path("run.lock") + ")");
    EXPECT_EQ(e.exit_code(), fm::ExitCode::kRuntime);
  }
}

TEST_F(LockTest, AnotherProcessIsRefusedWhileHeldAndServedAfterRelease) {
  auto child_can_lock = [&] {
    const pid_t pid = ::fork();
    if (pid == 0) {
      try {
        fm::FileLock::acquire(path("run.lock"), "x");
        ::_exit(0);
      } catch (...) {
        ::_exit(1);
      }
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
  };
  {
    auto held = fm::FileLock::acquire(path("run.lock"), "x");
    EXPECT_FALSE(child_can_lock());
  }
  EXPECT_FALSE(fs::exists(path("run.lock"))) << "the lock file is removed on release";
  EXPECT_TRUE(child_can_lock());
}

TEST_F(LockTest, MovedLockIsReleasedOnce) {
  auto a = fm::FileLock::acquire(path("run.lock"), "x");
  fm::FileLock b = std::move(a);
  EXPECT_TRUE(fs::exists(path("run.lock")));
  EXPECT_THROW(fm::FileLock::acquire(path("run.lock"), "x"), fm::IoError);
}

TEST_F(LockTest, UnwritableLocationIsAnIoErrorNamingThePath) {
  write("afile", "x");
  EXPECT_THROW(
      {
        try {
          fm::FileLock::acquire(path("afile") + "/run.lock", "x");
        } catch (const fm::IoError& e) {
          EXPECT_NE(std::string(e.what()).find("afile/run.lock: cannot lock"), std::string::npos);
          throw;
        }
      },
      fm::IoError);
}

TEST_F(LockTest, ReplaceDirectorySwapsAndReturnsThePreviousOne) {
  write("new/a.txt", "new");
  EXPECT_EQ(fm::replace_directory(path("new"), path("run")), "");  // nothing there yet
  EXPECT_EQ(fm::read_file(path("run/a.txt")), "new");
  write("next/a.txt", "next");
  const auto old = fm::replace_directory(path("next"), path("run"));
  EXPECT_EQ(fm::read_file(path("run/a.txt")), "next");
  ASSERT_FALSE(old.empty());
  EXPECT_EQ(fm::read_file(old + "/a.txt"), "new");
}

TEST_F(LockTest, Sha256TreeListsEveryFileByRelativePath) {
  write("t/a.txt", "abc");
  write("t/sub/b.txt", "");
  const auto digests = fm::sha256_tree(path("t"));
  ASSERT_EQ(digests.size(), 2u);
  // FIPS 180-4 examples: SHA-256("abc") and SHA-256("").
  EXPECT_EQ(digests.at("a.txt"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(digests.at("sub/b.txt"),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_F(LockTest, SameFileSeesThroughLinksAndSpellings) {
  write("data.csv", "x");
  fs::create_hard_link(path("data.csv"), path("hard.csv"));
  fs::create_symlink(path("data.csv"), path("soft.csv"));
  EXPECT_TRUE(fm::same_file(path("data.csv"), path("hard.csv")));
  EXPECT_TRUE(fm::same_file(path("data.csv"), path("soft.csv")));
  EXPECT_TRUE(fm::same_file(path("data.csv"), dir_.string() + "/./data.csv"));
  write("other.csv", "x");
  EXPECT_FALSE(fm::same_file(path("data.csv"), path("other.csv")));
  EXPECT_FALSE(fm::same_file(path("data.csv"), path("missing.csv")));
  EXPECT_THROW(fm::refuse_overwriting_inputs("--output", path("soft.csv"), {path("data.csv")}),
               fm::ConfigError);
  EXPECT_NO_THROW(fm::refuse_overwriting_inputs("--output", path("new.csv"), {path("data.csv")}));
}

}  // namespace
