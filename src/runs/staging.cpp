#include "fm/runs/staging.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <utility>

#include "fm/error.h"
#include "fm/io/files.h"
#include "fm/log.h"
#include "fm/runs/run_files.h"
#include "fm/runs/run_json.h"

namespace fm {
namespace fs = std::filesystem;
namespace {

constexpr const char* kStagingSuffix = ".partial";
constexpr const char* kLockSuffix = ".lock";

/// What a run needs to continue training; the other files (test predictions and report,
/// postprocess.json) are written again when the resumed run finishes.
const char* const kResumeFiles[] = {RunFiles::kConfig, RunFiles::kTokenizer, RunFiles::kLabels,
                                    RunFiles::kModel, RunFiles::kMetrics};

/// Every name fm-train writes at the top of a run directory (runs from fmkit 0.1 list no files).
const std::set<std::string>& known_run_names() {
  static const std::set<std::string> names = {
      RunFiles::kModel,   RunFiles::kTokenizer,   RunFiles::kLabels, RunFiles::kConfig,
      RunFiles::kMetrics, RunFiles::kManifest,    RunFiles::kPostprocess,
      RunFiles::kCheckpointDir, RunFiles::kTestPredictions, RunFiles::kTestReport};
  return names;
}

/// `dir` without a trailing '/' or a last "." component, so that DIR.partial and DIR.lock are
/// its siblings.
std::string normalise(const std::string& dir) {
  if (dir.empty()) throw ConfigError("output.dir: must not be empty");
  fs::path p = fs::path(dir).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  if (p.filename() == "." || p.filename() == ".." || p.empty()) {
    p = fs::absolute(p).lexically_normal();
    if (p.filename().empty()) p = p.parent_path();
  }
  if (p == p.root_path() || p.filename().empty()) {
    throw ConfigError("output.dir: " + dir + " cannot be a run directory (the root)");
  }
  return p.string();
}

std::string state_file(const std::string& dir) {
  return (fs::path(dir) / RunFiles::kCheckpointDir / "state.json").string();
}

bool has_checkpoint(const std::string& dir) {
  std::error_code ec;
  return fs::is_regular_file(state_file(dir), ec);
}

bool is_empty_directory(const std::string& dir) {
  std::error_code ec;
  return fs::is_empty(dir, ec) && !ec;
}

bool looks_like_run(const std::string& dir) {
  for (const char* name : {RunFiles::kManifest, RunFiles::kConfig, RunFiles::kCheckpointDir}) {
    if (fs::exists(fs::path(dir) / name)) return true;
  }
  return false;
}

void remove_tree(const std::string& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec) throw IoError(path + ": cannot remove: " + ec.message());
}

/// Copies what --resume needs of the finished run `dir` into `staging`, each file checked against
/// the run's manifest on the way.
void copy_finished_run(const std::string& dir, const std::string& staging) {
  const auto manifest_path = (fs::path(dir) / RunFiles::kManifest).string();
  const auto digests = RunDigests::from_record(read_run_json(manifest_path), manifest_path, dir);
  if (!digests.recorded()) {
    log::warn("train", manifest_path + ": records no SHA-256 of the run's files (written by "
                                       "fmkit 0.1); they are resumed from unchecked");
  }
  std::vector<std::string> names(std::begin(kResumeFiles), std::end(kResumeFiles));
  const auto checkpoint = fs::path(dir) / RunFiles::kCheckpointDir;
  std::error_code ec;
  const auto state = std::string(RunFiles::kCheckpointDir) + "/state.json";
  for (const auto& entry : fs::recursive_directory_iterator(checkpoint, ec)) {
    const auto name = entry.path().lexically_relative(dir).generic_string();
    if (entry.is_regular_file() && name != state) names.push_back(name);
  }
  if (ec) throw ModelError(checkpoint.string() + ": cannot read: " + ec.message());
  names.push_back(state);  // last: the copy counts as a checkpoint only once it is complete
  for (const auto& name : names) {
    const auto bytes = digests.read(name);
    const auto target = fs::path(staging) / name;
    ensure_directory(target.parent_path().string());
    write_file_atomic(target.string(), bytes);
  }
}

/// Moves what a user saved in the previous run (reports, predictions) into the new one.
void carry_over_user_files(const std::string& old_run, const std::string& new_run) {
  std::set<std::string> written = known_run_names();
  try {
    const auto manifest = read_run_json((fs::path(old_run) / RunFiles::kManifest).string());
    const auto& files = manifest.is_object() && manifest.contains("files") ? manifest["files"]
                                                                           : nlohmann::json();
    if (files.is_object()) {
      for (const auto& item : files.items()) {
        written.insert(fs::path(item.key()).begin()->string());
      }
    }
  } catch (const Error&) {
    // No readable manifest: the known names are what fm-train wrote.
  }
  std::string moved;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(old_run, ec)) {
    const auto name = entry.path().filename().string();
    if (written.count(name) || fs::exists(fs::path(new_run) / name)) continue;
    fs::rename(entry.path(), fs::path(new_run) / name, ec);
    if (!ec) moved += (moved.empty() ? "" : ", ") + name;
  }
  if (!moved.empty()) {
    log::warn("train", new_run + ": kept files of the previous run that fm-train did not write: " +
                           moved + " (they describe the previous model)");
  }
}

