/* Helpers shared by the C tests of libvas that work in a temporary folder and read
 * error details. Include after "vas.h" and "json.h"; call mkdtemp(tmp) first. */
#ifndef VAS_TEST_UTIL_H
#define VAS_TEST_UTIL_H

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "vas.h"
#include "json.h"

/* The test's temporary folder (a mkdtemp template filled in by main). */
static char tmp[64];

/* `name` inside the test's temporary folder. */
static inline void path_in_tmp(char *buf, size_t len, const char *name) { snprintf(buf, len, "%s/%s", tmp, name); }

/* The last error's detail, parsed (caller frees), or NULL when there is none. */
static inline jval *last_detail(void) {
  char buf[8192];
  size_t n = 0;
  if (vas_last_error_detail(buf, sizeof buf, &n) != VAS_RESULT_OK) return NULL;
  return json_parse(buf, n);
}

/* Whether the last error's message contains `needle` (prints it when not). */
static inline int last_message_has(const char *needle) {
  char m[2048] = "";
  size_t n;
  vas_last_error_message(m, sizeof m, &n);
  if (strstr(m, needle)) return 1;
  fprintf(stderr, "last error \"%s\" lacks \"%s\"\n", m, needle);
  return 0;
}

/* A file's size, or -1 when it cannot be stat'ed. */
static inline off_t file_size(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 ? st.st_size : -1;
}

#endif
