#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fm/config/config.h"
#include "fm/config/json_reader.h"
#include "fm/error.h"

namespace {

using fm::ConfigError;
using fm::PadSide;
using fm::RunConfig;
using nlohmann::json;

const std::string kDataDir = std::string(FM_TEST_DATA_DIR) + "/config/";
const std::string kQuickstart = std::string(FM_TEST_DATA_DIR) + "/../../configs/quickstart.json";

// The ConfigError message thrown by `f`, or "<no error>".
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "<no error>";
}

std::string from_json_error(const json& j) {
  return error_of([&] { fm::run_config_from_json(j); });
}

std::string override_error(const std::vector<std::string>& assignments) {
  RunConfig config = fm::default_run_config();
  return error_of([&] { fm::apply_overrides(config, assignments); });
}

std::string write_temp(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / ("fm_test_config_" + name);
  std::ofstream(path, std::ios::binary) << text;
  return path.string();
}

// Every field set away from its default; must match tests/data/config/full.json.
RunConfig full_config() {
  RunConfig c;
  c.data.train = "in/train.jsonl";
  c.data.validation = "in/valid.jsonl";
  c.data.test = "in/test.jsonl";
  c.data.validation_split = 0.25;
  c.data.text_column = "comment";
  c.data.label_column = "is_toxic";
  c.data.group_columns = {"gender", "race"};
  c.tokenizer.num_words = 777;
  c.tokenizer.filters = "!?";
  c.tokenizer.lower = false;
  c.tokenizer.split = "|";
  c.tokenizer.char_level = true;
  c.tokenizer.oov_token = "[UNK]";
  c.padding.maxlen = 33;
  c.padding.padding = PadSide::kPre;
  c.padding.truncating = PadSide::kPre;
  c.padding.value = -1;
  c.data.id_column = "comment_id";
  c.model.embedding_dim = 7;
  c.model.hidden_size = 9;
  c.model.num_layers = 3;
  c.model.bidirectional = true;
  c.model.dropout = 0.5;
  c.training.epochs = 4;
  c.training.batch_size = 5;
  c.training.learning_rate = 0.25;
  c.training.weight_decay = 0.125;
  c.training.clip_grad_norm = 0.0;
  c.training.class_weight = "balanced";
  c.training.seed = std::numeric_limits<uint64_t>::max();
  c.training.threads = 2;
  c.training.bucket_by_length = false;
  c.training.early_stopping.metric = "loss";
  c.training.early_stopping.patience = 0;
  c.training.early_stopping.min_delta = 0.5;
  c.training.early_stopping.restore_best = false;
  c.output.dir = "out/full";
  return c;
}

void expect_same(const RunConfig& a, const RunConfig& b) {
  EXPECT_EQ(a.data.train, b.data.train);
  EXPECT_EQ(a.data.validation, b.data.validation);
  EXPECT_EQ(a.data.test, b.data.test);
  EXPECT_EQ(a.data.validation_split, b.data.validation_split);
  EXPECT_EQ(a.data.text_column, b.data.text_column);
  EXPECT_EQ(a.data.label_column, b.data.label_column);
  EXPECT_EQ(a.data.group_columns, b.data.group_columns);
  EXPECT_EQ(a.data.id_column, b.data.id_column);
  EXPECT_EQ(a.tokenizer.num_words, b.tokenizer.num_words);
  EXPECT_EQ(a.tokenizer.filters, b.tokenizer.filters);
  EXPECT_EQ(a.tokenizer.lower, b.tokenizer.lower);
  EXPECT_EQ(a.tokenizer.split, b.tokenizer.split);
  EXPECT_EQ(a.tokenizer.char_level, b.tokenizer.char_level);
  EXPECT_EQ(a.tokenizer.oov_token, b.tokenizer.oov_token);
  EXPECT_EQ(a.padding.maxlen, b.padding.maxlen);
  EXPECT_EQ(a.padding.padding, b.padding.padding);
  EXPECT_EQ(a.padding.truncating, b.padding.truncating);
  EXPECT_EQ(a.padding.value, b.padding.value);
  EXPECT_EQ(a.model.embedding_dim, b.model.embedding_dim);
  EXPECT_EQ(a.model.hidden_size, b.model.hidden_size);
  EXPECT_EQ(a.model.num_layers, b.model.num_layers);
  EXPECT_EQ(a.model.bidirectional, b.model.bidirectional);
  EXPECT_EQ(a.model.dropout, b.model.dropout);
  EXPECT_EQ(a.training.epochs, b.training.epochs);
  EXPECT_EQ(a.training.batch_size, b.training.batch_size);
  EXPECT_EQ(a.training.learning_rate, b.training.learning_rate);
  EXPECT_EQ(a.training.weight_decay, b.training.weight_decay);
  EXPECT_EQ(a.training.clip_grad_norm, b.training.clip_grad_norm);
  EXPECT_EQ(a.training.class_weight, b.training.class_weight);
  EXPECT_EQ(a.training.seed, b.training.seed);
  EXPECT_EQ(a.training.threads, b.training.threads);
  EXPECT_EQ(a.training.bucket_by_length, b.training.bucket_by_length);
  EXPECT_EQ(a.training.early_stopping.metric, b.training.early_stopping.metric);
  EXPECT_EQ(a.training.early_stopping.patience, b.training.early_stopping.patience);
  EXPECT_EQ(a.training.early_stopping.min_delta, b.training.early_stopping.min_delta);
  EXPECT_EQ(a.training.early_stopping.restore_best, b.training.early_stopping.restore_best);
  EXPECT_EQ(a.output.dir, b.output.dir);
}

std::vector<std::string> keys_of(const json& object) {
  std::vector<std::string> keys;
  for (const auto& item : object.items()) keys.push_back(item.key());
  return keys;
}

// Edit distance and suggestions

