#pragma once
/// \file
/// How fm-train writes a run directory without ever losing the one that is there.
///
/// A run directory DIR is never modified in place. fm-train builds the new run in `DIR.partial`
/// beside it (an interrupted run's checkpoint stays there for `--resume`) and, once the new
/// `manifest.json` is written, swaps it in with one atomic rename (renameat2 RENAME_EXCHANGE; two
/// renames where the file system lacks it). Until that moment DIR is the old run, intact: a bad
/// input file, a crash, a full disk or Ctrl-C leave it as it was. One writer at a time holds
/// `DIR.lock` (beside DIR, so the swap does not lose it).

#include <string>

#include <nlohmann/json.hpp>

#include "fm/io/lock.h"

namespace fm {

/// A run directory being written by fm-train: the lock, the staging directory and the swap.
class RunStaging {
 public:
  /// Takes DIR.lock (fm::IoError, exit 5, naming the holder's pid when another fm-train has it)
  /// and checks DIR: it must be absent, an empty directory or an fmkit run (fm::ConfigError
  /// otherwise, so that `--output .` cannot swap a folder away). Touches nothing else, so the
  /// caller can check its inputs before an earlier unfinished run is discarded.
  static RunStaging lock(const std::string& dir, bool resume);

  /// Where --resume continues from, read-only until prepare(): DIR.partial when it holds a
  /// checkpoint (an interrupted run), else DIR when it holds one (a finished run, or an
  /// interrupted run of fmkit 0.1). Nothing to resume: fm::ModelError.
  std::string resume_source() const;

  /// Prepares DIR.partial:
  /// - fresh: an existing DIR.partial (an unfinished run's) is discarded with a warning and an
  ///   empty one is created;
  /// - resume: DIR.partial when it holds a checkpoint (an interrupted run); otherwise the finished
  ///   run DIR, whose files are checked against its manifest on the way (fm::ModelError naming a
  ///   file that differs) and copied into DIR.partial; a DIR written in place by fmkit 0.1 (a
  ///   checkpoint but no manifest) is moved to DIR.partial. Nothing to resume: fm::ModelError.
  void prepare();

  RunStaging(RunStaging&& other) noexcept;
  RunStaging& operator=(RunStaging&&) = delete;
  /// When the run was prepared but not committed and its staging directory holds no checkpoint
  /// (nothing to resume), the staging directory is removed. The lock is released.
  ~RunStaging();

  /// The run directory as the user named it (normalised: no trailing '/').
  const std::string& dir() const { return dir_; }
  /// Where the run is written until commit(): DIR.partial.
  const std::string& staging() const { return staging_; }

  /// Finishes the run: records the SHA-256 of every file in the staging directory in
  /// `manifest["files"]`, writes manifest.json there last, and swaps the staging directory in as
  /// DIR. Files of the previous DIR that fm-train did not write (reports a user saved there) are
  /// moved into the new run, with a warning; the previous run is then removed.
  void commit(nlohmann::json manifest);

 private:
  RunStaging(std::string dir, FileLock lock, bool resume);

  std::string dir_;
  std::string staging_;
  FileLock lock_;
  bool resume_ = false;
  bool prepared_ = false;   // staging_ is ours to clean up
  bool committed_ = false;
  std::string copied_state_;  // SHA-256 of the finished run's state.json copied by prepare()
  bool copy_unchanged() const;
};

/// The directory `--resume --output DIR` continues from: DIR.partial when it holds a checkpoint
/// (an interrupted run), else DIR when it holds one (a finished run). fm::ModelError "DIR: nothing
/// to resume" otherwise. (fm-train reads the run's config.json from there.)
std::string resumable_run_dir(const std::string& dir);

}  // namespace fm
