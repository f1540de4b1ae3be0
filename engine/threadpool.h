/* A fixed pool of worker threads for data-parallel loops; created with the session, never resized. */
#ifndef QI_THREADPOOL_H
#define QI_THREADPOOL_H

#include <stddef.h>

typedef struct qi_threadpool qi_threadpool;

/* Work item: process indices [begin, end) of a range. */
typedef void (*qi_range_fn)(void *arg, size_t begin, size_t end);

/* Creates a pool that runs loops on n_threads threads (the caller plus n_threads - 1 workers).
 * Returns NULL on failure; n_threads <= 1 returns NULL too, meaning "run inline". */
qi_threadpool *qi_threadpool_create(int n_threads);
void qi_threadpool_destroy(qi_threadpool *pool);
int qi_threadpool_size(const qi_threadpool *pool);

/* Splits [0, n) into chunks of about `grain` indices or more (at most 4 per thread) and runs fn on them in
 * parallel; returns when all are done. pool == NULL runs fn(arg, 0, n) on the caller. The split depends only on n,
 * grain and the thread count, not on which thread runs a chunk, and results must not depend on it (each index is
 * computed by exactly one call). */
void qi_parallel_for(qi_threadpool *pool, size_t n, size_t grain, qi_range_fn fn, void *arg);

#endif /* QI_THREADPOOL_H */
