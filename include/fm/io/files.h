#pragma once
/// \file
/// Whole-file reads, crash-safe (temp + fsync + rename) writes, SHA-256 digests and `mkdir -p`.

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fm {

/// Returns the bytes of the file at `path`, read in one piece.
/// Throws fm::DataError "path: cannot open: <strerror>" when it cannot be opened (missing,
/// unreadable, a directory) and "path: cannot read: <strerror>" when reading fails midway.
std::string read_file(const std::string& path);

/// Replaces the file at `path` with `content` so that readers see either the old file or the whole
/// new one, never a half-written file: the bytes go to a unique temporary file in the same
/// directory (mode 0666 minus umask), which is flushed, fsync'ed and renamed over `path`. On any
/// failure the temporary file is removed, `path` is left untouched and fm::IoError "path: cannot
/// write: <reason>" is thrown. The parent directory must exist.
void write_file_atomic(const std::string& path, std::string_view content);

/// Lower-case hexadecimal SHA-256 (FIPS 180-4) of `data` (64 characters).
std::string sha256_hex(std::string_view data);

/// Lower-case hexadecimal SHA-256 of the file at `path`, read in chunks (any size).
/// Throws fm::DataError "path: cannot open: <strerror>" like read_file().
std::string sha256_file(const std::string& path);

/// SHA-256 of every regular file under the directory `dir`, by path relative to `dir` with '/'
/// separators (e.g. "checkpoint/model.pt"), sorted. Symbolic links are not followed. Throws
/// fm::DataError like sha256_file() when a file cannot be read.
std::map<std::string, std::string> sha256_tree(const std::string& dir);

/// Puts the directory `from` in the place of the directory `to` in one atomic step where the file
/// system allows it (renameat2 with RENAME_EXCHANGE: readers see the old or the new directory,
/// never neither); elsewhere by two renames. When `to` does not exist, `from` is simply renamed.
/// Returns where the previous `to` now is (for the caller to remove), or "" when there was none.
/// Both must be on one file system. Throws fm::IoError "to: cannot replace: <reason>".
std::string replace_directory(const std::string& from, const std::string& to);

/// Whether `a` and `b` name the same existing file (same device and inode: hard links, symbolic
/// links and different spellings of one path all match). False when either does not exist.
bool same_file(const std::string& a, const std::string& b);

/// Refuses an output that would overwrite one of the command's inputs: throws fm::ConfigError
/// "`flag` PATH: is the input file INPUT (writing it would destroy the input)" when `path` is
/// the same file as one of `inputs` (same_file). Empty paths are ignored.
void refuse_overwriting_inputs(const std::string& flag, const std::string& path,
                               const std::vector<std::string>& inputs);

/// Checks a command's output files before it does any work, so that a bad one fails before the
/// others are written: `outputs` holds (flag, path) pairs, empty paths skipped. Two flags naming
/// one file throw fm::ConfigError "`flag` PATH: is also the `other flag` output"; a path that is
/// a directory, or whose directory cannot be created (the nearest existing ancestor is not a
/// directory, or not writable), throws fm::IoError "DIR: cannot create directory: <reason>" or
/// "PATH: cannot write: <reason>". Creates nothing.
void check_outputs(const std::vector<std::pair<std::string, std::string>>& outputs);

/// Creates `path` and any missing parents (like `mkdir -p`, mode 0777 minus umask), then checks
/// that a file can be created in it by creating and removing a probe file. Throws fm::IoError
/// "path: cannot create directory: <reason>" or "path: directory is not writable: <reason>".
void ensure_directory(const std::string& path);

}  // namespace fm
