// Post-processing end to end: fm-train fits a temperature and per-group thresholds on validation,
// writes postprocess.json and the manifest summary; load_run / evaluate_run / audit_data_from_run
// apply them, and the decisions are the documented rule recomputed here from the file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "fm/config/config.h"
#include "fm/data/encoded.h"
#include "fm/error.h"
#include "fm/eval/calibration.h"
#include "fm/mitigation/thresholds.h"
#include "fm/io/files.h"
#include "fm/jobs/audit_run.h"
#include "fm/report/evaluation.h"
#include "fm/runs/evaluate.h"
#include "fm/runs/postprocess.h"
#include "fm/runs/run_directory.h"
#include "fm/jobs/train.h"

namespace fm {
namespace {
namespace fs = std::filesystem;

/// "zebra" marks label pos, with 20% of labels flipped (so the model cannot be perfectly sure);
/// group "a" is positive twice as often as group "b".
void write_noisy_csv(const std::string& path, int rows, uint32_t seed) {
  std::mt19937 rng(seed);
  const std::vector<std::string> words = {"apple", "river", "stone", "cloud", "tree", "lamp"};
  std::ofstream out(path);
  out << "id,text,label,grp\n";
  for (int i = 0; i < rows; ++i) {
    const bool in_a = rng() % 2 == 0;
    const bool zebra = rng() % 100 < (in_a ? 60u : 30u);
    const int n = 3 + static_cast<int>(rng() % 6);
    const int at = static_cast<int>(rng() % static_cast<unsigned>(n));
    std::string text;
    for (int w = 0; w < n; ++w) {
      text +=
          (w ? " " : "") + (zebra && w == at ? std::string("zebra") : words[rng() % words.size()]);
    }
    const bool pos = (rng() % 100 < 20) ? !zebra : zebra;
    out << "r" << seed << "-" << i << "," << text << "," << (pos ? "pos" : "neg") << ","
        << (in_a ? "a" : "b") << "\n";
  }
}

class PostprocessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("fm_post_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    write_noisy_csv((dir_ / "train.csv").string(), 600, 1);
    write_noisy_csv((dir_ / "valid.csv").string(), 300, 2);
    write_noisy_csv((dir_ / "test.csv").string(), 200, 3);
  }
  void TearDown() override { fs::remove_all(dir_); }

