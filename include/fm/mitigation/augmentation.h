#pragma once
/// \file
/// Counterfactual data augmentation (CDA; Lu et al. 2018, "Gender Bias in Neural Natural Language
/// Processing"; Dixon et al. 2018; Garg et al. 2019 use the same substitutions to measure
/// counterfactual token fairness): every training text that mentions an identity term gets copies
/// in which the term is replaced by the other terms of its category, with the same label. No torch.
///
/// Matching is tokenisation-aware and whole-word: a text is cut into words exactly where the
/// tokenizer cuts it (at every character of `TokenizerOptions::filters` and of `split`), and a term
/// matches a run of whole words, compared case-insensitively (Python's `str.lower()`, also when the
/// tokenizer keeps case). So "Muslims," and "(muslim)" match, "muslimah" and "unmuslim" do not,
/// and "muslim's" does not either (the apostrophe is not one of Keras' filters, so the tokenizer
/// sees the word "muslim's"). Terms of several words ("native american") match the same words
/// with any separators between them; the longest term starting at a word wins. Everything between
/// matches (punctuation, spacing, other words) is kept byte for byte.
///
/// Case: a substitute takes the case pattern of the text it replaces: ALL CAPS when every cased
/// letter of the replaced text is upper case and there are at least two, else a capital first
/// letter when the replaced text starts with one (Unicode simple upper case), else as listed.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "fm/data/dataset.h"
#include "fm/fairness/identity_terms.h"
#include "fm/text/tokenizer.h"

namespace fm {

/// One occurrence of an identity term in a text.
struct TermMatch {
  std::size_t begin = 0;     ///< byte offset of the first matched word
  std::size_t end = 0;       ///< byte offset one past the last matched word
  std::size_t category = 0;  ///< index into IdentityTermMatcher::categories()
  std::size_t term = 0;      ///< index into categories()[category].terms
};

/// Finds identity terms in texts, cutting words like a tokenizer with options `tokenizer`.
class IdentityTermMatcher {
 public:
  /// `categories` as from default_identity_terms() or load_identity_terms(); terms are lowercased
  /// and cut into words with the tokenizer's separators (a term that is only separators is
  /// ignored). With `char_level` tokenizers, Keras' default filters and " " separate words.
  IdentityTermMatcher(std::vector<IdentityTermCategory> categories,
                      const TokenizerOptions& tokenizer);

  /// Matches in text order, non-overlapping (longest term first at each word). A term listed in
  /// several categories gives one match per category, with the same span.
  std::vector<TermMatch> find(std::string_view text) const;

  const std::vector<IdentityTermCategory>& categories() const { return categories_; }

 private:
  struct Entry {
    std::vector<std::string> words;  // lowercased
    std::size_t category;
    std::size_t term;
  };
  std::vector<IdentityTermCategory> categories_;
  std::unordered_set<char32_t> separators_;
  std::unordered_map<std::string, std::vector<Entry>> by_first_word_;  // longest entries first
};

/// `substitute` with the case pattern of `original` (see the file comment).
std::string match_case(std::string_view original, std::string_view substitute);

/// One counterfactual text: every occurrence of `term` (of category `category`) replaced by
/// `substitute`.
struct CounterfactualText {
  std::string text;
  std::size_t category = 0;
  std::string term;
  std::string substitute;
};

/// Every counterfactual of `text`: for each distinct (category, term) it mentions, in order of
/// first occurrence, and each other term of that category in list order, the text with all
/// occurrences of the term replaced (case matched). Empty when no term occurs.
std::vector<CounterfactualText> counterfactual_texts(std::string_view text,
                                                     const IdentityTermMatcher& matcher);

/// What augment_dataset did (written to manifest.json under fairness.augmentation).
struct AugmentationCounts {
  std::size_t original_rows = 0;    ///< rows before augmentation
  std::size_t rows_with_terms = 0;  ///< rows with at least one identity term
  std::size_t candidates = 0;       ///< counterfactual texts before the cap
  std::size_t copies = 0;           ///< rows added
  std::size_t capped_rows = 0;      ///< rows with more candidates than max_copies (sampled)
  std::map<std::string, std::size_t> copies_per_category;
};

/// Appends counterfactual copies of `data`'s examples after the originals (their order is kept).
/// A copy keeps the original's label, group values (the group columns describe the original
/// comment) and line; its id is the original id + "#cf<k>", k = 1, 2, … per original. When an
/// example has more than `max_copies` candidates (0 = no cap), `max_copies` of them are drawn
/// without replacement (kept in candidate order) from one std::mt19937_64(seed) by a partial
/// Fisher–Yates shuffle with rejection sampling, so the result is the same on every platform.
AugmentationCounts augment_dataset(Dataset& data, const IdentityTermMatcher& matcher,
                                   std::size_t max_copies, uint64_t seed);

/// The categories of `all` named in `names`, in `names` order (empty `names` = all). Throws
/// fm::ConfigError `<json_path>[i]: unknown identity-term category "x" (categories: a, b, ...)`.
std::vector<IdentityTermCategory> select_categories(const std::vector<IdentityTermCategory>& all,
                                                    const std::vector<std::string>& names,
                                                    const std::string& json_path);

/// `{"original_rows", "rows_with_terms", "candidates", "copies", "capped_rows",
/// "copies_per_category": {...}}`.
nlohmann::json augmentation_counts_to_json(const AugmentationCounts& c);

}  // namespace fm
