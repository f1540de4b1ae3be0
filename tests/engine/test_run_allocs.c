/* qinfer_session_run allocates nothing: every malloc/calloc/realloc/aligned_alloc/posix_memalign made by
 * the library is counted through the linker's --wrap (see tests/engine.cmake), and a run must add none.
 * Also checks that 1 and 2 threads give bit-identical outputs. usage: test_run_allocs MODEL INPUT.npy */
#include <stdlib.h>
#include <string.h>

#include "session_fixture.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

static volatile long n_allocs;

void *__real_malloc(size_t);
void *__real_calloc(size_t, size_t);
void *__real_realloc(void *, size_t);
void *__real_aligned_alloc(size_t, size_t);
int __real_posix_memalign(void **, size_t, size_t);
void *__wrap_malloc(size_t n) { __atomic_add_fetch(&n_allocs, 1, __ATOMIC_RELAXED); return __real_malloc(n); }
void *__wrap_calloc(size_t a, size_t b) { __atomic_add_fetch(&n_allocs, 1, __ATOMIC_RELAXED); return __real_calloc(a, b); }
void *__wrap_realloc(void *p, size_t n) { __atomic_add_fetch(&n_allocs, 1, __ATOMIC_RELAXED); return __real_realloc(p, n); }
void *__wrap_aligned_alloc(size_t a, size_t n) {
  __atomic_add_fetch(&n_allocs, 1, __ATOMIC_RELAXED);
  return __real_aligned_alloc(a, n);
}
int __wrap_posix_memalign(void **p, size_t a, size_t n) {
  __atomic_add_fetch(&n_allocs, 1, __ATOMIC_RELAXED);
  return __real_posix_memalign(p, a, n);
}

int main(int argc, char **argv) {
  if (argc != 3) return fprintf(stderr, "usage: %s MODEL INPUT.npy\n", argv[0]), 2;
  qi_host_tensor x = {0};
  qi_error err = {0};
  if (qi_npy_read(argv[2], &x, &err) != QINFER_OK) return fprintf(stderr, "%s\n", err.msg), 2;
  const void *out[2] = {NULL, NULL};
  size_t out_bytes[2] = {0, 0};
  void *copy[2] = {NULL, NULL};
  for (int threads = 1; threads <= 2; threads++) {
    qinfer_model *m = NULL;
    qinfer_session *s = fixture_session(argv[1], &x, threads, &m);
    CHECK(s != NULL);
    if (!s) break;
    CHECK(qinfer_session_run(s) == QINFER_OK); /* warm: first-touch of the arena */
    long before = n_allocs;
    for (int r = 0; r < 3; r++) CHECK(qinfer_session_run(s) == QINFER_OK);
    long during = n_allocs - before;
    CHECK_MSG(during == 0, "%ld allocations during 3 runs with %d thread(s)", during, threads);
    CHECK(qinfer_session_get_output(s, 0, &out[threads - 1], &out_bytes[threads - 1]) == QINFER_OK);
    copy[threads - 1] = malloc(out_bytes[threads - 1]);
    memcpy(copy[threads - 1], out[threads - 1], out_bytes[threads - 1]);
    qinfer_session_destroy(s);
    qinfer_model_destroy(m);
  }
  CHECK(out_bytes[0] == out_bytes[1] && out_bytes[0] > 0);
  if (copy[0] && copy[1] && out_bytes[0] == out_bytes[1])
    CHECK_MSG(memcmp(copy[0], copy[1], out_bytes[0]) == 0, "1 and 2 threads differ");
  free(copy[0]);
  free(copy[1]);
  qi_host_tensor_free(&x);
  return TEST_SUMMARY();
}
