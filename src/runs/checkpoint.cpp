#include "fm/runs/checkpoint.h"

#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/torch.h>

#include "fm/error.h"
#include "fm/io/files.h"
#include "fm/log.h"
#include "fm/runs/run_directory.h"

namespace fm {
namespace fs = std::filesystem;
namespace {

constexpr const char* kStateFile = "state.json";
constexpr const char* kBestFile = "best.pt";

nlohmann::json optional_json(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

std::string in_dir(const std::string& dir, const std::string& name) {
  return (fs::path(dir) / name).string();
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

TrainerState state_from_json(const nlohmann::json& j, const std::string& path) {
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

nlohmann::json state_json(const TrainerState& s, const nlohmann::json& data,
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

// Dropout draws from the default CPU generator; saving it makes --resume continue the same stream.
torch::Tensor cpu_rng_state() {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get_state();
}

void set_cpu_rng_state(const torch::Tensor& state) {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(state);
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
    if (!before.is_object() || before.value("sha256", std::string()) != entry["sha256"]) {
      throw ConfigError("data." + split + ": " + entry["path"].get<std::string>() +
                        " is not the file the run being resumed was trained on (its SHA-256 "
                        "differs from " + state_path +
                        "); --resume only finishes an interrupted run");
    }
  }
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

std::string best_weights_path(const std::string& run_dir) {
  const auto best = in_dir(in_dir(run_dir, RunFiles::kCheckpointDir), kBestFile);
  return fs::exists(best) ? best : in_dir(run_dir, RunFiles::kModel);
}

void save_checkpoint(const std::string& run_dir, LstmClassifier& model,
                     torch::optim::Adam& optimizer, const TrainerState& state,
                     const nlohmann::json& data, bool improved,
                     const std::function<void(const std::string&)>& save_extra) {
  const auto current = in_dir(run_dir, RunFiles::kCheckpointDir);
  const auto next = current + ".next";
  std::error_code ec;
  fs::remove_all(next, ec);  // a crash's leftover
  ensure_directory(next);
  if (save_extra) save_extra(next);
  save_state_dict(*model, in_dir(next, "model.pt"));
  // The best weights are the current ones, or the previous checkpoint's (a hard link: no copy).
  const auto best = in_dir(next, kBestFile);
  const auto previous_best = best_weights_path(run_dir);
  if (improved || !fs::exists(previous_best)) {
    fs::create_hard_link(in_dir(next, "model.pt"), best, ec);
    if (ec) save_state_dict(*model, best);
  } else {
    ec.clear();
    fs::create_hard_link(previous_best, best, ec);
    if (ec) write_file_atomic(best, read_file(previous_best));
  }
  std::ostringstream opt_bytes;
  torch::save(optimizer, opt_bytes);
  write_file_atomic(in_dir(next, "optimizer.pt"), opt_bytes.str());
  const auto rng = torch::pickle_save(c10::IValue(cpu_rng_state()));
  write_file_atomic(in_dir(next, "rng.pt"), std::string_view(rng.data(), rng.size()));
  std::map<std::string, std::string> files;
  for (const auto& [name, digest] : sha256_tree(next)) {
    files[std::string(RunFiles::kCheckpointDir) + "/" + name] = digest;
  }
  for (const char* name : {RunFiles::kConfig, RunFiles::kTokenizer, RunFiles::kLabels}) {
    files[name] = sha256_file(in_dir(run_dir, name));
  }
  // Written last: a checkpoint counts only once its state file names it complete.
  write_json_atomic(in_dir(next, kStateFile), state_json(state, data, files));
  const auto old = replace_directory(next, current);
  if (!old.empty()) fs::remove_all(old, ec);
}

TrainerState open_checkpoint(const std::string& run_dir, const nlohmann::json& data) {
  const auto state_path = in_dir(in_dir(run_dir, RunFiles::kCheckpointDir), kStateFile);
  const auto record = read_run_json(state_path);
  auto state = state_from_json(record, state_path);
  const auto digests = RunDigests::from_record(record, state_path, run_dir);
  if (digests.recorded()) {
    digests.verify_all();
  } else {
    log::warn("train", state_path + ": records no SHA-256 of the run's files (fmkit 0.1 "
                                    "checkpoint); they are used unchecked");
  }
  check_same_data(record.contains("data") ? record["data"] : nlohmann::json(), data, state_path);
  return state;
}

void restore_checkpoint(const std::string& run_dir, LstmClassifier& model,
                        torch::optim::Adam& optimizer) {
  const auto dir = in_dir(run_dir, RunFiles::kCheckpointDir);
  load_state_dict(*model, in_dir(dir, "model.pt"));
  try {
    std::istringstream in(read_file(in_dir(dir, "optimizer.pt")));
    torch::load(optimizer, in);
    const auto raw = read_file(in_dir(dir, "rng.pt"));
    set_cpu_rng_state(torch::pickle_load(std::vector<char>(raw.begin(), raw.end())).toTensor());
  } catch (const std::exception&) {
    throw ModelError(dir + ": corrupt or truncated checkpoint (optimizer or RNG state)");
  }
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
