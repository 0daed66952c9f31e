// libFuzzer target: the JSON files of a run directory, read without LibTorch (fmkit_core):
// manifest.json (check_run_format, its "files" digests), labels.json (labels_from_json),
// checkpoint/state.json (trainer_state_from_json, its digests, check_same_data) and
// postprocess.json (postprocess_from_json, then applied to a few predictions). The input is one
// file's bytes, parsed as fm-train's readers parse it (parse_run_json: fm::ModelError when it is
// not JSON), and handed to every reader, as any of these files may hold anything after damage.
// LibTorch's weight loader (model.pt) is not fuzzed here; config.json and tokenizer.json have
// their own targets.
//
// Beyond "only fm::Error escapes", what a reader accepts must be usable and must survive being
// written by fmkit and read again: the labels, the trainer state (trainer_state_json) and the
// post-processing (postprocess_to_json, postprocess_manifest_json) give the same values back;
// applied post-processing gives a decision in {0, 1} and probabilities in [0, 1] summing to 1.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "fm/error.h"
#include "fm/eval/evaluation.h"
#include "fm/runs/postprocess.h"
#include "fm/runs/run_json.h"
#include "fm/runs/trainer_state.h"
#include "fuzz_common.h"

namespace {

const std::string kDir = "fuzz-run";
const std::string kPath = "fuzz-run/file.json";

void labels(const nlohmann::json& j) {
  std::vector<std::string> out;
  try {
    out = fm::labels_from_json(j, kPath);
  } catch (const fm::Error&) {
    return;
  }
  FUZZ_CHECK(out.size() >= 2, "fewer than two labels accepted");
  const auto again = fm::labels_from_json(nlohmann::json{{"labels", out}}, kPath);
  FUZZ_CHECK(again == out, "labels change when written and read again");
}

void digests(const nlohmann::json& j) {
  std::optional<fm::RunDigests> d;
  try {
    d = fm::RunDigests::from_record(j, kPath, kDir);
  } catch (const fm::Error&) {
    return;
  }
  for (const auto& [name, digest] : d->digests()) {
    bool dot_dot = false;
    for (const auto& part : fm_fuzz::split(name, '/')) dot_dot = dot_dot || part == "..";
    FUZZ_CHECK(!name.empty() && name.front() != '/' && !dot_dot,
               "files: an empty, absolute or \"..\" name accepted: " + name);
    FUZZ_CHECK(digest.size() == 64, "a digest that is not 64 hex digits accepted");
    try {
      d->verify(name, "");  // differs unless the record holds SHA-256("")
    } catch (const fm::Error&) {
    }
  }
  try {
    d->verify("not-listed", "x");
    FUZZ_CHECK(!d->recorded(), "a recorded run accepted a file it does not list");
  } catch (const fm::Error&) {
  }
}

nlohmann::json state_json(const fm::TrainerState& s, const nlohmann::json& data) {
  return fm::trainer_state_json(s, data, {{"config.json", std::string(64, 'a')}});
}

void trainer_state(const nlohmann::json& j) {
  fm::TrainerState s;
  try {
    s = fm::trainer_state_from_json(j, kPath);
  } catch (const fm::Error&) {
    return;
  }
  FUZZ_CHECK(s.best_epoch <= s.epochs_completed && s.bad_epochs <= s.epochs_completed,
             "best_epoch or bad_epochs beyond epochs_completed");
  FUZZ_CHECK(static_cast<int64_t>(s.history.size()) == s.epochs_completed,
             "history length differs from epochs_completed");
  for (std::size_t i = 0; i < s.history.size(); ++i) {
    FUZZ_CHECK(s.history[i].epoch == static_cast<int64_t>(i) + 1, "history not numbered 1..E");
  }
  const nlohmann::json written = state_json(s, nullptr);
  fm::TrainerState again;
  try {
    again = fm::trainer_state_from_json(nlohmann::json::parse(written.dump()), kPath);
  } catch (const fm::Error& e) {
    fm_fuzz::fail_check("trainer_state_from_json(trainer_state_json())",
                        std::string("its own state is refused: ") + e.what(), __FILE__, __LINE__);
  }
  FUZZ_CHECK(state_json(again, nullptr) == written, "the trainer state changes when written and read again");
}

void same_data(const nlohmann::json& j) {
  const nlohmann::json now = {
      {"train", {{"path", "train.csv"}, {"sha256", std::string(64, '0')}}},
      {"test", {{"path", "test.csv"}, {"sha256", std::string(64, 'f')}}}};
  // open_checkpoint passes state.json's "data" (null when absent).
  const nlohmann::json saved = j.is_object() && j.contains("data") ? j["data"] : nlohmann::json();
  for (const nlohmann::json* s : {&saved, &j}) {
    try {
      fm::check_same_data(*s, now, kPath);
    } catch (const fm::Error&) {
    }
  }
}

void apply(const fm::PostProcess& post) {
  std::vector<std::string> labels = {"a", "b"};
  if (post.thresholds && !post.thresholds->positive_label.empty()) {
    labels = {post.thresholds->positive_label == "neg" ? "other" : "neg",
              post.thresholds->positive_label};
  }
  std::vector<std::string> groups = {"", "unseen-group"};
  if (post.thresholds) {
    for (const auto& g : post.thresholds->groups) groups.push_back(g.group);
  }
  fm::Predictions pred;
  pred.num_classes = 2;
  const float rows[][2] = {{0.3f, 0.7f}, {1.0f, 0.0f}, {0.5f, 0.5f}, {0.0f, 1.0f}, {0.999f, 0.001f}};
  std::vector<std::string> row_groups, row_ids;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    for (const auto& p : rows) {
      pred.probabilities.insert(pred.probabilities.end(), {p[0], p[1]});
      pred.predicted.push_back(p[1] > p[0] ? 1 : 0);
      row_groups.push_back(groups[g]);
      row_ids.push_back(std::to_string(row_ids.size()));
    }
  }
  try {
    fm::apply_postprocess(post, labels, row_groups, row_ids, {}, pred);
  } catch (const fm::Error&) {
    return;
  }
  for (int64_t d : pred.predicted) FUZZ_CHECK(d == 0 || d == 1, "a decision outside {0, 1}");
  for (std::size_t r = 0; r < pred.predicted.size(); ++r) {
    const float p0 = pred.probabilities[2 * r], p1 = pred.probabilities[2 * r + 1];
    FUZZ_CHECK(std::isfinite(p0) && std::isfinite(p1) && p0 >= 0 && p1 >= 0 && p0 <= 1 && p1 <= 1 &&
                   std::fabs(p0 + p1 - 1) < 1e-3,
               "temperature " + std::to_string(post.temperature.value_or(1.0)) +
                   " gives probabilities " + std::to_string(p0) + ", " + std::to_string(p1));
  }
}

