// fm/data/csv.h: RFC 4180 quoting for writers and the generic table reader. Expected strings are
// written out by hand from RFC 4180 §2 rules 5–7.

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "fm/data/csv.h"
#include "fm/error.h"

namespace {

std::string temp_file(const std::string& name, const std::string& content) {
  static const std::string dir = [] {
    std::string templ = ::testing::TempDir() + "fm_csv_XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    return templ;
  }();
  std::string path = dir + "/" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

TEST(CsvEscape, PlainFieldsUnchanged) {
  EXPECT_EQ(fm::csv_escape(""), "");
  EXPECT_EQ(fm::csv_escape("toxic"), "toxic");
  EXPECT_EQ(fm::csv_escape("two words"), "two words");
  EXPECT_EQ(fm::csv_escape("caf\xC3\xA9;0.5|x'y"), "caf\xC3\xA9;0.5|x'y");
}

TEST(CsvEscape, QuotesWhenNeeded) {
  EXPECT_EQ(fm::csv_escape("a,b"), "\"a,b\"");
  EXPECT_EQ(fm::csv_escape("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(fm::csv_escape("\""), "\"\"\"\"");
  EXPECT_EQ(fm::csv_escape("line\nbreak"), "\"line\nbreak\"");
  EXPECT_EQ(fm::csv_escape("cr\rhere"), "\"cr\rhere\"");
  EXPECT_EQ(fm::csv_escape(" lead"), "\" lead\"");
  EXPECT_EQ(fm::csv_escape("trail "), "\"trail \"");
  EXPECT_EQ(fm::csv_escape("\ttab"), "\"\ttab\"");
  EXPECT_EQ(fm::csv_escape(" "), "\" \"");
}

TEST(CsvRow, JoinsEscapesAndEndsWithNewline) {
  EXPECT_EQ(fm::csv_row({"id", "y_true", "p_toxic"}), "id,y_true,p_toxic\n");
  EXPECT_EQ(fm::csv_row({"1", "a,b", "", "q\""}), "1,\"a,b\",,\"q\"\"\"\n");
  EXPECT_EQ(fm::csv_row({""}), "\"\"\n");
  EXPECT_EQ(fm::csv_row({"", ""}), ",\n");
  EXPECT_EQ(fm::csv_row({}), "\n");
}

TEST(CsvTable, ReadsHeaderRowsAndLines) {
  const std::string path =
      temp_file("p.csv", "\xEF\xBB\xBFid,y_true,p_a\r\n0,a,0.25\r\n\r\n1,\"b\nc\",0.75\n2,\"\",\n");
  fm::CsvTable table = fm::read_csv_table(path);
  EXPECT_EQ(table.path, path);
  EXPECT_EQ(table.header, (std::vector<std::string>{"id", "y_true", "p_a"}));
  EXPECT_EQ(table.header_line, 1);
  ASSERT_EQ(table.rows.size(), 3u);
  EXPECT_EQ(table.rows[0], (std::vector<std::string>{"0", "a", "0.25"}));
  EXPECT_EQ(table.rows[1], (std::vector<std::string>{"1", "b\nc", "0.75"}));
  EXPECT_EQ(table.rows[2], (std::vector<std::string>{"2", "", ""}));
  EXPECT_EQ(table.lines, (std::vector<int64_t>{2, 4, 6}));
  EXPECT_EQ(fm::csv_column_index(table, "p_a"), 2u);
}

TEST(CsvTable, HeaderOnlyIsEmptyTable) {
  fm::CsvTable table = fm::read_csv_table(temp_file("h.csv", "a,b\n"));
  EXPECT_EQ(table.header.size(), 2u);
  EXPECT_TRUE(table.rows.empty());
}

TEST(CsvTable, ErrorsNameFileAndLine) {
  const std::string path = temp_file("bad.csv", "\n\na,b\n1,2\n3\n");
  try {
    fm::read_csv_table(path);
    FAIL() << "expected DataError";
  } catch (const fm::DataError& e) {
    EXPECT_EQ(std::string(e.what()), path + ":5: expected 2 fields, found 1");
  }
  fm::CsvTable table = fm::read_csv_table(temp_file("ok.csv", "\ny_true,y_pred\nx,y\n"));
  EXPECT_EQ(table.header_line, 2);
  try {
    fm::csv_column_index(table, "y_prd");
    FAIL() << "expected DataError";
  } catch (const fm::DataError& e) {
    EXPECT_EQ(std::string(e.what()), table.path +
                                         ":2: no column \"y_prd\" (columns: y_true, y_pred); did "
                                         "you mean \"y_pred\"?");
  }
}

TEST(CsvRoundTrip, WrittenRowsReadBackUnchanged) {
  const std::vector<std::vector<std::string>> rows = {
      {"text", "label", "note"},
      {"plain", "a", ""},
      {" padded ", "b,c", "she said \"no\""},
      {"multi\nline\r\nfield", "\"", "\xE2\x98\x95"},
      {"", "", ","},
  };
  std::string content;
  for (const auto& row : rows) content += fm::csv_row(row);
  fm::CsvTable table = fm::read_csv_table(temp_file("rt.csv", content));
  EXPECT_EQ(table.header, rows[0]);
  ASSERT_EQ(table.rows.size(), rows.size() - 1);
  for (std::size_t i = 1; i < rows.size(); ++i) EXPECT_EQ(table.rows[i - 1], rows[i]);
}

}  // namespace
