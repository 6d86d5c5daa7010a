/* Assertion macros shared by the C tests of libvas. */
#ifndef VAS_TEST_CHECK_H
#define VAS_TEST_CHECK_H

#include <stdio.h>
#include "vas.h"

static int passed = 0, failed = 0;

#define CHECK(cond)                                                                   \
  do {                                                                                \
    if (cond) {                                                                       \
      passed++;                                                                       \
    } else {                                                                          \
      failed++;                                                                       \
      fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                 \
    }                                                                                 \
  } while (0)

/* `expr` returns `want`; on a mismatch, prints the last error's message. */
#define CHECK_RESULT(expr, want)                                                      \
  do {                                                                                \
    vas_result r_ = (expr);                                                           \
    if (r_ == (want)) {                                                               \
      passed++;                                                                       \
    } else {                                                                          \
      char m_[2048] = "";                                                             \
      size_t n_;                                                                      \
      vas_last_error_message(m_, sizeof m_, &n_);                                     \
      failed++;                                                                       \
      fprintf(stderr, "FAIL %s:%d: %s returned %s, want %s (last error: %s)\n",       \
              __FILE__, __LINE__, #expr, vas_result_name(r_), #want, m_);             \
    }                                                                                 \
  } while (0)

#define CHECK_OK(expr) CHECK_RESULT(expr, VAS_RESULT_OK)

#endif
