#include "fm/data/redaction.h"

namespace fm {

void redact_dataset(Dataset& data, const Redactor& redactor, RedactionCounts& counts) {
  if (redactor.types().empty()) return;
  for (auto& example : data.examples) example.text = redactor.redact(example.text, &counts);
}

}  // namespace fm
