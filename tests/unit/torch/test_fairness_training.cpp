// In-training bias mitigation (training.fairness): the debiased gradient of Zhang et al. 2018
// against its closed form, the adversary's wiring through autograd, the reweighing loss weights
// and their normalisation, and — end to end on a small synthetic task with a group shortcut —
// that reweighing and counterfactual augmentation shrink the equalized-odds gap that the
// unmitigated model shows (the adversary runs end to end there too, but does not shrink it).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "fm/config/config.h"
#include "fm/io/files.h"
#include "fm/runs/evaluate.h"
#include "fm/runs/run_directory.h"
#include "fm/train/adversary.h"
#include "fm/train/mitigation.h"
#include "fm/jobs/train.h"

namespace fm {
namespace {
namespace fs = std::filesystem;

std::vector<float> values(const torch::Tensor& t) {
  auto c = t.contiguous().to(torch::kFloat);
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

TEST(DebiasedGradient, ProjectsOverAllParametersFlattened) {
  // gp = ([1, 0], [2]), ga = ([1, 1], [1]): <gp, ga> = 3, |ga|² = 3, so proj = ga and
  // g = gp − ga − α ga. (Projecting per tensor would give ([0.5, −0.5], [0]) at α = 0.)
  const std::vector<torch::Tensor> gp = {torch::tensor({1.0f, 0.0f}), torch::tensor({2.0f})};
  const std::vector<torch::Tensor> ga = {torch::tensor({1.0f, 1.0f}), torch::tensor({1.0f})};
  auto g = debiased_gradient(gp, ga, 0.0);
  EXPECT_EQ(values(g[0]), (std::vector<float>{0.0f, -1.0f}));
  EXPECT_EQ(values(g[1]), (std::vector<float>{1.0f}));
  // Orthogonal to ga as a whole: 0·1 + (−1)·1 + 1·1 = 0.
  g = debiased_gradient(gp, ga, 1.0);
  EXPECT_EQ(values(g[0]), (std::vector<float>{-1.0f, -2.0f}));
  EXPECT_EQ(values(g[1]), (std::vector<float>{0.0f}));
  // A zero adversary gradient leaves gp; an undefined one counts as zero.
  g = debiased_gradient(gp, {torch::zeros({2}), torch::Tensor()}, 2.0);
  EXPECT_EQ(values(g[0]), (std::vector<float>{1.0f, 0.0f}));
  EXPECT_EQ(values(g[1]), (std::vector<float>{2.0f}));
  // An unused classifier parameter (undefined gp) gets −(coef)·ga.
  g = debiased_gradient({torch::Tensor(), torch::tensor({1.0f})},
                        {torch::tensor({2.0f}), torch::tensor({0.0f})}, 0.5);
  EXPECT_EQ(values(g[0]), (std::vector<float>{-1.0f}));  // <gp,ga> = 0: −0.5·2
  EXPECT_EQ(values(g[1]), (std::vector<float>{1.0f}));
}

TEST(AdversarialDebiaser, SetsTheClosedFormGradientAndTrainsTheAdversary) {
  torch::manual_seed(3);
  torch::nn::Linear clf(4, 2);
  const auto x = torch::randn({8, 4});
  const auto y = torch::tensor({0, 1, 0, 1, 1, 0, 0, 1}, torch::kLong);
  const auto groups = torch::tensor({0, 1, 2, 1, 0, 2, 1, 0}, torch::kLong);
  for (const std::string criterion : {"equalized_odds", "demographic_parity"}) {
    for (const int64_t hidden : {0, 5}) {
      AdversarialOptions opt;
      opt.enabled = true;
      opt.alpha = 0.7;
      opt.criterion = criterion;
      opt.hidden_size = hidden;
      AdversarialDebiaser deb(opt, 2, 3);
      // Independent reference: a copy of the adversary's weights, gradients by autograd, the
      // formula written out with flattened tensors.
      Adversary ref(2, 3, criterion, hidden);
      {
        torch::NoGradGuard ng;
        auto src = deb.adversary()->parameters();
        auto dst = ref->parameters();
        for (std::size_t i = 0; i < src.size(); ++i) dst[i].copy_(src[i]);
      }
      const auto params = clf->parameters();
      auto logits = clf->forward(x);
      auto lp = torch::nn::functional::cross_entropy(logits, y);
      auto la = torch::nn::functional::cross_entropy(ref->forward(torch::softmax(logits, 1), y),
                                                     groups);
      auto gp = torch::autograd::grad({lp}, params, {}, true);
      auto ga = torch::autograd::grad({la}, params, {}, true);
      torch::Tensor fp, fa;
      {
        std::vector<torch::Tensor> a, b;
        for (auto& t : gp) a.push_back(t.flatten());
        for (auto& t : ga) b.push_back(t.flatten());
        fp = torch::cat(a).to(torch::kDouble);
        fa = torch::cat(b).to(torch::kDouble);
      }
      const auto expected = fp - (fp.dot(fa) / fa.dot(fa)) * fa - opt.alpha * fa;
      // Orthogonality of the projected part is what the method is about.
      EXPECT_NEAR(((expected + opt.alpha * fa).dot(fa)).item<double>(), 0.0, 1e-9);

      const auto before = deb.adversary()->parameters()[0].clone();
      auto logits2 = clf->forward(x);
      auto lp2 = torch::nn::functional::cross_entropy(logits2, y);
      const auto losses = deb.backward(params, lp2, logits2, y, groups);
      EXPECT_NEAR(losses.classifier, lp.item<double>(), 1e-6);
      EXPECT_NEAR(losses.adversary, la.item<double>(), 1e-6);
      std::vector<torch::Tensor> got;
      for (auto& p : params) got.push_back(p.grad().flatten());
      const auto g = torch::cat(got).to(torch::kDouble);
      EXPECT_LT((g - expected).abs().max().item<double>(), 1e-5) << criterion << " " << hidden;
      // The adversary took an Adam step.
      EXPECT_GT((deb.adversary()->parameters()[0] - before).abs().max().item<double>(), 0.0);
      for (auto& p : params) p.mutable_grad() = torch::Tensor();
    }
  }
}

Dataset grouped_dataset() {
  // Group a: 3 rows (labels p, p, n); group b: 5 rows (p, n, n, n, n).
  Dataset d;
  d.path = "mem";
  d.group_columns = {"other", "g"};
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"a", "p"}, {"a", "p"}, {"a", "n"}, {"b", "p"}, {"b", "n"}, {"b", "n"}, {"b", "n"}, {"b", "n"}};
  for (std::size_t i = 0; i < rows.size(); ++i) {
    d.examples.push_back({std::to_string(i), "t", rows[i].second, {"x", rows[i].first},
                          static_cast<int64_t>(i) + 2});
  }
  return d;
}

TEST(BiasMitigation, ReweighingMakesGroupAndLabelIndependentAndNormalisesTheLoss) {
  FairnessOptions f;
  f.group_column = "g";
  f.reweighing = true;
  BiasMitigation mit(f, {"other", "g"});
  const auto d = grouped_dataset();
  mit.prepare(d, 2);
  Batch batch;
  batch.rows = {0, 1, 2, 3, 4, 5, 6, 7};
  // Label indices with labels sorted ("n" = 0, "p" = 1).
  batch.labels = torch::tensor({1, 1, 0, 1, 0, 0, 0, 0}, torch::kLong);
  const auto w = values(mit.example_weights(batch, torch::Tensor()));
  // By hand: w(a,p) = 3·3/(8·2), w(a,n) = 3·5/(8·1), w(b,p) = 5·3/(8·1), w(b,n) = 5·5/(8·4).
  const std::vector<float> expected = {9.f / 16, 9.f / 16, 15.f / 8, 15.f / 8,
                                       25.f / 32, 25.f / 32, 25.f / 32, 25.f / 32};
  for (std::size_t i = 0; i < 8; ++i) EXPECT_FLOAT_EQ(w[i], expected[i]);
  // Weighted joint distribution = product of the marginals: P(a) = 3/8, P(p) = 3/8, ...
  std::map<std::pair<std::string, std::string>, double> joint;
  double total = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    joint[{d.examples[i].groups[1], d.examples[i].label}] += w[i];
    total += w[i];
  }
  EXPECT_NEAR(total, 8.0, 1e-6);
  const std::map<std::string, double> pg = {{"a", 3.0 / 8}, {"b", 5.0 / 8}};
  const std::map<std::string, double> py = {{"p", 3.0 / 8}, {"n", 5.0 / 8}};
  for (const auto& [gy, v] : joint) {
    EXPECT_NEAR(v / total, pg.at(gy.first) * py.at(gy.second), 1e-6);
  }
  // Class weights multiply in; the loss is Σ w_i ℓ_i / Σ w_i.
  const auto cw = torch::tensor({2.0f, 0.5f});
  const auto wc = values(mit.example_weights(batch, cw));
  EXPECT_FLOAT_EQ(wc[0], 9.f / 16 * 0.5f);
  EXPECT_FLOAT_EQ(wc[2], 15.f / 8 * 2.0f);
  torch::manual_seed(1);
  const auto logits = torch::randn({8, 2});
  const auto logp = torch::log_softmax(logits, 1);
  double num = 0, den = 0;
  for (int64_t i = 0; i < 8; ++i) {
    const auto l = -logp[i][batch.labels[i].item<int64_t>()].item<double>();
    num += wc[static_cast<std::size_t>(i)] * l;
    den += wc[static_cast<std::size_t>(i)];
  }
  EXPECT_NEAR(mit.loss(logits, batch, cw).item<double>(), num / den, 1e-6);
  // Without reweighing the loss is PyTorch's (class-weighted) mean cross-entropy.
  BiasMitigation plain(FairnessOptions{}, {"other", "g"});
  plain.prepare(d, 2);
  EXPECT_FALSE(plain.active());
  EXPECT_FALSE(plain.example_weights(batch, torch::Tensor()).defined());
  EXPECT_NEAR(plain.loss(logits, batch, torch::Tensor()).item<double>(),
              torch::nn::functional::cross_entropy(logits, batch.labels).item<double>(), 1e-7);
  const auto manifest = mit.manifest_json();
  EXPECT_EQ(manifest["group_column"], "g");
  EXPECT_EQ(manifest["reweighing"]["cells"].size(), 4u);
}

