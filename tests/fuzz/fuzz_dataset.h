#pragma once
// What the CSV and JSONL dataset targets share: the ColumnSpec chosen by the first input bytes and
// the properties every dataset a reader returns must have.
//
// Input layout: 7 option bytes, then the file's content.
//   byte 0  flags: bit 0 set = labels optional (require_label false), bits 1-2 = number of group
//           columns (0-3), bit 3 = an id column, bit 4 = an empty label column name
//   byte 1  text column, byte 2 label column, bytes 3-5 group columns, byte 6 id column: each an
//           index into kColumnNames, offset so that seven zero bytes select text, label, id,
//           gender, group, a

#include <string>
#include <string_view>
#include <vector>

#include "fm/data/dataset.h"
#include "fuzz_common.h"

namespace fm_fuzz {

inline const std::vector<std::string> kColumnNames = {"text",  "label", "id", "gender",
                                                      "group", "a",     "b",  ""};

inline fm::ColumnSpec column_spec(Input& in) {
  const uint8_t flags = in.byte();
  const auto name = [&](std::size_t offset) {
    return kColumnNames[(in.byte() + offset) % kColumnNames.size()];
  };
  fm::ColumnSpec spec;
  spec.require_label = (flags & 1) == 0;
  spec.text_column = name(0);
  spec.label_column = name(1);
  if (flags & 16) spec.label_column.clear();
  const std::string groups[] = {name(3), name(4), name(5)};
  spec.group_columns.assign(groups, groups + ((flags >> 1) & 3));
  const std::string id = name(2);
  if (flags & 8) spec.id_column = id;
  return spec;
}

/// What read_dataset() documents for any dataset it returns.
inline void check_dataset(const fm::Dataset& data, const fm::ColumnSpec& spec,
                          const std::string& path) {
  FUZZ_CHECK(!data.examples.empty(), "a dataset without examples was returned");
  FUZZ_CHECK(data.path == path, "path not kept");
  FUZZ_CHECK(data.group_columns == spec.group_columns, "group_columns not kept");
  int64_t previous_line = 0;
  for (std::size_t i = 0; i < data.examples.size(); ++i) {
    const fm::Example& e = data.examples[i];
    const std::string at = "example " + std::to_string(i);
    FUZZ_CHECK(e.groups.size() == spec.group_columns.size(), at + ": wrong number of groups");
    FUZZ_CHECK(valid_utf8(e.text), at + ": text is not valid UTF-8");
    FUZZ_CHECK(valid_utf8(e.label), at + ": label is not valid UTF-8");
    FUZZ_CHECK(valid_utf8(e.id), at + ": id is not valid UTF-8");
    for (const auto& g : e.groups) FUZZ_CHECK(valid_utf8(g), at + ": group is not valid UTF-8");
    FUZZ_CHECK(e.text.find('\0') == std::string::npos, at + ": NUL byte left in the text");
    if (spec.require_label) FUZZ_CHECK(!e.label.empty(), at + ": empty label accepted");
    if (spec.id_column.empty()) FUZZ_CHECK(e.id == std::to_string(i), at + ": id is not the row");
    FUZZ_CHECK(e.line > previous_line, at + ": line numbers do not increase");
    previous_line = e.line;
  }
}

/// The ColumnSpec of a file written with the columns t, l (when the data has labels), g0.. and i.
inline fm::ColumnSpec rewritten_spec(const fm::Dataset& data, const fm::ColumnSpec& spec) {
  fm::ColumnSpec out;
  out.text_column = "t";
  out.label_column = "l";
  out.require_label = spec.require_label;
  for (std::size_t k = 0; k < spec.group_columns.size(); ++k) {
    out.group_columns.push_back("g" + std::to_string(k));
  }
  if (!spec.id_column.empty()) out.id_column = "i";
  return out;
}

/// Reading back what was written gives the same examples (texts, labels, groups, ids).
inline void check_same_examples(const fm::Dataset& a, const fm::Dataset& b) {
  FUZZ_CHECK(a.examples.size() == b.examples.size(),
             "round trip: " + std::to_string(a.examples.size()) + " examples became " +
                 std::to_string(b.examples.size()));
  for (std::size_t i = 0; i < a.examples.size(); ++i) {
    const fm::Example& x = a.examples[i];
    const fm::Example& y = b.examples[i];
    const std::string at = "round trip: example " + std::to_string(i) + ": ";
    FUZZ_CHECK(x.text == y.text, at + "text differs");
    FUZZ_CHECK(x.label == y.label, at + "label differs");
    FUZZ_CHECK(x.groups == y.groups, at + "groups differ");
    FUZZ_CHECK(x.id == y.id, at + "id differs");
  }
}

/// The body of a dataset reader's target: reads the input's bytes after the column spec with
/// `read(path, content, spec)`; a refusal (fm::Error) ends the run, an accepted dataset must pass
/// check_dataset, and `write(dataset, spec)`, read back, must give the same examples.
template <typename Read, typename Write>
int fuzz_dataset_reader(const uint8_t* data, std::size_t size, const std::string& path,
                        Read&& read, Write&& write) {
  Input in(data, size);
  const fm::ColumnSpec spec = column_spec(in);
  // A view of libFuzzer's copy of the input, which is exactly `size` bytes long: ASan reports any
  // read past the end (a std::string copy would hide a one-byte overread behind its NUL).
  const std::string_view content = in.rest();
  fm::Dataset dataset;
  try {
    dataset = read(path, content, spec);
  } catch (const fm::Error&) {
    return 0;
  }
  check_dataset(dataset, spec, path);
  const std::string written = write(dataset, spec);
  const fm::ColumnSpec again = rewritten_spec(dataset, spec);
  fm::Dataset reread;
  try {
    reread = read("rewritten-" + path, written, again);
  } catch (const fm::Error& e) {
    FUZZ_CHECK(false, std::string("the rewritten file is refused: ") + e.what());
  }
  check_same_examples(dataset, reread);
  return 0;
}

}  // namespace fm_fuzz