TEST(EditDistance, KnownValues) {
  EXPECT_EQ(fm::edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(fm::edit_distance("flaw", "lawn"), 2u);
  EXPECT_EQ(fm::edit_distance("", "abc"), 3u);
  EXPECT_EQ(fm::edit_distance("abc", ""), 3u);
  EXPECT_EQ(fm::edit_distance("same", "same"), 0u);
  EXPECT_EQ(fm::edit_distance("abcd", "acbd"), 1u);  // one adjacent transposition
  // Optimal string alignment forbids editing a transposed pair again: 3, not Damerau's 2.
  EXPECT_EQ(fm::edit_distance("ca", "abc"), 3u);
}

TEST(DidYouMean, ClosestWithinTwoEdits) {
  const std::vector<std::string> keys = {"epochs", "batch_size", "learning_rate", "early_stopping"};
  EXPECT_EQ(fm::did_you_mean("epoch", keys), "epochs");
  EXPECT_EQ(fm::did_you_mean("epohcs", keys), "epochs");
  EXPECT_EQ(fm::did_you_mean("batch_sise", keys), "batch_size");
  EXPECT_EQ(fm::did_you_mean("LEARNING_RATE", keys), "learning_rate");
  EXPECT_EQ(fm::did_you_mean("learningrate", keys), "learning_rate");
}

TEST(DidYouMean, PrefixMatch) {
  const std::vector<std::string> keys = {"epochs", "batch_size", "early_stopping"};
  EXPECT_EQ(fm::did_you_mean("early", keys), "early_stopping");
  EXPECT_EQ(fm::did_you_mean("batch", keys), "batch_size");
  EXPECT_EQ(fm::did_you_mean("directory", {"dir"}), "dir");
}

TEST(DidYouMean, NothingClose) {
  const std::vector<std::string> keys = {"epochs", "batch_size", "dir"};
  EXPECT_EQ(fm::did_you_mean("momentum", keys), "");
  EXPECT_EQ(fm::did_you_mean("ab", keys), "");
  // Two edits turn any 2-letter word into any other: a suggestion must keep one letter.
  EXPECT_EQ(fm::did_you_mean("zz", {"lr"}), "");
  EXPECT_EQ(fm::did_you_mean("lx", {"lr"}), "lr");
  EXPECT_EQ(fm::did_you_mean("ep", keys), "");  // prefixes need 3 characters
  EXPECT_EQ(fm::did_you_mean("epochs", {}), "");
}

TEST(DescribeJson, TypeAndShortText) {
  EXPECT_EQ(fm::describe_json(json("x")), "string \"x\"");
  EXPECT_EQ(fm::describe_json(json(3.5)), "number 3.5");
  EXPECT_EQ(fm::describe_json(json(-2)), "number -2");
  EXPECT_EQ(fm::describe_json(json(true)), "boolean true");
  EXPECT_EQ(fm::describe_json(json(nullptr)), "null");
  EXPECT_EQ(fm::describe_json(json::parse("[1, 2]")), "array [1,2]");
  EXPECT_EQ(fm::describe_json(json::parse(R"({"a": 1})")), "object {\"a\":1}");
  const std::string shown = fm::describe_json(json(std::string(100, 'z')));
  EXPECT_EQ(shown, "string \"" + std::string(36, 'z') + "...");
}

// JsonObjectReader on its own (the shape a future audit policy needs)

TEST(JsonObjectReader, ReadsEveryTypeAndKeepsAbsentFields) {
  const json j = json::parse(R"({"b": true, "i": -4, "u": 7, "d": 2, "s": "x", "oi": null,
                                 "od": 0.5, "os": "y", "v": ["p", "q"]})");
  fm::JsonObjectReader r(j, "policy");
  bool b = false;
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
  std::string s;
  std::optional<int64_t> oi = 3;
  std::optional<double> od;
  std::optional<std::string> os;
  std::vector<std::string> v;
  int64_t absent = 42;
  r.read("b", b);
  r.read("i", i);
  r.read("u", u);
  r.read("d", d);
  r.read("s", s);
  r.read("oi", oi);
  r.read("od", od);
  r.read("os", os);
  r.read("v", v);
  r.read("absent", absent);
  EXPECT_NO_THROW(r.finish());
  EXPECT_TRUE(b);
  EXPECT_EQ(i, -4);
  EXPECT_EQ(u, 7u);
  EXPECT_EQ(d, 2.0);
  EXPECT_EQ(s, "x");
  EXPECT_EQ(oi, std::nullopt);
  EXPECT_EQ(od, 0.5);
  EXPECT_EQ(os, "y");
  EXPECT_EQ(v, (std::vector<std::string>{"p", "q"}));
  EXPECT_EQ(absent, 42);
}

TEST(JsonObjectReader, ChildArrayPathsAndUnknownKeys) {
  const json j = json::parse(R"({"gates": [{"max": 0.1}, {"mx": 0.2}, 3]})");
  fm::JsonObjectReader root(j, "");
  EXPECT_EQ(error_of([&] { root.child_array("gates"); }),
            "gates[2]: expected an object, got number 3");

  const json ok = json::parse(R"({"gates": [{"max": 0.1}, {"mx": 0.2}]})");
  fm::JsonObjectReader root_ok(ok, "");
  auto gates = root_ok.child_array("gates");
  ASSERT_EQ(gates.size(), 2u);
  std::optional<double> max;
  gates[0].read("max", max);
  EXPECT_NO_THROW(gates[0].finish());
  EXPECT_EQ(max, 0.1);
  gates[1].read("max", max);
  EXPECT_EQ(error_of([&] { gates[1].finish(); }),
            "gates[1].mx: unknown key (did you mean \"max\"?)");
  EXPECT_NO_THROW(root_ok.finish());
}

TEST(JsonObjectReader, GetDeclaresKeyAndObjectWithoutKeys) {
  const json j = json::parse(R"({"raw": {"x": 1}, "extra": 2})");
  fm::JsonObjectReader r(j, "p");
  const json* raw = r.get("raw");
  ASSERT_NE(raw, nullptr);
  EXPECT_EQ((*raw)["x"], 1);
  EXPECT_EQ(r.get("missing"), nullptr);
  EXPECT_EQ(error_of([&] { r.finish(); }),
            "p.extra: unknown key (valid keys: \"raw\", \"missing\")");
  const json one_key = json::parse(R"({"a": 1})");
  fm::JsonObjectReader empty(one_key, "q");
  EXPECT_EQ(error_of([&] { empty.finish(); }), "q.a: unknown key (this object takes no keys)");
}

