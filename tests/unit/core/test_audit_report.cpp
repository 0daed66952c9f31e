#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "fm/data/csv.h"
#include "fm/error.h"
#include "fm/fairness/catalogue.h"
#include "fm/io/files.h"
#include "fm/report/audit_report.h"

namespace {

using fm::AuditReport;
using fm::MetricValue;
using nlohmann::json;

MetricValue metric(const std::string& name, const std::string& column, const std::string& group,
                   std::optional<double> v) {
  MetricValue m;
  m.name = name;
  m.column = column;
  m.group = group;
  m.label = "toxic";
  m.convention = "fairlearn";
  m.value = v;
  return m;
}

// Hand-built audit: gender groups a (tpr .75, fpr .25) and b (tpr .5, fpr .5) → eod .25.
AuditReport sample_report() {
  AuditReport r;
  r.input = "predictions biased.csv (16 rows)";
  r.rows = 16;
  r.classes = {"non_toxic", "toxic"};
  r.positive_label = "toxic";
  MetricValue eod = metric("equalized_odds_difference", "gender", "", 0.25);
  eod.lower = 0.0;
  eod.upper = 0.6;
  MetricValue tpr_a = metric("tpr", "gender", "a", 0.75);
  tpr_a.flags = {"small_group"};
  MetricValue undefined = metric("bpsn_auc", "gender", "b <x&y>", std::nullopt);
  undefined.reason = "no negatives in group \"b <x&y>\"";
  undefined.convention = "borkan2019";
  MetricValue di = metric("disparate_impact", "gender", "b", 0.8);
  di.reference = "a";
  di.threshold = 0.5;
  di.fair = true;
  r.result.metrics = {eod, tpr_a, metric("tpr", "gender", "b", 0.5), undefined, di};
  for (const char* group : {"a", "b"}) {
    fm::GroupSummary g;
    g.column = "gender";
    g.group = group;
    g.count = 8;
    g.positives = 4;
    g.negatives = 4;
    g.flags = {"small_group"};
    r.result.groups.push_back(g);
  }
  r.result.notes = {"Fairlearn between_groups differences"};
  fm::Gate fail;
  fail.metric = "equalized_odds_difference";
  fail.max = 0.1;
  fm::Gate pass;
  pass.metric = "tpr";
  pass.min = 0.4;
  pass.per_group = true;
  r.policy.predictions = "biased.csv";
  r.policy.group_columns = {"gender"};
  r.policy.gates = {fail, pass};
  r.verdict = fm::judge_audit(r.result, r.policy, std::nullopt);
  return r;
}

// Minimal XML well-formedness check: balanced tags, quoted attributes, no raw '<' or '&' outside
// markup and entities.
bool well_formed(const std::string& xml, std::string& why) {
  std::vector<std::string> stack;
  std::size_t i = 0;
  if (xml.rfind("<?xml", 0) == 0) i = xml.find("?>") + 2;
  while (i < xml.size()) {
    if (xml[i] == '&') {
      const std::size_t semi = xml.find(';', i);
      const std::string entity = xml.substr(i, semi - i + 1);
      if (entity != "&amp;" && entity != "&lt;" && entity != "&gt;" && entity != "&quot;" &&
          entity != "&apos;") {
        why = "bad entity at " + std::to_string(i);
        return false;
      }
      i = semi + 1;
      continue;
    }
    if (xml[i] != '<') {
      if (xml[i] == '>') {
        why = "raw > in text at " + std::to_string(i);
        return false;
      }
      ++i;
      continue;
    }
    std::size_t j = i + 1;
    bool in_quote = false;
    while (j < xml.size() && (in_quote || xml[j] != '>')) {
      if (xml[j] == '"') in_quote = !in_quote;
      if (in_quote && xml[j] == '<') {
        why = "raw < in attribute at " + std::to_string(j);
        return false;
      }
      ++j;
    }
    if (j >= xml.size()) {
      why = "unterminated tag";
      return false;
    }
    const std::string tag = xml.substr(i + 1, j - i - 1);
    if (tag[0] == '/') {
      if (stack.empty() || stack.back() != tag.substr(1)) {
        why = "mismatched </" + tag.substr(1) + ">";
        return false;
      }
      stack.pop_back();
    } else if (tag.back() != '/') {
      stack.push_back(tag.substr(0, tag.find_first_of(" \n")));
    }
    i = j + 1;
  }
  if (!stack.empty()) why = "unclosed <" + stack.back() + ">";
  return stack.empty();
}

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++n;
  return n;
}

