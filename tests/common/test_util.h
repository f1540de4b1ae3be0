/* Minimal assertion helpers for the C unit tests. Each test binary ends with TEST_SUMMARY(), which prints
 * "N passed, N failed" and returns non-zero on any failure. */
#ifndef QI_TEST_UTIL_H
#define QI_TEST_UTIL_H

#include <math.h>
#include <stdio.h>

extern int qi_test_passed, qi_test_failed;

#define CHECK(cond)                                                                  \
  do {                                                                               \
    if (cond) {                                                                      \
      qi_test_passed++;                                                              \
    } else {                                                                         \
      qi_test_failed++;                                                              \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);      \
    }                                                                                \
  } while (0)

#define CHECK_MSG(cond, ...)                                                         \
  do {                                                                               \
    if (cond) {                                                                      \
      qi_test_passed++;                                                              \
    } else {                                                                         \
      qi_test_failed++;                                                              \
      fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond);      \
      fprintf(stderr, __VA_ARGS__);                                                  \
      fputc('\n', stderr);                                                           \
    }                                                                                \
  } while (0)

#define TEST_SUMMARY()                                                      \
  (printf("%d passed, %d failed\n", qi_test_passed, qi_test_failed), qi_test_failed != 0)

/* Defines the counters; put once in each test binary. */
#define TEST_MAIN_GLOBALS int qi_test_passed, qi_test_failed

#endif /* QI_TEST_UTIL_H */
