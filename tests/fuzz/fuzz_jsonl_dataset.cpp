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
  return fm_fuzz::fuzz_dataset_reader(data, size, "fuzz.jsonl", fm::data_detail::read_jsonl_dataset,
                                      write_jsonl);
}
