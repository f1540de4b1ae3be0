/* Fixed-size thread pool. Loop [0, n) is cut into chunks whose bounds depend only on n, the grain and the thread
 * count (up to SHARES_PER_THREAD per thread, each at least `grain` indices): which thread computes a chunk never
 * changes the result. Each thread owns a contiguous run of chunks (its share: the static partition, so that
 * consecutive loops over the same data touch the same thread's cache) and claims them one by one from its share's
 * counter; a thread whose share is done takes the chunks still unclaimed in the others' shares. A thread that
 * starts late (woken late, or descheduled on a loaded machine) so costs the loop its own lateness, not that plus
 * its whole share; and the caller does not wait for a worker that has not joined the loop by the time every chunk
 * is claimed: it closes the loop (open_gen = 0) and waits only for the workers inside it (active). A worker joins
 * by counting itself in active and then finding open_gen equal to the loop it was woken for; all of these
 * operations are sequentially consistent, so either the caller's check of active sees the worker, or the worker
 * sees the loop closed (or a later loop) and leaves without reading the loop's fields. Nothing is allocated per
 * loop.
 *
 * Hand-off is spin-then-block: a model runs hundreds of short loops back to back, and waking a sleeping
 * thread through a condition variable costs tens of microseconds, more than many loops take. So workers
 * spin on the loop counter for a while before they sleep, and the caller spins on the active count before
 * it sleeps. The sleeping paths re-check their condition under the mutex after announcing themselves
 * (sleepers / caller_waiting, all sequentially consistent), so no wake-up can be lost. */
#include "engine/threadpool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax() __builtin_ia32_pause()
#elif defined(__aarch64__) || defined(__arm__)
#define cpu_relax() __asm__ volatile("yield")
#else
#define cpu_relax() ((void)0)
#endif

/* A waiting thread first spins (PAUSE_SPINS), then yields the core between checks (YIELD_SPINS: with more
 * threads than cores, the thread it waits for may be the one waiting to run), then sleeps. */
enum { PAUSE_SPINS = 2000, YIELD_SPINS = 200 };
enum { SHARES_PER_THREAD = 4 }; /* chunks per thread at most: enough to even out a late start, few claims */

/* One thread's share of the current loop: chunks [next, end), claimed by fetch-and-add on next (by its owner, and
 * by the others once theirs are done). Its own cache line, so that claims do not contend with the neighbours'. */
typedef struct share {
  _Alignas(64) atomic_size_t next;
  size_t end;
} share;

/* Waits, without sleeping, until cond holds or the spin budget is spent. */
#define SPIN_UNTIL(cond)                                           \
  do {                                                             \
    for (int i_ = 0; i_ < PAUSE_SPINS && !(cond); i_++) cpu_relax(); \
    for (int i_ = 0; i_ < YIELD_SPINS && !(cond); i_++) sched_yield(); \
  } while (0)

struct qi_threadpool {
  int n_threads; /* including the caller */
  pthread_t *workers;
  pthread_mutex_t mu;
  pthread_cond_t work_cv, done_cv;
  atomic_ulong generation; /* incremented to announce a loop */
  atomic_ulong open_gen;   /* the generation of the loop workers may join; 0 once the caller has closed it */
  atomic_int active;       /* workers inside a loop (or checking whether they may join one) */
  atomic_int sleepers;     /* workers blocked (or about to block) on work_cv */
  atomic_int caller_waiting;
  atomic_int stop;
  /* the current loop; written before generation is incremented */
  qi_range_fn fn;
  void *arg;
  size_t n, chunk;
  size_t n_chunks;
  share *shares; /* per thread (index 0: the caller) */
};

typedef struct worker_arg {
  qi_threadpool *pool;
  int index; /* 1..n_threads-1: the share this worker starts with */
} worker_arg;

static void run_chunk(qi_threadpool *p, size_t index) {
  size_t begin = index * p->chunk;
  if (index >= p->n_chunks || begin >= p->n) return;
  size_t end = begin + p->chunk < p->n ? begin + p->chunk : p->n;
  p->fn(p->arg, begin, end);
}

/* Runs the chunks of thread self's share, then those left in the other shares; every chunk is claimed once. */
static void run_shares(qi_threadpool *p, int self) {
  for (int k = 0; k < p->n_threads; k++) {
    share *s = &p->shares[(self + k) % p->n_threads];
    for (size_t c; (c = atomic_fetch_add_explicit(&s->next, 1, memory_order_relaxed)) < s->end;) run_chunk(p, c);
  }
}