// ---------------------------------------------------------------------------------------------
// End to end: comments are either "clear" (a content word decides the label) or name group alpha
// or beta with neutral words only. In train, the neutral alpha comments are 90% toxic and the
// neutral beta comments 10%; in test they are 50% toxic in both groups, so on them only the
// shortcut tells the label, and an unmitigated model flags alpha and clears beta. With
// `tag_clear = false` the clear comments name no group (group "none"); with true they name alpha
// or beta at random, so that every comment has a group (the adversary's set-up: it then has to
// tell alpha from beta, not "certain" from "uncertain" comments).

void write_shortcut_csv(const std::string& path, int rows, uint32_t seed, bool balanced,
                        bool tag_clear) {
  std::mt19937 rng(seed);
  const std::vector<std::string> neutral = {"the", "meeting", "was", "about", "parking", "today",
                                            "people", "said", "town", "news", "again", "here"};
  std::ofstream out(path);
  out << "text,label,group\n";
  for (int i = 0; i < rows; ++i) {
    std::string text, group = "none";
    bool toxic;
    const int n = 3 + static_cast<int>(rng() % 5);
    if (i % 2 == 0) {
      toxic = rng() % 10 < 3;
      text = toxic ? "awful" : "lovely";
      if (tag_clear) {
        group = rng() % 2 == 0 ? "alpha" : "beta";
        text = group + " " + text;
      }
    } else {
      const bool alpha = (i / 2) % 2 == 0;
      group = alpha ? "alpha" : "beta";
      toxic = balanced ? (i / 4) % 2 == 0 : (rng() % 10 < (alpha ? 9u : 1u));
      text = group;
    }
    for (int w = 0; w < n; ++w) text += " " + neutral[rng() % neutral.size()];
    out << text << "," << (toxic ? "toxic" : "non_toxic") << "," << group << "\n";
  }
}

