/* Session-level behaviour through the public API: shape binding, pass results (BN folding, activation
 * fusion, folding of shape subgraphs), and the error paths. usage: test_session MODELS_DIR */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/session.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

static char dir[900];

static const char *model(const char *name) {
  static char path[1024];
  snprintf(path, sizeof path, "%s/%s.onnx", dir, name);
  return path;
}

static int live_nodes_of(const qinfer_session *s, const char *op_type) {
  int count = 0;
  for (int i = 0; i < s->graph->n_nodes; i++)
    count += !s->graph->nodes[i].dead && strcmp(s->graph->nodes[i].op_type, op_type) == 0;
  return count;
}

static void test_passes_on_small_cnn(void) {
  qinfer_model *m = NULL;
  qinfer_session *s = NULL;
  qinfer_session_options *o = NULL;
  CHECK(qinfer_model_load_file(model("small_cnn"), &m) == QINFER_OK);
  if (!m) return;
  qinfer_tensor_info info;
  CHECK(qinfer_model_input_info(m, 0, &info) == QINFER_OK);
  CHECK(info.rank == 4 && info.dims[0] == -1 && info.dim_names[0] && strcmp(info.dim_names[0], "N") == 0);
  qinfer_session_options_create(&o);
  CHECK(qinfer_session_options_set_dim(o, "N", 4) == QINFER_OK);
  CHECK(qinfer_session_create(m, o, &s) == QINFER_OK);
  if (s) {
    CHECK(qinfer_session_input_info(s, 0, &info) == QINFER_OK);
    CHECK(info.dims[0] == 4 && info.dim_names[0] == NULL);
    CHECK(qinfer_session_output_index(s, "prob") == 0 && qinfer_session_output_index(s, "nope") == -1);
    CHECK(qinfer_session_output_info(s, 0, &info) == QINFER_OK);
    CHECK(info.rank == 2 && info.dims[0] == 4 && info.dims[1] == 10);
    CHECK_MSG(live_nodes_of(s, "BatchNormalization") == 0, "BN was not folded into the Conv");
    CHECK_MSG(live_nodes_of(s, "Relu") == 0 && live_nodes_of(s, "Clip") == 0, "activations were not fused");
    CHECK(live_nodes_of(s, "Conv") == 2);
    CHECK(qinfer_session_arena_bytes(s) > 0);
    /* run before the input is set */
    CHECK(qinfer_session_run(s) == QINFER_ERR_INVALID_ARGUMENT);
    CHECK(strstr(qinfer_session_last_error(s), "'x'") != NULL);
    /* wrong byte count */
    float small[3] = {0};
    CHECK(qinfer_session_set_input(s, 0, small, sizeof small) == QINFER_ERR_SHAPE);
    CHECK(qinfer_session_set_input(s, 5, small, sizeof small) == QINFER_ERR_INVALID_ARGUMENT);
  }
  qinfer_session_destroy(s);
  qinfer_session_options_destroy(o);
  qinfer_model_destroy(m);
}

static void test_shape_errors(void) {
  qinfer_model *m = NULL;
  qinfer_session *s = NULL;
  qinfer_session_options *o = NULL;
  CHECK(qinfer_model_load_file(model("small_cnn"), &m) == QINFER_OK);
  if (!m) return;
  const int64_t wrong_rank[3] = {1, 3, 16};
  const int64_t wrong_channels[4] = {1, 4, 16, 16};
  qinfer_session_options_create(&o);
  qinfer_session_options_set_input_shape(o, "x", wrong_rank, 3);
  CHECK(qinfer_session_create(m, o, &s) == QINFER_ERR_SHAPE && s == NULL);
  CHECK(strstr(qinfer_last_error(), "rank") != NULL);
  qinfer_session_options_set_input_shape(o, "x", wrong_channels, 4);
  CHECK(qinfer_session_create(m, o, &s) == QINFER_ERR_SHAPE && s == NULL);
  qinfer_session_options_destroy(o);
  qinfer_session_options_create(&o);
  qinfer_session_options_set_input_shape(o, "not_an_input", wrong_channels, 4);
  CHECK(qinfer_session_create(m, o, &s) == QINFER_ERR_INVALID_ARGUMENT && s == NULL);
  CHECK(qinfer_session_options_set_input_shape(o, "x", wrong_channels, 9) == QINFER_ERR_INVALID_ARGUMENT);
  CHECK(qinfer_session_options_set_threads(o, -1) == QINFER_ERR_INVALID_ARGUMENT);
  qinfer_session_options_destroy(o);
#if defined(__x86_64__)
  qinfer_session_options_create(&o);
  qinfer_session_options_set_isa(o, QINFER_ISA_NEON);
  CHECK(qinfer_session_create(m, o, &s) == QINFER_ERR_UNSUPPORTED && s == NULL);
  qinfer_session_options_destroy(o);
#endif
  qinfer_model_destroy(m);
}

