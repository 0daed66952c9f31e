#include "fm/version.h"

namespace fm {

std::string fmkit_version() { return FMKIT_VERSION; }
std::string git_commit() { return FMKIT_GIT_SHA; }

}  // namespace fm
