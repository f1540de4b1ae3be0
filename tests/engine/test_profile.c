/* Per-node profiling through the public API (qinfer_session_options_set_profiling, qinfer_session_profile) on
 * small_cnn: one record per node of the fused graph, each once, in execution order; times >= 0 that add up to
 * about the run; kernel names found in the kernel families' config lists; no records at all with profiling off.
 * usage: test_profile MODELS_DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/session.h"
#include "engine/quant/io/host_tensor.h"
#include "engine/quant/io/npy.h"
#include "kernels/f32-dwconv/f32-dwconv.h"
#include "kernels/f32-gemm/f32-gemm.h"
#include "kernels/f32-pool/f32-pool.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

/* small_cnn's nodes after the documented passes (docs/architecture.md): BatchNormalization folded into conv1 and
 * Relu fused into it, Clip fused into the depthwise conv; the family whose config list names each kernel (fc's
 * weights are constant: the packed-right xw kernel). */
typedef enum { K_NONE, K_GEMM, K_GEMM_XW, K_DWCONV, K_MAXPOOL2D } kernel_family;
static const struct {
  const char *name, *op_type;
  kernel_family family;
} expected[] = {
    {"conv1", "Conv", K_GEMM},        {"pool1", "MaxPool", K_MAXPOOL2D}, {"dw", "Conv", K_DWCONV},
    {"skip", "Add", K_NONE},          {"gap", "GlobalAveragePool", K_NONE}, {"flatten", "Flatten", K_NONE},
    {"fc", "Gemm", K_GEMM_XW},           {"softmax", "Softmax", K_NONE},
};
enum { N_EXPECTED = sizeof expected / sizeof expected[0] };

