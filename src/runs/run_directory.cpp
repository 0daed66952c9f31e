#include "fm/runs/run_directory.h"

#include <filesystem>
#include <set>

#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/torch.h>

#include "fm/error.h"
#include "fm/io/files.h"
#include "fm/version.h"

namespace fm {
namespace fs = std::filesystem;

void write_json_atomic(const std::string& path, const nlohmann::json& value) {
  write_file_atomic(path, value.dump(2) + "\n");
}

namespace {

/// A file that belongs to a run: missing or unreadable is a model error, not a data error.
std::string read_run_file(const std::string& path, const char* what_if_missing) {
  if (!fs::exists(path)) throw ModelError(path + ": " + what_if_missing);
  try {
    return read_file(path);
  } catch (const Error& e) {
    throw ModelError(e.what());
  }
}

}  // namespace

nlohmann::json read_run_json(const std::string& path) {
  const auto text = read_run_file(path, "missing (not a complete fmkit run directory?)");
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw ModelError(path + ": corrupt JSON (" + std::string(e.what()) + ")");
  }
}

void save_state_dict(const torch::nn::Module& module, const std::string& path) {
  c10::Dict<std::string, torch::Tensor> dict;
  for (const auto& p : module.named_parameters()) dict.insert(p.key(), p.value().detach().cpu());
  for (const auto& b : module.named_buffers()) dict.insert(b.key(), b.value().detach().cpu());
  const auto bytes = torch::pickle_save(c10::IValue(dict));
  write_file_atomic(path, std::string_view(bytes.data(), bytes.size()));
}

void load_state_dict(torch::nn::Module& module, const std::string& path) {
  const auto raw = read_run_file(path, "missing weights file");
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
                       ", the model expects " + c10::str(target.sizes()) +
                       " (config.json and weights disagree)");
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
  const auto manifest_path = (fs::path(dir) / RunFiles::kManifest).string();
  run.manifest = read_run_json(manifest_path);
  const auto version = run.manifest.value("format_version", -1);
  if (version != kRunFormatVersion) {
    throw ModelError(manifest_path + ": run format version " + std::to_string(version) +
                     " is not supported by fmkit " + fmkit_version() + " (expects " +
                     std::to_string(kRunFormatVersion) + ")");
  }
  const auto config_path = (fs::path(dir) / RunFiles::kConfig).string();
  try {
    run.config = run_config_from_json(read_run_json(config_path));
  } catch (const ConfigError& e) {
    throw ModelError(config_path + ": " + e.what());
  }
  const auto tok_path = (fs::path(dir) / RunFiles::kTokenizer).string();
  const auto tok_text = read_run_file(tok_path, "missing");
  try {
    run.tokenizer = Tokenizer::from_json(tok_text);
  } catch (const Error& e) {
    throw ModelError(tok_path + ": " + e.what());
  }
  const auto labels_path = (fs::path(dir) / RunFiles::kLabels).string();
  const auto labels = read_run_json(labels_path);
  if (!labels.contains("labels") || !labels["labels"].is_array() || labels["labels"].size() < 2) {
    throw ModelError(labels_path + ": expected {\"labels\": [at least 2 strings]}");
  }
  for (const auto& l : labels["labels"]) {
    if (!l.is_string()) throw ModelError(labels_path + ": labels must be strings");
    run.labels.push_back(l.get<std::string>());
  }
  run.model = LstmClassifier(run.config.model, run.tokenizer.vocab_size(),
                             static_cast<int64_t>(run.labels.size()));
  load_state_dict(*run.model, (fs::path(dir) / RunFiles::kModel).string());
  run.model->eval();
  run.postprocess = read_postprocess(dir);
  return run;
}

}  // namespace fm
