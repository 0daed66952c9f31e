#include "fm/runs/trainer_state.h"

#include <set>

#include "fm/error.h"
#include "fm/io/files.h"
#include "fm/log.h"

namespace fm {
namespace {

nlohmann::json optional_json(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

/// Reads state.json's fields with the file and JSON path in every error.
class StateReader {
 public:
  explicit StateReader(std::string path) : path_(std::move(path)) {}

  [[noreturn]] void fail(const std::string& where, const std::string& what) const {
    throw ModelError(path_ + ": " + where + ": " + what + " (corrupt checkpoint)");
  }
  int64_t integer(const nlohmann::json& j, const std::string& key, const std::string& where,
                  int64_t min, int64_t max) const {
    if (!j.contains(key) || !j[key].is_number_integer()) fail(where + key, "expected an integer");
    const auto v = j[key].get<int64_t>();
    if (v < min || v > max) {
      fail(where + key, "must be in [" + std::to_string(min) + ", " + std::to_string(max) +
                            "] (got " + std::to_string(v) + ")");
    }
    return v;
  }
  std::optional<double> number(const nlohmann::json& j, const std::string& key,
                               const std::string& where) const {
    if (!j.contains(key) || j[key].is_null()) return std::nullopt;
    if (!j[key].is_number()) fail(where + key, "expected a number or null");
    return j[key].get<double>();
  }

 private:
  std::string path_;
};

constexpr int64_t kMaxEpochs = 1'000'000;

EpochMetrics epoch_from_json(const nlohmann::json& j, const StateReader& r,
                             const std::string& where) {
  if (!j.is_object()) r.fail(where, "expected an object");
  EpochMetrics m;
  m.epoch = r.integer(j, "epoch", where + ".", 1, kMaxEpochs);
  const auto loss = r.number(j, "train_loss", where + ".");
  if (!loss) r.fail(where + ".train_loss", "expected a number");
  m.train_loss = *loss;
  m.val_loss = r.number(j, "val_loss", where + ".");
  m.val_accuracy = r.number(j, "val_accuracy", where + ".");
  m.val_macro_f1 = r.number(j, "val_macro_f1", where + ".");
  m.val_weighted_f1 = r.number(j, "val_weighted_f1", where + ".");
  m.seconds = r.number(j, "seconds", where + ".").value_or(0.0);
  m.tokens_per_second = r.number(j, "tokens_per_second", where + ".").value_or(0.0);
  m.epsilon = r.number(j, "epsilon", where + ".");
  return m;
}

/// Every JSON path where `a` and `b` differ (objects recursively; other values as a whole).
void differences(const nlohmann::json& a, const nlohmann::json& b, const std::string& path,
                 std::vector<std::string>& out) {
  if (a.is_object() && b.is_object()) {
    for (const auto& [key, value] : a.items()) {
      const auto sub = path.empty() ? key : path + "." + key;
      if (!b.contains(key)) {
        out.push_back(sub);
      } else {
        differences(value, b[key], sub, out);
      }
    }
    for (const auto& [key, value] : b.items()) {
      if (!a.contains(key)) out.push_back(path.empty() ? key : path + "." + key);
    }
    return;
  }
  if (a != b) out.push_back(path);
}

}  // namespace

TrainerState trainer_state_from_json(const nlohmann::json& j, const std::string& path) {
  const StateReader r(path);
  if (!j.is_object()) r.fail("(top level)", "expected an object");
  TrainerState s;
  s.epochs_completed = r.integer(j, "epochs_completed", "", 0, kMaxEpochs);
  s.best_epoch = r.integer(j, "best_epoch", "", 0, s.epochs_completed);
  s.best_score = r.number(j, "best_score", "");
  s.bad_epochs = r.integer(j, "bad_epochs", "", 0, s.epochs_completed);
  if (!j.contains("history") || !j["history"].is_array()) r.fail("history", "expected an array");
  const auto& history = j["history"];
  if (static_cast<int64_t>(history.size()) != s.epochs_completed) {
    r.fail("history", "holds " + std::to_string(history.size()) + " epochs, epochs_completed is " +
                          std::to_string(s.epochs_completed));
  }
  for (std::size_t i = 0; i < history.size(); ++i) {
    const auto where = "history[" + std::to_string(i) + "]";
    s.history.push_back(epoch_from_json(history[i], r, where));
    if (s.history.back().epoch != static_cast<int64_t>(i) + 1) {
      r.fail(where + ".epoch", "expected " + std::to_string(i + 1));
    }
  }
  return s;
}

nlohmann::json trainer_state_json(const TrainerState& s, const nlohmann::json& data,
                          const std::map<std::string, std::string>& files) {
  nlohmann::json history = nlohmann::json::array();
  for (const auto& m : s.history) history.push_back(epoch_json(m));
  return {{"format_version", kCheckpointFormatVersion},
          {"epochs_completed", s.epochs_completed},
          {"best_epoch", s.best_epoch},
          {"best_score", optional_json(s.best_score)},
          {"bad_epochs", s.bad_epochs},
          {"history", history},
          {"data", data},
          {"files", files}};
}

/// Refuses a data file whose contents differ from the checkpoint's (same path, other bytes).
void check_same_data(const nlohmann::json& saved, const nlohmann::json& now,
                     const std::string& state_path) {
  if (!saved.is_object()) {
    log::warn("train", state_path + ": records no data SHA-256s (fmkit 0.1 checkpoint); the data "
                                    "files cannot be checked against it");
    return;
  }
  for (const auto& [split, entry] : now.items()) {
    const auto& before = saved.contains(split) ? saved[split] : nlohmann::json();
    const bool same = before.is_object() && before.contains("sha256") &&
                      before["sha256"].is_string() && before["sha256"] == entry["sha256"];
    if (!same) {
      throw ConfigError("data." + split + ": " + entry["path"].get<std::string>() +
                        " is not the file the run being resumed was trained on (its SHA-256 "
                        "differs from " + state_path +
                        "); --resume only finishes an interrupted run");
    }
  }
}

nlohmann::json epoch_json(const EpochMetrics& m) {
  return {{"epoch", m.epoch},
          {"train_loss", m.train_loss},
          {"val_loss", optional_json(m.val_loss)},
          {"val_accuracy", optional_json(m.val_accuracy)},
          {"val_macro_f1", optional_json(m.val_macro_f1)},
          {"val_weighted_f1", optional_json(m.val_weighted_f1)},
          {"seconds", m.seconds},
          {"tokens_per_second", m.tokens_per_second},
          {"epsilon", optional_json(m.epsilon)}};
}

nlohmann::json data_digests(const DataOptions& data) {
  nlohmann::json out = nlohmann::json::object();
  const std::pair<const char*, const std::string*> files[] = {
      {"train", &data.train}, {"validation", &data.validation}, {"test", &data.test}};
  for (const auto& [split, path] : files) {
    if (!path->empty()) out[split] = {{"path", *path}, {"sha256", sha256_file(*path)}};
  }
  return out;
}

void check_resume_config(const RunConfig& now, const RunConfig& saved) {
  static const std::set<std::string> kMayChange = {
      "training.epochs", "training.threads", "training.early_stopping.patience", "output.dir"};
  std::vector<std::string> changed;
  differences(to_json(now), to_json(saved), "", changed);
  for (const auto& path : changed) {
    if (kMayChange.count(path)) continue;
    throw ConfigError(path + ": differs from the run being resumed (its config.json); --resume "
                             "finishes an interrupted run, so only training.epochs, "
                             "training.threads and training.early_stopping.patience may change");
  }
}

}  // namespace fm