void postprocess(const nlohmann::json& j) {
  fm::PostProcess post;
  try {
    post = fm::postprocess_from_json(j, kPath);
  } catch (const fm::Error&) {
    return;
  }
  if (post.temperature) {
    FUZZ_CHECK(std::isfinite(*post.temperature) && *post.temperature > 0,
               "a temperature that is not a positive number accepted");
  }
  const nlohmann::json written = fm::postprocess_to_json(post);
  fm::postprocess_manifest_json(post);
  fm::PostProcess again;
  try {
    again = fm::postprocess_from_json(nlohmann::json::parse(written.dump()), kPath);
  } catch (const fm::Error& e) {
    fm_fuzz::fail_check("postprocess_from_json(postprocess_to_json())",
                        std::string("its own file is refused: ") + e.what(), __FILE__, __LINE__);
  }
  FUZZ_CHECK(fm::postprocess_to_json(again) == written,
             "post-processing changes when written and read again: " + written.dump());
  apply(post);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fm_fuzz::quiet_logs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  nlohmann::json j;
  try {
    j = fm::parse_run_json(std::string_view(reinterpret_cast<const char*>(data), size), kPath);
  } catch (const fm::Error&) {
    return 0;
  }
  try {
    fm::check_run_format(j, kPath);
  } catch (const fm::Error&) {
  }
  labels(j);
  digests(j);
  trainer_state(j);
  same_data(j);
  postprocess(j);
  return 0;
}