// Defaults and to_json

TEST(RunConfigDefaults, PaddingPostAndMaxlen128OtherwiseStructDefaults) {
  const RunConfig c = fm::default_run_config();
  EXPECT_EQ(c.padding.maxlen, 128);
  EXPECT_EQ(c.padding.padding, PadSide::kPost);
  EXPECT_EQ(c.padding.truncating, PadSide::kPost);
  EXPECT_EQ(c.padding.value, 0);
  EXPECT_EQ(c.data.train, "");
  EXPECT_EQ(c.data.validation_split, 0.1);
  EXPECT_EQ(c.tokenizer.num_words, std::nullopt);
  EXPECT_EQ(c.model.num_layers, 2);
  EXPECT_EQ(c.training.epochs, 10);
  EXPECT_EQ(c.training.learning_rate, 0.001);
  EXPECT_EQ(c.output.dir, "runs/default");
}

TEST(RunConfigJson, ToJsonWritesEveryFieldUnderItsName) {
  const json j = fm::to_json(fm::default_run_config());
  // nlohmann::json keeps object keys sorted.
  EXPECT_EQ(keys_of(j), (std::vector<std::string>{"data", "model", "output", "padding", "tokenizer",
                                                  "training"}));
  EXPECT_EQ(keys_of(j["data"]),
            (std::vector<std::string>{"group_columns", "id_column", "label_column", "redact",
                                      "test", "text_column", "train", "validation",
                                      "validation_split"}));
  EXPECT_EQ(keys_of(j["tokenizer"]), (std::vector<std::string>{"char_level", "filters", "lower",
                                                               "num_words", "oov_token", "split"}));
  EXPECT_EQ(keys_of(j["padding"]),
            (std::vector<std::string>{"maxlen", "padding", "truncating", "value"}));
  EXPECT_EQ(keys_of(j["model"]),
            (std::vector<std::string>{"bidirectional", "dropout", "embedding_dim", "hidden_size",
                                      "num_layers"}));
  EXPECT_EQ(keys_of(j["training"]),
            (std::vector<std::string>{"batch_size", "bucket_by_length", "calibrate", "class_weight",
                                      "clip_grad_norm", "early_stopping", "epochs", "fairness",
                                      "learning_rate", "privacy", "seed", "threads",
                                      "weight_decay"}));
  EXPECT_EQ(keys_of(j["training"]["early_stopping"]),
            (std::vector<std::string>{"metric", "min_delta", "patience", "restore_best"}));
  EXPECT_EQ(keys_of(j["output"]), (std::vector<std::string>{"dir"}));

  EXPECT_TRUE(j["tokenizer"]["num_words"].is_null());
  EXPECT_TRUE(j["tokenizer"]["oov_token"].is_null());
  EXPECT_EQ(j["padding"]["maxlen"], 128);
  EXPECT_EQ(j["padding"]["padding"], "post");
  EXPECT_EQ(j["padding"]["truncating"], "post");
  EXPECT_EQ(j["tokenizer"]["filters"], "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n");
  EXPECT_EQ(j["training"]["seed"], 13);
}

TEST(RunConfigJson, RoundTripKeepsEveryField) {
  const RunConfig full = full_config();
  const json j = fm::to_json(full);
  EXPECT_EQ(j["padding"]["padding"], "pre");
  EXPECT_EQ(j["training"]["seed"].get<uint64_t>(), std::numeric_limits<uint64_t>::max());
  expect_same(fm::run_config_from_json(j), full);
  // Through text too, as the run directory stores it.
  expect_same(fm::run_config_from_json(json::parse(j.dump(2))), full);
}

TEST(RunConfigJson, RoundTripOfUnsetOptionalsOverSetBase) {
  RunConfig unset = fm::default_run_config();
  unset.padding.maxlen.reset();
  RunConfig base = full_config();  // num_words, oov_token and maxlen all set
  const json j = fm::to_json(unset);
  expect_same(fm::run_config_from_json(j, base), unset);
}

TEST(RunConfigJson, FullFixtureReadsEveryKey) {
  expect_same(fm::load_run_config(kDataDir + "full.json"), full_config());
}

TEST(RunConfigJson, AbsentKeysKeepBase) {
  RunConfig base = full_config();
  const RunConfig c =
      fm::run_config_from_json(json::parse(R"({"model": {"num_layers": 1}})"), base);
  base.model.num_layers = 1;
  expect_same(c, base);
  expect_same(fm::run_config_from_json(json::object()), fm::default_run_config());
}

// Unknown keys at every nesting level

TEST(RunConfigUnknownKeys, TopLevel) {
  EXPECT_EQ(from_json_error({{"trainig", json::object()}}),
            "trainig: unknown key (did you mean \"training\"?)");
  EXPECT_EQ(from_json_error({{"Data", json::object()}}),
            "Data: unknown key (did you mean \"data\"?)");
  EXPECT_EQ(from_json_error({{"audit", json::object()}}),
            "audit: unknown key (valid keys: \"data\", \"tokenizer\", \"padding\", \"model\", "
            "\"training\", \"output\")");
}

TEST(RunConfigUnknownKeys, EverySection) {
  EXPECT_EQ(from_json_error(json::parse(R"({"data": {"text_colum": "t"}})")),
            "data.text_colum: unknown key (did you mean \"text_column\"?)");
  EXPECT_EQ(from_json_error(json::parse(R"({"tokenizer": {"num_word": 5}})")),
            "tokenizer.num_word: unknown key (did you mean \"num_words\"?)");
  EXPECT_EQ(from_json_error(json::parse(R"({"padding": {"max_len": 5}})")),
            "padding.max_len: unknown key (did you mean \"maxlen\"?)");
  EXPECT_EQ(from_json_error(json::parse(R"({"model": {"hiden_size": 5}})")),
            "model.hiden_size: unknown key (did you mean \"hidden_size\"?)");
  EXPECT_EQ(from_json_error(json::parse(R"({"training": {"epoch": 5}})")),
            "training.epoch: unknown key (did you mean \"epochs\"?)");
  EXPECT_EQ(from_json_error(json::parse(R"({"training": {"early": {}}})")),
            "training.early: unknown key (did you mean \"early_stopping\"?)");
  EXPECT_EQ(from_json_error(json::parse(R"({"training": {"early_stopping": {"patiance": 1}}})")),
            "training.early_stopping.patiance: unknown key (did you mean \"patience\"?)");
  EXPECT_EQ(from_json_error(json::parse(R"({"output": {"directory": "x"}})")),
            "output.directory: unknown key (did you mean \"dir\"?)");
}