static void test_shape_subgraph_folds(void) {
  qinfer_model *m = NULL;
  qinfer_session *s = NULL;
  qinfer_session_options *o = NULL;
  CHECK(qinfer_model_load_file(model("dyn_reshape"), &m) == QINFER_OK);
  if (!m) return;
  qinfer_session_options_create(&o);
  qinfer_session_options_set_dim(o, "batch", 5);
  qinfer_session_options_set_dim(o, "h", 7);
  CHECK(qinfer_session_create(m, o, &s) == QINFER_OK);
  if (s) {
    qinfer_tensor_info info;
    CHECK(qinfer_session_output_info(s, 0, &info) == QINFER_OK);
    CHECK(info.rank == 2 && info.dims[0] == 5 && info.dims[1] == 2 * 7 * 3);
    CHECK(live_nodes_of(s, "Shape") == 0 && live_nodes_of(s, "Concat") == 0 && live_nodes_of(s, "Gather") == 0);
    CHECK(live_nodes_of(s, "Reshape") == 1);
  }
  qinfer_session_destroy(s);
  qinfer_session_options_destroy(o);
  qinfer_model_destroy(m);
}

/* Runs a small_cnn session with batch N on inputs x (N * 3 * 16 * 16 values); copies the output (N * 10) to y. */
static bool run_small_cnn(const qinfer_model *m, int64_t batch, const float *x, float *y) {
  qinfer_session_options *o = NULL;
  qinfer_session *s = NULL;
  qinfer_session_options_create(&o);
  qinfer_session_options_set_dim(o, "N", batch);
  bool ok = qinfer_session_create(m, o, &s) == QINFER_OK &&
            qinfer_session_set_input(s, 0, x, (size_t)batch * 3 * 16 * 16 * sizeof(float)) == QINFER_OK &&
            qinfer_session_run(s) == QINFER_OK;
  const void *out = NULL;
  size_t bytes = 0;
  ok = ok && qinfer_session_get_output(s, 0, &out, &bytes) == QINFER_OK && bytes == (size_t)batch * 10 * sizeof(float);
  if (ok) memcpy(y, out, bytes);
  qinfer_session_destroy(s);
  qinfer_session_options_destroy(o);
  return ok;
}

typedef struct session_job {
  const qinfer_model *m;
  const float *x;
  float y[4 * 10];
  bool ok;
} session_job;

static void *session_thread(void *arg) {
  session_job *j = arg;
  j->ok = run_small_cnn(j->m, 4, j->x, j->y);
  return NULL;
}

/* Sessions start from the model's one decoded graph: sessions with other shapes, sessions made while others
 * live, and sessions made from several threads at once give the same numbers, and leave the model as loaded. */
static void test_sessions_share_the_model(void) {
  qinfer_model *m = NULL;
  CHECK(qinfer_model_load_file(model("small_cnn"), &m) == QINFER_OK);
  if (!m) return;
  float x[4 * 3 * 16 * 16], ref[4 * 10], y[4 * 10];
  for (int i = 0; i < 4 * 3 * 16 * 16; i++) x[i] = (float)((i * 37) % 101) / 50.0f - 1.0f;
  CHECK(run_small_cnn(m, 4, x, ref));
  CHECK(run_small_cnn(m, 1, x, y) && memcmp(y, ref, 10 * sizeof(float)) == 0);
  /* a session alive while another one is made and run */
  qinfer_session_options *o = NULL;
  qinfer_session *held = NULL;
  qinfer_session_options_create(&o);
  qinfer_session_options_set_dim(o, "N", 2);
  CHECK(qinfer_session_create(m, o, &held) == QINFER_OK);
  CHECK(run_small_cnn(m, 4, x, y) && memcmp(y, ref, sizeof ref) == 0);
  qinfer_session_destroy(held);
  qinfer_session_options_destroy(o);
  enum { THREADS = 4 };
  session_job jobs[THREADS];
  pthread_t th[THREADS];
  for (int t = 0; t < THREADS; t++) {
    jobs[t] = (session_job){.m = m, .x = x};
    CHECK(pthread_create(&th[t], NULL, session_thread, &jobs[t]) == 0);
  }
  for (int t = 0; t < THREADS; t++) {
    pthread_join(th[t], NULL);
    CHECK_MSG(jobs[t].ok && memcmp(jobs[t].y, ref, sizeof ref) == 0, "session made on thread %d differs", t);
  }
  /* the model still answers as loaded: the symbolic batch dim was bound only in the sessions' copies */
  qinfer_tensor_info info;
  CHECK(qinfer_model_input_info(m, 0, &info) == QINFER_OK);
  CHECK(info.dims[0] == -1 && info.dim_names[0] && strcmp(info.dim_names[0], "N") == 0);
  CHECK(m->graph->tensors[m->graph->inputs[0]].sym[0] >= 0);
  qinfer_model_destroy(m);
}

