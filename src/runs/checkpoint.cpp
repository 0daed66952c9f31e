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
#include "fm/runs/run_json.h"

namespace fm {
namespace fs = std::filesystem;
namespace {

constexpr const char* kStateFile = "state.json";
constexpr const char* kBestFile = "best.pt";

std::string in_dir(const std::string& dir, const std::string& name) {
  return (fs::path(dir) / name).string();
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

}  // namespace

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
  write_json_atomic(in_dir(next, kStateFile), trainer_state_json(state, data, files));
  const auto old = replace_directory(next, current);
  if (!old.empty()) fs::remove_all(old, ec);
}

TrainerState open_checkpoint(const std::string& run_dir, const nlohmann::json& data) {
  const auto state_path = in_dir(in_dir(run_dir, RunFiles::kCheckpointDir), kStateFile);
  const auto record = read_run_json(state_path);
  auto state = trainer_state_from_json(record, state_path);
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

}  // namespace fm
