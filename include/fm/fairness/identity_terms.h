#pragma once
/// \file
/// Identity-term substitution lists for counterfactual token fairness (Garg et al. 2019,
/// "Counterfactual Fairness in Text Classification through Robustness"). No torch.

#include <string>
#include <vector>

namespace fm {

/// One category of interchangeable identity terms (single lowercase tokens), e.g. religion:
/// {"christian", "muslim", "jewish", ...}. A counterfactual replaces one term by each other term.
struct IdentityTermCategory {
  std::string name;
  std::vector<std::string> terms;
};

/// fmkit's default English list: gender, religion, race/ethnicity, sexual orientation, age and
/// disability terms, each category holding terms that fit the same sentence slots (adjectives and
/// nouns kept in separate categories so that substitutions stay grammatical).
std::vector<IdentityTermCategory> default_identity_terms();

/// Reads a list from JSON `{"category": ["term", ...], ...}`; terms are lowercased by the caller's
/// tokenizer rules. Throws fm::ConfigError naming the file and JSON path on a bad shape.
std::vector<IdentityTermCategory> load_identity_terms(const std::string& path);

}  // namespace fm
