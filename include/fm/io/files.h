#pragma once
/// \file
/// Whole-file reads, crash-safe (temp + fsync + rename) writes, SHA-256 digests and `mkdir -p`.

#include <string>
#include <string_view>

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

/// Creates `path` and any missing parents (like `mkdir -p`, mode 0777 minus umask), then checks
/// that a file can be created in it by creating and removing a probe file. Throws fm::IoError
/// "path: cannot create directory: <reason>" or "path: directory is not writable: <reason>".
void ensure_directory(const std::string& path);

}  // namespace fm