  RunConfig config(const std::string& out) const {
    RunConfig c = default_run_config();
    c.data.train = (dir_ / "train.csv").string();
    c.data.validation = (dir_ / "valid.csv").string();
    c.data.id_column = "id";
    c.data.group_columns = {"grp"};
    c.padding.maxlen = 12;
    c.model.embedding_dim = 8;
    c.model.hidden_size = 8;
    c.model.num_layers = 1;
    c.model.dropout = 0.0;
    c.training.epochs = 3;
    c.training.batch_size = 16;
    c.training.learning_rate = 0.02;
    c.training.threads = 1;
    c.training.seed = 3;
    c.output.dir = (dir_ / out).string();
    return c;
  }
  Dataset read(const std::string& name) const {
    ColumnSpec spec;
    spec.id_column = "id";
    spec.group_columns = {"grp"};
    return read_dataset((dir_ / name).string(), spec);
  }
  fs::path dir_;
};

TEST_F(PostprocessTest, TemperatureIsFittedSavedAndApplied) {
  TrainJob job;
  job.config = config("temp");
  job.config.training.calibrate = "temperature";
  run_train(job);
  const auto run_dir = (dir_ / "temp").string();
  ASSERT_TRUE(fs::exists(dir_ / "temp" / kPostprocessFile));
  const auto file = nlohmann::json::parse(read_file((dir_ / "temp" / kPostprocessFile).string()));
  ASSERT_TRUE(file["temperature"].is_number());
  const double t = file["temperature"];
  EXPECT_GT(t, kMinTemperature);
  EXPECT_LT(t, kMaxTemperature);
  EXPECT_TRUE(file["thresholds"].is_null());
  const auto manifest = nlohmann::json::parse(read_file((dir_ / "temp/manifest.json").string()));
  EXPECT_EQ(manifest["postprocess"]["temperature"], t);
  const auto& v = manifest["postprocess"]["validation"];
  // T minimises the validation NLL, so it cannot be worse than T = 1.
  EXPECT_LE(v["after"]["nll"].get<double>(), v["before"]["nll"].get<double>() + 1e-12);
  EXPECT_DOUBLE_EQ(v["after"]["accuracy"].get<double>(), v["before"]["accuracy"].get<double>());

  // The validation NLL after is the NLL of softmax(log p / T) of the raw model's probabilities.
  auto run = load_run(run_dir);
  ASSERT_TRUE(run.postprocess.temperature.has_value());
  EXPECT_EQ(*run.postprocess.temperature, t);
  const auto valid = read("valid.csv");
  const auto encoded = encode_dataset(valid, run.tokenizer, run.config.padding, run.labels);
  const auto raw = predict(run.model, encoded);
  EXPECT_NEAR(temperature_nll(raw.probabilities, 2, encoded.labels, t),
              v["after"]["nll"].get<double>(), 1e-6);

  const auto eval = evaluate_run(run, valid);
  ASSERT_TRUE(eval.postprocess.temperature.has_value());
  auto expected = raw.probabilities;
  apply_temperature(expected, 2, t);
  for (std::size_t i = 0; i < expected.size(); ++i) {
    ASSERT_EQ(eval.predictions.probabilities[i], expected[i]) << i;
  }
  EXPECT_EQ(eval.predictions.predicted, raw.predicted);  // temperature keeps the arg-max
  ASSERT_TRUE(eval.calibration.nll.value.has_value());
  EXPECT_NEAR(*eval.calibration.nll.value, v["after"]["nll"].get<double>(), 1e-6);
  EXPECT_NEAR(eval.mean_loss, v["after"]["nll"].get<double>(), 1e-5);
  const auto text = format_evaluations({eval}, "text", 2);
  char note[64];
  std::snprintf(note, sizeof(note), "temperature %.4f applied", t);
  EXPECT_NE(text.find(note), std::string::npos) << text;
  EXPECT_NE(text.find("calibration (15 equal-width confidence bins"), std::string::npos) << text;
  const auto json = evaluation_to_json(eval);
  EXPECT_EQ(json["postprocess"]["temperature"], t);
  EXPECT_TRUE(json["calibration"]["ece"].is_number());

  // Retraining into the same directory without calibration removes the stale file.
  job.config.training.calibrate = "none";
  job.config.training.epochs = 1;
  run_train(job);
  EXPECT_FALSE(fs::exists(dir_ / "temp" / kPostprocessFile));
  EXPECT_TRUE(load_run(run_dir).postprocess.empty());
  const auto m2 = nlohmann::json::parse(read_file((dir_ / "temp/manifest.json").string()));
  EXPECT_TRUE(m2["postprocess"].is_null());
}

TEST_F(PostprocessTest, GroupThresholdsDecideEveryRowByTheDocumentedRule) {
  TrainJob job;
  job.config = config("eo");
  job.config.data.test = (dir_ / "test.csv").string();
  job.config.training.calibrate = "temperature";
  job.config.training.fairness.group_column = "grp";
  job.config.training.fairness.thresholds.objective = "equalized_odds";
  run_train(job);
  const auto file = nlohmann::json::parse(read_file((dir_ / "eo" / kPostprocessFile).string()));
  ASSERT_TRUE(file["thresholds"].is_object());
  EXPECT_EQ(file["thresholds"]["column"], "grp");
  EXPECT_EQ(file["thresholds"]["positive_label"], "pos");
  EXPECT_EQ(file["thresholds"]["seed"], 3);
  // Expected rates are equal across groups on the validation data (the constraint holds).
  const auto& groups = file["thresholds"]["groups"];
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_NEAR(groups[0]["tpr"].get<double>(), groups[1]["tpr"].get<double>(), 1e-9);
  EXPECT_NEAR(groups[0]["fpr"].get<double>(), groups[1]["fpr"].get<double>(), 1e-9);
  const auto manifest = nlohmann::json::parse(read_file((dir_ / "eo/manifest.json").string()));
  EXPECT_TRUE(manifest["postprocess"]["thresholds"]["groups"].contains("a"));
  EXPECT_TRUE(
      manifest["postprocess"]["validation"]["after"]["equalized_odds_difference"].is_number());

  // Recompute each test decision from postprocess.json: P = rule(group)(p_pos after T), positive
  // iff coin(seed, id) < P.
  auto run = load_run((dir_ / "eo").string());
  const auto rules = group_thresholds_from_json(file["thresholds"], "test");
  const auto test = read("test.csv");
  const auto eval = evaluate_run(run, test);
  EXPECT_EQ(eval.postprocess.objective, "equalized_odds");
  EXPECT_EQ(eval.postprocess.unseen_rows, 0);
  const auto encoded = encode_dataset(test, run.tokenizer, run.config.padding, run.labels);
  auto probs = predict(run.model, encoded);
  apply_temperature(probs.probabilities, 2, file["temperature"].get<double>());
  int64_t changed = 0;
  for (std::size_t i = 0; i < test.examples.size(); ++i) {
    const auto& ex = test.examples[i];
    const double p =
        rules.rule_for(ex.groups[0]).positive_probability(probs.probabilities[i * 2 + 1]);
    const int64_t want = decision_coin(3, ex.id) < p ? 1 : 0;
    ASSERT_EQ(eval.predictions.predicted[i], want) << ex.id;
    changed += want != probs.predicted[i];
  }
  EXPECT_EQ(eval.postprocess.changed_decisions, changed);
  // fm-train's own test predictions are the same post-processed ones.
  const auto csv = read_file((dir_ / "eo/test_predictions.csv").string());
  EXPECT_EQ(csv, predictions_csv(test, run.labels, eval.predictions));

  // An unseen group falls back to the overall threshold.
  auto odd = test;
  odd.examples[0].groups[0] = "zz";
  const auto odd_eval = evaluate_run(run, odd);
  EXPECT_EQ(odd_eval.postprocess.unseen_rows, 1);
  EXPECT_EQ(odd_eval.postprocess.unseen_groups, std::vector<std::string>{"zz"});
  const bool overall = probs.probabilities[1] > rules.overall.threshold0;
  EXPECT_EQ(odd_eval.predictions.predicted[0], overall ? 1 : 0);

  // fm-audit --run sees the same decisions, also when it audits other columns only.
  RunAuditInput input;
  input.run_dir = (dir_ / "eo").string();
  input.data = (dir_ / "test.csv").string();
  input.counterfactual = false;
  input.threads = 1;
  input.group_columns = {"id"};  // the thresholds' column "grp" is read all the same
  std::vector<MetricValue> extra;
  const auto audit = audit_data_from_run(input, "pos", extra);
  EXPECT_EQ(audit.group_columns, std::vector<std::string>{"id"});
  ASSERT_EQ(audit.y_pred.size(), eval.predictions.predicted.size());
  for (std::size_t i = 0; i < audit.y_pred.size(); ++i) {
    ASSERT_EQ(audit.y_pred[i], eval.predictions.predicted[i]) << i;
    ASSERT_EQ(audit.scores[1][i], eval.predictions.probabilities[i * 2 + 1]) << i;
  }

  // Data without the group column cannot be post-processed.
  ColumnSpec no_groups;
  no_groups.id_column = "id";
  const auto bare = read_dataset((dir_ / "test.csv").string(), no_groups);
  EXPECT_THROW(evaluate_run(run, bare), DataError);
}

TEST_F(PostprocessTest, ConfigErrorsComeBeforeTraining) {
  TrainJob job;
  job.config = config("bad");
  job.config.data.validation.clear();
  job.config.data.validation_split = 0;
  job.config.training.calibrate = "temperature";
  EXPECT_THROW(run_train(job), ConfigError);
  EXPECT_FALSE(fs::exists(dir_ / "bad"));
  job.config = config("bad2");
  job.config.training.fairness.group_column = "grp";
  job.config.training.fairness.thresholds.objective = "demographic_parity";
  job.config.training.fairness.thresholds.positive_label = "spam";
  EXPECT_THROW(run_train(job), ConfigError);
  EXPECT_FALSE(fs::exists(dir_ / "bad2"));
}

TEST_F(PostprocessTest, CorruptPostprocessFileIsAModelError) {
  TrainJob job;
  job.config = config("corrupt");
  job.config.training.calibrate = "temperature";
  job.config.training.epochs = 1;
  run_train(job);
  write_file_atomic((dir_ / "corrupt" / kPostprocessFile).string(),
                    R"({"format": 1, "temperature": -2})");
  EXPECT_THROW(load_run((dir_ / "corrupt").string()), ModelError);
}

}  // namespace
}  // namespace fm
