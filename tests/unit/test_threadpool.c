/* The thread pool: every index of a loop is visited exactly once, whatever the thread count, grain and loop
 * size, in at most 4 calls per thread whose bounds are the same every time the loop runs (they may depend on n,
 * grain and the thread count only, not on which thread claims a chunk); loops issued right after creation and
 * thousands of short loops back to back complete (a lost wake-up would hang: ctest's timeout turns that into a
 * failure). */
#include <stdatomic.h>
#include <stdlib.h>

#include "engine/threadpool.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

typedef struct visit_counts {
  atomic_int *hits;
  atomic_int calls;
  atomic_size_t *end_at; /* per index: the end of the call that began there, + 1 (0: no call began there) */
} visit_counts;

static void visit(void *arg, size_t begin, size_t end) {
  visit_counts *v = arg;
  atomic_fetch_add(&v->calls, 1);
  atomic_store(&v->end_at[begin], end + 1);
  for (size_t i = begin; i < end; i++) atomic_fetch_add(&v->hits[i], 1);
}

static void check_loop(qi_threadpool *pool, size_t n, size_t grain) {
  visit_counts v = {calloc(n + 1, sizeof(atomic_int)), 0, calloc(n + 1, sizeof(atomic_size_t))};
  atomic_size_t *first_bounds = calloc(n + 1, sizeof(atomic_size_t));
  int bounds_differ = 0;
  for (int round = 0; round < 3; round++) {
    for (size_t i = 0; i < n; i++) atomic_store(&v.hits[i], 0), atomic_store(&v.end_at[i], 0);
    atomic_store(&v.calls, 0);
    qi_parallel_for(pool, n, grain, visit, &v);
    int wrong = 0;
    for (size_t i = 0; i < n; i++) wrong += atomic_load(&v.hits[i]) != 1;
    CHECK_MSG(wrong == 0, "%d of %zu indices not visited exactly once (threads %d, grain %zu)", wrong, n,
              qi_threadpool_size(pool), grain);
    const int calls = atomic_load(&v.calls);
    CHECK_MSG(n == 0 ? calls == 0 : calls >= 1 && calls <= 4 * qi_threadpool_size(pool), "%d calls", calls);
    for (size_t i = 0; i < n; i++) {
      if (round == 0) atomic_store(&first_bounds[i], atomic_load(&v.end_at[i]));
      bounds_differ += atomic_load(&first_bounds[i]) != atomic_load(&v.end_at[i]);
    }
  }
  CHECK_MSG(bounds_differ == 0, "the calls' bounds changed between runs of the same loop (n %zu, grain %zu)", n, grain);
  free(v.hits);
  free(v.end_at);
  free(first_bounds);
}

int main(void) {
  CHECK(qi_threadpool_create(1) == NULL && qi_threadpool_create(0) == NULL);
  CHECK(qi_threadpool_size(NULL) == 1);
  check_loop(NULL, 100, 1);
  for (int threads = 2; threads <= 5; threads++) {
    qi_threadpool *pool = qi_threadpool_create(threads);
    CHECK(pool != NULL && qi_threadpool_size(pool) == threads);
    check_loop(pool, 1000, 1); /* first loop right after creation: workers may not have started yet */
    static const size_t sizes[] = {0, 1, 2, 3, 7, 64, 1001};
    static const size_t grains[] = {1, 2, 5, 100, 5000};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
      for (size_t g = 0; g < sizeof grains / sizeof *grains; g++) check_loop(pool, sizes[s], grains[g]);
    for (int r = 0; r < 3000; r++) { /* short loops back to back */
      visit_counts v = {calloc(8, sizeof(atomic_int)), 0, calloc(8, sizeof(atomic_size_t))};
      qi_parallel_for(pool, 8, 1, visit, &v);
      int sum = 0;
      for (int i = 0; i < 8; i++) sum += atomic_load(&v.hits[i]);
      if (sum != 8) CHECK_MSG(sum == 8, "loop %d visited %d indices", r, sum);
      free(v.hits);
      free(v.end_at);
    }
    qi_threadpool_destroy(pool);
  }
  qi_threadpool_destroy(NULL);
  return TEST_SUMMARY();
}
