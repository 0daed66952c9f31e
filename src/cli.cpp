#include "fm/cli.h"

#include <iostream>
#include <new>

#include "fm/error.h"

namespace fm {

const char* const kExitCodesHelp =
    "Exit codes: 0 success; 1 an audit gate failed; 2 usage or config error; 3 data error;\n"
    "            4 model/checkpoint error; 5 other runtime error; 130 interrupted.";

namespace {

std::string one_line(std::string s) {
  for (auto& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return s;
}

}  // namespace

int guarded_main(const std::string& program, const std::function<int()>& body) {
  try {
    return body();
  } catch (const Interrupted& e) {
    std::cerr << program << ": " << one_line(e.what()) << std::endl;
    return static_cast<int>(e.exit_code());
  } catch (const Error& e) {
    std::cerr << program << ": error: " << one_line(e.what()) << std::endl;
    return static_cast<int>(e.exit_code());
  } catch (const std::bad_alloc&) {
    std::cerr << program << ": error: out of memory" << std::endl;
    return static_cast<int>(ExitCode::kRuntime);
  } catch (const std::exception& e) {
    // LibTorch errors carry a C++ backtrace after the first line: keep the message only.
    std::string what = e.what();
    auto nl = what.find('\n');
    if (nl != std::string::npos) what.resize(nl);
    std::cerr << program << ": error: " << what << std::endl;
    return static_cast<int>(ExitCode::kRuntime);
  }
}

}  // namespace fm
