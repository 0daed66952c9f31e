#pragma once
// The format-specific halves of read_dataset(); `content` is the whole file.

#include <string>
#include <string_view>

#include "fm/data/dataset.h"

namespace fm::data_detail {

Dataset read_csv_dataset(const std::string& path, std::string_view content,
                         const ColumnSpec& columns);

Dataset read_jsonl_dataset(const std::string& path, std::string_view content,
                           const ColumnSpec& columns);

}  // namespace fm::data_detail