TEST(RunConfigUnknownKeys, ListsValidKeysWithoutCloseMatch) {
  EXPECT_EQ(from_json_error(json::parse(R"({"training": {"momentum": 0.9}})")),
            "training.momentum: unknown key (valid keys: \"epochs\", \"batch_size\", "
            "\"learning_rate\", \"weight_decay\", \"clip_grad_norm\", \"class_weight\", \"seed\", "
            "\"threads\", \"bucket_by_length\", \"early_stopping\", \"calibrate\", \"fairness\", "
            "\"privacy\")");
  EXPECT_EQ(from_json_error(json::parse(R"({"output": {"zzz": 1}})")),
            "output.zzz: unknown key (valid keys: \"dir\")");
}

// Wrong types, one of each kind

TEST(RunConfigTypes, Integers) {
  EXPECT_EQ(from_json_error(json::parse(R"({"training": {"batch_size": "x"}})")),
            "training.batch_size: expected an integer, got string \"x\"");
  EXPECT_EQ(from_json_error(json::parse(R"({"training": {"batch_size": 3.5}})")),
            "training.batch_size: expected an integer, got number 3.5");
  EXPECT_EQ(from_json_error(json::parse(R"({"training": {"epochs": true}})")),
            "training.epochs: expected an integer, got boolean true");
  EXPECT_EQ(from_json_error(json::parse(R"({"model": {"num_layers": [2]}})")),
            "model.num_layers: expected an integer, got array [2]");
  EXPECT_EQ(from_json_error(json::parse(R"({"training": {"epochs": 9223372036854775808}})")),
            "training.epochs: expected an integer that fits in 64 signed bits, got number "
            "9223372036854775808");
  EXPECT_EQ(from_json_error(json::parse(R"({"training": {"epochs": 1e19}})")),
            "training.epochs: expected an integer that fits in 64 signed bits, got number 1e+19");
}

TEST(RunConfigTypes, IntegralFloatsAreAcceptedAsIntegers) {
  const RunConfig c = fm::run_config_from_json(
      json::parse(R"({"training": {"epochs": 3.0, "batch_size": 1e2, "threads": -2.0,
                                   "seed": 7.0}})"));
  EXPECT_EQ(c.training.epochs, 3);
  EXPECT_EQ(c.training.batch_size, 100);
  EXPECT_EQ(c.training.threads, -2);
  EXPECT_EQ(c.training.seed, 7u);
}

TEST(RunConfigTypes, UnsignedRejectsNegatives) {
  EXPECT_EQ(from_json_error(json::parse(R"({"training": {"seed": -1}})")),
            "training.seed: expected a non-negative integer, got number -1");
  EXPECT_EQ(from_json_error(json::parse(R"({"training": {"seed": -1.0}})")),
            "training.seed: expected a non-negative integer, got number -1.0");
  EXPECT_EQ(from_json_error(json::parse(R"({"training": {"seed": 0.5}})")),
            "training.seed: expected a non-negative integer, got number 0.5");
  EXPECT_EQ(from_json_error(json::parse(R"({"training": {"seed": "13"}})")),
            "training.seed: expected a non-negative integer, got string \"13\"");
  EXPECT_EQ(from_json_error(json::parse(R"({"training": {"seed": 2e19}})")),
            "training.seed: expected an integer that fits in 64 unsigned bits, got number 2e+19");
}

TEST(RunConfigTypes, NumbersBooleansStrings) {
  EXPECT_EQ(from_json_error(json::parse(R"({"training": {"learning_rate": "0.1"}})")),
            "training.learning_rate: expected a number, got string \"0.1\"");
  EXPECT_EQ(fm::run_config_from_json(json::parse(R"({"training": {"learning_rate": 1}})"))
                .training.learning_rate,
            1.0);
  EXPECT_EQ(from_json_error(json::parse(R"({"tokenizer": {"lower": "yes"}})")),
            "tokenizer.lower: expected a boolean, got string \"yes\"");
  EXPECT_EQ(from_json_error(json::parse(R"({"model": {"bidirectional": 1}})")),
            "model.bidirectional: expected a boolean, got number 1");
  EXPECT_EQ(from_json_error(json::parse(R"({"data": {"train": 5}})")),
            "data.train: expected a string, got number 5");
  EXPECT_EQ(from_json_error(json::parse(R"({"tokenizer": {"oov_token": false}})")),
            "tokenizer.oov_token: expected a string, got boolean false");
  EXPECT_EQ(from_json_error(json::parse(R"({"tokenizer": {"num_words": "many"}})")),
            "tokenizer.num_words: expected an integer, got string \"many\"");
}

TEST(RunConfigTypes, ArraysOfStrings) {
  EXPECT_EQ(from_json_error(json::parse(R"({"data": {"group_columns": "gender"}})")),
            "data.group_columns: expected an array of strings, got string \"gender\"");
  EXPECT_EQ(from_json_error(json::parse(R"({"data": {"group_columns": ["a", 3]}})")),
            "data.group_columns[1]: expected a string, got number 3");
}

