// fm/data/csv.h: RFC 4180 quoting for writers, the streaming reader and the table reader.
// Expected strings are written out by hand from RFC 4180 §2 rules 5–7.

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

TEST(CsvReader, StreamsFieldsWithQuotesUndone) {
  // CR-only line ends, a blank line, doubled quotes (kept apart from the next record's fields),
  // an embedded CRLF, a quoted empty field and a last record without a line end.
  const std::string path = temp_file("stream.csv",
                                     "id,text,n\r"
                                     "1,\"say \"\"hi\"\"\",\"0.5\"\r"
                                     "\r"
                                     "2,\"a\"\"b\",\"x\r\ny\"\r"
                                     "3,\"\",plain");
  fm::CsvReader reader(path);
  EXPECT_EQ(reader.path(), path);
  EXPECT_EQ(reader.header(), (std::vector<std::string>{"id", "text", "n"}));
  EXPECT_EQ(reader.header_line(), 1);
  EXPECT_EQ(reader.find_column("n"), 2u);
  EXPECT_EQ(reader.find_column("N"), fm::CsvReader::npos);
  EXPECT_EQ(reader.column_index("text"), 1u);

  ASSERT_TRUE(reader.next());
  EXPECT_EQ(reader.line(), 2);
  EXPECT_EQ(reader.field(0), "1");
  EXPECT_EQ(reader.field(1), "say \"hi\"");
  EXPECT_EQ(reader.field(2), "0.5");
  ASSERT_TRUE(reader.next());
  EXPECT_EQ(reader.line(), 4);
  EXPECT_EQ(reader.field(0), "2");
  EXPECT_EQ(reader.field(1), "a\"b");
  EXPECT_EQ(reader.field(2), "x\r\ny");
  ASSERT_TRUE(reader.next());
  EXPECT_EQ(reader.line(), 6);
  EXPECT_EQ(reader.field(1), "");
  EXPECT_EQ(reader.field(2), "plain");
  EXPECT_FALSE(reader.next());
}

TEST(CsvReader, ErrorsNameFileLineAndColumn) {
  auto error_of = [](const std::string& path) {
    try {
      fm::CsvReader reader(path);
      while (reader.next()) {
      }
    } catch (const fm::DataError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string few = temp_file("few.csv", "a,b,c\n1,\"2\n2\",3\n4,5\n");
  EXPECT_EQ(error_of(few), few + ":4: expected 3 fields, found 2");
  const std::string many = temp_file("many.csv", "a\r\n1\r\n2,3\r\n");
  EXPECT_EQ(error_of(many), many + ":3: expected 1 field, found 2");
  const std::string stray = temp_file("stray.csv", "a,b\n1,x\"y\n");
  EXPECT_EQ(error_of(stray),
            stray +
                ":2: stray quote in unquoted field \"b\" (quote the whole field and double "
                "inner quotes)");
  const std::string after = temp_file("after.csv", "a,b\n\"1\"x,2\n");
  EXPECT_EQ(error_of(after), after +
                                 ":2: unexpected character after the closing quote of field "
                                 "\"a\" (a quoted field must end at a comma or line end)");
  const std::string open = temp_file("open.csv", "a,b\n1,\"2\n\n");
  EXPECT_EQ(error_of(open), open + ":2: unterminated quoted field");
  // Invalid UTF-8 after a doubled quote and a line break: byte 3 of the field `x"<LF><C3>(`.
  const std::string utf8 = temp_file("utf8.csv", "a,b\n1,\"x\"\"\n\xC3(\"\n");
  EXPECT_EQ(error_of(utf8), utf8 + ":3: invalid UTF-8 at byte 3 of field \"b\"");
  const std::string dup = temp_file("dup.csv", "a,b,a\n1,2,3\n");
  EXPECT_EQ(error_of(dup), dup + ":1: duplicate column \"a\" (columns 1 and 3)");
  const std::string blank = temp_file("blank.csv", "\r\n\n");
  EXPECT_EQ(error_of(blank), blank + ": empty file (a header row is required)");
  fm::CsvReader reader(temp_file("ok.csv", "y_true,y_pred\n"));
  try {
    reader.column_index("y_prd");
    FAIL() << "expected DataError";
  } catch (const fm::DataError& e) {
    EXPECT_EQ(std::string(e.what()), reader.path() +
                                         ":1: no column \"y_prd\" (columns: y_true, y_pred); did "
                                         "you mean \"y_pred\"?");
  }
  EXPECT_FALSE(reader.next());
}

}  // namespace