struct Gap {
  double eod = 0;  // max(|ΔTPR|, |ΔFPR|) between alpha and beta
  double accuracy = 0;
};

class FairnessTrainingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("fm_fairtrain_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    for (const bool tag : {false, true}) {
      const std::string suffix = tag ? "-tagged.csv" : ".csv";
      write_shortcut_csv((dir_ / ("train" + suffix)).string(), 800, 1, false, tag);
      write_shortcut_csv((dir_ / ("valid" + suffix)).string(), 200, 2, false, tag);
      write_shortcut_csv((dir_ / ("test" + suffix)).string(), 400, 3, true, tag);
    }
    std::ofstream((dir_ / "terms.json").string()) << R"({"group": ["alpha", "beta"]})";
  }
  void TearDown() override { fs::remove_all(dir_); }

  RunConfig config(const std::string& out, bool tagged = false) const {
    const std::string suffix = tagged ? "-tagged.csv" : ".csv";
    RunConfig c = default_run_config();
    c.data.train = (dir_ / ("train" + suffix)).string();
    c.data.validation = (dir_ / ("valid" + suffix)).string();
    c.data.test = (dir_ / ("test" + suffix)).string();
    c.data.group_columns = {"group"};
    c.padding.maxlen = 12;
    c.model.embedding_dim = 16;
    c.model.hidden_size = 16;
    c.model.num_layers = 1;
    c.model.dropout = 0.0;
    c.training.epochs = 5;
    c.training.batch_size = 16;
    c.training.learning_rate = 0.01;
    c.training.threads = 1;
    c.training.seed = 5;
    c.training.early_stopping.patience = 0;
    // The validation split is skewed like train: picking its best epoch would pick the most
    // shortcut-reliant one, so the last epoch is kept.
    c.training.early_stopping.restore_best = false;
    c.training.fairness.group_column = "group";
    c.output.dir = (dir_ / out).string();
    return c;
  }

  Gap train_and_measure(const RunConfig& c) const {
    TrainJob job;
    job.config = c;
    run_train(job);
    auto run = load_run(c.output.dir);
    ColumnSpec spec;
    spec.group_columns = {"group"};
    const auto test = read_dataset(c.data.test, spec);
    const auto eval = evaluate_run(run, test);
    const auto toxic = static_cast<int64_t>(
        std::find(run.labels.begin(), run.labels.end(), "toxic") - run.labels.begin());
    std::map<std::string, std::array<double, 4>> cm;  // tp, fn, fp, tn
    double correct = 0;
    for (std::size_t i = 0; i < test.examples.size(); ++i) {
      const bool y = test.examples[i].label == "toxic";
      const bool p = eval.predictions.predicted[i] == toxic;
      correct += y == p;
      auto& c4 = cm[test.examples[i].groups[0]];
      c4[y ? (p ? 0 : 1) : (p ? 2 : 3)] += 1;
    }
    auto tpr = [&](const std::string& g) { return cm[g][0] / (cm[g][0] + cm[g][1]); };
    auto fpr = [&](const std::string& g) { return cm[g][2] / (cm[g][2] + cm[g][3]); };
    Gap gap;
    gap.eod = std::max(std::fabs(tpr("alpha") - tpr("beta")), std::fabs(fpr("alpha") - fpr("beta")));
    gap.accuracy = correct / static_cast<double>(test.examples.size());
    return gap;
  }

  fs::path dir_;
};