TEST(RunConfigTypes, Enums) {
  EXPECT_EQ(from_json_error(json::parse(R"({"padding": {"padding": "Post"}})")),
            "padding.padding: expected one of \"pre\", \"post\", got string \"Post\" "
            "(did you mean \"post\"?)");
  EXPECT_EQ(from_json_error(json::parse(R"({"padding": {"truncating": 1}})")),
            "padding.truncating: expected one of \"pre\", \"post\", got number 1");
  EXPECT_EQ(from_json_error(json::parse(R"({"training": {"class_weight": "balance"}})")),
            "training.class_weight: expected one of \"none\", \"balanced\", got string "
            "\"balance\" (did you mean \"balanced\"?)");
  EXPECT_EQ(from_json_error(json::parse(R"({"training": {"early_stopping": {"metric": "f1"}}})")),
            "training.early_stopping.metric: expected one of \"macro_f1\", \"accuracy\", "
            "\"weighted_f1\", \"loss\", got string \"f1\"");
  const RunConfig c = fm::run_config_from_json(json::parse(
      R"({"padding": {"padding": "pre", "truncating": "post"},
          "training": {"class_weight": "balanced", "early_stopping": {"metric": "accuracy"}}})"));
  EXPECT_EQ(c.padding.padding, PadSide::kPre);
  EXPECT_EQ(c.padding.truncating, PadSide::kPost);
  EXPECT_EQ(c.training.class_weight, "balanced");
  EXPECT_EQ(c.training.early_stopping.metric, "accuracy");
}

TEST(RunConfigTypes, SectionsMustBeObjects) {
  EXPECT_EQ(from_json_error(json::parse(R"({"training": []})")),
            "training: expected an object, got array []");
  EXPECT_EQ(from_json_error(json::parse(R"({"model": null})")),
            "model: expected an object, got null");
  EXPECT_EQ(from_json_error(json::parse(R"({"training": {"early_stopping": 2}})")),
            "training.early_stopping: expected an object, got number 2");
  EXPECT_EQ(from_json_error(json::parse("[1, 2]")),
            "expected an object at the top level, got array [1,2]");
}

// null

TEST(RunConfigNull, OptionalsBecomeUnset) {
  const RunConfig base = full_config();
  const RunConfig c =
      fm::run_config_from_json(json::parse(R"({"tokenizer": {"num_words": null, "oov_token": null},
                      "padding": {"maxlen": null}})"),
                               base);
  EXPECT_EQ(c.tokenizer.num_words, std::nullopt);
  EXPECT_EQ(c.tokenizer.oov_token, std::nullopt);
  EXPECT_EQ(c.padding.maxlen, std::nullopt);
}

TEST(RunConfigNull, RequiredFieldsRejectNull) {
  EXPECT_EQ(from_json_error(json::parse(R"({"training": {"epochs": null}})")),
            "training.epochs: expected an integer, got null");
  EXPECT_EQ(from_json_error(json::parse(R"({"output": {"dir": null}})")),
            "output.dir: expected a string, got null");
  EXPECT_EQ(from_json_error(json::parse(R"({"model": {"dropout": null}})")),
            "model.dropout: expected a number, got null");
  EXPECT_EQ(from_json_error(json::parse(R"({"tokenizer": {"lower": null}})")),
            "tokenizer.lower: expected a boolean, got null");
  EXPECT_EQ(from_json_error(json::parse(R"({"data": {"group_columns": null}})")),
            "data.group_columns: expected an array of strings, got null");
  EXPECT_EQ(from_json_error(json::parse(R"({"padding": {"padding": null}})")),
            "padding.padding: expected one of \"pre\", \"post\", got null");
}

// Files

TEST(LoadRunConfig, MissingFile) {
  const std::string path = kDataDir + "does_not_exist.json";
  EXPECT_THROW(fm::load_run_config(path), ConfigError);
  EXPECT_EQ(error_of([&] { fm::load_run_config(path); }),
            path + ": cannot open config: No such file or directory");
  EXPECT_EQ(error_of([&] { fm::load_run_config(kDataDir); }),
            kDataDir + ": cannot open config: is a directory");
}

TEST(LoadRunConfig, DuplicateKeysAreRefusedWithBothValues) {
  // JSON parsers keep the last value of a repeated key; a config that says two things is refused.
  const std::string path =
      write_temp("duplicate.json", R"({"training": {"epochs": 3, "batch_size": 8, "epochs": 5}})");
  EXPECT_EQ(error_of([&] { fm::load_run_config(path); }),
            path + ": training.epochs: duplicate key (values 3 and 5; JSON would silently keep "
                   "the last, so fmkit refuses)");
  const std::string nested = write_temp(
      "duplicate_nested.json", R"({"data": {"group_columns": ["a"]}, "data": {"train": "x"}})");
  EXPECT_EQ(error_of([&] { fm::load_run_config(nested); }),
            nested + R"(: data: duplicate key (values {"group_columns":["a"]} and {"train":"x"}; )"
                     "JSON would silently keep the last, so fmkit refuses)");
  // The same key in different objects is no duplicate.
  EXPECT_NO_THROW(fm::load_run_config(write_temp(
      "same_key_elsewhere.json", R"({"model": {"hidden_size": 8}, "training": {"fairness": )"
                                 R"({"adversarial": {"hidden_size": 4}}}})")));
}

TEST(LoadRunConfig, NumberOverflowNamesTheFileWithoutLibraryNoise) {
  const std::string path = write_temp("overflow.json", R"({"training": {"epochs": 1e309}})");
  EXPECT_EQ(error_of([&] { fm::load_run_config(path); }),
            path + ":1:25: malformed JSON: number overflow parsing '1e309'");  // the number
}

TEST(LoadRunConfig, MalformedJsonNamesLineAndColumn) {
  // Python's json.load reports the same spot: "line 4 column 3".
  const std::string path = kDataDir + "trailing_comma.json";
  EXPECT_EQ(error_of([&] { fm::load_run_config(path); }),
            path +
                ":4:3: malformed JSON: syntax error while parsing object key - unexpected "
                "'}'; expected string literal");
  const std::string missing_colon = write_temp("missing_colon.json", "{\n  \"a\" 1\n}\n");
  EXPECT_EQ(error_of([&] { fm::load_run_config(missing_colon); }),
            missing_colon +
                ":2:7: malformed JSON: syntax error while parsing object separator - "
                "unexpected number literal; expected ':'");
  const std::string truncated = write_temp("truncated.json", "{\"a\": [1");
  EXPECT_EQ(error_of([&] { fm::load_run_config(truncated); }),
            truncated +
                ":1:9: malformed JSON: syntax error while parsing array - unexpected end "
                "of input; expected ']'");
  const std::string empty = write_temp("empty.json", "");
  EXPECT_EQ(error_of([&] { fm::load_run_config(empty); }),
            empty +
                ":1:1: malformed JSON: syntax error while parsing value - unexpected end of "
                "input; expected '[', '{', or a literal");
}

