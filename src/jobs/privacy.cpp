#include "fm/jobs/privacy.h"

namespace fm {

std::string run_privacy(const privacy::DpSgdQuery& query) {
  const auto analysis = privacy::analyze_dp_sgd(query);
  if (query.format == "json") return privacy::to_json(analysis).dump(2) + "\n";
  return privacy::format_text(analysis);
}

}  // namespace fm
