// Trainer: learns a toy task, is deterministic for a seed with one thread, writes a complete run,
// and the run loads back to the same predictions.
#include <filesystem>
#include <fstream>
#include <random>

#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "fm/config/config.h"
#include "fm/io/files.h"
#include "fm/jobs/audit_run.h"
#include "fm/runs/evaluate.h"
#include "fm/runs/run_directory.h"
#include "fm/jobs/train.h"

namespace fm {
namespace {
namespace fs = std::filesystem;

/// Label "pos" iff the text contains "zebra": one token decides, anywhere in a 3–15 word text.
void write_toy_csv(const std::string& path, int rows, uint32_t seed) {
  std::mt19937 rng(seed);
  const std::vector<std::string> words = {"apple", "river", "stone", "cloud", "tree", "lamp",
                                          "door",  "cup",   "road",  "bird",  "song", "wall"};
  std::ofstream out(path);
  out << "text,label\n";
  for (int i = 0; i < rows; ++i) {
    const bool pos = i % 2 == 0;
    const int n = 3 + static_cast<int>(rng() % 13);
    const int at = static_cast<int>(rng() % static_cast<unsigned>(n));
    std::string text;
    for (int w = 0; w < n; ++w) {
      text += (w ? " " : "") + (pos && w == at ? std::string("zebra") : words[rng() % words.size()]);
    }
    out << text << "," << (pos ? "pos" : "neg") << "\n";
  }
}

class TrainerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("fm_trainer_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    write_toy_csv((dir_ / "train.csv").string(), 600, 1);
    write_toy_csv((dir_ / "valid.csv").string(), 200, 2);
  }
  void TearDown() override { fs::remove_all(dir_); }

