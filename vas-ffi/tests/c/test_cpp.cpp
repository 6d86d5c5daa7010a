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
  // The option structs and handles of the SIP builder, from C++.
  vas_sip_builder *b = nullptr;
  if (vas_sip_builder_new("2.3", &b) != VAS_RESULT_OK) return 1;
  size_t unit = 0;
  if (vas_sip_builder_add_unit(b, 0, "Unit", &unit) != VAS_RESULT_OK || unit != 1) return 1;
  // Versioned option structs: C++ before C++20 has no designated initializers, so the
  // _init functions set struct_size.
  vas_object_options o;
  if (vas_object_options_init(&o, sizeof o) != VAS_RESULT_OK || o.struct_size != sizeof o) return 1;
  o.usage = "BinaryMaster_1";
  if (vas_sip_builder_add_object_bytes(b, unit, "a.txt", reinterpret_cast<const uint8_t *>("a"), 1, &o) !=
      VAS_RESULT_OK)
    return 1;
  vas_build_options opts;
  if (vas_build_options_init(&opts, sizeof opts) != VAS_RESULT_OK) return 1;
  vas_build_options zero{};  // struct_size 0: refused, naming the struct
  if (vas_sip_builder_write_to_bytes(b, &zero, nullptr, nullptr) != VAS_RESULT_INVALID_INPUT) return 1;
  vas_bytes *pkg = nullptr;
  // No archival agency: refused, and nothing is written to `pkg`.
  if (vas_sip_builder_write_to_bytes(b, &opts, &pkg, nullptr) != VAS_RESULT_INVALID_INPUT || pkg) return 1;
  vas_sip_builder_free(b);
  std::printf("C++: ok\n");
  return 0;
}