/* Waits until generation differs from seen (or stop); returns the new generation. */
static unsigned long wait_for_work(qi_threadpool *p, unsigned long seen) {
  SPIN_UNTIL(atomic_load(&p->generation) != seen || atomic_load(&p->stop));
  pthread_mutex_lock(&p->mu);
  atomic_fetch_add(&p->sleepers, 1);
  unsigned long g;
  while ((g = atomic_load(&p->generation)) == seen && !atomic_load(&p->stop)) pthread_cond_wait(&p->work_cv, &p->mu);
  atomic_fetch_sub(&p->sleepers, 1);
  pthread_mutex_unlock(&p->mu);
  return g;
}

static void *worker_main(void *varg) {
  worker_arg *wa = varg;
  qi_threadpool *p = wa->pool;
  const size_t index = (size_t)wa->index;
  free(wa);
  unsigned long seen = 0; /* generation at creation: a loop may be announced before this thread starts */
  for (;;) {
    seen = wait_for_work(p, seen);
    if (atomic_load(&p->stop)) break;
    atomic_fetch_add(&p->active, 1);
    if (atomic_load(&p->open_gen) == seen) run_shares(p, (int)index); /* else closed already: nothing left */
    if (atomic_fetch_sub(&p->active, 1) == 1 && atomic_load(&p->caller_waiting)) {
      pthread_mutex_lock(&p->mu);
      pthread_cond_signal(&p->done_cv);
      pthread_mutex_unlock(&p->mu);
    }
  }
  return NULL;
}

qi_threadpool *qi_threadpool_create(int n_threads) {
  if (n_threads <= 1) return NULL;
  qi_threadpool *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->workers = calloc((size_t)n_threads, sizeof(pthread_t));
  p->shares = aligned_alloc(_Alignof(share), sizeof(share) * (size_t)n_threads);
  if (!p->workers || !p->shares) {
    free(p->workers);
    free(p->shares);
    free(p);
    return NULL;
  }
  for (int i = 0; i < n_threads; i++) {
    atomic_init(&p->shares[i].next, 0);
    p->shares[i].end = 0;
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
  atomic_store(&p->stop, 1);
  pthread_cond_broadcast(&p->work_cv);
  pthread_mutex_unlock(&p->mu);
  for (int i = 1; i < p->n_threads; i++) pthread_join(p->workers[i], NULL);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->work_cv);
  pthread_cond_destroy(&p->done_cv);
  free(p->workers);
  free(p->shares);
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
  const size_t max_chunks = (n + grain - 1) / grain, most = (size_t)p->n_threads * SHARES_PER_THREAD;
  p->chunk = (n + (max_chunks < most ? max_chunks : most) - 1) / (max_chunks < most ? max_chunks : most);
  p->n_chunks = (n + p->chunk - 1) / p->chunk; /* every chunk non-empty */
  for (int t = 0; t < p->n_threads; t++) { /* thread t's share: chunks [t * C / T, (t + 1) * C / T) */
    atomic_store_explicit(&p->shares[t].next, (size_t)t * p->n_chunks / (size_t)p->n_threads, memory_order_relaxed);
    p->shares[t].end = (size_t)(t + 1) * p->n_chunks / (size_t)p->n_threads;
  }
  p->fn = fn;
  p->arg = arg;
  p->n = n;
  atomic_store(&p->caller_waiting, 0);
  const unsigned long g = atomic_load(&p->generation) + 1;
  atomic_store(&p->open_gen, g);    /* publishes the fields above to the workers that join */
  atomic_store(&p->generation, g);  /* wakes them */
  if (atomic_load(&p->sleepers) > 0) {
    pthread_mutex_lock(&p->mu);
    pthread_cond_broadcast(&p->work_cv);
    pthread_mutex_unlock(&p->mu);
  }
  run_shares(p, 0);
  atomic_store(&p->open_gen, 0); /* every chunk is claimed: a worker not in yet has nothing to do */
  SPIN_UNTIL(atomic_load(&p->active) == 0);
  if (atomic_load(&p->active) > 0) {
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->caller_waiting, 1);
    while (atomic_load(&p->active) > 0) pthread_cond_wait(&p->done_cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
  }
}
