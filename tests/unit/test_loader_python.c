/* ONNX loader on models written by the onnx Python package (tests/loader_fixtures.py, run at test time):
 * a real model with raw, typed and external initializers loads with the expected values, and models the
 * package happily writes but qinfer must refuse are refused. Exits 77 (skipped) without python3 + onnx. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loader/onnx_loader.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

#define SKIP 77

static char out_dir[64];

/* Loads dir/name (mapped; base_dir = dir). The mapping is released with the graph. */
static qi_status load_file(const char *dir, const char *name, qi_graph **g, qi_error *err) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  void *addr;
  size_t len;
  qi_status s = qi_map_file(path, &addr, &len, err);
  if (s != QINFER_OK) return s;
  s = qi_onnx_load(addr, len, dir, g, err);
  if (s == QINFER_OK) s = qi_graph_add_mapping(*g, addr, len, err);
  else munmap(addr, len);
  return s;
}

static const qi_tensor *tensor(const qi_graph *g, const char *name) {
  int t = qi_graph_find_tensor(g, name);
  return t >= 0 ? &g->tensors[t] : NULL;
}

static void check_real(const char *dir, bool external) {
  qi_graph *g = NULL;
  qi_error err = {0};
  qi_status s = load_file(dir, "real.onnx", &g, &err);
  CHECK_MSG(s == QINFER_OK, "%s/real.onnx: %s", dir, err.msg);
  if (s != QINFER_OK) return;
  CHECK(g->n_inputs == 1 && g->n_outputs == 1 && g->n_nodes == 5);
  CHECK(g->n_syms == 1 && strcmp(g->sym_names[0], "N") == 0);
  const qi_tensor *x = &g->tensors[g->inputs[0]];
  CHECK(x->rank == 4 && x->sym[0] == 0 && x->dims[1] == 3 && x->dims[3] == 4);
  const qi_tensor *w = tensor(g, "W"), *b = tensor(g, "B"), *gw = tensor(g, "GW"), *shape = tensor(g, "shape"),
                  *i8 = tensor(g, "i8"), *k = tensor(g, "k"), *k0 = tensor(g, "k0");
  CHECK(w && b && gw && shape && i8 && k && k0);
  if (!(w && b && gw && shape && i8 && k && k0)) {
    qi_graph_free(g);
    return;
  }
  CHECK(w->rank == 4 && w->dims[0] == 2 && w->nbytes == 54 * 4);
  bool ok = true;
  for (int i = 0; i < 54; i++) ok = ok && ((const float *)w->data)[i] == (float)(i % 7 - 3) / 4.0f;
  CHECK(ok);
  for (int i = 0; i < 32; i++) ok = ok && ((const float *)gw->data)[i] == (float)i / 8.0f;
  CHECK(ok);
  CHECK(((const float *)b->data)[1] == -0.5f);
  CHECK(((const int64_t *)shape->data)[0] == -1 && ((const int64_t *)shape->data)[1] == 8);
  CHECK(((const int8_t *)i8->data)[0] == -7 && ((const int8_t *)i8->data)[2] == 7);
  CHECK(k->rank == 1 && ((const float *)k->data)[1] == 2.f);
  CHECK(k0->rank == 1 && k0->dims[0] == 4 && ((const float *)k0->data)[3] == 6.f);
  CHECK(external ? g->n_mappings == 2 : g->n_mappings == 1); /* model file (+ weights.data) */
  const qi_node *conv = NULL, *gemm = NULL;
  for (int i = 0; i < g->n_nodes; i++) {
    if (strcmp(g->nodes[i].op_type, "Conv") == 0) conv = &g->nodes[i];
    if (strcmp(g->nodes[i].op_type, "Gemm") == 0) gemm = &g->nodes[i];
  }
  CHECK(conv && gemm);
  if (conv && gemm) {
    const int64_t *v;
    CHECK(qi_attr_ints(conv, "pads", &v) == 4 && v[0] == 1);
    CHECK(qi_attr_float(gemm, "alpha", 0) == 0.5f && qi_attr_int(gemm, "transB", 0) == 1);
    CHECK(conv->opset == 13);
  }
  CHECK(g->n_order == 5 && strcmp(g->nodes[g->order[0]].op_type, "Conv") == 0);
  qi_graph_free(g);
}

static void check_refused(void) {
  char path[512], line[512];
  snprintf(path, sizeof path, "%s/cases.txt", out_dir);
  FILE *f = fopen(path, "r");
  CHECK(f != NULL);
  if (!f) return;
  int n = 0;
  while (fgets(line, sizeof line, f)) {
    char name[256], needle[256];
    int want;
    if (sscanf(line, "%255s %d %255[^\n]", name, &want, needle) != 3) continue;
    qi_graph *g = NULL;
    qi_error err = {0};
    qi_status s = load_file(out_dir, name, &g, &err);
    CHECK_MSG(s == (qi_status)want && !g && strstr(err.msg, needle), "%s: status %d '%s' (want %d '%s')", name,
              (int)s, err.msg, want, needle);
    qi_graph_free(g);
    n++;
  }
  fclose(f);
  CHECK(n >= 6);
}

static void remove_fixtures(void) {
  char cmd[256];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", out_dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", out_dir);
}

#ifdef QI_LOADER_FIXTURES_PY
static const char *const fixtures_py = QI_LOADER_FIXTURES_PY;
#else
static const char *const fixtures_py = NULL;
#endif

int main(void) {
  if (!fixtures_py) {
    printf("skipped: QI_LOADER_FIXTURES_PY not defined (tests/loader_errors.cmake not included)\n");
    return SKIP;
  }
  snprintf(out_dir, sizeof out_dir, "/tmp/qi_loader_py_XXXXXX");
  if (!mkdtemp(out_dir)) return 1;
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' '%s'", fixtures_py, out_dir);
  int rc = system(cmd);
  if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) != 0) {
    remove_fixtures();
    if (rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == SKIP) return SKIP;
    fprintf(stderr, "fixture script failed (%d)\n", rc);
    return 1;
  }
  check_real(out_dir, false);
  char ext[128];
  snprintf(ext, sizeof ext, "%s/ext", out_dir);
  check_real(ext, true);
  check_refused();
  remove_fixtures();
  return TEST_SUMMARY();
}
