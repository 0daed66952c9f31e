// libFuzzer target: the JSON Lines dataset reader (fm::data_detail::read_jsonl_dataset, behind
// fm::read_dataset for .jsonl/.ndjson/.json files) on arbitrary bytes, with the ColumnSpec taken
// from the first input bytes (fuzz_dataset.h). A dataset it accepts must keep read_dataset()'s
// promises and survive a round trip: each example written back as one JSON object of strings
// (nlohmann's dump, which throws on invalid UTF-8) and read again gives the same examples.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "data/readers.h"
#include "fm/error.h"
#include "fuzz_common.h"
#include "fuzz_dataset.h"

namespace {

std::string write_jsonl(const fm::Dataset& data, const fm::ColumnSpec& spec) {
  std::string out;
  for (const fm::Example& e : data.examples) {
    nlohmann::json object = {{"t", e.text}, {"l", e.label}};
    for (std::size_t k = 0; k < e.groups.size(); ++k) {
      object["g" + std::to_string(k)] = e.groups[k];
    }
    if (!spec.id_column.empty()) object["i"] = e.id;
    out += object.dump() + "\n";
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
  // A view of libFuzzer's exactly sized copy of the input: ASan sees any read past the end.
  const std::string_view content = in.rest();
  const std::string path = "fuzz.jsonl";
  fm::Dataset dataset;
  try {
    dataset = fm::data_detail::read_jsonl_dataset(path, content, spec);
  } catch (const fm::Error&) {
    return 0;
  }
  fm_fuzz::check_dataset(dataset, spec, path);

  const std::string written = write_jsonl(dataset, spec);
  const fm::ColumnSpec again = fm_fuzz::rewritten_spec(dataset, spec);
  fm::Dataset reread;
  try {
    reread = fm::data_detail::read_jsonl_dataset("rewritten.jsonl", written, again);
  } catch (const fm::Error& e) {
    FUZZ_CHECK(false, std::string("the rewritten file is refused: ") + e.what());
  }
  fm_fuzz::check_same_examples(dataset, reread);
  return 0;
}
