#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "fm/error.h"
#include "fm/report/classification_text.h"

namespace fm {
namespace {

// Python's len() of the decoded str: count the bytes that do not continue a UTF-8 sequence.
std::size_t code_points(const std::string& s) {
  std::size_t n = 0;
  for (const char ch : s) {
    if ((static_cast<unsigned char>(ch) & 0xC0) != 0x80) ++n;
  }
  return n;
}

// Python's "{:>{width}}": pads with spaces to `width` code points, never truncates.
std::string pad_left(const std::string& s, std::size_t width) {
  const std::size_t n = code_points(s);
  return n >= width ? s : std::string(width - n, ' ') + s;
}

std::string pad_right(const std::string& s, std::size_t width) {
  const std::size_t n = code_points(s);
  return n >= width ? s : s + std::string(width - n, ' ');
}

// Python's "{:.{digits}f}" and C's "%.*f" both print the exactly rounded binary value.
std::string fixed(double value, int digits) {
  const int size = std::snprintf(nullptr, 0, "%.*f", digits, value);
  std::string out(static_cast<std::size_t>(size) + 1, '\0');
  std::snprintf(out.data(), out.size(), "%.*f", digits, value);
  out.resize(static_cast<std::size_t>(size));
  return out;
}

void check_digits(int digits) {
  if (digits < 0) {
    throw ConfigError("digits must be >= 0 (got " + std::to_string(digits) + ")");
  }
}

// sklearn 1.2's multilabel_confusion_matrix takes a "pathological case" branch when no prediction
// is correct: its counts become float64, so the support column prints as Python floats ("3.0").
std::string support_text(int64_t support, bool as_float) {
  return std::to_string(support) + (as_float ? ".0" : "");
}

// sklearn's row_fmt: "{:>{width}s} " + " {:>9.{digits}f}" * 3 + " {:>9}\n".
std::string text_row(const ClassScores& row, std::size_t width, int digits, bool float_support) {
  std::string out = pad_left(row.label, width) + " ";
  for (const MaybeValue* v : {&row.precision, &row.recall, &row.f1}) {
    out += " " + pad_left(fixed(v->value_or(0.0), digits), 9);
  }
  out += " " + pad_left(support_text(row.support, float_support), 9) + "\n";
  return out;
}

// GitHub Markdown table cells: a "|" or a line break would end the cell or the row.
std::string md_cell(const std::string& s) {
  std::string out;
  for (const char ch : s) {
    if (ch == '|' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (ch == '\n' || ch == '\r') {
      out += ' ';
    } else {
      out += ch;
    }
  }
  return out;
}

std::string md_value(const MaybeValue& v, int digits) {
  return v.value ? fixed(*v.value, digits) : std::string("—");
}

std::string md_row(const ClassScores& row, int digits) {
  return "| " + md_cell(row.label) + " | " + md_value(row.precision, digits) + " | " +
         md_value(row.recall, digits) + " | " + md_value(row.f1, digits) + " | " +
         std::to_string(row.support) + " |\n";
}

}  // namespace

std::string format_report_text(const ClassificationReport& report, int digits) {
  check_digits(digits);
  // sklearn: width = max(longest class name, len("weighted avg"), digits).
  std::size_t width = std::max<std::size_t>(12, static_cast<std::size_t>(digits));
  for (const ClassScores& row : report.classes) width = std::max(width, code_points(row.label));
  int64_t correct = 0;
  for (std::size_t i = 0; i < report.confusion.labels.size(); ++i) {
    correct += report.confusion.at(i, i);
  }
  const bool float_support = correct == 0;
  std::string out = std::string(width, ' ') + " ";
  for (const char* header : {"precision", "recall", "f1-score", "support"}) {
    out += " " + pad_left(header, 9);
  }
  out += "\n\n";
  for (const ClassScores& row : report.classes) out += text_row(row, width, digits, float_support);
  out += "\n";
  if (report.micro_is_accuracy) {
    out += pad_left("accuracy", width) + " " + " " + std::string(9, ' ') + " " +
           std::string(9, ' ') + " " +
           pad_left(fixed(report.micro_avg.f1.value_or(0.0), digits), 9) + " " +
           pad_left(support_text(report.total, float_support), 9) + "\n";
  } else {
    out += text_row(report.micro_avg, width, digits, float_support);
  }
  out += text_row(report.macro_avg, width, digits, float_support);
  out += text_row(report.weighted_avg, width, digits, float_support);
  return out;
}

std::string format_confusion_text(const ConfusionMatrix& cm) {
  const std::size_t k = cm.labels.size();
  const std::string corner = "true \\ pred";
  std::size_t first = code_points(corner);
  for (const std::string& label : cm.labels) first = std::max(first, code_points(label));
  std::vector<std::size_t> widths(k);
  for (std::size_t p = 0; p < k; ++p) {
    widths[p] = code_points(cm.labels[p]);
    for (std::size_t t = 0; t < k; ++t) {
      widths[p] = std::max(widths[p], std::to_string(cm.at(t, p)).size());
    }
  }
  std::string out = "Confusion matrix (rows: true label, columns: predicted label)\n";
  std::string header = k == 0 ? corner : pad_right(corner, first);
  for (std::size_t p = 0; p < k; ++p) header += "  " + pad_left(cm.labels[p], widths[p]);
  out += header + "\n";
  for (std::size_t t = 0; t < k; ++t) {
    std::string line = pad_right(cm.labels[t], first);
    for (std::size_t p = 0; p < k; ++p) {
      line += "  " + pad_left(std::to_string(cm.at(t, p)), widths[p]);
    }
    out += line + "\n";
  }
  return out;
}

std::string format_report_markdown(const ClassificationReport& report, int digits) {
  check_digits(digits);
  std::string out = "| class | precision | recall | f1-score | support |\n";
  out += "| :--- | ---: | ---: | ---: | ---: |\n";
  for (const ClassScores& row : report.classes) out += md_row(row, digits);
  if (report.micro_is_accuracy) {
    out += "| accuracy | | | " + fixed(report.micro_avg.f1.value_or(0.0), digits) + " | " +
           std::to_string(report.total) + " |\n";
  } else {
    out += md_row(report.micro_avg, digits);
  }
  out += md_row(report.macro_avg, digits);
  out += md_row(report.weighted_avg, digits);

  std::vector<std::string> notes;
  for (const ClassScores& row : report.classes) {
    const std::pair<const MaybeValue*, const char*> metrics[] = {
        {&row.precision, "precision"}, {&row.recall, "recall"}, {&row.f1, "f1-score"}};
    for (const auto& [value, name] : metrics) {
      if (!value->value) {
        notes.push_back(std::string(name) + " of " + md_cell(row.label) +
                        " is undefined: " + md_cell(value->reason));
      }
    }
  }
  for (const ClassScores* row : {&report.macro_avg, &report.weighted_avg}) {
    const std::pair<const MaybeValue*, const char*> metrics[] = {
        {&row->precision, "precision"}, {&row->recall, "recall"}, {&row->f1, "f1-score"}};
    for (const auto& [value, name] : metrics) {
      if (!value->reason.empty()) {
        notes.push_back(row->label + " " + name + ": " + md_cell(value->reason));
      }
    }
  }
  if (!notes.empty()) {
    out += "\n— = undefined (printed as 0 by scikit-learn).\n\n";
    for (const std::string& note : notes) out += "- " + note + "\n";
  }

  const ConfusionMatrix& cm = report.confusion;
  out += "\n**Confusion matrix** (rows: true label, columns: predicted label)\n\n";
  out += "| true \\ pred |";
  for (const std::string& label : cm.labels) out += " " + md_cell(label) + " |";
  out += "\n| :--- |";
  for (std::size_t p = 0; p < cm.labels.size(); ++p) out += " ---: |";
  out += "\n";
  for (std::size_t t = 0; t < cm.labels.size(); ++t) {
    out += "| " + md_cell(cm.labels[t]) + " |";
    for (std::size_t p = 0; p < cm.labels.size(); ++p) {
      out += " " + std::to_string(cm.at(t, p)) + " |";
    }
    out += "\n";
  }
  return out;
}

}  // namespace fm
