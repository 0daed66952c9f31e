#include <iostream>

#include "fm/runs/runtime.h"

int main() {
  std::cout << fm::version_text("fm-eval");
  return 0;
}