TEST_F(FairnessTrainingTest, MitigationsShrinkTheEqualizedOddsGap) {
  const auto base = train_and_measure(config("base"));
  EXPECT_GT(base.eod, 0.6) << "the unmitigated model should learn the group shortcut";

  auto rw = config("reweighing");
  rw.training.fairness.reweighing = true;
  const auto reweighed = train_and_measure(rw);
  EXPECT_LT(reweighed.eod, base.eod - 0.2) << reweighed.eod << " vs " << base.eod;
  const auto manifest = nlohmann::json::parse(read_file((dir_ / "reweighing/manifest.json").string()));
  const auto& cells = manifest["fairness"]["reweighing"]["cells"];
  EXPECT_EQ(cells.size(), 6u);  // alpha, beta, none × non_toxic, toxic

  auto cda = config("cda");
  cda.training.fairness.augmentation.enabled = true;
  cda.training.fairness.augmentation.terms = (dir_ / "terms.json").string();
  const auto augmented = train_and_measure(cda);
  EXPECT_LT(augmented.eod, base.eod - 0.4) << augmented.eod << " vs " << base.eod;
  const auto m2 = nlohmann::json::parse(read_file((dir_ / "cda/manifest.json").string()));
  EXPECT_EQ(m2["fairness"]["augmentation"]["copies"], 400);  // every group comment, one swap
  EXPECT_EQ(m2["counts"]["train"], 1200);

  // The adversary, on the data where every comment names a group (its own baseline).
  const auto tagged_base = train_and_measure(config("tagged-base", true));
  auto adv = config("adversary", true);
  adv.training.fairness.adversarial.enabled = true;
  adv.training.fairness.adversarial.alpha = 1.0;
  adv.training.fairness.adversarial.learning_rate = 0.01;
  const auto adversarial = train_and_measure(adv);
  // Not asserted: on this task the adversary (α = 1) does not shrink the gap (the classifier and
  // the adversary oscillate); its update rule is checked against the closed form above.
  EXPECT_LE(adversarial.eod, 1.0);
  const auto m3 = nlohmann::json::parse(read_file((dir_ / "adversary/manifest.json").string()));
  EXPECT_TRUE(m3["fairness"]["adversarial"]["last_epoch_adversary_loss"].is_number());
  std::printf("EOD alpha vs beta: base %.3f, reweighing %.3f, augmentation %.3f; tagged base %.3f, "
              "adversary %.3f\n", base.eod, reweighed.eod, augmented.eod, tagged_base.eod,
              adversarial.eod);
  // The clear comments stay learnable under every mitigation.
  for (const auto& g : {base, reweighed, augmented, tagged_base, adversarial}) EXPECT_GT(g.accuracy, 0.6);
}

}  // namespace
}  // namespace fm
