// Exposes fm::Tokenizer, fm::pad_sequences and the UTF-8 helpers on stdin/stdout for
// tests/python/test_keras_text.py.
//
// stdin: {"requests": [REQUEST, ...]}, stdout: {"responses": [RESPONSE, ...]}, one per request.
// REQUEST (every key optional):
//   "options":   {"num_words", "filters", "lower", "split", "char_level", "oov_token"}
//   "from_json": Keras tokenizer JSON string (used instead of "options")
//   "fit":       [[text, ...], ...]   one fit_on_texts call per inner list
//   "fit_transform_threads": T       fit with fit_transform(batch, T) instead; the response's
//                                     "fit_transform" holds the last batch's sequences
//   "texts":     [text, ...]          converted with text_to_sequence (and split_text)
//   "pad":       [{"maxlen": int|null, "padding": "pre"|"post", "truncating": ..., "value": int}]
//                applied to the sequences of "texts"
//   "lower":     [text, ...]          fm::utf8_lower of each
//   "code_points": [int, ...]         fm::is_cased / fm::is_case_ignorable of each
// RESPONSE: {"word_index", "index_word", "document_count", "vocab_size", "oov_index",
//   "word_counts" (ordered), "word_docs", "sequences", "tokens", "pads": [{"values", "lengths",
//   "rows", "cols"}], "to_json", "lower", "lengths" (utf8_length of "lower" texts), "cased",
//   "case_ignorable"} or {"error": message, "error_type": "ConfigError"|"DataError"|...} when the
//   library threw.
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fm/error.h"
#include "fm/text/padding.h"
#include "fm/text/tokenizer.h"
#include "fm/text/unicode.h"