/* ---- one session used from two threads at once (forbidden by include/qinfer.h): an error, never wrong numbers */

typedef struct shared_run {
  qinfer_session *s;
  const float *x, *ref;
  size_t in_bytes, out_bytes;
  double deadline;
  atomic_int in_flight;  /* test threads inside qinfer_session_run */
  atomic_long started;   /* calls of qinfer_session_run begun */
  atomic_int busy_errors, overlaps, verified, wrong, other_errors;
} shared_run;

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void note(shared_run *r, qinfer_status st) {
  if (st == QINFER_OK) return;
  if (st == QINFER_ERR_INVALID_ARGUMENT && strstr(qinfer_last_error(), "already running on another thread"))
    atomic_fetch_add(&r->busy_errors, 1);
  else
    atomic_fetch_add(&r->other_errors, 1);
}

static void *hammer_thread(void *arg) {
  shared_run *r = arg;
  float *y = malloc(r->out_bytes);
  for (int it = 0; it < 100000 && now_s() < r->deadline &&
                                (atomic_load(&r->busy_errors) < 20 || atomic_load(&r->verified) < 20); it++) {
    note(r, qinfer_session_set_input(r->s, 0, r->x, r->in_bytes));
    atomic_fetch_add(&r->started, 1);
    if (atomic_fetch_add(&r->in_flight, 1) > 0) atomic_fetch_add(&r->overlaps, 1);
    qinfer_status st = qinfer_session_run(r->s);
    atomic_fetch_sub(&r->in_flight, 1);
    note(r, st);
    if (st != QINFER_OK) continue;
    /* read the output only while no run is in flight, checked before and after (a sequence lock): what was
     * read then is what the last successful run left, which must be the single-threaded answer */
    long seq = atomic_load(&r->started);
    if (atomic_load(&r->in_flight) != 0) continue;
    const void *out = NULL;
    size_t bytes = 0;
    qinfer_status go = qinfer_session_get_output(r->s, 0, &out, &bytes);
    note(r, go);
    if (go != QINFER_OK || bytes != r->out_bytes) continue;
    memcpy(y, out, bytes);
    if (atomic_load(&r->started) != seq) continue;
    atomic_fetch_add(&r->verified, 1);
    if (memcmp(y, r->ref, bytes) != 0) atomic_fetch_add(&r->wrong, 1);
  }
  free(y);
  return NULL;
}

