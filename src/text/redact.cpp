#include "fm/text/redact.h"

#include <re2/re2.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>

#include "fm/validation.h"

namespace fm {
namespace {

constexpr std::size_t index_of(PiiType type) { return static_cast<std::size_t>(type); }

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_word(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

// Built as strings so that each alternative reads on its own line; every pattern is compiled with
// leftmost-longest semantics, so alternation order does not matter.
const std::string kOctet = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
const std::string kIpv4 = kOctet + "(?:\\." + kOctet + "){3}";
const std::string kHex = "[0-9A-Fa-f]{1,4}";

std::string ipv6_pattern() {
  const std::string h = kHex;
  const std::string hc = "(?:" + h + ":)";
  const std::string ch = "(?::" + h + ")";
  return "(?:" + hc + "{7}" + h +                       // full
         "|" + hc + "{1,7}:" +                          // 1:: … 1:2:3:4:5:6:7::
         "|" + hc + "{1,6}" + ch +                      // 1::8
         "|" + hc + "{1,5}" + ch + "{1,2}" +            // 1::7:8
         "|" + hc + "{1,4}" + ch + "{1,3}" +            // 1::6:7:8
         "|" + hc + "{1,3}" + ch + "{1,4}" +            // 1::5:6:7:8
         "|" + hc + "{1,2}" + ch + "{1,5}" +            // 1::4:5:6:7:8
         "|" + h + ":" + ch + "{1,6}" +                 // 1::3:4:5:6:7:8
         "|:" + ch + "{1,7}" +                          // ::2:3 … ::8
         "|" + hc + "{6}" + kIpv4 +                     // 1:2:3:4:5:6:1.2.3.4
         "|" + hc + "{1,4}:" + kIpv4 +                  // 64:ff9b::1.2.3.4
         "|::(?:[Ff]{4}(?::0{1,4})?:)?" + kIpv4 + ")";  // ::ffff:1.2.3.4
}

std::string pattern_of(PiiType type) {
  switch (type) {
    case PiiType::kUrl:
      return "\\b(?:(?i:https?|ftp)://|(?i:www)\\.)[A-Za-z0-9._~:/?#\\[\\]@!$&'()*+,;=%-]+";
    case PiiType::kEmail:
      return "[A-Za-z0-9_%+-]+(?:\\.[A-Za-z0-9_%+-]+)*@"
             "(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,63}\\b";
    case PiiType::kCreditCard:
      return "\\b[0-9](?:[ -]?[0-9]){12,18}\\b";
    case PiiType::kIp:
      return "\\b" + kIpv4 + "\\b|" + ipv6_pattern();
    case PiiType::kPhone:
      return
          // International: +CC, an optional area code in parentheses, groups.
          "\\+[1-9][0-9]{0,2}(?:[ .-]?\\(0?[0-9]{1,4}\\))?(?:[ .-]?[0-9]{1,6}){1,6}\\b"
          // North American: (555) 123-4567, 555-123-4567, 555.123.4567, 1-555-123-4567.
          "|(?:\\b1[ .-]?)?(?:\\([2-9][0-9]{2}\\) ?|\\b[2-9][0-9]{2}[ .-])[0-9]{3}[ .-][0-9]{4}\\b"
          // European national: trunk 0 and area code, then groups.
          "|(?:\\(0[0-9]{1,4}\\) ?|\\b0[0-9]{1,4}[ ./-])[0-9]{2,8}(?:[ .-][0-9]{2,8}){0,4}\\b";
  }
  throw std::logic_error("pattern_of: unknown PiiType");
}

bool luhn_valid(const std::string& digits) {
  int sum = 0;
  bool twice = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int d = *it - '0';
    if (twice) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

// The longest prefix of a card-shaped run that ends at a group boundary and passes Luhn: a card
// number directly followed by another short number ("4111 1111 1111 1111 12/25") still counts.
std::optional<std::size_t> accept_card(std::string_view text, std::size_t s, std::size_t e) {
  std::string digits;
  std::vector<std::pair<std::size_t, std::string>> prefixes;
  for (std::size_t i = s; i < e; ++i) {
    if (!is_digit(text[i])) continue;
    digits += text[i];
    const bool at_boundary = i + 1 == e || !is_digit(text[i + 1]);
    if (at_boundary && digits.size() >= 13 && digits.size() <= 19) {
      prefixes.emplace_back(i + 1, digits);
    }
  }
  for (auto it = prefixes.rbegin(); it != prefixes.rend(); ++it) {
    if (luhn_valid(it->second)) return it->first;
  }
  return std::nullopt;
}

// A dotted quad that continues a longer dotted number (1.2.3.4.5, 10.1.2.3.4) is a version or an
// outline number, not an address.
bool in_dotted_number(std::string_view text, std::size_t s, std::size_t e) {
  const bool before = s >= 2 && text[s - 1] == '.' && is_digit(text[s - 2]);
  const bool after = e + 1 < text.size() && text[e] == '.' && is_digit(text[e + 1]);
  return before || after;
}

bool accept_ip(std::string_view text, std::size_t s, std::size_t e) {
  const std::string_view m = text.substr(s, e - s);
  if (m.find(':') == std::string_view::npos) return !in_dotted_number(text, s, e);
  const auto touches = [](char c) { return is_word(c) || c == ':'; };
  if (s > 0 && (touches(text[s - 1]) || text[s - 1] == '.')) return false;
  if (e < text.size() && touches(text[e])) return false;
  if (m.find('.') != std::string_view::npos && in_dotted_number(text, e, e)) return false;
  // "abc::" or "Foo::bar"-like fragments of prose and code: an address needs two groups, or
  // a leading "::" (::1).
  std::size_t groups = 0;
  for (std::size_t i = 0; i < m.size(); ++i) {
    if (m[i] != ':' && (i == 0 || m[i - 1] == ':')) ++groups;
  }
  return groups >= 2 || (m.size() > 2 && m.substr(0, 2) == "::");
}

// "0800-1700": two 24-hour times joined by a hyphen are opening hours, not a trunk-0 number.
bool looks_like_time_range(std::string_view m) {
  if (m.size() != 9 || m[4] != '-') return false;
  const auto hhmm = [](std::string_view t) {
    for (const char c : t) {
      if (!is_digit(c)) return false;
    }
    return (t[0] - '0') * 10 + (t[1] - '0') <= 24 && t[2] <= '5';
  };
  return hhmm(m.substr(0, 4)) && hhmm(m.substr(5, 4));
}

bool looks_like_date(const std::vector<std::size_t>& groups) {
  if (groups.size() != 3) return false;
  const bool day_month_year =
      groups[0] <= 2 && groups[1] <= 2 && (groups[2] == 2 || groups[2] == 4);
  const bool year_month_day = groups[0] == 4 && groups[1] <= 2 && groups[2] <= 2;
  return day_month_year || year_month_day;
}

// A phone pattern also matches the start of a longer run ("+1 555-123-4567 10.0.0.1" reads as
// 14 digits), so the candidate is cut back, group by group, to the longest prefix that ends where
// the number visibly ends (not before ".5", "-7" or "/8") and has a plausible digit count.
std::optional<std::size_t> accept_phone(std::string_view text, std::size_t s, std::size_t e) {
  if (s > 0 && (text[s] == '+' || text[s] == '(') && is_word(text[s - 1])) return std::nullopt;
  std::vector<std::size_t> groups;
  std::vector<std::pair<std::size_t, std::vector<std::size_t>>> cuts;
  for (std::size_t i = s; i < e; ++i) {
    if (!is_digit(text[i])) continue;
    if (i == s || !is_digit(text[i - 1])) groups.push_back(0);
    ++groups.back();
    if (i + 1 == e || !is_digit(text[i + 1])) cuts.emplace_back(i + 1, groups);
  }
  for (auto it = cuts.rbegin(); it != cuts.rend(); ++it) {
    const std::size_t end = it->first;
    const char next = end < text.size() ? text[end] : ' ';
    const bool continues = (next == '.' || next == '-' || next == '/' || next == ',') &&
                           end + 1 < text.size() && is_digit(text[end + 1]);
    if (continues || is_word(next)) continue;
    std::size_t digits = 0;
    for (const auto g : it->second) digits += g;
    if (digits < 7 || digits > 15) continue;
    if (text[s] != '+' && looks_like_date(it->second)) continue;
    if (looks_like_time_range(text.substr(s, end - s))) continue;
    return end;
  }
  return std::nullopt;
}

// Sentence punctuation right after a URL belongs to the sentence; a ')' closes a parenthesis
// around the URL unless the URL opened one itself (Wikipedia-style links).
std::size_t trim_url(std::string_view text, std::size_t s, std::size_t e) {
  while (e > s) {
    const char c = text[e - 1];
    if (c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' || c == '\'') {
      --e;
      continue;
    }
    if (c == ')' || c == ']') {
      const char open = c == ')' ? '(' : '[';
      const auto body = text.substr(s, e - s);
      if (std::count(body.begin(), body.end(), open) < std::count(body.begin(), body.end(), c)) {
        --e;
        continue;
      }
    }
    break;
  }
  return e;
}

std::optional<std::size_t> accept(PiiType type, std::string_view text, std::size_t s,
                                  std::size_t e) {
  switch (type) {
    case PiiType::kUrl: {
      const std::size_t end = trim_url(text, s, e);
      const bool www = text[s] == 'w' || text[s] == 'W';
      const std::size_t host = www ? s + 4 : text.find("://", s) + 3;
      if (end <= host) return std::nullopt;
      return end;
    }
    case PiiType::kEmail:
      return e;
    case PiiType::kCreditCard:
      return accept_card(text, s, e);
    case PiiType::kIp:
      if (!accept_ip(text, s, e)) return std::nullopt;
      return e;
    case PiiType::kPhone:
      return accept_phone(text, s, e);
  }
  return std::nullopt;
}

struct Span {
  std::size_t start = 0;
  std::size_t end = 0;
};

}  // namespace

const char* pii_type_name(PiiType type) {
  switch (type) {
    case PiiType::kUrl:
      return "url";
    case PiiType::kEmail:
      return "email";
    case PiiType::kCreditCard:
      return "credit_card";
    case PiiType::kIp:
      return "ip";
    case PiiType::kPhone:
      return "phone";
  }
  throw std::logic_error("pii_type_name: unknown PiiType");
}

const char* pii_type_tag(PiiType type) {
  switch (type) {
    case PiiType::kUrl:
      return "URL";
    case PiiType::kEmail:
      return "EMAIL";
    case PiiType::kCreditCard:
      return "CREDIT_CARD";
    case PiiType::kIp:
      return "IP";
    case PiiType::kPhone:
      return "PHONE";
  }
  throw std::logic_error("pii_type_tag: unknown PiiType");
}

std::vector<std::string> pii_type_config_names() {
  std::vector<std::string> names;
  for (const auto type : kPiiTypes) names.emplace_back(pii_type_name(type));
  names.emplace_back("all");
  return names;
}

std::vector<PiiType> parse_pii_types(const std::vector<std::string>& names,
                                     const std::string& path) {
  const auto allowed = pii_type_config_names();
  std::array<bool, kNumPiiTypes> chosen{};
  for (std::size_t i = 0; i < names.size(); ++i) {
    validation::require_one_of(path + "[" + std::to_string(i) + "]", names[i], allowed);
    for (const auto type : kPiiTypes) {
      if (names[i] == "all" || names[i] == pii_type_name(type)) chosen[index_of(type)] = true;
    }
  }
  std::vector<PiiType> types;
  for (const auto type : kPiiTypes) {
    if (chosen[index_of(type)]) types.push_back(type);
  }
  return types;
}

int64_t RedactionCounts::total() const {
  int64_t sum = 0;
  for (const auto n : by_type) sum += n;
  return sum;
}

RedactionCounts& RedactionCounts::operator+=(const RedactionCounts& other) {
  for (std::size_t i = 0; i < kNumPiiTypes; ++i) by_type[i] += other.by_type[i];
  return *this;
}

nlohmann::json redaction_counts_to_json(const RedactionCounts& counts) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto type : kPiiTypes) j[pii_type_name(type)] = counts[type];
  return j;
}

struct Redactor::Impl {
  std::vector<PiiType> types;
  std::array<std::unique_ptr<RE2>, kNumPiiTypes> patterns;
  std::array<std::string, kNumPiiTypes> placeholders;

