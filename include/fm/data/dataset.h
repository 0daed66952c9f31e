#pragma once
/// \file
/// Labelled text datasets: CSV (RFC 4180) and JSONL readers, label sets and stratified splits.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace fm {

/// Where the data lives and which columns to read (config section "data").
struct DataOptions {
  /// Training file (.csv or .jsonl/.json lines). Required for training.
  std::string train;
  /// Validation file; empty = carve `validation_split` out of `train`.
  std::string validation;
  /// Test file, evaluated after training when set.
  std::string test;
  /// Fraction of train held out (stratified, seeded) when `validation` is empty; 0 = no validation.
  double validation_split = 0.1;
  /// Column (CSV header name or JSON key) holding the text.
  std::string text_column = "text";
  /// Column holding the label (strings; numbers in JSONL are converted to their text).
  std::string label_column = "label";
  /// Extra columns carried through to predictions and audits (e.g. identity groups).
  std::vector<std::string> group_columns;
};

/// Which columns to read from a file.
struct ColumnSpec {
  std::string text_column = "text";
  std::string label_column = "label";
  std::vector<std::string> group_columns;
  /// When false, a missing label column is allowed (labels are left empty).
  bool require_label = true;
  /// Optional id column; when absent, ids are the 0-based row numbers.
  std::string id_column;
};

/// One example as read from disk.
struct Example {
  std::string id;                   ///< id column value, or the row number
  std::string text;                 ///< UTF-8 text (validated)
  std::string label;                ///< label as string ("" when labels are not required and absent)
  std::vector<std::string> groups;  ///< one value per ColumnSpec::group_columns entry
  int64_t line = 0;                 ///< 1-based line in the file where the record starts
};

/// A file's examples plus where they came from.
struct Dataset {
  std::string path;
  std::vector<std::string> group_columns;
  std::vector<Example> examples;
  bool has_labels = true;
};

/// Reads a CSV (RFC 4180: quotes, doubled quotes, embedded newlines, CRLF, UTF-8 BOM) or JSONL file,
/// chosen by extension (.jsonl/.ndjson/.json → JSONL, anything else CSV). Validates UTF-8.
/// Throws fm::DataError "path:line: message" on any problem, including an empty dataset.
Dataset read_dataset(const std::string& path, const ColumnSpec& columns);

/// Sorted (byte order) distinct labels of `data`. Throws fm::DataError if fewer than 2 when
/// `min_classes` = 2.
std::vector<std::string> collect_labels(const Dataset& data, std::size_t min_classes = 2);

/// Seeded stratified split: per label, round(fraction * count) examples (at least 1 when the label
/// has ≥ 2 examples and fraction > 0) go to the second dataset. Order inside each part follows the
/// original file order.
std::pair<Dataset, Dataset> stratified_split(const Dataset& data, double fraction, uint64_t seed);

}  // namespace fm