TEST(LoadRunConfig, ErrorsArePrefixedWithTheFile) {
  const std::string not_object = kDataDir + "not_object.json";
  EXPECT_EQ(error_of([&] { fm::load_run_config(not_object); }),
            not_object + ": expected an object at the top level, got array [1,2]");
  const std::string typo = kDataDir + "typo.json";
  EXPECT_EQ(error_of([&] { fm::load_run_config(typo); }),
            typo + ": training.epoch: unknown key (did you mean \"epochs\"?)");
  const std::string wrong_type = kDataDir + "wrong_type.json";
  EXPECT_EQ(error_of([&] { fm::load_run_config(wrong_type); }),
            wrong_type + ": training.batch_size: expected an integer, got string \"x\"");
}

TEST(LoadRunConfig, QuickstartLoadsAndValidates) {
  const RunConfig c = fm::load_run_config(kQuickstart);
  EXPECT_NO_THROW(fm::validate(c));
  EXPECT_EQ(c.data.train, "data/comments/train.csv");
  EXPECT_EQ(c.data.validation, "data/comments/valid.csv");
  EXPECT_EQ(c.data.test, "data/comments/test.csv");
  EXPECT_EQ(c.data.text_column, "text");
  EXPECT_EQ(c.data.label_column, "label");
  EXPECT_EQ(c.data.group_columns,
            (std::vector<std::string>{"gender", "religion", "race", "sexual_orientation"}));
  EXPECT_EQ(c.tokenizer.num_words, 5000);
  EXPECT_EQ(c.tokenizer.oov_token, "<OOV>");
  EXPECT_TRUE(c.tokenizer.lower);
  EXPECT_FALSE(c.tokenizer.char_level);
  EXPECT_EQ(c.padding.maxlen, 40);
  EXPECT_EQ(c.padding.padding, PadSide::kPost);
  EXPECT_EQ(c.padding.truncating, PadSide::kPost);
  EXPECT_EQ(c.model.embedding_dim, 64);
  EXPECT_EQ(c.model.hidden_size, 64);
  EXPECT_EQ(c.model.num_layers, 1);
  EXPECT_FALSE(c.model.bidirectional);
  EXPECT_EQ(c.model.dropout, 0.2);
  EXPECT_EQ(c.training.epochs, 6);
  EXPECT_EQ(c.training.batch_size, 32);
  EXPECT_EQ(c.training.learning_rate, 0.003);
  EXPECT_EQ(c.training.seed, 13u);
  EXPECT_EQ(c.training.threads, 1);
  EXPECT_EQ(c.training.early_stopping.metric, "macro_f1");
  EXPECT_EQ(c.training.early_stopping.patience, 2);
  EXPECT_EQ(c.output.dir, "runs/quickstart");
}

// --set overrides

TEST(ApplyOverrides, PrecedenceDefaultsFileSet) {
  RunConfig c = fm::load_run_config(kDataDir + "partial.json");
  EXPECT_EQ(c.training.epochs, 3);             // file over default 10
  EXPECT_EQ(c.training.learning_rate, 0.001);  // default
  fm::apply_overrides(c, {"training.epochs=5", "output.dir=runs/x", "training.epochs=7"});
  EXPECT_EQ(c.training.epochs, 7);       // later --set wins
  EXPECT_EQ(c.training.batch_size, 16);  // file, untouched by --set
  EXPECT_EQ(c.output.dir, "runs/x");     // --set over file, string fallback
  EXPECT_EQ(c.training.learning_rate, 0.001);
  EXPECT_EQ(c.padding.maxlen, 128);
}