static void test_one_session_two_threads(void) {
  qinfer_model *m = NULL;
  CHECK(qinfer_model_load_file(model("small_cnn"), &m) == QINFER_OK);
  if (!m) return;
  enum { N = 16 };
  static float x[N * 3 * 16 * 16], ref[N * 10];
  for (int i = 0; i < N * 3 * 16 * 16; i++) x[i] = (float)((i * 37) % 101) / 50.0f - 1.0f;
  CHECK(run_small_cnn(m, N, x, ref));
  qinfer_session_options *o = NULL;
  qinfer_session *s = NULL;
  qinfer_session_options_create(&o);
  qinfer_session_options_set_dim(o, "N", N);
  CHECK(qinfer_session_create(m, o, &s) == QINFER_OK);
  qinfer_session_options_destroy(o);
  if (!s) {
    qinfer_model_destroy(m);
    return;
  }

  /* deterministic: a session held by another thread (the flag set by hand) turns every entry point away, with
   * the message in this thread's qinfer_last_error() and the session's own message left alone */
  CHECK(qinfer_session_set_input(s, 0, x, sizeof x) == QINFER_OK);
  CHECK(qinfer_session_set_input(s, 5, x, sizeof x) == QINFER_ERR_INVALID_ARGUMENT);
  char held_msg[sizeof s->err.msg];
  snprintf(held_msg, sizeof held_msg, "%s", qinfer_session_last_error(s));
  atomic_store(&s->busy, true);
  const void *out = NULL;
  size_t bytes = 0;
  qinfer_tensor_info info;
  CHECK(qinfer_session_run(s) == QINFER_ERR_INVALID_ARGUMENT);
  CHECK_MSG(strstr(qinfer_last_error(), "session is already running on another thread") != NULL, "message: %s",
            qinfer_last_error());
  CHECK(qinfer_session_set_input(s, 0, x, sizeof x) == QINFER_ERR_INVALID_ARGUMENT);
  CHECK(qinfer_session_get_output(s, 0, &out, &bytes) == QINFER_ERR_INVALID_ARGUMENT && out == NULL);
  CHECK(qinfer_session_tensor(s, 0, &info, &out, &bytes) == QINFER_ERR_INVALID_ARGUMENT && out == NULL);
  CHECK(strcmp(qinfer_session_last_error(s), held_msg) == 0);
  atomic_store(&s->busy, false);
  CHECK(qinfer_session_run(s) == QINFER_OK && !atomic_load(&s->busy));
  CHECK(qinfer_session_get_output(s, 0, &out, &bytes) == QINFER_OK && bytes == sizeof ref &&
        memcmp(out, ref, sizeof ref) == 0);

  /* two threads hammer set_input / run / get_output on the one session: collisions are reported, and every
   * output read while no run was in flight is the single-threaded one */
  shared_run r = {.s = s, .x = x, .ref = ref, .in_bytes = sizeof x, .out_bytes = sizeof ref,
                  .deadline = now_s() + 5.0};
  pthread_t th[2];
  for (int t = 0; t < 2; t++) CHECK(pthread_create(&th[t], NULL, hammer_thread, &r) == 0);
  for (int t = 0; t < 2; t++) pthread_join(th[t], NULL);
  int busy = atomic_load(&r.busy_errors), overlaps = atomic_load(&r.overlaps);
  printf("two threads on one session: %d busy errors, %d overlapping runs, %d outputs verified\n", busy, overlaps,
         atomic_load(&r.verified));
  CHECK_MSG(atomic_load(&r.wrong) == 0, "%d outputs of successful runs are wrong", atomic_load(&r.wrong));
  CHECK_MSG(atomic_load(&r.other_errors) == 0, "%d calls failed otherwise", atomic_load(&r.other_errors));
  if (busy == 0 && overlaps < 10)
    printf("SKIP: the threads barely overlapped (%d times); the collision check needs more\n", overlaps);
  else
    CHECK_MSG(busy > 0, "%d overlapping runs, and no call reported the session busy", overlaps);
  CHECK(!atomic_load(&s->busy));
  qinfer_session_destroy(s);
  qinfer_model_destroy(m);
}

static void test_load_errors(void) {
  qinfer_model *m = NULL;
  CHECK(qinfer_model_load_file(model("unsupported"), &m) == QINFER_ERR_UNSUPPORTED && m == NULL);
  CHECK_MSG(strstr(qinfer_last_error(), "Det") != NULL, "message should name the op: %s", qinfer_last_error());
  CHECK(qinfer_model_load_file(model("does_not_exist"), &m) == QINFER_ERR_IO && m == NULL);
  static const unsigned char garbage[] = {0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02};
  CHECK(qinfer_model_load_buffer(garbage, sizeof garbage, NULL, &m) == QINFER_ERR_INVALID_MODEL && m == NULL);
  CHECK(qinfer_model_load_file(NULL, &m) == QINFER_ERR_INVALID_ARGUMENT);
  CHECK(qinfer_session_create(NULL, NULL, NULL) == QINFER_ERR_INVALID_ARGUMENT);
}

int main(int argc, char **argv) {
  if (argc != 2) return fprintf(stderr, "usage: %s MODELS_DIR\n", argv[0]), 2;
  snprintf(dir, sizeof dir, "%s", argv[1]);
  test_passes_on_small_cnn();
  test_shape_errors();
  test_shape_subgraph_folds();
  test_sessions_share_the_model();
  test_one_session_two_threads();
  test_load_errors();
  return TEST_SUMMARY();
}
