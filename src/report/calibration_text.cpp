#include "fm/report/calibration.h"

#include <algorithm>
#include <cstdio>
#include <string>

namespace fm {
namespace {

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

std::string show(const MaybeValue& v, int digits, const char* missing) {
  return v.value ? fixed(*v.value, digits) : std::string(missing);
}

nlohmann::json json_of(const MaybeValue& v) {
  return v.value ? nlohmann::json(*v.value) : nlohmann::json(nullptr);
}

std::string bin_name(const ReliabilityBin& b, int digits) {
  return "(" + fixed(b.lower, digits) + ", " + fixed(b.upper, digits) + "]";
}

}  // namespace

nlohmann::json calibration_to_json(const CalibrationReport& r) {
  nlohmann::json j = {
      {"rows", r.rows},
      {"bins_rule",
       std::to_string(r.bins.size()) +
           " equal-width bins (b/B, (b+1)/B] of the max probability (Guo et al. 2017)"},
      {"ece", json_of(r.ece)},
      {"mce", json_of(r.mce)},
      {"brier", json_of(r.brier)},
      {"brier_positive", json_of(r.brier_positive)},
      {"positive_label",
       r.positive_label.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.positive_label)},
      {"nll", json_of(r.nll)},
      {"accuracy", json_of(r.accuracy)},
      {"bins", nlohmann::json::array()}};
  for (const auto& b : r.bins) {
    j["bins"].push_back(
        {{"lower", b.lower},
         {"upper", b.upper},
         {"count", b.count},
         {"mean_confidence",
          b.mean_confidence ? nlohmann::json(*b.mean_confidence) : nlohmann::json(nullptr)},
         {"accuracy", b.accuracy ? nlohmann::json(*b.accuracy) : nlohmann::json(nullptr)}});
  }
  nlohmann::json why = nlohmann::json::object();
  const std::pair<const char*, const MaybeValue*> values[] = {
      {"ece", &r.ece},     {"mce", &r.mce},
      {"brier", &r.brier}, {"brier_positive", &r.brier_positive},
      {"nll", &r.nll},     {"accuracy", &r.accuracy}};
  for (const auto& [name, v] : values) {
    if (!v->value) why[name] = v->reason;
  }
  if (!why.empty()) j["undefined"] = std::move(why);
  return j;
}

std::string format_calibration_text(const CalibrationReport& r, int digits,
                                    const std::string& temperature_note) {
  const int d = std::max(digits, 4);
  std::string out = "calibration (" + std::to_string(r.bins.size()) +
                    " equal-width confidence bins; " + temperature_note + "):\n";
  out += "  ECE " + show(r.ece, d, "undefined") + "  MCE " + show(r.mce, d, "undefined") +
         "  Brier " + show(r.brier, d, "undefined");
  if (!r.positive_label.empty()) {
    out += "  Brier[" + r.positive_label + "] " + show(r.brier_positive, d, "undefined");
  }
  out += "  NLL " + show(r.nll, d, "undefined") + "\n";
  if (r.rows == 0) return out + "  (no rows: " + r.ece.reason + ")\n";
  std::string header = "  confidence bin";
  const std::size_t width = static_cast<std::size_t>(2 * d + 8);
  header.resize(std::max(header.size(), width + 2), ' ');
  char line[256];
  std::snprintf(line, sizeof(line), "%s %7s %10s %10s\n", header.c_str(), "count", "confidence",
                "accuracy");
  out += line;
  for (const auto& b : r.bins) {
    if (b.count == 0) continue;
    std::string name = "  " + bin_name(b, d);
    name.resize(header.size(), ' ');
    std::snprintf(line, sizeof(line), "%s %7lld %10s %10s\n", name.c_str(),
                  static_cast<long long>(b.count), fixed(*b.mean_confidence, d).c_str(),
                  fixed(*b.accuracy, d).c_str());
    out += line;
  }
  return out;
}

std::string format_calibration_markdown(const CalibrationReport& r, int digits,
                                        const std::string& temperature_note) {
  const int d = std::max(digits, 4);
  std::string out = "### Calibration\n\n" + std::to_string(r.bins.size()) +
                    " equal-width confidence bins; " + temperature_note + ".\n\n";
  out += "| ECE | MCE | Brier |";
  if (!r.positive_label.empty()) out += " Brier (`" + r.positive_label + "`) |";
  out += " NLL |\n|---:|---:|---:|";
  if (!r.positive_label.empty()) out += "---:|";
  out += "---:|\n| " + show(r.ece, d, "—") + " | " + show(r.mce, d, "—") + " | " +
         show(r.brier, d, "—") + " |";
  if (!r.positive_label.empty()) out += " " + show(r.brier_positive, d, "—") + " |";
  out += " " + show(r.nll, d, "—") + " |\n\n";
  if (r.rows == 0) return out + "Undefined: " + r.ece.reason + ".\n";
  out += "| confidence bin | count | mean confidence | accuracy |\n|---|---:|---:|---:|\n";
  for (const auto& b : r.bins) {
    if (b.count == 0) continue;
    out += "| " + bin_name(b, d) + " | " + std::to_string(b.count) + " | " +
           fixed(*b.mean_confidence, d) + " | " + fixed(*b.accuracy, d) + " |\n";
  }
  return out;
}

}  // namespace fm