TEST(ApplyOverrides, ValuesParseAsJsonElseString) {
  RunConfig c = fm::default_run_config();
  c.tokenizer.num_words = 10;
  fm::apply_overrides(c,
                      {"data.train=data/x.csv", "data.validation=\"3\"", "data.test=a=b.csv",
                       "data.group_columns=[\"g1\",\"g2\"]", "tokenizer.num_words=null",
                       "tokenizer.oov_token=<OOV>", "model.bidirectional=true", "model.dropout=0.5",
                       "padding.padding=pre", "training.seed=18446744073709551615",
                       "training.early_stopping.patience=5", "training.learning_rate=1e-2"});
  EXPECT_EQ(c.data.train, "data/x.csv");
  EXPECT_EQ(c.data.validation, "3");
  EXPECT_EQ(c.data.test, "a=b.csv");
  EXPECT_EQ(c.data.group_columns, (std::vector<std::string>{"g1", "g2"}));
  EXPECT_EQ(c.tokenizer.num_words, std::nullopt);
  EXPECT_EQ(c.tokenizer.oov_token, "<OOV>");
  EXPECT_TRUE(c.model.bidirectional);
  EXPECT_EQ(c.model.dropout, 0.5);
  EXPECT_EQ(c.padding.padding, PadSide::kPre);
  EXPECT_EQ(c.training.seed, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(c.training.early_stopping.patience, 5);
  EXPECT_EQ(c.training.learning_rate, 0.01);

  fm::apply_overrides(c, {"output.dir="});
  EXPECT_EQ(c.output.dir, "");
}

TEST(ApplyOverrides, WholeSectionMergesOverCurrentValues) {
  RunConfig c = fm::default_run_config();
  c.training.batch_size = 16;
  fm::apply_overrides(c, {"training={\"epochs\": 3}"});
  EXPECT_EQ(c.training.epochs, 3);
  EXPECT_EQ(c.training.batch_size, 16);
}

TEST(ApplyOverrides, BadSyntax) {
  for (const std::string bad :
       {"foo", "=3", ".epochs=3", "training..epochs=3", "training.=3", ""}) {
    SCOPED_TRACE(bad);
    RunConfig c = fm::default_run_config();
    EXPECT_THROW(fm::apply_overrides(c, {bad}), ConfigError);
    EXPECT_EQ(override_error({bad}), "--set " + bad + ": expected key.path=value");
  }
}

TEST(ApplyOverrides, UnknownPathAndWrongType) {
  EXPECT_EQ(override_error({"training.epoc=3"}),
            "--set training.epoc=3: training.epoc: unknown key (did you mean \"epochs\"?)");
  EXPECT_EQ(override_error({"trainig.epochs=3"}),
            "--set trainig.epochs=3: trainig: unknown key (did you mean \"training\"?)");
  EXPECT_EQ(override_error({"training.early_stoping.patience=3"}),
            "--set training.early_stoping.patience=3: training.early_stoping: unknown key "
            "(did you mean \"early_stopping\"?)");
  EXPECT_EQ(override_error({"training.epochs.max=3"}),
            "--set training.epochs.max=3: training.epochs: expected an object, got number 10");
  EXPECT_EQ(override_error({"training.epochs=three"}),
            "--set training.epochs=three: training.epochs: expected an integer, got string "
            "\"three\"");
  EXPECT_EQ(override_error({"data.train=3"}),
            "--set data.train=3: data.train: expected a string, got number 3");
}

TEST(ApplyOverrides, FailureLeavesConfigUnchanged) {
  RunConfig c = fm::default_run_config();
  EXPECT_THROW(fm::apply_overrides(c, {"training.epochs=5", "training.epoc=3"}), ConfigError);
  EXPECT_EQ(c.training.epochs, 10);
}

// validate(): one case per rule, each with the exact message (path, rule, got-value)

struct Rule {
  const char* name;
  std::function<void(RunConfig&)> mutate;
  const char* message;
};

RunConfig valid_config() {
  RunConfig c = fm::default_run_config();
  c.data.train = "train.csv";
  return c;
}

class ValidateRule : public ::testing::TestWithParam<Rule> {};

TEST_P(ValidateRule, ThrowsNamingPathRuleAndValue) {
  RunConfig c = valid_config();
  GetParam().mutate(c);
  EXPECT_THROW(fm::validate(c), ConfigError);
  EXPECT_EQ(error_of([&] { fm::validate(c); }), GetParam().message);
}

const Rule kRules[] = {
    {"train_empty", [](RunConfig& c) { c.data.train = ""; },
     "data.train must be non-empty for training (got \"\")"},
    {"validation_split_one", [](RunConfig& c) { c.data.validation_split = 1.0; },
     "data.validation_split must be in [0, 1) (got 1.0)"},
    {"validation_split_negative", [](RunConfig& c) { c.data.validation_split = -0.1; },
     "data.validation_split must be in [0, 1) (got -0.1)"},
    {"validation_split_nan", [](RunConfig& c) { c.data.validation_split = std::nan(""); },
     "data.validation_split must be in [0, 1) (got nan)"},
    {"text_column_empty", [](RunConfig& c) { c.data.text_column = ""; },
     "data.text_column must be non-empty (got \"\")"},
    {"label_column_empty", [](RunConfig& c) { c.data.label_column = ""; },
     "data.label_column must be non-empty (got \"\")"},
    {"label_column_is_text", [](RunConfig& c) { c.data.label_column = "text"; },
     "data.label_column must be different from data.text_column (got \"text\")"},
    {"group_column_empty",
     [](RunConfig& c) {
       c.data.group_columns = {"gender", ""};
     },
     "data.group_columns[1] must be non-empty (got \"\")"},
    {"group_column_is_text", [](RunConfig& c) { c.data.group_columns = {"text"}; },
     "data.group_columns[0] must be different from data.text_column (got \"text\")"},
    {"group_column_is_label",
     [](RunConfig& c) {
       c.data.group_columns = {"gender", "label"};
     },
     "data.group_columns[1] must be different from data.label_column (got \"label\")"},
    {"group_columns_repeat",
     [](RunConfig& c) {
       c.data.group_columns = {"gender", "race", "gender"};
     },
     "data.group_columns[2] must be distinct from data.group_columns[0] (got \"gender\")"},
    {"num_words_one", [](RunConfig& c) { c.tokenizer.num_words = 1; },
     "tokenizer.num_words must be in [2, 100000000] (got 1)"},
    {"num_words_two_with_oov",
     [](RunConfig& c) {
       c.tokenizer.num_words = 2;
       c.tokenizer.oov_token = "<OOV>";
     },
     "tokenizer.num_words must be >= 3 when tokenizer.oov_token is set (got 2)"},
    {"split_empty", [](RunConfig& c) { c.tokenizer.split = ""; },
     "tokenizer.split must be non-empty unless tokenizer.char_level is true (got \"\")"},
    {"maxlen_zero", [](RunConfig& c) { c.padding.maxlen = 0; },
     "padding.maxlen must be in [1, 1000000] (got 0)"},
    {"pad_value_nonzero", [](RunConfig& c) { c.padding.value = 3; },
     "padding.value must be 0 (the model's padding index) (got 3)"},
    {"embedding_dim_zero", [](RunConfig& c) { c.model.embedding_dim = 0; },
     "model.embedding_dim must be in [1, 65536] (got 0)"},
    {"hidden_size_zero", [](RunConfig& c) { c.model.hidden_size = 0; },
     "model.hidden_size must be in [1, 65536] (got 0)"},
    {"num_layers_negative", [](RunConfig& c) { c.model.num_layers = -1; },
     "model.num_layers must be in [1, 64] (got -1)"},
    {"dropout_one", [](RunConfig& c) { c.model.dropout = 1.0; },
     "model.dropout must be in [0, 1) (got 1.0)"},
    {"dropout_negative", [](RunConfig& c) { c.model.dropout = -0.5; },
     "model.dropout must be in [0, 1) (got -0.5)"},
    {"epochs_zero", [](RunConfig& c) { c.training.epochs = 0; },
     "training.epochs must be in [1, 1000000] (got 0)"},
    {"batch_size_zero", [](RunConfig& c) { c.training.batch_size = 0; },
     "training.batch_size must be in [1, 1000000] (got 0)"},
    {"learning_rate_zero", [](RunConfig& c) { c.training.learning_rate = 0.0; },
     "training.learning_rate must be a finite number > 0 (got 0.0)"},
    {"learning_rate_inf",
     [](RunConfig& c) { c.training.learning_rate = std::numeric_limits<double>::infinity(); },
     "training.learning_rate must be a finite number > 0 (got inf)"},
    {"weight_decay_negative", [](RunConfig& c) { c.training.weight_decay = -0.25; },
     "training.weight_decay must be a finite number >= 0 (got -0.25)"},
    {"clip_grad_norm_negative", [](RunConfig& c) { c.training.clip_grad_norm = -1.0; },
     "training.clip_grad_norm must be a finite number >= 0 (got -1.0)"},
    {"class_weight_unknown", [](RunConfig& c) { c.training.class_weight = "balnced"; },
     "training.class_weight must be one of \"none\", \"balanced\" (got \"balnced\")"},
    {"hidden_size_huge", [](RunConfig& c) { c.model.hidden_size = int64_t{1} << 32; },
     "model.hidden_size must be in [1, 65536] (got 4294967296)"},
    {"epochs_huge", [](RunConfig& c) { c.training.epochs = int64_t{1} << 40; },
     "training.epochs must be in [1, 1000000] (got 1099511627776)"},
    {"threads_negative", [](RunConfig& c) { c.training.threads = -1; },
     "training.threads must be in [0, 4096] (got -1)"},
    {"metric_unknown", [](RunConfig& c) { c.training.early_stopping.metric = "f1"; },
     "training.early_stopping.metric must be one of \"macro_f1\", \"accuracy\", "
     "\"weighted_f1\", \"loss\" (got \"f1\")"},
    {"patience_negative", [](RunConfig& c) { c.training.early_stopping.patience = -1; },
     "training.early_stopping.patience must be in [0, 1000000] (got -1)"},
    {"min_delta_negative", [](RunConfig& c) { c.training.early_stopping.min_delta = -0.5; },
     "training.early_stopping.min_delta must be a finite number >= 0 (got -0.5)"},
    {"output_dir_empty", [](RunConfig& c) { c.output.dir = ""; },
     "output.dir must be non-empty (got \"\")"},
    {"redact_unknown_type", [](RunConfig& c) { c.data.redact = {"email", "mail"}; },
     "data.redact[1] must be one of \"url\", \"email\", \"credit_card\", \"ip\", \"phone\", "
     "\"all\" (got \"mail\")"},
    {"redact_case_matters", [](RunConfig& c) { c.data.redact = {"EMAIL"}; },
     "data.redact[0] must be one of \"url\", \"email\", \"credit_card\", \"ip\", \"phone\", "
     "\"all\" (got \"EMAIL\")"},
    {"redact_repeat", [](RunConfig& c) { c.data.redact = {"ip", "phone", "ip"}; },
     "data.redact[2] must be distinct from data.redact[0] (got \"ip\")"},
};

INSTANTIATE_TEST_SUITE_P(Rules, ValidateRule, ::testing::ValuesIn(kRules),
                         [](const ::testing::TestParamInfo<Rule>& info) {
                           return std::string(info.param.name);
                         });

TEST(Validate, BoundaryValuesPass) {
  RunConfig c = valid_config();
  c.data.validation_split = 0.0;
  c.data.group_columns = {"gender", "race"};
  c.tokenizer.num_words = 2;
  c.padding.maxlen = 1;
  c.model.embedding_dim = 1;
  c.model.hidden_size = 1;
  c.model.num_layers = 1;
  c.model.dropout = 0.0;
  c.training.epochs = 1;
  c.training.batch_size = 1;
  c.training.learning_rate = 1e-12;
  c.training.weight_decay = 0.0;
  c.training.clip_grad_norm = 0.0;
  c.training.class_weight = "balanced";
  c.training.threads = 0;
  c.training.early_stopping.metric = "loss";
  c.training.early_stopping.patience = 0;
  EXPECT_NO_THROW(fm::validate(c));
  c.tokenizer.num_words = 3;
  c.tokenizer.oov_token = "<OOV>";
  c.data.validation_split = 0.999;
  c.model.dropout = 0.999;
  EXPECT_NO_THROW(fm::validate(c));
  c.tokenizer.num_words.reset();
  c.padding.maxlen.reset();
  c.tokenizer.char_level = true;
  c.tokenizer.split = "";
  EXPECT_NO_THROW(fm::validate(c));
}

TEST(Validate, TrainFileOnlyRequiredForTraining) {
  const RunConfig c = fm::default_run_config();
  EXPECT_THROW(fm::validate(c), ConfigError);
  EXPECT_NO_THROW(fm::validate(c, /*for_training=*/false));
}

}  // namespace

