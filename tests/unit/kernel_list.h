/* Walking a kernel family's list (qi_<family>_config_list, kernels/ukernel.h) in a tester: every entry the CPU
 * can run is tested, each other one is reported as "skipped (CPU lacks X)", so no kernel passes silently;
 * kernels shared by several entries (an AVX2 entry reusing the scalar N-d kernel) are tested once. */
#ifndef QI_TEST_KERNEL_LIST_H
#define QI_TEST_KERNEL_LIST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kernels/isa.h"

/* The names of the QI_CPU_* bits of `features` this CPU lacks ("avx512, avx512vnni"), or "" when it has them. */
static inline const char *kl_missing(uint32_t features, char *buf, size_t size) {
  const uint32_t missing = qi_cpu_missing(features);
  buf[0] = '\0';
  for (unsigned i = 0; i < QI_CPU_FEATURE_COUNT; i++)
    if (missing & (1u << i)) {
      const size_t len = strlen(buf);
      snprintf(buf + len, size - len, "%s%s", len ? ", " : "", qi_cpu_feature_name(1u << i));
    }
  return buf;
}

/* true when the CPU can run code needing `features`; otherwise prints "<what>: skipped (CPU lacks X)". */
static inline bool kl_runnable(const char *what, uint32_t features) {
  char buf[128];
  if (!qi_cpu_missing(features)) return true;
  printf("%s: skipped (CPU lacks %s)\n", what, kl_missing(features, buf, sizeof buf));
  return false;
}

/* The same for an entry of several kernels: one "skipped" line per name. */
static inline bool kl_runnable_all(const char *const *names, size_t n, uint32_t features) {
  bool ok = true;
  for (size_t i = 0; i < n; i++) ok = kl_runnable(names[i], features);
  return ok;
}

/* Kernels already tested by this binary (function pointers as integers), so that an entry that reuses another
 * entry's kernel does not test it twice. */
typedef struct kl_seen {
  uintptr_t fn[64];
  int n;
} kl_seen;

/* true the first time fn is seen (and remembers it); prints "<name>: tested above" otherwise. */
static inline bool kl_first(kl_seen *seen, uintptr_t fn, const char *name) {
  for (int i = 0; i < seen->n; i++)
    if (seen->fn[i] == fn) {
      printf("%s: tested above\n", name);
      return false;
    }
  if (seen->n < (int)(sizeof seen->fn / sizeof seen->fn[0])) seen->fn[seen->n++] = fn;
  return true;
}
#define KL_FIRST(seen, fn, name) kl_first((seen), (uintptr_t)(fn), (name))

#endif /* QI_TEST_KERNEL_LIST_H */