/* Whether name is one of the family's kernels, looked up in every config its list holds (all ISAs). */
static bool in_config_list(kernel_family family, const char *name) {
  size_t count = 0;
  switch (family) {
    case K_GEMM: {
      const qi_f32_gemm_config *const *list = qi_f32_gemm_config_list(&count);
      for (size_t i = 0; i < count; i++)
        if (strcmp(list[i]->name, name) == 0) return true;
      return false;
    }
    case K_GEMM_XW: {
      const qi_f32_gemm_config *const *list = qi_f32_gemm_config_list(&count);
      for (size_t i = 0; i < count; i++)
        if (strcmp(list[i]->xw_name, name) == 0) return true;
      return false;
    }
    case K_DWCONV: {
      const qi_f32_dwconv_config *const *list = qi_f32_dwconv_config_list(&count);
      for (size_t i = 0; i < count; i++)
        if (strcmp(list[i]->name_3x3, name) == 0) return true; /* small_cnn's depthwise window is 3x3 */
      return false;
    }
    case K_MAXPOOL2D: {
      const qi_f32_pool_config *const *list = qi_f32_pool_config_list(&count);
      for (size_t i = 0; i < count; i++)
        if (strcmp(list[i]->name_maxpool2d, name) == 0) return true;
      return false;
    }
    case K_NONE: return strcmp(name, "-") == 0;
  }
  return false;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static qinfer_session *session_with(const char *path, const qi_host_tensor *x, int profiling, qinfer_model **m) {
  qinfer_session_options *o = NULL;
  qinfer_session *s = NULL;
  if (qinfer_model_load_file(path, m) != QINFER_OK) return NULL;
  qinfer_tensor_info info;
  qinfer_session_options_create(&o);
  qinfer_model_input_info(*m, 0, &info);
  qinfer_session_options_set_input_shape(o, info.name, x->dims, x->rank);
  CHECK(qinfer_session_options_set_profiling(o, profiling) == QINFER_OK);
  if (qinfer_session_create(*m, o, &s) == QINFER_OK && qinfer_session_set_input(s, 0, x->data, x->nbytes) != QINFER_OK) {
    qinfer_session_destroy(s);
    s = NULL;
  }
  qinfer_session_options_destroy(o);
  return s;
}

static void test_records(const char *path, const qi_host_tensor *x) {
  qinfer_model *m = NULL;
  qinfer_session *s = session_with(path, x, 1, &m);
  CHECK(s != NULL);
  if (!s) {
    qinfer_model_destroy(m);
    return;
  }
  const qinfer_node_profile *rec = NULL;
  size_t count = 99;
  CHECK(qinfer_session_profile(s, &rec, &count) == QINFER_OK && rec && count == N_EXPECTED);
  CHECK(count == (size_t)s->graph->n_order);
  for (size_t i = 0; rec && i < count && i < N_EXPECTED; i++) { /* small_cnn is a chain: one order */
    CHECK_MSG(strcmp(rec[i].name, expected[i].name) == 0 && strcmp(rec[i].op_type, expected[i].op_type) == 0,
              "record %zu is %s '%s', expected %s '%s'", i, rec[i].op_type, rec[i].name, expected[i].op_type,
              expected[i].name);
    CHECK_MSG(in_config_list(expected[i].family, rec[i].kernel), "node %s: kernel '%s' is not a config's name",
              rec[i].name, rec[i].kernel);
    CHECK(rec[i].runs == 0 && rec[i].total_ms == 0 && rec[i].last_ms == 0);
  }
  /* MACs from the node's shapes: conv1 8x3x3x3 on 16x16 outputs, batch x->dims[0] */
  CHECK(rec && rec[0].macs == x->dims[0] * 8 * 27 * 16 * 16);
  /* The records' times are back to back from the run's first node to its last: their sum is the run minus the
   * call's own overhead. A run preempted just outside the nodes may fall short, so one of five runs must fit. */
  bool fits = false;
  for (int r = 0; r < 5; r++) {
    const double t0 = now_ms();
    CHECK(qinfer_session_run(s) == QINFER_OK);
    const double wall = now_ms() - t0;
    double sum = 0;
    for (size_t i = 0; i < count; i++) {
      CHECK(rec[i].last_ms >= 0 && rec[i].runs == r + 1 && rec[i].total_ms >= rec[i].last_ms);
      sum += rec[i].last_ms;
    }
    CHECK_MSG(sum <= wall, "the nodes' times add up to %.4f ms, more than the run's %.4f ms", sum, wall);
    fits |= sum >= 0.5 * wall;
  }
  CHECK_MSG(fits, "in no run did the nodes' times add up to half the run's time or more");
  CHECK(qinfer_session_profile_reset(s) == QINFER_OK);
  for (size_t i = 0; i < count; i++) CHECK(rec[i].runs == 0 && rec[i].total_ms == 0);
  CHECK(qinfer_session_run(s) == QINFER_OK);
  for (size_t i = 0; i < count; i++) CHECK(rec[i].runs == 1 && rec[i].total_ms == rec[i].last_ms);
  CHECK(qinfer_session_profile(s, NULL, &count) == QINFER_ERR_INVALID_ARGUMENT);
  qinfer_session_destroy(s);
  qinfer_model_destroy(m);
}

/* Off (the default): nothing kept, nothing recorded, the executor given no records. */
static void test_off(const char *path, const qi_host_tensor *x) {
  qinfer_model *m = NULL;
  qinfer_session *s = session_with(path, x, 0, &m);
  CHECK(s != NULL);
  if (!s) {
    qinfer_model_destroy(m);
    return;
  }
  CHECK(s->profile == NULL);
  CHECK(qinfer_session_run(s) == QINFER_OK);
  const qinfer_node_profile *rec = (const qinfer_node_profile *)1;
  size_t count = 99;
  CHECK(qinfer_session_profile(s, &rec, &count) == QINFER_OK && rec == NULL && count == 0);
  CHECK(qinfer_session_profile_reset(s) == QINFER_OK);
  qinfer_session_destroy(s);
  qinfer_model_destroy(m);
}

int main(int argc, char **argv) {
  if (argc != 2) return fprintf(stderr, "usage: test_profile MODELS_DIR\n"), 2;
  char path[1024], input[1024];
  snprintf(path, sizeof path, "%s/small_cnn.onnx", argv[1]);
  snprintf(input, sizeof input, "%s/small_cnn.input.npy", argv[1]);
  qi_host_tensor x = {0};
  qi_error err = {0};
  if (qi_npy_read(input, &x, &err) != QINFER_OK) return fprintf(stderr, "%s\n", err.msg), 2;
  test_records(path, &x);
  test_off(path, &x);
  qi_host_tensor_free(&x);
  return TEST_SUMMARY();
}
