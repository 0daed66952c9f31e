#include "fm/runs/run_directory.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/torch.h>

#include "fm/config/json_reader.h"
#include "fm/error.h"
#include "fm/io/files.h"
#include "fm/log.h"
#include "fm/version.h"

namespace fm {
namespace fs = std::filesystem;

namespace {

/// Which file of a run disagrees with the weights, from the tensor whose shape differs: the
/// embedding's rows come from tokenizer.json's vocabulary, the output layer's rows from
/// labels.json, every other size from config.json's model section.
std::string shape_mismatch_blame(const std::string& name, const torch::Tensor& found,
                                 const torch::Tensor& expected) {
  const bool rows_differ = found.dim() == expected.dim() && found.dim() > 0 &&
                           found.size(0) != expected.size(0) &&
                           (found.dim() == 1 || found.sizes().slice(1) == expected.sizes().slice(1));
  if (name == "embedding.weight" && rows_differ) {
    return "tokenizer.json's vocabulary of " + std::to_string(expected.size(0)) +
           " indices and the weights' " + std::to_string(found.size(0)) +
           " embedding rows disagree: files of different runs?";
  }
  if ((name == "fc.weight" || name == "fc.bias") && rows_differ) {
    return "labels.json's " + std::to_string(expected.size(0)) + " labels and the weights' " +
           std::to_string(found.size(0)) + " output classes disagree: files of different runs?";
  }
  return "config.json's model section and the weights disagree";
}

}  // namespace

void save_state_dict(const torch::nn::Module& module, const std::string& path) {
  c10::Dict<std::string, torch::Tensor> dict;
  for (const auto& p : module.named_parameters()) dict.insert(p.key(), p.value().detach().cpu());
  for (const auto& b : module.named_buffers()) dict.insert(b.key(), b.value().detach().cpu());
  const auto bytes = torch::pickle_save(c10::IValue(dict));
  write_file_atomic(path, std::string_view(bytes.data(), bytes.size()));
}

void load_state_dict(torch::nn::Module& module, const std::string& path) {
  load_state_dict_bytes(module, read_run_file(path, "missing weights file"), path);
}

void load_state_dict_bytes(torch::nn::Module& module, std::string_view raw,
                           const std::string& path) {
  c10::IValue value;
  try {
    value = torch::pickle_load(std::vector<char>(raw.begin(), raw.end()));
  } catch (const std::exception&) {
    throw ModelError(path + ": corrupt or truncated checkpoint (cannot unpickle the state dict)");
  }
  if (!value.isGenericDict()) throw ModelError(path + ": not a state dict");
  auto dict = value.toGenericDict();
  torch::NoGradGuard no_grad;
  std::set<std::string> seen;
  auto assign = [&](const std::string& name, torch::Tensor& target) {
    auto key = c10::IValue(name);
    if (!dict.contains(key)) throw ModelError(path + ": missing tensor \"" + name + "\"");
    auto src = dict.at(key);
    if (!src.isTensor()) throw ModelError(path + ": entry \"" + name + "\" is not a tensor");
    auto t = src.toTensor();
    if (t.sizes() != target.sizes()) {
      throw ModelError(path + ": tensor \"" + name + "\" has shape " + c10::str(t.sizes()) +
                       ", the model expects " + c10::str(target.sizes()) + " (" +
                       shape_mismatch_blame(name, t, target) + ")");
    }
    target.copy_(t);
    seen.insert(name);
  };
  for (auto& p : module.named_parameters()) assign(p.key(), p.value());
  for (auto& b : module.named_buffers()) assign(b.key(), b.value());
  for (const auto& entry : dict) {
    const auto& key = entry.key();
    if (!key.isString() || !seen.count(key.toStringRef())) {
      throw ModelError(path + ": unexpected entry \"" +
                       (key.isString() ? key.toStringRef() : std::string("?")) + "\"");
    }
  }
}

LoadedRun load_run(const std::string& dir) {
  if (!fs::is_directory(dir)) throw ModelError(dir + ": not a run directory");
  LoadedRun run;
  run.dir = dir;
  const auto in_run = [&](const char* name) { return (fs::path(dir) / name).string(); };
  const auto manifest_path = in_run(RunFiles::kManifest);
  run.manifest = read_run_json(manifest_path);
  check_run_format(run.manifest, manifest_path);
  const auto digests = RunDigests::from_record(run.manifest, manifest_path, dir);
  if (!digests.recorded()) {
    log::warn("run", manifest_path +
                         ": records no SHA-256 of the run's files (written by fmkit 0.1); they "
                         "are used unchecked");
  }
  try {
    run.config = run_config_from_json(
        parse_run_json(digests.read(RunFiles::kConfig), in_run(RunFiles::kConfig)));
    validate(run.config, /*for_training=*/false);
  } catch (const ConfigError& e) {
    throw ModelError(in_run(RunFiles::kConfig) + ": " + e.what());
  }
  try {
    run.tokenizer = Tokenizer::from_json(digests.read(RunFiles::kTokenizer));
  } catch (const ModelError&) {
    throw;
  } catch (const Error& e) {
    throw ModelError(in_run(RunFiles::kTokenizer) + ": " + e.what());
  }
  const auto labels_path = in_run(RunFiles::kLabels);
  run.labels = labels_from_json(parse_run_json(digests.read(RunFiles::kLabels), labels_path),
                                labels_path);
  try {
    run.model = LstmClassifier(run.config.model, run.tokenizer.vocab_size(),
                               static_cast<int64_t>(run.labels.size()));
  } catch (const ConfigError& e) {  // e.g. a model too big for this machine
    throw ModelError(in_run(RunFiles::kConfig) + ": " + e.what());
  }
  load_state_dict_bytes(*run.model, digests.read(RunFiles::kModel), in_run(RunFiles::kModel));
  run.model->eval();
  const auto post_path = in_run(RunFiles::kPostprocess);
  if (digests.lists(RunFiles::kPostprocess) || fs::exists(post_path)) {
    run.postprocess =
        postprocess_from_json(parse_run_json(digests.read(RunFiles::kPostprocess), post_path),
                              post_path);
  }
  return run;
}

}  // namespace fm