TEST(RunConfigRedact, DefaultEmptyReadWriteAndValidTypes) {
  EXPECT_TRUE(fm::default_run_config().data.redact.empty());
  EXPECT_EQ(fm::to_json(fm::default_run_config())["data"]["redact"], json::array());
  const RunConfig c = fm::run_config_from_json(
      json::parse(R"({"data": {"train": "t.csv", "redact": ["email", "credit_card"]}})"));
  EXPECT_EQ(c.data.redact, (std::vector<std::string>{"email", "credit_card"}));
  EXPECT_EQ(fm::to_json(c)["data"]["redact"], json::parse(R"(["email", "credit_card"])"));
  EXPECT_EQ(fm::run_config_from_json(fm::to_json(c)).data.redact, c.data.redact);
  EXPECT_EQ(from_json_error(json::parse(R"({"data": {"redact": "all"}})")),
            "data.redact: expected an array of strings, got string \"all\"");
  RunConfig every = valid_config();
  for (const auto& names :
       {std::vector<std::string>{"all"}, {"url", "email", "credit_card", "ip", "phone"}, {}}) {
    every.data.redact = names;
    EXPECT_NO_THROW(fm::validate(every));
  }
  RunConfig overridden = valid_config();
  fm::apply_overrides(overridden, {"data.redact=[\"ip\",\"url\"]"});
  EXPECT_EQ(overridden.data.redact, (std::vector<std::string>{"ip", "url"}));
}