namespace {

using Json = nlohmann::ordered_json;

fm::TokenizerOptions parse_options(const Json& j) {
  fm::TokenizerOptions options;
  if (j.contains("num_words") && !j["num_words"].is_null()) {
    options.num_words = j["num_words"].get<int64_t>();
  }
  if (j.contains("filters")) options.filters = j["filters"].get<std::string>();
  if (j.contains("lower")) options.lower = j["lower"].get<bool>();
  if (j.contains("split")) options.split = j["split"].get<std::string>();
  if (j.contains("char_level")) options.char_level = j["char_level"].get<bool>();
  if (j.contains("oov_token") && !j["oov_token"].is_null()) {
    options.oov_token = j["oov_token"].get<std::string>();
  }
  return options;
}

Json handle(const Json& request) {
  Json response = Json::object();
  if (request.contains("lower")) {
    Json lowered = Json::array();
    Json lengths = Json::array();
    for (const auto& text : request["lower"]) {
      lowered.push_back(fm::utf8_lower(text.get<std::string>()));
      lengths.push_back(fm::utf8_length(text.get<std::string>()));
    }
    response["lower"] = std::move(lowered);
    response["lengths"] = std::move(lengths);
  }
  if (request.contains("code_points")) {
    Json cased = Json::array();
    Json ignorable = Json::array();
    for (const auto& cp : request["code_points"]) {
      cased.push_back(fm::is_cased(cp.get<char32_t>()));
      ignorable.push_back(fm::is_case_ignorable(cp.get<char32_t>()));
    }
    response["cased"] = std::move(cased);
    response["case_ignorable"] = std::move(ignorable);
  }
  if (!request.contains("options") && !request.contains("from_json")) return response;

  fm::Tokenizer tokenizer =
      request.contains("from_json")
          ? fm::Tokenizer::from_json(request["from_json"].get<std::string>())
          : fm::Tokenizer(parse_options(request["options"]));
  if (request.contains("fit")) {
    // "fit_transform_threads": T fits each batch with fit_transform on T threads instead, and
    // answers the last batch's sequences as "fit_transform".
    const int threads = request.value("fit_transform_threads", 0);
    for (const auto& batch : request["fit"]) {
      if (threads == 0) {
        tokenizer.fit_on_texts(batch.get<std::vector<std::string>>());
        continue;
      }
      const fm::FlatSequences flat =
          tokenizer.fit_transform(batch.get<std::vector<std::string>>(), threads);
      Json rows = Json::array();
      for (int64_t i = 0; i < flat.size(); ++i) {
        rows.push_back(std::vector<int64_t>(flat.data(i), flat.data(i) + flat.length(i)));
      }
      response["fit_transform"] = std::move(rows);
    }
  }
  Json word_index = Json::object();
  for (const auto& [word, index] : tokenizer.word_index()) word_index[word] = index;
  Json index_word = Json::object();
  const auto& words = tokenizer.index_word();
  for (size_t i = 1; i < words.size(); ++i) {
    auto it = tokenizer.word_index().find(words[i]);
    if (it != tokenizer.word_index().end() && it->second == static_cast<int64_t>(i)) {
      index_word[std::to_string(i)] = words[i];
    }
  }
  response["word_index"] = std::move(word_index);
  response["index_word"] = std::move(index_word);
  response["document_count"] = tokenizer.document_count();
  response["vocab_size"] = tokenizer.vocab_size();
  response["oov_index"] = tokenizer.oov_index();
  Json word_docs = Json::object();
  for (const auto& [word, index] : tokenizer.word_index()) {
    const int64_t docs = tokenizer.word_doc_count(word);
    if (docs > 0) word_docs[word] = docs;
  }
  response["word_docs"] = std::move(word_docs);

  const auto texts = request.value("texts", std::vector<std::string>{});
  Json tokens = Json::array();
  for (const auto& text : texts) tokens.push_back(tokenizer.split_text(text));
  response["tokens"] = std::move(tokens);
  const auto sequences = tokenizer.texts_to_sequences(texts);
  response["sequences"] = sequences;
  Json pads = Json::array();
  if (request.contains("pad")) {
    for (const auto& p : request["pad"]) {
      fm::PaddingOptions options;
      if (p.contains("maxlen") && !p["maxlen"].is_null()) {
        options.maxlen = p["maxlen"].get<int64_t>();
      }
      options.padding = fm::parse_pad_side(p.value("padding", std::string("pre")));
      options.truncating = fm::parse_pad_side(p.value("truncating", std::string("pre")));
      options.value = p.value("value", int64_t{0});
      const fm::PaddedSequences padded = fm::pad_sequences(sequences, options);
      Json rows = Json::array();
      for (int64_t r = 0; r < padded.rows; ++r) {
        auto begin = padded.values.begin() + r * padded.cols;
        rows.push_back(std::vector<int64_t>(begin, begin + padded.cols));
      }
      pads.push_back({{"values", std::move(rows)},
                      {"lengths", padded.lengths},
                      {"rows", padded.rows},
                      {"cols", padded.cols}});
    }
  }
  response["pads"] = std::move(pads);
  response["to_json"] = tokenizer.to_json();
  return response;
}

const char* error_type(const fm::Error& e) {
  if (dynamic_cast<const fm::DataError*>(&e) != nullptr) return "DataError";
  if (dynamic_cast<const fm::ConfigError*>(&e) != nullptr) return "ConfigError";
  return "Error";
}

}  // namespace

int main() {
  try {
    const std::string input((std::istreambuf_iterator<char>(std::cin)),
                            std::istreambuf_iterator<char>());
    const Json request = Json::parse(input);
    Json responses = Json::array();
    for (const auto& r : request.at("requests")) {
      try {
        responses.push_back(handle(r));
      } catch (const fm::Error& e) {
        responses.push_back({{"error", e.what()}, {"error_type", error_type(e)}});
      }
    }
    std::cout << Json{{"responses", std::move(responses)}}.dump() << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "driver_keras_text: error: " << e.what() << "\n";
    return 1;
  }
}
