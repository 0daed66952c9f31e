#include "fm/runs/run_json.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "fm/config/json_reader.h"
#include "fm/error.h"
#include "fm/io/files.h"
#include "fm/io/json_text.h"
#include "fm/version.h"

namespace fm {
namespace fs = std::filesystem;

void write_json_atomic(const std::string& path, const nlohmann::json& value) {
  write_file_atomic(path, value.dump(2) + "\n");
}

std::string read_run_file(const std::string& path, const char* what_if_missing) {
  if (!fs::exists(path)) throw ModelError(path + ": " + what_if_missing);
  try {
    return read_file(path);
  } catch (const Error& e) {
    throw ModelError(e.what());
  }
}

nlohmann::json parse_run_json(std::string_view text, const std::string& path) {
  try {
    return parse_json_text(text);
  } catch (const JsonTextError& e) {
    throw ModelError(path + ":" + e.what() + " (damaged run file)");
  }
}

nlohmann::json read_run_json(const std::string& path) {
  return parse_run_json(read_run_file(path, "missing (not a complete fmkit run directory?)"), path);
}

RunDigests RunDigests::from_record(const nlohmann::json& record, const std::string& record_path,
                                   const std::string& dir) {
  RunDigests d;
  d.dir_ = dir;
  d.record_path_ = record_path;
  if (!record.is_object() || !record.contains("files")) return d;
  const auto& files = record["files"];
  if (!files.is_object()) throw ModelError(record_path + ": files: expected an object");
  for (const auto& [name, digest] : files.items()) {
    const bool hex64 = digest.is_string() && digest.get_ref<const std::string&>().size() == 64 &&
                       digest.get_ref<const std::string&>().find_first_not_of(
                           "0123456789abcdef") == std::string::npos;
    const auto parts = fs::path(name);
    const bool inside = !name.empty() && parts.is_relative() &&
                        std::find(parts.begin(), parts.end(), "..") == parts.end();
    if (!hex64 || !inside) {
      throw ModelError(record_path + ": files." + name +
                       ": expected a relative path and a SHA-256 of 64 hex digits");
    }
    d.digests_[name] = digest.get<std::string>();
  }
  d.recorded_ = true;
  return d;
}

void RunDigests::verify(const std::string& name, std::string_view bytes) const {
  if (!recorded_) return;
  const auto path = (fs::path(dir_) / name).string();
  const auto it = digests_.find(name);
  if (it == digests_.end()) {
    throw ModelError(path + ": not listed in " + record_path_ +
                     " (not written by fm-train for this run)");
  }
  if (sha256_hex(bytes) != it->second) {
    throw ModelError(path + ": SHA-256 differs from " + record_path_ +
                     " (the file changed or was damaged after training)");
  }
}

std::string RunDigests::read(const std::string& name) const {
  const auto path = (fs::path(dir_) / name).string();
  auto bytes = read_run_file(path, "missing (not a complete fmkit run directory?)");
  verify(name, bytes);
  return bytes;
}

void RunDigests::verify_all() const {
  for (const auto& entry : digests_) read(entry.first);
}

void check_run_format(const nlohmann::json& manifest, const std::string& path) {
  const auto& version = manifest.is_object() && manifest.contains("format_version")
                            ? manifest["format_version"]
                            : nlohmann::json();
  if (!version.is_number_integer() || version.get<int64_t>() != kRunFormatVersion) {
    throw ModelError(path + ": run format version " +
                     (version.is_null() ? std::string("(none)") : version.dump()) +
                     " is not supported by fmkit " + fmkit_version() + " (expects " +
                     std::to_string(kRunFormatVersion) + ")");
  }
}

std::vector<std::string> labels_from_json(const nlohmann::json& labels, const std::string& path) {
  if (!labels.is_object() || !labels.contains("labels") || !labels["labels"].is_array() ||
      labels["labels"].size() < 2) {
    throw ModelError(path + ": expected {\"labels\": [at least 2 strings]}");
  }
  std::vector<std::string> out;
  std::set<std::string> distinct;
  for (const auto& l : labels["labels"]) {
    if (!l.is_string()) throw ModelError(path + ": labels must be strings");
    if (!distinct.insert(l.get<std::string>()).second) {
      throw ModelError(path + ": label " + l.dump() + " is listed twice");
    }
    out.push_back(l.get<std::string>());
  }
  return out;
}

}  // namespace fm
