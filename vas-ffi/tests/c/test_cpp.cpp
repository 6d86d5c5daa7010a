// The header compiles and links as C++ (extern "C", typed enums).
#include "vas.h"

#include <cstdio>
#include <cstring>

int main() {
  char hex[33];
  size_t n = 0;
  vas_result r = vas_digest_bytes(VAS_DIGEST_ALGORITHM_MD5, reinterpret_cast<const uint8_t *>("abc"), 3,
                                  hex, sizeof hex, &n);
  if (r != VAS_RESULT_OK || std::strcmp(hex, "900150983cd24fb0d6963f7d28e17f72") != 0) return 1;
  if (vas_digest_bytes(VAS_DIGEST_ALGORITHM_MD5, nullptr, 1, hex, sizeof hex, &n) != VAS_RESULT_NULL_PARAMETER)
    return 1;
  std::printf("C++: ok\n");
  return 0;
}
