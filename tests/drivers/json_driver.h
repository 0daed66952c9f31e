#pragma once
// The stdin → stdout JSON plumbing shared by the drivers of the Python comparison tests.

#include <iostream>
#include <iterator>
#include <string>

#include <nlohmann/json.hpp>

#include "fm/error.h"

namespace fm::test {

/// Reads one JSON document from stdin, prints run(document) as one line of JSON (a JSON string
/// result is printed as plain text, as it is). Errors are one
/// line on stderr, "<name>: error: ...": malformed JSON exits 2, an fm::Error its own exit code.
template <typename Run>
int json_driver_main(const char* name, Run&& run) {
  try {
    const std::string input((std::istreambuf_iterator<char>(std::cin)),
                            std::istreambuf_iterator<char>());
    nlohmann::json request;
    try {
      request = nlohmann::json::parse(input);
    } catch (const nlohmann::json::exception& e) {
      std::cerr << name << ": error: stdin: malformed JSON: " << e.what() << "\n";
      return 2;
    }
    const nlohmann::json out = run(request);
    if (out.is_string()) {
      std::cout << out.get_ref<const std::string&>();  // a driver's plain-text output mode
    } else {
      std::cout << out.dump() << "\n";
    }
    return 0;
  } catch (const fm::Error& e) {
    std::cerr << name << ": error: " << e.what() << "\n";
    return static_cast<int>(e.exit_code());
  } catch (const nlohmann::json::exception& e) {
    std::cerr << name << ": error: " << e.what() << "\n";
    return 2;
  }
}

}  // namespace fm::test
