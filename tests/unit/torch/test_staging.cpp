// fm/runs/staging.h, fm/runs/checkpoint.h and RunDigests: a run is built beside the old one and
// swapped in whole; files are checked against recorded SHA-256s; checkpoint state is validated.

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fm/error.h"
#include "fm/io/files.h"
#include "fm/runs/checkpoint.h"
#include "fm/runs/run_directory.h"
#include "fm/runs/staging.h"

namespace fm {
namespace {
namespace fs = std::filesystem;

class StagingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("fm_staging_" + std::to_string(::getpid()) + "_" +
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
  /// A finished run "run" holding `text` in config.json.
  void commit_run(const std::string& text) {
    auto run = RunStaging::lock(path("run"), false);
    run.prepare();
    write("run.partial/config.json", text);
    run.commit({{"format_version", 1}});
  }
  fs::path dir_;
};

TEST_F(StagingTest, CommitSwapsInTheRunWithDigestsAndKeepsUserFiles) {
  commit_run("first");
  const auto manifest = nlohmann::json::parse(read_file(path("run/manifest.json")));
  EXPECT_EQ(manifest["files"]["config.json"], sha256_hex("first"));
  EXPECT_FALSE(manifest["files"].contains("manifest.json"));
  write("run/audit.md", "the user's notes");
  commit_run("second");
  EXPECT_EQ(read_file(path("run/config.json")), "second");
  EXPECT_EQ(read_file(path("run/audit.md")), "the user's notes");
  EXPECT_FALSE(fs::exists(path("run.partial")));
  EXPECT_FALSE(fs::exists(path("run.lock")));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1)
      << "nothing but the run is left beside it";
}

TEST_F(StagingTest, AnUncommittedRunLeavesTheOldOneAndNoStaging) {
  commit_run("good");
  {
    auto run = RunStaging::lock(path("run"), false);
    run.prepare();
    write("run.partial/config.json", "half-written");
  }  // an error before commit: no checkpoint, so nothing worth keeping
  EXPECT_EQ(read_file(path("run/config.json")), "good");
  EXPECT_FALSE(fs::exists(path("run.partial")));
}

TEST_F(StagingTest, AStagingDirectoryWithACheckpointIsKeptForResume) {
  {
    auto run = RunStaging::lock(path("run"), false);
    run.prepare();
    write("run.partial/checkpoint/state.json", "{}");
  }
  EXPECT_TRUE(fs::exists(path("run.partial/checkpoint/state.json")));
  EXPECT_EQ(resumable_run_dir(path("run")), path("run.partial"));
  EXPECT_EQ(resumable_run_dir(path("run") + "/"), path("run.partial"));
}

TEST_F(StagingTest, RefusesADirectoryThatIsNotARun) {
  write("notes/thesis.txt", "precious");
  EXPECT_THROW(RunStaging::lock(path("notes"), false), ConfigError);
  EXPECT_EQ(read_file(path("notes/thesis.txt")), "precious");
  fs::create_directories(path("empty"));
  EXPECT_NO_THROW(RunStaging::lock(path("empty"), false));
}

TEST_F(StagingTest, NothingToResumeIsAModelError) {
  EXPECT_THROW(resumable_run_dir(path("nowhere")), ModelError);
  auto run = RunStaging::lock(path("nowhere"), true);
  EXPECT_THROW(run.resume_source(), ModelError);
}

TEST_F(StagingTest, DigestsCatchChangedUnlistedAndMissingFiles) {
  write("r/a.txt", "abc");
  const nlohmann::json record = {
      {"files", {{"a.txt", sha256_hex("abc")}, {"gone.txt", sha256_hex("x")}}}};
  const auto d = RunDigests::from_record(record, "r/manifest.json", path("r"));
  EXPECT_TRUE(d.recorded());
  EXPECT_EQ(d.read("a.txt"), "abc");
  EXPECT_THROW(d.verify("a.txt", "abd"), ModelError);
  EXPECT_THROW(d.verify("b.txt", "abc"), ModelError);  // not written by fm-train
  EXPECT_THROW(d.read("gone.txt"), ModelError);
  EXPECT_THROW(d.verify_all(), ModelError);
  // fmkit 0.1 manifests list nothing: nothing is checked.
  const auto none = RunDigests::from_record({{"format_version", 1}}, "m", path("r"));
  EXPECT_FALSE(none.recorded());
  EXPECT_NO_THROW(none.verify("a.txt", "anything"));
}

TEST_F(StagingTest, MalformedDigestRecordsAreModelErrors) {
  for (const auto& files : {nlohmann::json::array(),
                            nlohmann::json{{"a.txt", "not hex"}},
                            nlohmann::json{{"../escape", std::string(64, 'a')}},
                            nlohmann::json{{"/abs", std::string(64, 'a')}},
                            nlohmann::json{{"a.txt", 5}}}) {
    EXPECT_THROW(RunDigests::from_record({{"files", files}}, "m", path("r")), ModelError)
        << files.dump();
  }
}

TEST_F(StagingTest, CheckpointStateIsValidatedFieldByField) {
  nlohmann::json good = {{"format_version", 2},  {"epochs_completed", 1}, {"best_epoch", 1},
                         {"best_score", 0.5},     {"bad_epochs", 0},
                         {"history", {{{"epoch", 1}, {"train_loss", 0.7}}}},
                         {"data", nlohmann::json::object()}, {"files", nlohmann::json::object()}};
  auto open_with = [&](const nlohmann::json& state) {
    write("r/checkpoint/state.json", state.dump());
    return open_checkpoint(path("r"), nlohmann::json::object());
  };
  EXPECT_EQ(open_with(good).epochs_completed, 1);
  const std::pair<const char*, nlohmann::json> broken[] = {
      {"epochs_completed", -5}, {"epochs_completed", "1"}, {"best_epoch", 2},
      {"bad_epochs", -1},       {"history", nlohmann::json::array()}, {"best_score", "high"}};
  for (const auto& [key, value] : broken) {
    auto state = good;
    state[key] = value;
    EXPECT_THROW(open_with(state), ModelError) << key << " = " << value.dump();
  }
  auto wrong_epoch = good;
  wrong_epoch["history"][0]["epoch"] = 3;
  EXPECT_THROW(open_with(wrong_epoch), ModelError);
}

TEST_F(StagingTest, ResumingOnChangedDataIsAConfigError) {
  write("train.csv", "text,label\na,b\n");
  DataOptions data;
  data.train = path("train.csv");
  const auto before = data_digests(data);
  nlohmann::json state = {{"format_version", 2}, {"epochs_completed", 0}, {"best_epoch", 0},
                          {"best_score", nullptr}, {"bad_epochs", 0},
                          {"history", nlohmann::json::array()}, {"data", before},
                          {"files", nlohmann::json::object()}};
  write("r/checkpoint/state.json", state.dump());
  EXPECT_NO_THROW(open_checkpoint(path("r"), data_digests(data)));
  write("train.csv", "text,label\na,c\n");
  EXPECT_THROW(open_checkpoint(path("r"), data_digests(data)), ConfigError);
}

TEST_F(StagingTest, ResumeMayChangeOnlyEpochsThreadsAndPatience) {
  RunConfig saved;
  RunConfig now = saved;
  now.training.epochs = 40;
  now.training.threads = 3;
  now.training.early_stopping.patience = 9;
  now.output.dir = "elsewhere";
  EXPECT_NO_THROW(check_resume_config(now, saved));
  now.training.learning_rate = 0.5;
  try {
    check_resume_config(now, saved);
    FAIL() << "a changed learning rate was accepted";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("training.learning_rate: differs", 0), 0u) << e.what();
  }
}

}  // namespace
}  // namespace fm
