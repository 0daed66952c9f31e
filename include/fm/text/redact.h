#pragma once
/// \file
/// PII redaction before tokenization: e-mail addresses, URLs, phone numbers, IP addresses and
/// credit-card numbers are replaced by typed placeholders such as `<EMAIL>`, so that no redacted
/// value can reach the tokenizer's vocabulary, the model or a run directory.
///
/// Matching uses RE2 (linear time, no backtracking) with leftmost-longest semantics. One pass over
/// the text: at each position the earliest-starting match of any enabled type wins; among matches
/// starting at the same byte the longest wins; on an exact tie the type that comes first in
/// kPiiTypes wins (URL, e-mail, credit card, IP, phone). Text between matches is copied unchanged,
/// and a placeholder is never matched again.
///
/// What each type matches (ASCII only; non-ASCII characters end a match and may surround one):
/// - url: `http://`, `https://` or `ftp://` (any case) or a word starting with `www.`, then URL
///   characters (RFC 3986 unreserved, reserved and `%`); trailing `.,;:!?'` and a `)` without an
///   opening one inside the URL are left out, as they end the sentence around it.
/// - email: RFC 5322-like `local@domain.tld`: local part of letters, digits and `_%+-` in
///   dot-separated runs (quotes and other rare RFC 5322 characters are left out so that an
///   address in quotes keeps them); domain labels of letters, digits and inner hyphens; a
///   top-level domain of 2 to 63 letters.
/// - credit_card: 13 to 19 digits, optionally grouped by single spaces or hyphens, not touching
///   another letter or digit, that pass the Luhn check. When the whole run fails, the longest
///   prefix ending at a group boundary that passes is taken; when none passes, the search goes
///   on from the run's next group ("1 4111 1111 1111 1111" after "::" finds the card), and a run
///   that never passes is left alone as a card (it can still be a phone number below).
/// - ip: IPv4 dotted quads with each octet 0–255 (no leading zeros), not part of a longer dotted
///   number such as the version `1.2.3.4.5`; IPv6 in full, `::`-compressed and IPv4-suffixed
///   (`::ffff:192.0.2.1`) forms, not touching another letter, digit or `:`, with at least two
///   groups unless it starts with `::` (`::1` is an address; `::`, `abc::` and `std::map` are
///   not).
/// - phone: 7 to 15 digits (E.164's maximum) in one of: international `+CC` then groups
///   separated by spaces, dots or hyphens (an area code may be in parentheses); North American
///   `(555) 123-4567`, `555-123-4567`, `555.123.4567`, `1-555-123-4567`; European national
///   numbers starting with a trunk `0` and at least one separator (`030 1234567`, `030/1234567`,
///   `06 12 34 56 78`, `(030) 1234567`). Digits without separators and, unless they start with
///   `+`, three-group shapes of dates (`dd.mm.yyyy`, `dd-mm-yy`, `yyyy-mm-dd`) and time ranges
///   (`0800-1700`) are not phone numbers. A `+` or `(` directly after a letter or digit does not
///   start one. A match that runs into following numbers is cut back to the longest group prefix
///   that ends before a space or punctuation other than `.`, `-`, `/`, `,` + digit (`+1
///   555-123-4567 10.0.0.1` is a phone number and an IP address).
///
/// Note for Keras-style tokenizers: the default `filters` remove `<` and `>`, so `<EMAIL>` becomes
/// the word `email` (lower-cased), exactly what a Keras user gets; the vocabulary then holds the
/// placeholder word, never the redacted value.

#include <array>
#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace fm {


/// The kinds of personal data a Redactor can replace.
enum class PiiType { kUrl, kEmail, kCreditCard, kIp, kPhone };

/// Number of PiiType values.
constexpr std::size_t kNumPiiTypes = 5;

/// Every PiiType in tie-break priority order (first wins on an exact tie).
constexpr std::array<PiiType, kNumPiiTypes> kPiiTypes = {
    PiiType::kUrl, PiiType::kEmail, PiiType::kCreditCard, PiiType::kIp, PiiType::kPhone};

/// Config name of a type, as in data.redact: "url", "email", "credit_card", "ip", "phone".
const char* pii_type_name(PiiType type);

/// Placeholder tag of a type: "URL", "EMAIL", "CREDIT_CARD", "IP", "PHONE".
const char* pii_type_tag(PiiType type);

/// Every config name accepted in data.redact: the five type names (in kPiiTypes order) then "all".
std::vector<std::string> pii_type_config_names();

/// Parses config names ("email", ..., or "all" for every type) into the set of types, in kPiiTypes
/// order without repeats. Throws fm::ConfigError `PATH[i] must be one of "url", ..., "all" (got
/// "x")` for an unknown name, where PATH is `path`.
std::vector<PiiType> parse_pii_types(const std::vector<std::string>& names,
                                     const std::string& path = "data.redact");

/// How many values of each type were replaced.
struct RedactionCounts {
  /// Replacements per type, indexed by static_cast<std::size_t>(PiiType).
  std::array<int64_t, kNumPiiTypes> by_type{};

  /// Replacements of one type.
  int64_t& operator[](PiiType type) { return by_type[static_cast<std::size_t>(type)]; }
  /// Replacements of one type.
  int64_t operator[](PiiType type) const { return by_type[static_cast<std::size_t>(type)]; }
  /// Replacements of every type together.
  int64_t total() const;
  /// Adds `other`'s counts type by type.
  RedactionCounts& operator+=(const RedactionCounts& other);
};

/// `{"url": n, "email": n, "credit_card": n, "ip": n, "phone": n}` (every type, zeros included).
nlohmann::json redaction_counts_to_json(const RedactionCounts& counts);

/// What a Redactor replaces and with what.
struct RedactorOptions {
  /// Types to replace (any order; repeats are ignored). Default: every type.
  std::vector<PiiType> types{kPiiTypes.begin(), kPiiTypes.end()};
  /// Replacement text; each `{}` in it becomes the type's tag (pii_type_tag), so the default gives
  /// `<EMAIL>`, `<URL>`, `<PHONE>`, `<IP>`, `<CREDIT_CARD>`. Without `{}` every type gets the
  /// same text.
  std::string placeholder = "<{}>";
};

/// Replaces PII in UTF-8 text by placeholders (rules in the file comment). Built once (the
/// patterns compile in the constructor); redact() is const and safe to call from several threads.
class Redactor {
 public:
  /// Compiles the patterns of `options.types`.
  explicit Redactor(RedactorOptions options = {});
  /// Redactor for the config names of data.redact (see parse_pii_types), default placeholder.
  static Redactor from_config(const std::vector<std::string>& names);
  ~Redactor();
  /// Movable, not copyable (owns compiled patterns).
  Redactor(Redactor&& other) noexcept;
  /// Movable, not copyable (owns compiled patterns).
  Redactor& operator=(Redactor&& other) noexcept;
  Redactor(const Redactor&) = delete;
  Redactor& operator=(const Redactor&) = delete;

  /// `text` with every match replaced by its placeholder. When `counts` is non-null, adds one per
  /// replacement to its type (counts are accumulated, not reset).
  std::string redact(std::string_view text, RedactionCounts* counts = nullptr) const;

  /// The types this redactor replaces, in kPiiTypes order.
  const std::vector<PiiType>& types() const;
  /// The placeholder text of `type` (the options' format with `{}` replaced by the tag).
  std::string placeholder(PiiType type) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fm
