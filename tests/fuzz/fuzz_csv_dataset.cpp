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
  fm_fuzz::Input in(data, size);
  const fm::ColumnSpec spec = fm_fuzz::column_spec(in);
  // A view of libFuzzer's copy of the input, which is exactly `size` bytes long: ASan reports any
  // read past the end (a std::string copy would hide a one-byte overread behind its NUL).
  const std::string_view content = in.rest();
  const std::string path = "fuzz.csv";
  fm::Dataset dataset;
  try {
    dataset = fm::data_detail::read_csv_dataset(path, content, spec);
  } catch (const fm::Error&) {
    return 0;
  }
  fm_fuzz::check_dataset(dataset, spec, path);

  const std::string written = write_csv(dataset, spec);
  const fm::ColumnSpec again = fm_fuzz::rewritten_spec(dataset, spec);
  fm::Dataset reread;
  try {
    reread = fm::data_detail::read_csv_dataset("rewritten.csv", written, again);
  } catch (const fm::Error& e) {
    FUZZ_CHECK(false, std::string("the rewritten file is refused: ") + e.what());
  }
  fm_fuzz::check_same_examples(dataset, reread);
  return 0;
}
