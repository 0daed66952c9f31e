// libFuzzer target: the predictions CSV reader (fm::read_predictions_csv, fm-audit's input) on
// arbitrary bytes, with the PredictionColumns taken from the first input bytes.
//
// The reader takes a path, so the input is written to a memfd and read through /proc/self/fd/N
// (a regular file: the reader maps it, as it maps real prediction files; an empty input takes the
// read() path). The CSV parser itself is shared with the dataset reader, whose target reads from
// libFuzzer's exactly sized buffer, where ASan also sees reads past the end.
//
// Input layout: 8 option bytes, then the file.
//   byte 0  true column      {y_true, label, y, ""}
//   byte 1  predicted column {y_pred, "" (none), pred, y_true}
//   byte 2  score column     {"" (the p_<class> columns), score, p_1, p_a}
//   byte 3  score prefix     {p_, "", score_, p}
//   byte 4  weight column    {"", w, weight, y_true}
//   byte 5  group columns: bits 0-1 = how many (0-3), bits 2-7 pick from {g, gender, group, a}
//   byte 6  positive label   {"", 1, a, b, toxic}
//   byte 7  unused (kept so that seeds stay aligned if an option is added)
// A table the reader accepts must be consistent: class indices in range, one score per row and
// class in [0, 1], weights finite and >= 0, group codes in range, classes sorted and distinct.

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "fm/data/predictions.h"
#include "fm/error.h"
#include "fuzz_common.h"

namespace {

int g_fd = -1;
std::string g_path;

fm::PredictionColumns prediction_columns(fm_fuzz::Input& in) {
  fm::PredictionColumns c;
  c.true_column = in.pick<std::string>({"y_true", "label", "y", ""});
  c.pred_column = in.pick<std::string>({"y_pred", "", "pred", "y_true"});
  c.score_column = in.pick<std::string>({"", "score", "p_1", "p_a"});
  c.score_prefix = in.pick<std::string>({"p_", "", "score_", "p"});
  c.weight_column = in.pick<std::string>({"", "w", "weight", "y_true"});
  const uint8_t groups = in.byte();
  static const std::vector<std::string> kGroups = {"g", "gender", "group", "a"};
  for (int k = 0; k < (groups & 3); ++k) c.group_columns.push_back(kGroups[(groups >> (2 + 2 * k)) & 3]);
  c.positive_label = in.pick<std::string>({"", "1", "a", "b", "toxic"});
  in.byte();
  return c;
}

void check_table(const fm::AuditData& d, const fm::PredictionColumns& c) {
  const std::size_t rows = d.rows();
  const std::size_t classes = d.classes.size();
  FUZZ_CHECK(rows > 0, "a table without rows was returned");
  FUZZ_CHECK(std::is_sorted(d.classes.begin(), d.classes.end()) &&
                 std::adjacent_find(d.classes.begin(), d.classes.end()) == d.classes.end(),
             "classes are not sorted and distinct");
  for (int32_t y : d.y_true) FUZZ_CHECK(y >= 0 && static_cast<std::size_t>(y) < classes, "y_true out of range");
  FUZZ_CHECK(d.y_pred.empty() == c.pred_column.empty(), "y_pred present without a column or missing");
  if (!d.y_pred.empty()) {
    FUZZ_CHECK(d.y_pred.size() == rows, "y_pred has the wrong length");
    for (int32_t y : d.y_pred) FUZZ_CHECK(y >= 0 && static_cast<std::size_t>(y) < classes, "y_pred out of range");
  }
  if (!d.scores.empty()) {
    FUZZ_CHECK(d.scores.size() == classes, "scores: not one vector per class");
    for (const auto& s : d.scores) {
      FUZZ_CHECK(s.empty() || s.size() == rows, "scores: a column has the wrong length");
      for (float v : s) FUZZ_CHECK(std::isfinite(v) && v >= 0 && v <= 1, "score outside [0, 1]");
    }
  }
  if (!c.score_column.empty()) {
    FUZZ_CHECK(classes == 2, "score_column accepted on data that is not binary");
    const std::size_t positive =
        c.positive_label.empty()
            ? 1
            : static_cast<std::size_t>(std::find(d.classes.begin(), d.classes.end(), c.positive_label) -
                                       d.classes.begin());
    FUZZ_CHECK(positive < classes && d.scores[positive].size() == rows,
               "score_column not placed on the positive class");
  }
  if (!c.positive_label.empty()) {
    FUZZ_CHECK(std::count(d.classes.begin(), d.classes.end(), c.positive_label) == 1,
               "positive_label accepted but not a class");
  }
  FUZZ_CHECK(d.weights.empty() == c.weight_column.empty(), "weights present without a column or missing");
  if (!d.weights.empty()) {
    FUZZ_CHECK(d.weights.size() == rows, "weights have the wrong length");
    for (double w : d.weights) FUZZ_CHECK(std::isfinite(w) && w >= 0, "weight not finite or < 0");
  }
  FUZZ_CHECK(d.group_columns == c.group_columns, "group_columns not kept");
  FUZZ_CHECK(d.group_codes.size() == c.group_columns.size() &&
                 d.group_values.size() == c.group_columns.size(),
             "not one code column and value list per group column");
  for (std::size_t k = 0; k < d.group_codes.size(); ++k) {
    FUZZ_CHECK(d.group_codes[k].size() == rows, "group codes have the wrong length");
    for (int32_t g : d.group_codes[k]) {
      FUZZ_CHECK(g >= 0 && static_cast<std::size_t>(g) < d.group_values[k].size(), "group code out of range");
    }
    const std::set<std::string> distinct(d.group_values[k].begin(), d.group_values[k].end());
    FUZZ_CHECK(distinct.size() == d.group_values[k].size(), "group values repeat");
  }
  for (const auto& label : d.classes) FUZZ_CHECK(!label.empty(), "empty class label accepted");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fm_fuzz::quiet_logs();
  g_fd = memfd_create("fmkit-fuzz-predictions.csv", MFD_CLOEXEC);
  if (g_fd < 0) {
    perror("memfd_create");
    std::abort();
  }
  g_path = "/proc/self/fd/" + std::to_string(g_fd);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  fm_fuzz::Input in(data, size);
  const fm::PredictionColumns columns = prediction_columns(in);
  const std::string_view content = in.rest();
  if (ftruncate(g_fd, 0) != 0 ||
      pwrite(g_fd, content.data(), content.size(), 0) != static_cast<ssize_t>(content.size())) {
    perror("writing the memfd");
    std::abort();
  }
  fm::AuditData table;
  try {
    table = fm::read_predictions_csv(g_path, columns);
  } catch (const fm::Error&) {
    return 0;
  }
  check_table(table, columns);
  return 0;
}