  RunConfig toy_config(const std::string& out) const {
    RunConfig c = default_run_config();
    c.data.train = (dir_ / "train.csv").string();
    c.data.validation = (dir_ / "valid.csv").string();
    c.tokenizer.oov_token = "<OOV>";
    c.padding.maxlen = 20;
    c.model.embedding_dim = 16;
    c.model.hidden_size = 16;
    c.model.num_layers = 1;
    c.model.dropout = 0.0;
    c.training.epochs = 4;
    c.training.batch_size = 16;
    c.training.learning_rate = 0.01;
    c.training.threads = 1;
    c.training.seed = 5;
    c.output.dir = (dir_ / out).string();
    return c;
  }
  fs::path dir_;
};

TEST_F(TrainerTest, LearnsToyTaskAbove95PercentInFourEpochs) {
  TrainJob job;
  job.config = toy_config("run");
  const auto result = run_train(job);
  ASSERT_FALSE(result.history.empty());
  const auto& best = result.history[static_cast<std::size_t>(result.best_epoch - 1)];
  ASSERT_TRUE(best.val_accuracy.has_value());
  EXPECT_GT(*best.val_accuracy, 0.95);
  for (const char* f : {"model.pt", "tokenizer.json", "labels.json", "config.json", "metrics.jsonl",
                        "manifest.json"}) {
    EXPECT_TRUE(fs::exists(dir_ / "run" / f)) << f;
  }
  const auto manifest = nlohmann::json::parse(read_file((dir_ / "run/manifest.json").string()));
  EXPECT_EQ(manifest["seed"], 5);
  EXPECT_EQ(manifest["data"]["train"]["sha256"], sha256_file((dir_ / "train.csv").string()));
  EXPECT_EQ(manifest["counts"]["train"], 600);

  // The saved run reproduces the best epoch's validation accuracy.
  auto run = load_run((dir_ / "run").string());
  ColumnSpec spec;
  const auto valid = read_dataset((dir_ / "valid.csv").string(), spec);
  const auto eval = evaluate_run(run, valid);
  EXPECT_NEAR(eval.report.accuracy, *best.val_accuracy, 1e-12);
}

TEST_F(TrainerTest, CounterfactualTokenFairnessSeesTheDecisiveToken) {
  TrainJob job;
  job.config = toy_config("ctf");
  run_train(job);
  // "zebra" decides the label; "lamp" and "door" are noise. Swapping zebra for lamp must flip
  // almost every prediction, swapping lamp for door almost none.
  {
    std::ofstream terms((dir_ / "terms.json").string());
    terms << R"({"decisive": ["zebra", "lamp"], "noise": ["lamp", "door"]})";
  }
  RunAuditInput input;
  input.run_dir = (dir_ / "ctf").string();
  input.data = (dir_ / "valid.csv").string();
  input.counterfactual_terms = (dir_ / "terms.json").string();
  input.threads = 1;
  std::vector<MetricValue> extra;
  const auto data = audit_data_from_run(input, "pos", extra);
  EXPECT_EQ(data.classes, (std::vector<std::string>{"neg", "pos"}));
  EXPECT_EQ(data.rows(), 200u);
  auto find = [&](const std::string& name, const std::string& column, const std::string& group) {
    for (const auto& m : extra) {
      if (m.name == name && m.column == column && m.group == group) return m.value.value_or(-1);
    }
    return -2.0;
  };
  EXPECT_GT(find("ctf_flip_rate", "decisive", "zebra\u2192lamp"), 0.9);
  EXPECT_GT(find("ctf_mean_abs_delta", "decisive", "zebra\u2192lamp"), 0.5);
  EXPECT_LT(find("ctf_flip_rate", "noise", "lamp\u2192door"), 0.1);
  EXPECT_LT(find("ctf_mean_abs_delta", "noise", "lamp\u2192door"), 0.1);
}

TEST_F(TrainerTest, RedactionCountsInManifestAndNoPiiInVocabulary) {
  {
    std::ofstream out((dir_ / "pii.csv").string());
    out << "text,label\n";
    for (int i = 0; i < 60; ++i) {
      out << (i % 2 ? "zebra mail jane.doe@example.com now,pos\n"
                    : "apple card 4111 1111 1111 1111 today,neg\n");
    }
  }
  TrainJob job;
  job.config = toy_config("pii");
  job.config.data.train = (dir_ / "pii.csv").string();
  job.config.data.validation.clear();
  job.config.data.validation_split = 0;
  job.config.data.redact = {"all"};
  job.config.training.epochs = 1;
  run_train(job);
  const auto manifest = nlohmann::json::parse(read_file((dir_ / "pii/manifest.json").string()));
  EXPECT_EQ(manifest["redaction"]["train"]["email"], 30);
  EXPECT_EQ(manifest["redaction"]["train"]["credit_card"], 30);
  const auto vocab = read_file((dir_ / "pii/tokenizer.json").string());
  for (const char* secret : {"jane", "doe", "example", "4111"}) {
    EXPECT_EQ(vocab.find(secret), std::string::npos) << secret;
  }
}

TEST_F(TrainerTest, SameSeedOneThreadGivesIdenticalWeights) {
  TrainJob a, b, c;
  a.config = toy_config("a");
  b.config = toy_config("b");
  c.config = toy_config("c");
  a.config.training.epochs = b.config.training.epochs = c.config.training.epochs = 2;
  a.config.model.dropout = b.config.model.dropout = c.config.model.dropout = 0.3;
  c.config.training.seed = 6;
  run_train(a);
  run_train(b);
  run_train(c);
  auto ra = load_run((dir_ / "a").string());
  auto rb = load_run((dir_ / "b").string());
  auto rc = load_run((dir_ / "c").string());
  auto pb = rb.model->named_parameters();
  auto pc = rc.model->named_parameters();
  bool any_differs = false;
  for (const auto& p : ra.model->named_parameters()) {
    EXPECT_TRUE(torch::equal(p.value(), pb[p.key()])) << p.key();
    any_differs = any_differs || !torch::equal(p.value(), pc[p.key()]);
  }
  EXPECT_TRUE(any_differs) << "a different seed should give different weights";
}

TEST_F(TrainerTest, BalancedClassWeightAndValidationSplit) {
  TrainJob job;
  job.config = toy_config("split");
  job.config.data.validation.clear();
  job.config.data.validation_split = 0.25;
  job.config.training.class_weight = "balanced";
  job.config.training.epochs = 1;
  const auto result = run_train(job);
  const auto manifest =
      nlohmann::json::parse(read_file((dir_ / "split/manifest.json").string()));
  EXPECT_EQ(manifest["counts"]["train"], 450);
  EXPECT_EQ(manifest["counts"]["validation"], 150);
  EXPECT_EQ(result.history.size(), 1u);
}

}  // namespace
}  // namespace fm
