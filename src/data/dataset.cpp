#include "fm/data/dataset.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "data/checks.h"
#include "data/readers.h"
#include "fm/error.h"
#include "fm/io/files.h"

namespace fm {
namespace {

bool has_json_lines_extension(const std::string& path) {
  auto dot = path.find_last_of('.');
  auto slash = path.find_last_of('/');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return false;
  std::string ext = path.substr(dot + 1);
  for (char& c : ext) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return ext == "jsonl" || ext == "ndjson" || ext == "json";
}

/// Uniform integer in [0, bound) from raw 64-bit draws, by rejection (no modulo bias). Written out
/// because std::uniform_int_distribution differs between standard libraries.
std::uint64_t uniform_below(std::mt19937_64& rng, std::uint64_t bound) {
  const std::uint64_t threshold = (0 - bound) % bound;  // 2^64 mod bound
  for (;;) {
    std::uint64_t r = rng();
    if (r >= threshold) return r % bound;
  }
}

Dataset empty_like(const Dataset& data) {
  Dataset out;
  out.path = data.path;
  out.group_columns = data.group_columns;
  out.has_labels = data.has_labels;
  return out;
}

}  // namespace

Dataset read_dataset(const std::string& path, const ColumnSpec& columns) {
  const std::string content = read_file(path);
  if (has_json_lines_extension(path))
    return data_detail::read_jsonl_dataset(path, content, columns);
  return data_detail::read_csv_dataset(path, content, columns);
}

std::vector<std::string> collect_labels(const Dataset& data, std::size_t min_classes) {
  if (data.examples.empty()) data_detail::fail(data.path, 0, "no examples");
  if (!data.has_labels) data_detail::fail(data.path, 0, "no labels");
  std::vector<std::string> labels;
  labels.reserve(data.examples.size());
  for (const auto& example : data.examples) labels.push_back(example.label);
  std::sort(labels.begin(), labels.end());
  labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
  if (labels.size() < min_classes) {
    std::string listed;
    for (std::size_t i = 0; i < labels.size(); ++i) {
      listed += (i > 0 ? ", \"" : "\"") + data_detail::printable(labels[i]) + "\"";
    }
    std::string count =
        labels.size() == 1 ? "one class" : std::to_string(labels.size()) + " classes";
    data_detail::fail(data.path, 0,
                      "only " + count + " (" + listed + ") \xE2\x80\x94 need at least " +
                          std::to_string(min_classes));
  }
  return labels;
}

std::pair<Dataset, Dataset> stratified_split(const Dataset& data, double fraction, uint64_t seed) {
  if (!(fraction >= 0.0 && fraction < 1.0)) {
    throw ConfigError("validation fraction must be in [0, 1) (got " + std::to_string(fraction) +
                      ")");
  }
  std::map<std::string, std::vector<std::size_t>> by_label;
  for (std::size_t i = 0; i < data.examples.size(); ++i) {
    by_label[data.examples[i].label].push_back(i);
  }
  std::vector<char> held_out(data.examples.size(), 0);
  std::mt19937_64 rng(seed);
  for (auto& [label, indices] : by_label) {
    const auto count = static_cast<std::int64_t>(indices.size());
    std::int64_t n_val = std::llround(fraction * static_cast<double>(count));
    if (fraction > 0.0 && count >= 2) n_val = std::clamp<std::int64_t>(n_val, 1, count - 1);
    if (count < 2) n_val = 0;
    if (n_val == 0) continue;
    // Fisher–Yates (Durstenfeld): for i = n-1 … 1 swap a[i] with a[uniform(0..i)].
    for (std::size_t i = indices.size() - 1; i > 0; --i) {
      std::swap(indices[i], indices[uniform_below(rng, i + 1)]);
    }
    for (std::int64_t k = 0; k < n_val; ++k) held_out[indices[static_cast<std::size_t>(k)]] = 1;
  }
  std::pair<Dataset, Dataset> parts{empty_like(data), empty_like(data)};
  for (std::size_t i = 0; i < data.examples.size(); ++i) {
    (held_out[i] ? parts.second : parts.first).examples.push_back(data.examples[i]);
  }
  return parts;
}

}  // namespace fm
