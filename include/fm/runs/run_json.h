#pragma once
/// \file
/// Reading and writing a run directory's JSON files, without LibTorch (fmkit_core): the errors
/// every reader shares (a missing or corrupt run file is a model error naming it, exit 4), the
/// SHA-256 digests the manifest and the checkpoint record, the manifest's format version and
/// labels.json. The weights and the tokenizer: fm/runs/run_directory.h.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace fm {

/// Writes `value` as pretty JSON to `path` atomically.
void write_json_atomic(const std::string& path, const nlohmann::json& value);
/// Reads a JSON file that belongs to a run; problems throw fm::ModelError naming the file.
nlohmann::json read_run_json(const std::string& path);
/// Parses the bytes of a run's JSON file; a parse error throws fm::ModelError naming `path`.
nlohmann::json parse_run_json(std::string_view text, const std::string& path);
/// Reads a file that belongs to a run: missing → fm::ModelError "path: `what_if_missing`",
/// unreadable → fm::ModelError naming it.
std::string read_run_file(const std::string& path, const char* what_if_missing);

/// Throws fm::ModelError "path: run format version V is not supported by fmkit X (expects N)"
/// unless `manifest` (manifest.json's contents, read from `path`) has this fmkit's
/// "format_version".
void check_run_format(const nlohmann::json& manifest, const std::string& path);

/// labels.json's {"labels": [...]}: at least two distinct strings, output index i is labels[i].
/// Anything else throws fm::ModelError naming `path`.
std::vector<std::string> labels_from_json(const nlohmann::json& labels, const std::string& path);

/// SHA-256 digests of a run's files, as recorded by fm-train (manifest.json's "files", or a
/// checkpoint's state.json), checked before a file is used. This detects damage — bit rot, a
/// truncated copy, a file edited or replaced by hand — not deliberate tampering: whoever can change
/// a file can change the manifest too (that would need a signature).
class RunDigests {
 public:
  /// Reads `record["files"]` (relative path → 64 lower-case hex digits) of the JSON file
  /// `record_path` describing directory `dir`. A malformed entry throws fm::ModelError naming
  /// `record_path` and the key. A record without "files" (fmkit 0.1 runs) verifies nothing:
  /// recorded() is false, and the caller says so once.
  static RunDigests from_record(const nlohmann::json& record, const std::string& record_path,
                                const std::string& dir);

  /// Whether the record lists digests at all.
  bool recorded() const { return recorded_; }
  /// Whether the record lists `name` (relative to the directory).
  bool lists(const std::string& name) const { return digests_.count(name) > 0; }
  /// The listed files and their digests.
  const std::map<std::string, std::string>& digests() const { return digests_; }

  /// Checks `bytes` read from DIR/`name` against the record: fm::ModelError "DIR/name: SHA-256
  /// differs from RECORD (the file changed or was damaged after training)" on a mismatch, and
  /// "DIR/name: not listed in RECORD (not written by fm-train for this run)" when a recorded run
  /// does not list it. No-op when !recorded().
  void verify(const std::string& name, std::string_view bytes) const;
  /// Reads DIR/`name` (fm::ModelError when missing or unreadable) and verifies it.
  std::string read(const std::string& name) const;
  /// Verifies every listed file (fm::ModelError naming the first missing or differing one).
  void verify_all() const;

 private:
  std::string dir_, record_path_;
  std::map<std::string, std::string> digests_;
  bool recorded_ = false;
};

}  // namespace fm
