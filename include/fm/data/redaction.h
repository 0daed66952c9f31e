#pragma once
/// \file
/// PII redaction of a whole dataset (the patterns themselves: fm/text/redact.h).

#include "fm/data/dataset.h"
#include "fm/text/redact.h"

namespace fm {

/// Redacts every example text of `data` in place, adding the replacements to `counts`. Ids,
/// labels and group values are left as they are.
void redact_dataset(Dataset& data, const Redactor& redactor, RedactionCounts& counts);

}  // namespace fm
