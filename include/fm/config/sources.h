#pragma once
/// \file
/// The one path from a command line to a config document, shared by every config fmkit reads (run
/// configs, audit policies): defaults < the `--config` file < the command's own flags < each
/// `--set key.path=value`, in order. The sources are merged as JSON and the result is parsed once;
/// an error is prefixed with the source that set the offending JSON path (the file's name, the
/// flag, or `--set ASSIGNMENT`), so `--set training.epoch=3` reports
/// `--set training.epoch=3: training.epoch: unknown key (did you mean "epochs"?)`.

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace fm {

/// A config document being assembled from its sources.
class ConfigSources {
 public:
  /// Starts from the JSON file at `path` (load_json_file; `what` names it in messages, e.g.
  /// "config"). Keys it sets are attributed to `path`.
  void load_file(const std::string& path, const std::string& what);
  /// Starts from an already parsed document attributed to `source` (e.g. a resolved policy handed
  /// from one process to another).
  void load_document(nlohmann::json document, const std::string& source);
  /// Starts from JSON text attributed to `source`; malformed → ConfigError "SOURCE: malformed
  /// JSON: reason".
  void load_text(const std::string& text, const std::string& source);
  /// Sets the dotted JSON path `key` (e.g. "outputs.format") to `value`, attributed to `source`
  /// (a flag such as "--format").
  void set(const std::string& key, nlohmann::json value, const std::string& source);
  /// Applies one `key.path=value` assignment (set_json_path), attributed to "--set ASSIGNMENT";
  /// its own syntax errors are ConfigError "--set ASSIGNMENT: reason".
  void assign(const std::string& assignment);
  /// Applies several assignments in order (a later one wins).
  void assign_all(const std::vector<std::string>& assignments);

  /// The merged document.
  const nlohmann::json& document() const { return document_; }

  /// Runs `parse` over the merged document once. A fm::ConfigError whose message starts with a
  /// JSON path ("a.b: ..." or "a.b must be ...") is re-thrown prefixed with its source_of() ("FILE: ",
  /// "--flag: ", "--set A=B: "); others are re-thrown as they are.
  void parse(const std::function<void(const nlohmann::json&)>& parse) const;

  /// The source that set `json_path`, a path enclosing it or a path inside it (the last such
  /// source); the file's name when none did (empty without a file).
  std::string source_of(const std::string& json_path) const;

 private:
  nlohmann::json document_ = nlohmann::json::object();
  std::string file_;                                       // source of the whole document
  std::vector<std::pair<std::string, std::string>> set_;  // (json path, source), in order
};

}  // namespace fm
