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
  /// Column with a stable example id copied into predictions; empty = 0-based row numbers.
  std::string id_column;
  /// PII types replaced by placeholders in every text before tokenization (fm/text/redact.h):
  /// "email", "url", "phone", "ip", "credit_card", or "all" for every type; empty = none.
  std::vector<std::string> redact;
};

/// Which columns to read from a file.
struct ColumnSpec {
  /// CSV header name / JSON key of the text (required; JSON value must be a string).
  std::string text_column = "text";
  /// CSV header name / JSON key of the label.
  std::string label_column = "label";
  /// Extra columns copied into Example::groups, in this order (all required to exist).
  std::vector<std::string> group_columns;
  /// When true, the label column must exist and every value must be non-empty. When false, a
  /// missing label column is allowed (labels are left empty and Dataset::has_labels is false).
  bool require_label = true;
  /// Optional id column; when empty, ids are the 0-based data row numbers ("0", "1", ...).
  std::string id_column;
};

/// One example as read from disk.
struct Example {
  std::string id;     ///< id column value, or the row number
  std::string text;   ///< UTF-8 text (validated)
  std::string label;  ///< label as string ("" when labels are not required and absent)
  std::vector<std::string> groups;  ///< one value per ColumnSpec::group_columns entry
  int64_t line = 0;                 ///< 1-based line in the file where the record starts
};

/// A file's examples plus where they came from.
struct Dataset {
  std::string path;                        ///< file the examples were read from
  std::vector<std::string> group_columns;  ///< names of Example::groups entries
  std::vector<Example> examples;           ///< in file order
  /// False when labels were optional and absent (CSV: no label column; JSONL: some record lacks
  /// the key or has null).
  bool has_labels = true;
};

/// Reads a labelled text file, chosen by extension: .jsonl, .ndjson or .json (any case) → JSON
/// Lines, anything else → CSV. The whole file is read at once.
///
/// CSV (RFC 4180): the first non-blank record is the header (names must be unique); fields may be
/// quoted, with `""` for a quote inside and line breaks kept as written; records end at CRLF, LF or
/// a lone CR; a UTF-8 BOM is skipped; blank lines (including a last empty line) are skipped; the
/// final record may lack a line break; spaces are data (not trimmed). Every field of every record
/// must be valid UTF-8, and every record must have as many fields as the header.
///
/// JSON Lines: one JSON object per non-blank line (CRLF accepted, BOM skipped, other keys ignored).
/// The text must be a string. Labels may be strings, integers (`1` → "1") or booleans ("true" /
/// "false"); a float with an integral value is that integer (`1.0` → "1", since JSON does not tell
/// 1 from 1.0), other floats are errors. Group values may be strings, numbers (integral → integer
/// text, others → shortest round-trip form, `30.5` → "30.5"), booleans or null (→ ""). Ids may be
/// strings or integers.
///
/// Errors are fm::DataError with one line, `path:line: message` where line is the line of the
/// problem (the opening quote for an unterminated field, the record start for a ragged row, the
/// byte itself for invalid UTF-8), e.g.
///   `path: cannot open: No such file or directory`, `path: empty file (a header row is required)`,
///   `path:17: expected 3 fields, found 2`, `path:5: unterminated quoted field`,
///   `path:4: stray quote in unquoted field "text" (quote the whole field and double inner
///   quotes)`, `path:1: no column "label" (columns: text, gender)` (+ `; did you mean "Label"?`
///   when close), `path:1: duplicate column "label" (columns 2 and 4)`, `path:12: invalid UTF-8 at
///   byte N of field "text"` (N = 0-based offset in the field; JSONL: `of the line`), `path:3:
///   empty label in column "label"`, `path: no examples`, `path:3: malformed JSON: column 7:
///   <parser message>`, `path:3: expected a JSON object, found array`, `path:3: missing key "text"
///   (keys: a, b)`, `path:3: key "text" must be a string, found number 5`.
Dataset read_dataset(const std::string& path, const ColumnSpec& columns);

/// Sorted (byte order) distinct labels of `data`. Throws fm::DataError
/// `path: only one class ("x") — need at least 2` (or `only 2 classes ("a", "b") — need at least
/// 3`) when there are fewer than `min_classes`, and `path: no examples` / `path: no labels`.
std::vector<std::string> collect_labels(const Dataset& data, std::size_t min_classes = 2);

/// Seeded stratified split into (train, held-out). For each label with `count` examples,
/// n = round(fraction × count) (half away from zero), clamped to [1, count − 1] when count ≥ 2 and
/// fraction > 0; a label with one example stays in train. Both parts keep the original file order
/// and copy path, group_columns and has_labels.
///
/// The selection is identical across compilers and standard libraries: one std::mt19937_64(seed);
/// labels visited in byte order; for each label with n > 0, its example indices (in file order) are
/// shuffled by Fisher–Yates (for i = count−1 down to 1, swap a[i] with a[j], j uniform in [0, i]
/// drawn by rejection: redraw while r < 2^64 mod (i+1), then j = r mod (i+1)), and the first n go
/// to the held-out part. Throws fm::ConfigError unless 0 ≤ fraction < 1.
std::pair<Dataset, Dataset> stratified_split(const Dataset& data, double fraction, uint64_t seed);

}  // namespace fm
