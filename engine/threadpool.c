/* Fixed-size thread pool with static partitioning: loop [0, n) is cut into at most one contiguous chunk per
 * thread, so which thread computes an index never changes the result. Workers sleep on a condition variable
 * between loops; the caller runs chunk 0 itself and waits for the rest. Nothing is allocated per loop. */
#include "engine/threadpool.h"

#include <pthread.h>
#include <stdlib.h>

struct qi_threadpool {
  int n_threads; /* including the caller */
  pthread_t *workers;
  pthread_mutex_t mu;
  pthread_cond_t work_cv, done_cv;
  /* the current loop; a new one is announced by incrementing generation */
  unsigned long generation;
  qi_range_fn fn;
  void *arg;
  size_t n, chunk;
  int n_chunks;
  int pending; /* chunks not finished yet */
  int stop;
};

typedef struct worker_arg {
  qi_threadpool *pool;
  int index; /* 1..n_threads-1: the chunk this worker runs */
} worker_arg;

static void run_chunk(qi_threadpool *p, int index) {
  size_t begin = (size_t)index * p->chunk;
  if (index >= p->n_chunks || begin >= p->n) return;
  size_t end = begin + p->chunk < p->n ? begin + p->chunk : p->n;
  p->fn(p->arg, begin, end);
}

static void *worker_main(void *varg) {
  worker_arg *wa = varg;
  qi_threadpool *p = wa->pool;
  const int index = wa->index;
  free(wa);
  unsigned long seen = 0;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    while (!p->stop && p->generation == seen) pthread_cond_wait(&p->work_cv, &p->mu);
    if (p->stop) break;
    seen = p->generation;
    pthread_mutex_unlock(&p->mu);
    run_chunk(p, index);
    pthread_mutex_lock(&p->mu);
    if (--p->pending == 0) pthread_cond_signal(&p->done_cv);
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

qi_threadpool *qi_threadpool_create(int n_threads) {
  if (n_threads <= 1) return NULL;
  qi_threadpool *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->workers = calloc((size_t)n_threads, sizeof(pthread_t));
  if (!p->workers) {
    free(p);
    return NULL;
  }
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->work_cv, NULL);
  pthread_cond_init(&p->done_cv, NULL);
  p->n_threads = 1;
  for (int i = 1; i < n_threads; i++) {
    worker_arg *wa = malloc(sizeof *wa);
    if (!wa) break;
    wa->pool = p;
    wa->index = i;
    if (pthread_create(&p->workers[i], NULL, worker_main, wa) != 0) {
      free(wa);
      break;
    }
    p->n_threads++;
  }
  if (p->n_threads < n_threads) {
    qi_threadpool_destroy(p);
    return NULL;
  }
  return p;
}

void qi_threadpool_destroy(qi_threadpool *p) {
  if (!p) return;
  pthread_mutex_lock(&p->mu);
  p->stop = 1;
  pthread_cond_broadcast(&p->work_cv);
  pthread_mutex_unlock(&p->mu);
  for (int i = 1; i < p->n_threads; i++) pthread_join(p->workers[i], NULL);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->work_cv);
  pthread_cond_destroy(&p->done_cv);
  free(p->workers);
  free(p);
}

int qi_threadpool_size(const qi_threadpool *p) { return p ? p->n_threads : 1; }

void qi_parallel_for(qi_threadpool *p, size_t n, size_t grain, qi_range_fn fn, void *arg) {
  if (n == 0) return;
  if (grain == 0) grain = 1;
  if (!p || n <= grain) {
    fn(arg, 0, n);
    return;
  }
  size_t max_chunks = (n + grain - 1) / grain;
  size_t n_chunks = max_chunks < (size_t)p->n_threads ? max_chunks : (size_t)p->n_threads;
  size_t chunk = (n + n_chunks - 1) / n_chunks;
  pthread_mutex_lock(&p->mu);
  p->fn = fn;
  p->arg = arg;
  p->n = n;
  p->chunk = chunk;
  p->n_chunks = (int)n_chunks;
  p->pending = p->n_threads - 1;
  p->generation++;
  pthread_cond_broadcast(&p->work_cv);
  pthread_mutex_unlock(&p->mu);
  run_chunk(p, 0);
  pthread_mutex_lock(&p->mu);
  while (p->pending > 0) pthread_cond_wait(&p->done_cv, &p->mu);
  pthread_mutex_unlock(&p->mu);
}