void sync_directory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

std::string resumable_run_dir(const std::string& dir) {
  const auto run = normalise(dir);
  const auto staging = run + kStagingSuffix;
  if (has_checkpoint(staging)) return staging;
  if (has_checkpoint(run)) return run;
  throw ModelError(run + ": nothing to resume (no checkpoint in " + staging + " or " + run + ")");
}

RunStaging::RunStaging(std::string dir, FileLock lock, bool resume)
    : dir_(std::move(dir)), staging_(dir_ + kStagingSuffix), lock_(std::move(lock)),
      resume_(resume) {}

bool RunStaging::copy_unchanged() const {
  if (copied_state_.empty()) return false;
  try {
    return sha256_file(state_file(staging_)) == copied_state_;
  } catch (const Error&) {
    return false;
  }
}

RunStaging::RunStaging(RunStaging&& other) noexcept
    : dir_(std::move(other.dir_)),
      staging_(std::move(other.staging_)),
      lock_(std::move(other.lock_)),
      resume_(other.resume_),
      prepared_(std::exchange(other.prepared_, false)),
      committed_(other.committed_),
      copied_state_(std::move(other.copied_state_)) {}

RunStaging RunStaging::lock(const std::string& dir_in, bool resume) {
  const auto dir = normalise(dir_in);
  const auto parent = fs::path(dir).parent_path().string();
  try {
    ensure_directory(parent.empty() ? "." : parent);
  } catch (const IoError& e) {
    const std::string what = e.what();
    throw IoError(dir + ": cannot create directory: " + what.substr(what.rfind(": ") + 2));
  }
  if (fs::exists(dir) && !fs::is_directory(dir)) {
    throw ConfigError("output.dir: " + dir + ": exists and is not a directory; choose another "
                      "--output or remove it");
  }
  RunStaging run(dir, FileLock::acquire(dir + kLockSuffix, dir), resume);
  std::error_code ec;
  if (!resume && fs::is_directory(dir, ec) && !is_empty_directory(dir) && !looks_like_run(dir)) {
    throw ConfigError("output.dir: " + dir + ": exists and is not an fmkit run directory (no " +
                      RunFiles::kManifest + "); choose another --output or remove it");
  }
  return run;
}

std::string RunStaging::resume_source() const { return resumable_run_dir(dir_); }

void RunStaging::prepare() {
  std::error_code ec;
  if (!resume_) {
    if (fs::exists(staging_, ec)) {
      log::warn("train", "discarding the unfinished run in " + staging_ +
                             " (continue one with --resume instead)");
      remove_tree(staging_);
    }
    prepared_ = true;
    ensure_directory(staging_);
    return;
  }
  if (resume_source() == staging_) return;
  remove_tree(staging_);
  if (fs::exists(fs::path(dir_) / RunFiles::kManifest)) {
    prepared_ = true;
    ensure_directory(staging_);
    copy_finished_run(dir_, staging_);
    copied_state_ = sha256_file(state_file(staging_));
    return;
  }
  // An interrupted run of fmkit 0.1, written in place: it becomes the staging directory.
  fs::rename(dir_, staging_, ec);
  if (ec) throw IoError(dir_ + ": cannot move to " + staging_ + ": " + ec.message());
}

RunStaging::~RunStaging() {
  if (!prepared_ || committed_) return;
  // A checkpoint stays for --resume, unless it is only the copy of the finished run (which is
  // still intact): a resume that fails before its first new epoch leaves no DIR.partial.
  if (has_checkpoint(staging_) && !copy_unchanged()) return;
  std::error_code ec;
  fs::remove_all(staging_, ec);
}

void RunStaging::commit(nlohmann::json manifest) {
  auto files = sha256_tree(staging_);
  files.erase(RunFiles::kManifest);
  manifest["files"] = files;
  // Written last: a run counts only once its manifest names it complete.
  write_json_atomic((fs::path(staging_) / RunFiles::kManifest).string(), manifest);
  const auto old = replace_directory(staging_, dir_);
  if (!old.empty()) {
    carry_over_user_files(old, dir_);
    std::error_code ec;
    fs::remove_all(old, ec);
    if (ec) log::warn("train", old + ": cannot remove the previous run: " + ec.message());
  }
  committed_ = true;
  const auto parent = fs::path(dir_).parent_path().string();
  sync_directory(parent.empty() ? "." : parent);
}

}  // namespace fm
