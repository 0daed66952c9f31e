#pragma once
/// \file
/// Reading JSON objects into plain structs with path-aware errors: every key read is checked for
/// its type, unknown keys are rejected with a "did you mean" suggestion, and every message names
/// the JSON path (`training.batch_size: expected an integer, got string "x"`). Shared by every
/// fmkit config (training run, audit policy).
///
/// Type rules (one place, so every config behaves the same):
/// - bool fields take only `true`/`false` (no 0/1, no strings).
/// - Integer fields take JSON integers, and also numbers with a zero fraction (`3.0`, `1e3`), since
///   many JSON writers (Python's `json.dumps(3.0)`, spreadsheets) emit integral values that way;
///   `3.5` is an error, as is a value outside the field's range. Unsigned fields reject negatives.
/// - double fields take any JSON number (integers included).
/// - `null` means "not set" for std::optional fields and is an error for every other field.
/// - An absent key keeps the field's current value (so defaults and earlier layers show through).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace fm {

/// Edit distance between `a` and `b` counting insertions, deletions, substitutions and
/// transpositions of adjacent characters (optimal string alignment variant of Damerau–Levenshtein),
/// over bytes.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate closest to `word` (compared case-insensitively), or "" when none is close: the
/// smallest edit distance wins when it is ≤ 2 and smaller than `word`'s length (ties: the earlier
/// candidate); otherwise the first candidate that `word` (3+ characters) is a prefix of, or that is
/// a prefix of `word`.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

/// `value` for an error message: its JSON type and, shortened to about 40 characters, its text:
/// `string "x"`, `number 3.5`, `boolean true`, `null`, `array [1,2]`, `object {"a":1}`.
std::string describe_json(const nlohmann::json& value);

/// Throws fm::ConfigError "the value is not valid UTF-8 (invalid UTF-8 byte at index N: 0xNN)"
/// unless `text` is valid UTF-8 (what JSON strings must be; files are checked by the parser, values
/// from flags and --set here).
void require_utf8(const std::string& text);

/// `path` + "." + `key`, or just `key` at the top level (empty `path`).
std::string join_json_path(std::string_view path, std::string_view key);

/// Reads the keys of one JSON object into struct fields, remembering which keys were asked for so
/// that finish() can reject the rest. Holds a reference: `object` must outlive the reader. All
/// errors are fm::ConfigError with one-line messages starting with the JSON path.
class JsonObjectReader {
 public:
  /// Reader over `object` at JSON path `path` ("" for the top level). Throws ConfigError
  /// "`path`: expected an object, got ..." when `object` is not a JSON object.
  JsonObjectReader(const nlohmann::json& object, std::string path);
  /// A reader keeps a reference, so binding a temporary would dangle.
  JsonObjectReader(nlohmann::json&& object, std::string path) = delete;

  /// JSON path of this object ("" at the top level).
  const std::string& path() const { return path_; }
  /// JSON path of `key` inside this object.
  std::string key_path(std::string_view key) const { return join_json_path(path_, key); }

  /// Declares `key` valid and returns its value, or nullptr when absent. The escape hatch for
  /// fields of a shape the read() overloads do not cover.
  const nlohmann::json* get(const std::string& key);

  /// Reads `key` into `field` when present (type rules in the file comment).
  void read(const std::string& key, bool& field);
  void read(const std::string& key, int64_t& field);
  void read(const std::string& key, uint64_t& field);
  void read(const std::string& key, double& field);
  void read(const std::string& key, std::string& field);
  /// `null` → nullopt.
  void read(const std::string& key, std::optional<int64_t>& field);
  void read(const std::string& key, std::optional<double>& field);
  void read(const std::string& key, std::optional<std::string>& field);
  /// An array of strings; element errors name the index (`data.group_columns[1]: ...`).
  void read(const std::string& key, std::vector<std::string>& field);

  /// Reads a string restricted to `allowed`; anything else throws
  /// `path: expected one of "a", "b", got string "x" (did you mean "a"?)`.
  void read_enum(const std::string& key, std::string& field,
                 const std::vector<std::string>& allowed);

  /// Reads a string naming one of `allowed`'s values (e.g. {{"pre", PadSide::kPre}, ...}).
  template <typename E>
  void read_enum(const std::string& key, E& field,
                 const std::vector<std::pair<std::string, E>>& allowed) {
    std::vector<std::string> names;
    names.reserve(allowed.size());
    for (const auto& entry : allowed) names.push_back(entry.first);
    const std::optional<std::size_t> index = read_choice(key, names);
    if (index) field = allowed[*index].second;
  }

  /// Reader over the nested object `key`; an absent key gives a reader over an empty object (every
  /// field keeps its value). A present non-object value (null included) throws.
  JsonObjectReader child(const std::string& key);

  /// Readers over each object of the array `key` (paths `key[0]`, `key[1]`, ...); absent → empty.
  std::vector<JsonObjectReader> child_array(const std::string& key);

  /// Throws for the first key of this object that no get/read/child call asked for:
  /// `training.epoch: unknown key (did you mean "epochs"?)`, or, without a close match,
  /// `training.foo: unknown key (valid keys: "epochs", "batch_size", ...)`.
  void finish() const;

 private:
  std::optional<std::size_t> read_choice(const std::string& key,
                                         const std::vector<std::string>& names);

  const nlohmann::json* object_;
  std::string path_;
  std::vector<std::string> known_;
};

/// Parses JSON text like nlohmann::json::parse, but a key that appears twice in one object throws
/// fm::ConfigError "PATH: duplicate key (values A and B; ...)" (JSON parsers silently keep the
/// last one, so a config with a repeated key would not do what it says); text that is not JSON, or
/// nests deeper than kMaxJsonDepth, throws fm::JsonTextError "LINE:COL: reason".
nlohmann::json parse_json_unique_keys(const std::string& text);

/// Reads and parses a JSON config file. Missing/unreadable → ConfigError "path: cannot open WHAT:
/// reason"; malformed → ConfigError "path:LINE:COL: malformed JSON: reason" (LINE/COL 1-based, where
/// the parser stopped); a duplicate key → ConfigError "path: KEY.PATH: duplicate key (values A and
/// B; ...)". `what` names the kind of file in messages ("config", "policy").
nlohmann::json load_json_file(const std::string& path, const std::string& what);

/// Applies one `key.path=value` assignment to `root` (the JSON form of a config): the value is
/// parsed as JSON when it parses, else taken as a string; numeric segments index arrays
/// (`gates.0.max=0.2`); missing sections are created so that the config reader reports them as
/// unknown keys with its usual did-you-mean. Bad syntax → ConfigError "expected key.path=value";
/// a non-object on the path or an index out of range → ConfigError naming the path.
void set_json_path(nlohmann::json& root, const std::string& assignment);

}  // namespace fm
