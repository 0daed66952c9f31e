#include "fm/fairness/identity_terms.h"

#include <nlohmann/json.hpp>

#include "fm/error.h"
#include "fm/io/files.h"
#include "fm/io/json_text.h"

namespace fm {

std::vector<IdentityTermCategory> default_identity_terms() {
  // Single tokens only: the substitution happens on the tokenizer's words. Adjectival and plural
  // forms are separate categories so "my muslim neighbour" becomes "my jewish neighbour", not
  // "my jews neighbour".
  return {
      {"gender", {"woman", "man", "girl", "boy", "mother", "father", "wife", "husband",
                  "daughter", "son", "sister", "brother"}},
      {"gender_plural", {"women", "men", "girls", "boys", "ladies", "gentlemen"}},
      {"gender_pronoun", {"she", "he"}},
      {"religion", {"christian", "muslim", "jewish", "hindu", "buddhist", "atheist", "catholic",
                    "protestant", "sikh", "mormon"}},
      {"religion_plural", {"christians", "muslims", "jews", "hindus", "buddhists", "atheists",
                           "catholics", "sikhs", "mormons"}},
      {"race", {"black", "white", "asian", "latino", "latina", "hispanic", "african", "european",
                "arab", "indian", "chinese", "mexican"}},
      {"race_plural", {"blacks", "whites", "asians", "latinos", "hispanics", "africans",
                       "europeans", "arabs", "indians", "mexicans"}},
      {"sexual_orientation", {"gay", "lesbian", "straight", "bisexual", "heterosexual",
                              "homosexual", "queer", "transgender", "trans", "cisgender"}},
      {"sexual_orientation_plural", {"gays", "lesbians", "bisexuals", "heterosexuals",
                                     "homosexuals"}},
      {"age", {"young", "old", "elderly", "teenage"}},
      {"age_noun", {"teenager", "millennial", "boomer", "senior", "youngster"}},
      {"disability", {"blind", "deaf", "disabled", "autistic", "paralyzed", "mute"}},
  };
}

std::vector<IdentityTermCategory> load_identity_terms(const std::string& path) {
  std::string text;
  try {
    text = read_file(path);
  } catch (const Error& e) {
    throw ConfigError(e.what());
  }
  nlohmann::json j;
  try {
    j = parse_json_text(text);
  } catch (const JsonTextError& e) {
    throw ConfigError(path + ":" + e.what());
  }
  if (!j.is_object()) throw ConfigError(path + ": expected an object {\"category\": [terms...]}");
  std::vector<IdentityTermCategory> out;
  for (const auto& [name, terms] : j.items()) {
    if (!terms.is_array()) throw ConfigError(path + ": " + name + ": expected an array of strings");
    IdentityTermCategory c{name, {}};
    for (std::size_t i = 0; i < terms.size(); ++i) {
      if (!terms[i].is_string() || terms[i].get<std::string>().empty()) {
        throw ConfigError(path + ": " + name + "[" + std::to_string(i) +
                          "]: expected a non-empty string");
      }
      c.terms.push_back(terms[i].get<std::string>());
    }
    if (c.terms.size() < 2) throw ConfigError(path + ": " + name + ": needs at least 2 terms");
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace fm
