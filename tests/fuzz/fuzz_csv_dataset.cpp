// libFuzzer target: the CSV dataset reader (fm::data_detail::read_csv_dataset, behind
// fm::read_dataset for .csv files) on arbitrary bytes, with the ColumnSpec taken from the first
// input bytes (fuzz_dataset.h). A dataset it accepts must keep read_dataset()'s promises (valid
// UTF-8, no NUL in texts, non-empty labels when required, ...) and survive a round trip through
// fm::csv_row: written back and read again, it gives the same examples.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "data/readers.h"
#include "fm/data/csv.h"
#include "fm/error.h"
#include "fuzz_common.h"
#include "fuzz_dataset.h"

namespace {

std::string write_csv(const fm::Dataset& data, const fm::ColumnSpec& spec) {
  std::vector<std::string> header = {"t"};
  if (data.has_labels) header.push_back("l");
  for (std::size_t k = 0; k < spec.group_columns.size(); ++k) {
    header.push_back("g" + std::to_string(k));
  }
  if (!spec.id_column.empty()) header.push_back("i");
  std::string out = fm::csv_row(header);
  for (const fm::Example& e : data.examples) {
    std::vector<std::string> row = {e.text};
    if (data.has_labels) row.push_back(e.label);
    row.insert(row.end(), e.groups.begin(), e.groups.end());
    if (!spec.id_column.empty()) row.push_back(e.id);
    out += fm::csv_row(row);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fm_fuzz::quiet_logs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  return fm_fuzz::fuzz_dataset_reader(data, size, "fuzz.csv", fm::data_detail::read_csv_dataset,
                                      write_csv);
}