TEST(AuditReport, XmlEscape) {
  EXPECT_EQ(fm::xml_escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
  EXPECT_EQ(fm::xml_escape(std::string("x\x01y\tz\n", 6)), "xy\tz\n");
  EXPECT_EQ(fm::xml_escape("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(fm::xml_escape("bad\xFFhere"), "bad\xEF\xBF\xBDhere");
  EXPECT_EQ(fm::xml_escape("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong
}

TEST(AuditReport, JunitOneCasePerGate) {
  const AuditReport r = sample_report();
  // eod fails; tpr per group: a and b (the undefined bpsn is another metric).
  ASSERT_EQ(r.verdict.gates.size(), 3u);
  const std::string xml = fm::format_audit_junit(r);
  std::string why;
  EXPECT_TRUE(well_formed(xml, why)) << why << "\n" << xml;
  EXPECT_EQ(count(xml, "<testcase "), 3u);
  EXPECT_EQ(count(xml, "<failure "), 1u);
  EXPECT_NE(xml.find("tests=\"3\" failures=\"1\""), std::string::npos);
  EXPECT_NE(xml.find("name=\"equalized_odds_difference &lt;= 0.1\""), std::string::npos);
  EXPECT_NE(xml.find("<failure message=\"equalized_odds_difference[gender, label=toxic] 0.25 &gt; "
                     "max 0.1\""),
            std::string::npos);
}

TEST(AuditReport, JunitEscapesHostileNames) {
  AuditReport r = sample_report();
  fm::Gate g;
  g.metric = "bpsn_auc";
  g.min = 0.5;
  r.policy.gates = {g};
  r.verdict = fm::judge_audit(r.result, r.policy, std::nullopt);
  ASSERT_EQ(r.verdict.gates[0].status, fm::GateStatus::kFail);  // undefined counts as fail
  const std::string xml = fm::format_audit_junit(r);
  std::string why;
  EXPECT_TRUE(well_formed(xml, why)) << why << "\n" << xml;
  EXPECT_NE(xml.find("b &lt;x&amp;y&gt;"), std::string::npos);
}

TEST(AuditReport, JsonHasEverythingAndRoundTripsAsBaseline) {
  const AuditReport r = sample_report();
  const json j = fm::audit_report_to_json(r);
  EXPECT_EQ(j["verdict"], "fail");
  EXPECT_EQ(j["rows"], 16);
  EXPECT_EQ(j["positive_label"], "toxic");
  EXPECT_FALSE(j["fmkit_version"].get<std::string>().empty());
  ASSERT_EQ(j["metrics"].size(), 5u);
  EXPECT_TRUE(j["metrics"][3]["value"].is_null());
  EXPECT_EQ(j["metrics"][3]["reason"], "no negatives in group \"b <x&y>\"");
  EXPECT_DOUBLE_EQ(j["metrics"][0]["upper"].get<double>(), 0.6);
  EXPECT_EQ(j["metrics"][4]["fair"], true);
  EXPECT_EQ(j["groups"][1]["group"], "b");
  EXPECT_EQ(j["gates"].size(), 3u);
  EXPECT_EQ(j["gates"][0]["status"], "fail");
  EXPECT_TRUE(j["baseline"].is_null());
  EXPECT_EQ(j["policy"]["gates"][0]["max"], 0.1);

  const std::string path = ::testing::TempDir() + "/audit_baseline.json";
  fm::write_file_atomic(path, j.dump(2));
  const auto metrics = fm::read_baseline_metrics(path);
  ASSERT_EQ(metrics.size(), 5u);
  EXPECT_EQ(metrics[0].name, "equalized_odds_difference");
  EXPECT_DOUBLE_EQ(*metrics[0].value, 0.25);
  EXPECT_DOUBLE_EQ(*metrics[0].lower, 0.0);
  EXPECT_FALSE(metrics[3].value.has_value());
  EXPECT_EQ(metrics[4].reference, "a");
  EXPECT_DOUBLE_EQ(*metrics[4].threshold, 0.5);
  // Compared with itself, nothing regresses.
  AuditReport again = sample_report();
  again.verdict = fm::judge_audit(again.result, again.policy, metrics);
  ASSERT_TRUE(again.verdict.baseline.has_value());
  EXPECT_EQ(again.verdict.baseline->status, fm::GateStatus::kPass);
  EXPECT_EQ(again.verdict.baseline->entries.size(), 3u);  // the gated eod, tpr a, tpr b
}

TEST(AuditReport, BaselineReaderErrors) {
  const std::string dir = ::testing::TempDir();
  fm::write_file_atomic(dir + "/not_json.json", "{");
  fm::write_file_atomic(dir + "/no_metrics.json", "{\"x\": 1}");
  fm::write_file_atomic(dir + "/bad_value.json",
                        "{\"metrics\": [{\"name\": \"tpr\", \"value\": \"x\"}]}");
  const auto error = [](const std::string& path) {
    try {
      fm::read_baseline_metrics(path);
    } catch (const fm::DataError& e) {
      return std::string(e.what());
    }
    return std::string("<no error>");
  };
  EXPECT_EQ(error(dir + "/not_json.json"),
            dir + "/not_json.json:1:2: malformed JSON: syntax error while parsing object key - "
                  "unexpected end of input; expected string literal (expected an fm-audit "
                  "--format json report)");
  EXPECT_EQ(error(dir + "/no_metrics.json"),
            dir + "/no_metrics.json: not an fm-audit JSON report (no \"metrics\" array)");
  EXPECT_EQ(error(dir + "/bad_value.json"),
            dir + "/bad_value.json: metrics[0].value: expected a number or null");
  EXPECT_NE(error(dir + "/absent.json").find("cannot open"), std::string::npos);
}

TEST(AuditReport, TextAndMarkdown) {
  AuditReport r = sample_report();
  const std::string text = fm::format_audit_text(r);
  EXPECT_NE(text.find("fm-audit: predictions biased.csv (16 rows); classes non_toxic, toxic; "
                      "positive toxic"),
            std::string::npos);
  EXPECT_NE(text.find("  column  group  count  positives  negatives  tpr   bpsn_auc  flags\n"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find("  gender  a      8      4          4          0.75            small_group\n"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("equalized_odds_difference[gender, label=toxic]  0.25   [0, 0.6]"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  FAIL    equalized_odds_difference <= 0.1"), std::string::npos) << text;
  const std::string last = text.substr(text.rfind("verdict:"));
  EXPECT_EQ(last, "verdict: FAIL (3 gates: 2 passed, 1 failed, 0 warned)\n");

  const std::string md = fm::format_audit_markdown(r);
  EXPECT_EQ(md.rfind("## fm-audit: FAIL (3 gates", 0), 0u) << md;
  EXPECT_NE(
      md.find(
          "| status | gate | detail |\n|---|---|---|\n| FAIL | equalized_odds_difference <= 0.1 |"),
      std::string::npos)
      << md;
  EXPECT_NE(md.find("| gender | a | 8 | 4 | 4 | 0.75 |  | small_group |"), std::string::npos) << md;
}

// Splits a Markdown table row at its unescaped pipes.
std::vector<std::string> markdown_cells(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  for (std::size_t i = 1; i < line.size(); ++i) {
    if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == '|') {
      cell += '|';
      ++i;
    } else if (line[i] == '|') {
      cells.push_back(cell);
      cell.clear();
    } else {
      cell += line[i];
    }
  }
  return cells;
}

TEST(AuditReport, MetricCatalogueMarkdownTable) {
  const std::string md = fm::format_metric_catalogue("markdown");
  std::istringstream in(md);
  std::string line;
  std::vector<std::vector<std::string>> rows;
  while (std::getline(in, line) && !line.empty()) rows.push_back(markdown_cells(line));
  ASSERT_EQ(rows.size(), 2 + fm::metric_catalogue().size());
  EXPECT_EQ(rows[0],
            (std::vector<std::string>{" metric ", " convention ", " formula ", " direction ",
                                      " defined when ", " values ", " multi-class "}));
  for (std::size_t i = 0; i < fm::metric_catalogue().size(); ++i) {
    const fm::MetricInfo& m = fm::metric_catalogue()[i];
    ASSERT_EQ(rows[i + 2].size(), 7u) << md;
    EXPECT_EQ(rows[i + 2][0], " `" + std::string(m.name) + "` ");
    EXPECT_EQ(rows[i + 2][1], " " + std::string(m.convention) + " ");
    EXPECT_EQ(rows[i + 2][2], " " + std::string(m.formula) + " ");
  }
  // A formula with pipes stays in its cell; the worst case over classes is spelt as code.
  EXPECT_NE(md.find("| max_g \\|SR_g - SR_all\\| (method to_overall"), std::string::npos) << md;
  EXPECT_NE(md.find("| `disparate_impact` | aif360 |"), std::string::npos);
  EXPECT_NE(md.find("| away_from_one (column value: lower_is_worse) |"), std::string::npos);
  EXPECT_NE(md.find("| per class; `*`: largest \\|value\\|, signed |"), std::string::npos);
  EXPECT_NE(md.find("per group, per column, overall; threshold-free; run audits only"),
            std::string::npos);
  EXPECT_NE(md.find("\n- `borkan2019`: Borkan et al. 2019"), std::string::npos);
}

TEST(AuditReport, MetricCatalogueText) {
  const std::string text = fm::format_metric_catalogue("text");
  for (const fm::MetricInfo& m : fm::metric_catalogue()) {
    EXPECT_NE(text.find("\n" + std::string(m.name) + " "), std::string::npos) << m.name;
  }
  EXPECT_NE(text.find("\ntpr" + std::string(39, ' ') + "fmkit" + std::string(7, ' ') +
                      "lower_is_worse\n"
                      "    tp / (tp + fn) (recall)\n"
                      "    defined: the group has positives; per group, overall; per class\n"),
            std::string::npos)
      << text;
  EXPECT_THROW(fm::format_metric_catalogue("html"), fm::ConfigError);
}

TEST(AuditReport, CsvOneRowPerValue) {
  const std::string path = ::testing::TempDir() + "/audit.csv";
  fm::write_file_atomic(path, fm::format_audit_csv(sample_report()));
  const fm::CsvTable t = fm::read_csv_table(path);
  EXPECT_EQ(t.header, (std::vector<std::string>{"column", "group", "metric", "label", "threshold",
                                                "reference", "value", "lower", "upper", "fair",
                                                "flags", "reason"}));
  ASSERT_EQ(t.rows.size(), 5u);
  EXPECT_EQ(t.rows[1], (std::vector<std::string>{"gender", "a", "tpr", "toxic", "", "", "0.75", "",
                                                 "", "", "small_group", ""}));
  EXPECT_EQ(t.rows[3][1], "b <x&y>");
  EXPECT_EQ(t.rows[3][6], "");
  EXPECT_EQ(t.rows[4][4], "0.5");
  EXPECT_EQ(t.rows[4][9], "true");
}

TEST(AuditReport, WriteOutputs) {
  AuditReport r = sample_report();
  const std::string dir = ::testing::TempDir() + "/audit_out";
  std::filesystem::remove_all(dir);
  r.policy.outputs.format = "json";
  r.policy.outputs.junit = dir + "/nested/junit.xml";
  r.policy.outputs.csv = dir + "/a.csv";
  r.policy.outputs.markdown = dir + "/summary.md";
  std::ostringstream out;
  fm::write_audit_outputs(r, out);
  EXPECT_EQ(json::parse(out.str())["verdict"], "fail");
  EXPECT_EQ(fm::read_file(dir + "/nested/junit.xml"), fm::format_audit_junit(r));
  EXPECT_EQ(fm::read_file(dir + "/a.csv"), fm::format_audit_csv(r));
  EXPECT_EQ(fm::read_file(dir + "/summary.md"), fm::format_audit_markdown(r));
  r.policy.outputs.output = dir + "/report.txt";
  r.policy.outputs.format = "text";
  std::ostringstream none;
  fm::write_audit_outputs(r, none);
  EXPECT_TRUE(none.str().empty());
  EXPECT_EQ(fm::read_file(dir + "/report.txt"), fm::format_audit_text(r));
}

}  // namespace