  // The first accepted match of `type` starting at or after `from`.
  std::optional<Span> find(PiiType type, std::string_view text, std::size_t from) const {
    const RE2& re = *patterns[index_of(type)];
    const re2::StringPiece input(text.data(), text.size());
    re2::StringPiece m;
    while (from < text.size()) {
      if (!re.Match(input, from, text.size(), RE2::UNANCHORED, &m, 1)) return std::nullopt;
      const auto s = static_cast<std::size_t>(m.data() - text.data());
      const auto e = s + m.size();
      if (const auto end = accept(type, text, s, e)) return Span{s, *end};
      from = s + 1;
    }
    return std::nullopt;
  }
};

Redactor::Redactor(RedactorOptions options) : impl_(std::make_unique<Impl>()) {
  std::array<bool, kNumPiiTypes> chosen{};
  for (const auto type : options.types) chosen[index_of(type)] = true;
  RE2::Options re_options;
  re_options.set_longest_match(true);
  re_options.set_log_errors(false);
  for (const auto type : kPiiTypes) {
    std::string placeholder;
    const std::string& format = options.placeholder;
    for (std::size_t i = 0; i < format.size(); ++i) {
      if (format.compare(i, 2, "{}") == 0) {
        placeholder += pii_type_tag(type);
        ++i;
      } else {
        placeholder += format[i];
      }
    }
    impl_->placeholders[index_of(type)] = placeholder;
    if (!chosen[index_of(type)]) continue;
    impl_->types.push_back(type);
    auto re = std::make_unique<RE2>(pattern_of(type), re_options);
    if (!re->ok()) {
      throw std::logic_error(std::string("redact: bad pattern for ") + pii_type_name(type) + ": " +
                             re->error());
    }
    impl_->patterns[index_of(type)] = std::move(re);
  }
}

Redactor Redactor::from_config(const std::vector<std::string>& names) {
  RedactorOptions options;
  options.types = parse_pii_types(names);
  return Redactor(std::move(options));
}

Redactor::~Redactor() = default;
Redactor::Redactor(Redactor&& other) noexcept = default;
Redactor& Redactor::operator=(Redactor&& other) noexcept = default;

const std::vector<PiiType>& Redactor::types() const { return impl_->types; }

std::string Redactor::placeholder(PiiType type) const {
  return impl_->placeholders[index_of(type)];
}

std::string Redactor::redact(std::string_view text, RedactionCounts* counts) const {
  std::string out;
  out.reserve(text.size());
  // Each type's next accepted match is cached and searched again only once the cursor passes its
  // start, so the text is scanned about once per type.
  std::array<std::optional<Span>, kNumPiiTypes> next;
  std::array<bool, kNumPiiTypes> exhausted{};
  for (const auto type : impl_->types) next[index_of(type)] = impl_->find(type, text, 0);
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::optional<PiiType> best;
    for (const auto type : impl_->types) {
      const auto i = index_of(type);
      if (exhausted[i]) continue;
      if (next[i] && next[i]->start < pos) next[i] = impl_->find(type, text, pos);
      if (!next[i]) {
        exhausted[i] = true;
        continue;
      }
      if (!best) {
        best = type;
        continue;
      }
      const Span& a = *next[i];
      const Span& b = *next[index_of(*best)];
      if (a.start < b.start || (a.start == b.start && a.end > b.end)) best = type;
    }
    if (!best) break;
    const Span span = *next[index_of(*best)];
    out.append(text.substr(pos, span.start - pos));
    out += impl_->placeholders[index_of(*best)];
    if (counts) ++(*counts)[*best];
    pos = span.end;
  }
  if (pos < text.size()) out.append(text.substr(pos));
  return out;
}

}  // namespace fm
