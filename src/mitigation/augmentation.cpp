#include "fm/mitigation/augmentation.h"

#include <algorithm>
#include <numeric>
#include <random>
#include <utility>

#include <nlohmann/json.hpp>
#include <utf8proc.h>

#include "fm/error.h"
#include "fm/text/unicode.h"

namespace fm {
namespace {

struct Word {
  std::size_t begin, end;
  std::string lower;
};

std::vector<Word> cut_words(std::string_view text, const std::unordered_set<char32_t>& seps) {
  std::vector<Word> words;
  std::size_t at = 0;
  std::size_t start = std::string_view::npos;
  while (at < text.size()) {
    const auto before = at;
    const char32_t cp = decode_utf8(text, at);
    if (seps.count(cp)) {
      if (start != std::string_view::npos) {
        words.push_back({start, before, utf8_lower(text.substr(start, before - start))});
      }
      start = std::string_view::npos;
    } else if (start == std::string_view::npos) {
      start = before;
    }
  }
  if (start != std::string_view::npos) {
    words.push_back({start, text.size(), utf8_lower(text.substr(start))});
  }
  return words;
}

bool is_upper(char32_t cp) {
  const auto cat = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
  return cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LT;
}

char32_t to_upper(char32_t cp) {
  return static_cast<char32_t>(utf8proc_toupper(static_cast<utf8proc_int32_t>(cp)));
}

/// Uniform in [0, n) from a 64-bit generator, by rejection (no modulo bias, platform independent).
uint64_t uniform_below(std::mt19937_64& rng, uint64_t n) {
  const uint64_t limit = (0 - n) % n;  // 2^64 mod n
  uint64_t r = rng();
  while (r < limit) r = rng();
  return r % n;
}

}  // namespace

IdentityTermMatcher::IdentityTermMatcher(std::vector<IdentityTermCategory> categories,
                                         const TokenizerOptions& tokenizer)
    : categories_(std::move(categories)) {
  const TokenizerOptions keras_default;
  const auto& filters = tokenizer.char_level ? keras_default.filters : tokenizer.filters;
  const auto& split = tokenizer.char_level ? keras_default.split : tokenizer.split;
  for (const auto cp : utf8_code_points(filters)) separators_.insert(cp);
  for (const auto cp : utf8_code_points(split)) separators_.insert(cp);
  for (std::size_t c = 0; c < categories_.size(); ++c) {
    for (std::size_t t = 0; t < categories_[c].terms.size(); ++t) {
      auto cut = cut_words(categories_[c].terms[t], separators_);
      if (cut.empty()) continue;
      Entry e{{}, c, t};
      for (auto& w : cut) e.words.push_back(std::move(w.lower));
      auto& list = by_first_word_[e.words.front()];
      const bool duplicate = std::any_of(list.begin(), list.end(), [&](const Entry& o) {
        return o.category == c && o.words == e.words;
      });
      if (!duplicate) list.push_back(std::move(e));
    }
  }
  for (auto& [first, list] : by_first_word_) {
    std::stable_sort(list.begin(), list.end(), [](const Entry& a, const Entry& b) {
      return a.words.size() > b.words.size();
    });
  }
}

std::vector<TermMatch> IdentityTermMatcher::find(std::string_view text) const {
  std::vector<TermMatch> out;
  const auto words = cut_words(text, separators_);
  std::size_t k = 0;
  while (k < words.size()) {
    const auto it = by_first_word_.find(words[k].lower);
    std::size_t matched = 0;
    if (it != by_first_word_.end()) {
      for (const auto& e : it->second) {
        if (matched && e.words.size() < matched) break;  // only the longest length
        if (k + e.words.size() > words.size()) continue;
        bool ok = true;
        for (std::size_t i = 1; i < e.words.size() && ok; ++i) ok = words[k + i].lower == e.words[i];
        if (!ok) continue;
        matched = e.words.size();
        out.push_back({words[k].begin, words[k + matched - 1].end, e.category, e.term});
      }
    }
    k += matched ? matched : 1;
  }
  return out;
}

std::string match_case(std::string_view original, std::string_view substitute) {
  std::size_t upper = 0, lower = 0;
  bool first_upper = false, seen_cased = false;
  for (const auto cp : utf8_code_points(original)) {
    if (!is_cased(cp)) continue;
    const bool up = is_upper(cp);
    if (!seen_cased) first_upper = up;
    seen_cased = true;
    (up ? upper : lower) += 1;
  }
  const bool all_caps = upper >= 2 && lower == 0;
  if (!all_caps && !first_upper) return std::string(substitute);
  std::string out;
  bool done_first = false;
  for (const auto cp : utf8_code_points(substitute)) {
    if (all_caps || (!done_first && is_cased(cp))) {
      append_utf8(out, to_upper(cp));
      if (is_cased(cp)) done_first = true;
    } else {
      append_utf8(out, cp);
    }
  }
  return out;
}

std::vector<CounterfactualText> counterfactual_texts(std::string_view text,
                                                     const IdentityTermMatcher& matcher) {
  std::vector<CounterfactualText> out;
  const auto matches = matcher.find(text);
  std::vector<std::pair<std::size_t, std::size_t>> units;  // (category, term), first occurrence
  for (const auto& m : matches) {
    const std::pair<std::size_t, std::size_t> u{m.category, m.term};
    if (std::find(units.begin(), units.end(), u) == units.end()) units.push_back(u);
  }
  const auto& cats = matcher.categories();
  for (const auto& [c, t] : units) {
    const auto& terms = cats[c].terms;
    for (std::size_t s = 0; s < terms.size(); ++s) {
      if (s == t || utf8_lower(terms[s]) == utf8_lower(terms[t])) continue;
      CounterfactualText cf{std::string(), c, terms[t], terms[s]};
      std::size_t at = 0;
      for (const auto& m : matches) {
        if (m.category != c || m.term != t) continue;
        cf.text.append(text.substr(at, m.begin - at));
        cf.text += match_case(text.substr(m.begin, m.end - m.begin), terms[s]);
        at = m.end;
      }
      cf.text.append(text.substr(at));
      out.push_back(std::move(cf));
    }
  }
  return out;
}

AugmentationCounts augment_dataset(Dataset& data, const IdentityTermMatcher& matcher,
                                   std::size_t max_copies, uint64_t seed) {
  AugmentationCounts counts;
  counts.original_rows = data.examples.size();
  for (const auto& c : matcher.categories()) counts.copies_per_category[c.name] = 0;
  std::mt19937_64 rng(seed);
  std::vector<Example> added;
  for (std::size_t r = 0; r < counts.original_rows; ++r) {
    const auto& ex = data.examples[r];
    auto cfs = counterfactual_texts(ex.text, matcher);
    if (cfs.empty()) continue;
    ++counts.rows_with_terms;
    counts.candidates += cfs.size();
    std::vector<std::size_t> keep(cfs.size());
    std::iota(keep.begin(), keep.end(), 0);
    if (max_copies > 0 && cfs.size() > max_copies) {
      ++counts.capped_rows;
      for (std::size_t i = 0; i < max_copies; ++i) {
        const auto j = i + static_cast<std::size_t>(uniform_below(rng, keep.size() - i));
        std::swap(keep[i], keep[j]);
      }
      keep.resize(max_copies);
      std::sort(keep.begin(), keep.end());
    }
    std::size_t k = 0;
    for (const auto i : keep) {
      Example copy = ex;
      copy.text = std::move(cfs[i].text);
      copy.id = ex.id + "#cf" + std::to_string(++k);
      ++counts.copies_per_category[matcher.categories()[cfs[i].category].name];
      added.push_back(std::move(copy));
    }
  }
  counts.copies = added.size();
  data.examples.reserve(data.examples.size() + added.size());
  for (auto& ex : added) data.examples.push_back(std::move(ex));
  return counts;
}

std::vector<IdentityTermCategory> select_categories(const std::vector<IdentityTermCategory>& all,
                                                    const std::vector<std::string>& names,
                                                    const std::string& json_path) {
  if (names.empty()) return all;
  std::vector<IdentityTermCategory> out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto it = std::find_if(all.begin(), all.end(),
                                 [&](const IdentityTermCategory& c) { return c.name == names[i]; });
    if (it == all.end()) {
      std::string known;
      for (const auto& c : all) known += (known.empty() ? "" : ", ") + c.name;
      throw ConfigError(json_path + "[" + std::to_string(i) + "]: unknown identity-term category \"" +
                        names[i] + "\" (categories: " + known + ")");
    }
    out.push_back(*it);
  }
  return out;
}

nlohmann::json augmentation_counts_to_json(const AugmentationCounts& c) {
  return {{"original_rows", c.original_rows},   {"rows_with_terms", c.rows_with_terms},
          {"candidates", c.candidates},         {"copies", c.copies},
          {"capped_rows", c.capped_rows},       {"copies_per_category", c.copies_per_category}};
}

}  // namespace fm
