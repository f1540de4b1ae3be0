/* ONNX writer (engine/quant/writer/onnx_writer.c): graphs built with the IR API are written, loaded back with
 * qi_onnx_load and compared field by field (live nodes in execution order, every attribute kind, initializer bytes
 * of every dtype, symbolic / unknown / absent dims, opsets, IR version); writing the reloaded graph again gives the
 * same bytes; the files are atomic; every refusal carries its status and message. When /usr/bin/python3 has onnx,
 * tests/writer/check_written.py also reads the written files with the onnx package (an independent decoder) and runs
 * onnx.checker on a standard Q/DQ model; without it that part is reported as skipped. */
#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/quant/writer/onnx_writer.h"
#include "loader/onnx_loader.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

static char tmp_dir[64];

/* ---- building graphs ---- */

static int tensor(qi_graph *g, const char *name) {
  int t = qi_graph_add_tensor(g, name);
  if (t < 0) abort();
  return t;
}

static int constant(qi_graph *g, const char *name, int dtype, int rank, const int64_t *dims, const void *data) {
  int t = tensor(g, name);
  qi_error err;
  if (qi_tensor_set_const_copy(&g->tensors[t], dtype, rank, dims, data, &err) != QINFER_OK) abort();
  return t;
}

/* dtype and shape of a graph input / output; sym[d] >= 0 names dim d, dims[d] = -1 with sym -1 is unknown. */
static void set_type(qi_graph *g, int t, int dtype, int rank, const int64_t *dims, const int32_t *sym) {
  qi_tensor *x = &g->tensors[t];
  x->dtype = dtype;
  x->rank = rank;
  for (int d = 0; d < rank; d++) {
    x->dims[d] = dims[d];
    x->sym[d] = sym ? sym[d] : -1;
  }
}

static void set_io(qi_graph *g, const int *ins, int n_in, const int *outs, int n_out) {
  g->inputs = malloc(sizeof(int) * (size_t)(n_in + 1));
  g->outputs = malloc(sizeof(int) * (size_t)(n_out + 1));
  if (!g->inputs || !g->outputs) abort();
  for (int i = 0; i < n_in; i++) g->tensors[g->inputs[i] = ins[i]].flags |= QI_TF_INPUT;
  for (int i = 0; i < n_out; i++) g->tensors[g->outputs[i] = outs[i]].flags |= QI_TF_OUTPUT;
  g->n_inputs = n_in;
  g->n_outputs = n_out;
}

static char *dup_str(const char *s) {
  char *d = strdup(s);
  if (!d) abort();
  return d;
}

static void add_sym(qi_graph *g, const char *name) {
  g->sym_names = realloc(g->sym_names, sizeof(char *) * (size_t)(g->n_syms + 1));
  if (!g->sym_names) abort();
  g->sym_names[g->n_syms++] = dup_str(name);
}

static void add_opset(qi_graph *g, const char *domain, int64_t version) {
  g->opset_domains = realloc(g->opset_domains, sizeof(char *) * (size_t)(g->n_opsets + 1));
  g->opset_versions = realloc(g->opset_versions, sizeof(int64_t) * (size_t)(g->n_opsets + 1));
  if (!g->opset_domains || !g->opset_versions) abort();
  g->opset_domains[g->n_opsets] = dup_str(domain);
  g->opset_versions[g->n_opsets++] = version;
}

static int node(qi_graph *g, const char *name, const char *op, const char *domain, int opset, const int *ins, int n_in,
                const int *outs, int n_out) {
  int n = qi_graph_add_node(g, op, domain, ins, n_in, outs, n_out);
  if (n < 0) abort();
  free(g->nodes[n].name);
  g->nodes[n].name = dup_str(name);
  g->nodes[n].opset = opset;
  return n;
}

static qi_attr *attr(qi_graph *g, int n, const char *name, qi_attr_type type) {
  qi_attr *a = qi_node_add_attr(g, n, name, type);
  if (!a) abort();
  return a;
}

static void *copy(const void *p, size_t bytes) {
  void *d = malloc(bytes);
  if (!d) abort();
  memcpy(d, p, bytes);
  return d;
}

static const float W_VALUES[6] = {1.5f, -2, 3.25f, 0, -0.0f, 1e-30f};
static const int8_t Q_VALUES[5] = {-128, -1, 0, 1, 127};
static const uint16_t H_VALUES[2] = {0x3c00, 0xc000};
static const double D_VALUES[2] = {0.5, -2.25};
static const uint8_t BO_VALUES[3] = {1, 0, 1};
static const uint64_t U64_VALUES[1] = {UINT64_MAX};
static const uint32_t U32_VALUES[2] = {4000000000u, 7};
static const int16_t I16_VALUES[2] = {-32768, 32767};
static const uint16_t U16_VALUES[2] = {65535, 1};
static const int32_t I32_VALUES[2] = {INT32_MIN, 5};
static const uint8_t U8_VALUES[2] = {255, 0};
static const int64_t S_VALUE[1] = {-(1LL << 50)};

/* A graph with one of everything the writer handles:
 *   inputs x float [batch,3,?,5], y int64 scalar, z uint8 (no shape)
 *   n0 com.example.Custom(x, -, W, -) -> (a, -, b)   every attribute kind
 *   (unnamed) Add(a, b) -> c                          c is shaped: value_info
 *   n2 Mul(c, Q, H, D, Bo, U64, U32, I16, U16, I32, U8, E, S, y, z) -> out
 *   n3 (dead) Neg(deadonly) -> deadout;  "unused" is a constant nobody reads
 *   outputs out float [batch,7], W (a constant), c
 * Nodes are added out of order (n2 first); qi_graph_toposort orders them. */
static qi_graph *build_rich(void) {
  qi_graph *g = qi_graph_new();
  if (!g) abort();
  g->ir_version = 7;
  add_opset(g, "", 13);
  add_opset(g, "com.example", 2);
  add_sym(g, "batch");
  add_sym(g, "seq");
  const int64_t d23[] = {2, 3}, d5[] = {5}, d2[] = {2}, d3[] = {3}, d1[] = {1}, d03[] = {0, 3};
  int x = tensor(g, "x"), y = tensor(g, "y"), z = tensor(g, "z");
  set_type(g, x, QINFER_DTYPE_FLOAT, 4, (const int64_t[]){-1, 3, -1, 5}, (const int32_t[]){0, -1, -1, -1});
  set_type(g, y, QINFER_DTYPE_INT64, 0, NULL, NULL);
  set_type(g, z, QINFER_DTYPE_UINT8, -1, NULL, NULL);
  int W = constant(g, "W", QINFER_DTYPE_FLOAT, 2, d23, W_VALUES);
  int ins2[] = {-1, constant(g, "Q", QINFER_DTYPE_INT8, 1, d5, Q_VALUES),
                constant(g, "H", QINFER_DTYPE_FLOAT16, 1, d2, H_VALUES),
                constant(g, "D", QINFER_DTYPE_DOUBLE, 1, d2, D_VALUES),
                constant(g, "Bo", QINFER_DTYPE_BOOL, 1, d3, BO_VALUES),
                constant(g, "U64", QINFER_DTYPE_UINT64, 1, d1, U64_VALUES),
                constant(g, "U32", QINFER_DTYPE_UINT32, 1, d2, U32_VALUES),
                constant(g, "I16", QINFER_DTYPE_INT16, 1, d2, I16_VALUES),
                constant(g, "U16", QINFER_DTYPE_UINT16, 1, d2, U16_VALUES),
                constant(g, "I32", QINFER_DTYPE_INT32, 1, d2, I32_VALUES),
                constant(g, "U8", QINFER_DTYPE_UINT8, 1, d2, U8_VALUES),
                constant(g, "E", QINFER_DTYPE_FLOAT, 2, d03, NULL),
                constant(g, "S", QINFER_DTYPE_INT64, 0, NULL, S_VALUE), y, z};
  constant(g, "unused", QINFER_DTYPE_FLOAT, 1, d1, W_VALUES);
  int deadonly = constant(g, "deadonly", QINFER_DTYPE_FLOAT, 1, d1, W_VALUES);
  int a = tensor(g, "a"), b = tensor(g, "b"), c = tensor(g, "c"), out = tensor(g, "out"), deadout = tensor(g, "deadout");
  ins2[0] = c;
  node(g, "n2", "Mul", "", 13, ins2, (int)(sizeof ins2 / sizeof ins2[0]), &out, 1);
  int n0 = node(g, "n0", "Custom", "com.example", 2, (const int[]){x, -1, W, -1}, 4, (const int[]){a, -1, b}, 3);
  node(g, "", "Add", "", 13, (const int[]){a, b}, 2, &c, 1);
  int n3 = node(g, "n3", "Neg", "", 13, &deadonly, 1, &deadout, 1);
  g->nodes[n3].dead = true;

  attr(g, n0, "f", QI_ATTR_FLOAT)->f = -1.25f;
  attr(g, n0, "i", QI_ATTR_INT)->i = -7;
  qi_attr *s = attr(g, n0, "s", QI_ATTR_STRING);
  s->s = copy("he\0llo", 7);
  s->s_len = 6; /* an embedded NUL: STRING attributes are bytes */
  const int64_t tv[] = {-3, 4};
  int t0 = constant(g, "n0:t", QINFER_DTYPE_INT64, 1, d2, tv);
  attr(g, n0, "t", QI_ATTR_TENSOR)->tensor = t0;
  qi_attr *fs = attr(g, n0, "fs", QI_ATTR_FLOATS);
  fs->floats = copy((const float[]){0.25f, -1, 3e38f}, 3 * sizeof(float));
  fs->n = 3;
  qi_attr *is = attr(g, n0, "is", QI_ATTR_INTS);
  is->ints = copy((const int64_t[]){-1, 1LL << 40, 0, INT64_MIN}, 4 * sizeof(int64_t));
  is->n = 4;
  qi_attr *ss = attr(g, n0, "ss", QI_ATTR_STRINGS);
  ss->strings = malloc(3 * sizeof(char *));
  if (!ss->strings) abort();
  ss->strings[0] = dup_str("a");
  ss->strings[1] = dup_str("");
  ss->strings[2] = dup_str("ccc");
  ss->n = 3;
  int t1 = constant(g, "n0:ts", QINFER_DTYPE_FLOAT, 2, d23, W_VALUES);
  int t2 = constant(g, "n0:ts#1", QINFER_DTYPE_UINT8, 0, NULL, U8_VALUES);
  qi_attr *ts = attr(g, n0, "ts", QI_ATTR_TENSORS);
  ts->tensors = copy((const int[]){t1, t2}, 2 * sizeof(int));
  ts->n = 2;
  attr(g, n0, "empty", QI_ATTR_INTS); /* n = 0 */

  set_type(g, out, QINFER_DTYPE_FLOAT, 2, (const int64_t[]){-1, 7}, (const int32_t[]){0, -1});
  set_type(g, c, QINFER_DTYPE_FLOAT, 3, (const int64_t[]){-1, 2, 0}, (const int32_t[]){1, -1, -1});
  g->tensors[c].flags |= QI_TF_SHAPED;
  set_type(g, a, QINFER_DTYPE_FLOAT, 2, (const int64_t[]){-1, 4}, (const int32_t[]){-1, -1});
  g->tensors[a].flags |= QI_TF_SHAPED; /* value_info with an unknown dim */
  set_io(g, (const int[]){x, y, z}, 3, (const int[]){out, W, c}, 3);
  qi_error err;
  if (qi_graph_toposort(g, &err) != QINFER_OK) {
    fprintf(stderr, "toposort: %s\n", err.msg);
    abort();
  }
  return g;
}

/* ---- comparing ---- */

static const char *sym_name(const qi_graph *g, const qi_tensor *x, int d) {
  return x->sym[d] >= 0 ? g->sym_names[x->sym[d]] : NULL;
}

/* dtype, shape (symbols by name) and, for constants, the bytes. */
static bool same_tensor(const qi_graph *ga, const qi_tensor *a, const qi_graph *gb, const qi_tensor *b, bool data) {
  if (a->dtype != b->dtype || a->rank != b->rank) return false;
  for (int d = 0; d < a->rank; d++) {
    const char *sa = sym_name(ga, a, d), *sb = sym_name(gb, b, d);
    if ((sa || sb) ? !(sa && sb && strcmp(sa, sb) == 0) : a->dims[d] != b->dims[d]) return false;
  }
  if (!data) return true;
  if (!(b->flags & QI_TF_CONST) || a->nbytes != b->nbytes) return false;
  return a->nbytes == 0 || memcmp(a->data, b->data, a->nbytes) == 0;
}

static const char *tname(const qi_graph *g, int t) { return t >= 0 ? g->tensors[t].name : ""; }

static int trimmed(const int *idx, int n) {
  while (n > 0 && idx[n - 1] < 0) n--;
  return n;
}

static bool same_attr(const qi_graph *ga, const qi_attr *a, const qi_graph *gb, const qi_attr *b) {
  if (strcmp(a->name, b->name) != 0 || a->type != b->type) return false;
  switch (a->type) {
    case QI_ATTR_FLOAT: return memcmp(&a->f, &b->f, sizeof a->f) == 0;
    case QI_ATTR_INT: return a->i == b->i;
    case QI_ATTR_STRING: return a->s_len == b->s_len && memcmp(a->s, b->s, a->s_len) == 0;
    case QI_ATTR_TENSOR: return same_tensor(ga, &ga->tensors[a->tensor], gb, &gb->tensors[b->tensor], true);
    case QI_ATTR_FLOATS: return a->n == b->n && (a->n == 0 || memcmp(a->floats, b->floats, sizeof(float) * (size_t)a->n) == 0);
    case QI_ATTR_INTS: return a->n == b->n && (a->n == 0 || memcmp(a->ints, b->ints, sizeof(int64_t) * (size_t)a->n) == 0);
    case QI_ATTR_STRINGS:
      if (a->n != b->n) return false;
      for (int k = 0; k < a->n; k++)
        if (strcmp(a->strings[k], b->strings[k]) != 0) return false;
      return true;
    case QI_ATTR_TENSORS:
      if (a->n != b->n) return false;
      for (int k = 0; k < a->n; k++)
        if (!same_tensor(ga, &ga->tensors[a->tensors[k]], gb, &gb->tensors[b->tensors[k]], true)) return false;
      return true;
    default: return false;
  }
}

/* Whether a constant is written as an initializer: read by a live node or a graph output. */
static bool is_initializer(const qi_graph *g, int t) {
  if (!(g->tensors[t].flags & QI_TF_CONST)) return false;
  for (int i = 0; i < g->n_outputs; i++)
    if (g->outputs[i] == t) return true;
  for (int i = 0; i < g->n_nodes; i++)
    for (int k = 0; !g->nodes[i].dead && k < g->nodes[i].n_inputs; k++)
      if (g->nodes[i].inputs[k] == t) return true;
  return false;
}

/* b was loaded from what the writer made of a: same graph, b's nodes in a's execution order. */
static void check_same(const qi_graph *a, const qi_graph *b, const char *what) {
  CHECK_MSG(b->n_inputs == a->n_inputs && b->n_outputs == a->n_outputs, "%s: inputs/outputs", what);
  for (int i = 0; i < a->n_inputs && i < b->n_inputs; i++) {
    const qi_tensor *x = &a->tensors[a->inputs[i]], *y = &b->tensors[b->inputs[i]];
    CHECK_MSG(strcmp(x->name, y->name) == 0 && same_tensor(a, x, b, y, false), "%s: input %s", what, x->name);
  }
  for (int i = 0; i < a->n_outputs && i < b->n_outputs; i++) {
    const qi_tensor *x = &a->tensors[a->outputs[i]], *y = &b->tensors[b->outputs[i]];
    bool is_const = x->flags & QI_TF_CONST;
    CHECK_MSG(strcmp(x->name, y->name) == 0 && same_tensor(a, x, b, y, is_const), "%s: output %s", what, x->name);
  }
  int live = 0;
  for (int i = 0; i < a->n_nodes; i++) live += !a->nodes[i].dead;
  CHECK_MSG(b->n_nodes == live, "%s: %d nodes, want %d", what, b->n_nodes, live);
  for (int k = 0, j = 0; k < a->n_order && j < b->n_nodes; k++) {
    const qi_node *x = &a->nodes[a->order[k]], *y = &b->nodes[j];
    if (x->dead) continue;
    j++;
    bool ok = strcmp(x->op_type, y->op_type) == 0 && strcmp(x->domain, y->domain) == 0 &&
              strcmp(x->name, y->name) == 0 && x->opset == y->opset && x->n_attrs == y->n_attrs &&
              trimmed(x->inputs, x->n_inputs) == y->n_inputs && trimmed(x->outputs, x->n_outputs) == y->n_outputs;
    for (int i = 0; ok && i < y->n_inputs; i++) ok = strcmp(tname(a, x->inputs[i]), tname(b, y->inputs[i])) == 0;
    for (int i = 0; ok && i < y->n_outputs; i++) ok = strcmp(tname(a, x->outputs[i]), tname(b, y->outputs[i])) == 0;
    CHECK_MSG(ok, "%s: node %d '%s' (%s)", what, j - 1, x->name, x->op_type);
    for (int i = 0; ok && i < x->n_attrs; i++)
      CHECK_MSG(same_attr(a, &x->attrs[i], b, &y->attrs[i]), "%s: node '%s' attribute '%s'", what, x->name,
                x->attrs[i].name);
  }
  /* initializers: exactly a's live constants, same bytes */
  int n_init_a = 0, n_init_b = 0;
  for (int t = 0; t < a->n_tensors; t++) {
    if (!is_initializer(a, t)) continue;
    n_init_a++;
    int u = qi_graph_find_tensor(b, a->tensors[t].name);
    CHECK_MSG(u >= 0 && same_tensor(a, &a->tensors[t], b, &b->tensors[u], true), "%s: initializer %s", what,
              a->tensors[t].name);
  }
  for (int t = 0; t < b->n_tensors; t++) n_init_b += is_initializer(b, t);
  CHECK_MSG(n_init_a == n_init_b, "%s: %d initializers, want %d", what, n_init_b, n_init_a);
  CHECK_MSG(b->n_opsets == a->n_opsets, "%s: opsets", what);
  for (int i = 0; i < a->n_opsets && i < b->n_opsets; i++)
    CHECK(strcmp(a->opset_domains[i], b->opset_domains[i]) == 0 && a->opset_versions[i] == b->opset_versions[i]);
  CHECK_MSG(strcmp(b->producer_name, "qinfer") == 0, "%s: producer '%s'", what, b->producer_name);
}

static qi_graph *load(const uint8_t *buf, size_t size, const char *what) {
  qi_graph *g = NULL;
  qi_error err = {0};
  qi_status s = qi_onnx_load(buf, size, NULL, &g, &err);
  CHECK_MSG(s == QINFER_OK, "%s: reload: %s", what, err.msg);
  return g;
}

/* ---- tests ---- */

static void test_round_trip(void) {
  qi_graph *g = build_rich();
  uint8_t *b1 = NULL, *b2 = NULL, *b3 = NULL;
  size_t n1 = 0, n2 = 0, n3 = 0;
  qi_error err = {0};
  qi_status s = qi_onnx_write(g, &b1, &n1, &err);
  CHECK_MSG(s == QINFER_OK && b1 && n1 > 0, "write: %s", err.msg);
  qi_graph *g2 = s == QINFER_OK ? load(b1, n1, "rich") : NULL;
  if (g2) {
    check_same(g, g2, "rich");
    CHECK(g2->ir_version == 7);
    CHECK(qi_graph_find_tensor(g2, "unused") < 0 && qi_graph_find_tensor(g2, "deadonly") < 0 &&
          qi_graph_find_tensor(g2, "deadout") < 0);
    int x = qi_graph_find_tensor(g2, "x"), y = qi_graph_find_tensor(g2, "y"), z = qi_graph_find_tensor(g2, "z");
    CHECK(x >= 0 && g2->tensors[x].rank == 4 && strcmp(g2->sym_names[g2->tensors[x].sym[0]], "batch") == 0 &&
          g2->tensors[x].dims[2] == -1 && g2->tensors[x].sym[2] == -1 && g2->tensors[x].dims[3] == 5);
    CHECK(y >= 0 && g2->tensors[y].rank == 0 && z >= 0 && g2->tensors[z].rank == -1);
    /* the reloaded graph writes to the same bytes, twice (the first write also has value_info for a and c) */
    CHECK(qi_onnx_write(g2, &b2, &n2, &err) == QINFER_OK);
    qi_graph *g3 = b2 ? load(b2, n2, "rich, second round") : NULL;
    if (g3) {
      check_same(g2, g3, "second round");
      CHECK(qi_onnx_write(g3, &b3, &n3, &err) == QINFER_OK);
      CHECK(b3 && n3 == n2 && memcmp(b2, b3, n2) == 0);
      CHECK(n1 > n2); /* value_info */
    }
    qi_graph_free(g3);
  }
  qi_graph_free(g2);
  free(b1);
  free(b2);
  free(b3);
  qi_graph_free(g);
}

/* IR version and opset imports: unset IR -> 8, raised to what the default opset needs; a domain used but not
 * imported is imported at its nodes' opset; the default domain is always imported. */
static void test_versions(void) {
  struct {
    int64_t ir, opset, want_ir;
  } cases[] = {{0, 13, 8}, {3, 7, 4}, {7, 13, 7}, {7, 19, 9}, {0, 21, 10}, {10, 11, 10}};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    qi_graph *g = qi_graph_new();
    g->ir_version = cases[c].ir;
    add_opset(g, "ai.onnx", cases[c].opset);
    int x = tensor(g, "x"), y = tensor(g, "y"), z = tensor(g, "z");
    set_type(g, x, QINFER_DTYPE_FLOAT, 1, (const int64_t[]){2}, NULL);
    node(g, "r", "Relu", "", (int)cases[c].opset, &x, 1, &y, 1);
    node(g, "m", "MyOp", "com.mine", 3, &y, 1, &z, 1);
    set_io(g, &x, 1, &z, 1);
    uint8_t *buf = NULL;
    size_t n = 0;
    qi_error err = {0};
    CHECK_MSG(qi_onnx_write(g, &buf, &n, &err) == QINFER_OK, "versions %zu: %s", c, err.msg);
    qi_graph *g2 = buf ? load(buf, n, "versions") : NULL;
    if (g2) {
      CHECK_MSG(g2->ir_version == cases[c].want_ir, "case %zu: ir %lld, want %lld", c, (long long)g2->ir_version,
                (long long)cases[c].want_ir);
      CHECK(g2->n_opsets == 2 && strcmp(g2->opset_domains[0], "") == 0 &&
            g2->opset_versions[0] == cases[c].opset && strcmp(g2->opset_domains[1], "com.mine") == 0 &&
            g2->opset_versions[1] == 3);
    }
    qi_graph_free(g2);
    free(buf);
    qi_graph_free(g);
  }
  /* no default-domain import and no default-domain node: "" is imported anyway */
  qi_graph *g = qi_graph_new();
  int x = tensor(g, "x"), y = tensor(g, "y");
  set_type(g, x, QINFER_DTYPE_FLOAT, 1, (const int64_t[]){2}, NULL);
  node(g, "m", "MyOp", "com.mine", 0, &x, 1, &y, 1);
  set_io(g, &x, 1, &y, 1);
  uint8_t *buf = NULL;
  size_t n = 0;
  CHECK(qi_onnx_write(g, &buf, &n, NULL) == QINFER_OK);
  qi_graph *g2 = buf ? load(buf, n, "no default domain") : NULL;
  if (g2) CHECK(g2->n_opsets == 2 && strcmp(g2->opset_domains[0], "com.mine") == 0 && g2->opset_versions[0] == 1 &&
                strcmp(g2->opset_domains[1], "") == 0 && g2->opset_versions[1] >= 1);
  qi_graph_free(g2);
  free(buf);
  qi_graph_free(g);
}

/* A chain x -> n0 -> ... -> n{N-1} -> y built in reverse; the file follows g->order. */
static qi_graph *build_chain(int n_nodes) {
  qi_graph *g = qi_graph_new();
  add_opset(g, "", 13);
  int *t = malloc(sizeof(int) * (size_t)(n_nodes + 1));
  if (!t) abort();
  for (int i = 0; i <= n_nodes; i++) {
    char name[32];
    snprintf(name, sizeof name, "t%d", i);
    t[i] = tensor(g, name);
  }
  set_type(g, t[0], QINFER_DTYPE_FLOAT, 1, (const int64_t[]){4}, NULL);
  for (int i = n_nodes - 1; i >= 0; i--) {
    char name[32];
    snprintf(name, sizeof name, "n%d", i);
    node(g, name, "Relu", "", 13, &t[i], 1, &t[i + 1], 1);
  }
  set_io(g, &t[0], 1, &t[n_nodes], 1);
  free(t);
  return g;
}

static void expect_fail(const qi_graph *g, qi_status want, const char *needle, const char *what) {
  uint8_t *buf = (uint8_t *)&buf; /* must come back NULL */
  size_t n = 1;
  qi_error err = {0};
  qi_status s = qi_onnx_write(g, &buf, &n, &err);
  CHECK_MSG(s == want && err.code == want && strstr(err.msg, needle) && !buf && n == 0,
            "%s: status %d '%s' (want %d '%s')", what, (int)s, err.msg, (int)want, needle);
  free(s == QINFER_OK ? buf : NULL);
}

static void test_order(void) {
  qi_graph *g = build_chain(50);
  /* index order is the reverse of the data flow: not topological */
  expect_fail(g, QINFER_ERR_INVALID_ARGUMENT, "qi_graph_toposort", "unsorted, no order");
  qi_error err = {0};
  CHECK(qi_graph_toposort(g, &err) == QINFER_OK);
  uint8_t *buf = NULL;
  size_t n = 0;
  CHECK(qi_onnx_write(g, &buf, &n, &err) == QINFER_OK);
  qi_graph *g2 = buf ? load(buf, n, "chain") : NULL;
  if (g2) {
    check_same(g, g2, "chain");
    CHECK(g2->n_nodes == 50 && strcmp(g2->nodes[0].name, "n0") == 0 && strcmp(g2->nodes[49].name, "n49") == 0);
  }
  qi_graph_free(g2);
  free(buf);
  /* a node added after qi_graph_toposort: the order is stale */
  int y = g->outputs[0], z = tensor(g, "z");
  node(g, "late", "Relu", "", 13, &y, 1, &z, 1);
  expect_fail(g, QINFER_ERR_INVALID_ARGUMENT, "not in g->order", "stale order");
  /* ... marked dead, it is simply not written */
  g->nodes[g->n_nodes - 1].dead = true;
  CHECK(qi_onnx_write(g, &buf, &n, &err) == QINFER_OK);
  free(buf);
  qi_graph_free(g);
}

static void test_refusals(void) {
  qi_graph *g = build_rich();
  qi_node *n0 = NULL;
  for (int i = 0; i < g->n_nodes; i++)
    if (strcmp(g->nodes[i].name, "n0") == 0) n0 = &g->nodes[i];
  /* graph-valued and other unkept attribute kinds */
  qi_attr_type kinds[] = {QI_ATTR_GRAPH, QI_ATTR_GRAPHS, QI_ATTR_SPARSE_TENSOR, QI_ATTR_TYPE_PROTO};
  for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
    qi_attr_type saved = n0->attrs[1].type;
    n0->attrs[1].type = kinds[k];
    expect_fail(g, QINFER_ERR_UNSUPPORTED, "attribute 'i'", "graph attribute");
    n0->attrs[1].type = saved;
  }
  /* the engine's own annotations (a fused activation set by a pass) have no ONNX form */
  char *saved_attr = n0->attrs[1].name;
  n0->attrs[1].name = (char *)QI_INTERNAL_ATTR_PREFIX "fused_activation";
  expect_fail(g, QINFER_ERR_UNSUPPORTED, "fused activation", "fused activation");
  n0->attrs[1].name = saved_attr;
  /* two tensors with one name */
  int ta = qi_graph_find_tensor(g, "a"), tb = qi_graph_find_tensor(g, "b");
  char *saved_name = g->tensors[tb].name;
  g->tensors[tb].name = g->tensors[ta].name;
  expect_fail(g, QINFER_ERR_INVALID_ARGUMENT, "two tensors are called 'a'", "duplicate name");
  g->tensors[tb].name = saved_name;
  /* an empty name */
  int w = qi_graph_find_tensor(g, "W");
  g->tensors[w].name[0] = '\0';
  expect_fail(g, QINFER_ERR_INVALID_ARGUMENT, "has no name", "empty name");
  g->tensors[w].name[0] = 'W';
  /* a node reading a value nothing defines */
  int ghost = tensor(g, "ghost");
  int saved_in = n0->inputs[0];
  n0->inputs[0] = ghost;
  expect_fail(g, QINFER_ERR_INVALID_ARGUMENT, "reads 'ghost'", "undefined input");
  n0->inputs[0] = saved_in;
  /* a string initializer */
  int q = qi_graph_find_tensor(g, "Q");
  g->tensors[q].dtype = QINFER_DTYPE_STRING;
  expect_fail(g, QINFER_ERR_UNSUPPORTED, "'Q' has data type string", "string constant");
  g->tensors[q].dtype = QINFER_DTYPE_INT8;
  /* a graph output nothing defines; no graph output */
  g->tensors[ghost].dtype = QINFER_DTYPE_FLOAT;
  int saved_out = g->outputs[2];
  g->outputs[2] = ghost;
  expect_fail(g, QINFER_ERR_INVALID_ARGUMENT, "reads 'ghost'", "undefined output");
  g->outputs[2] = saved_out;
  g->n_outputs = 0;
  expect_fail(g, QINFER_ERR_INVALID_ARGUMENT, "no outputs", "no outputs");
  g->n_outputs = 3;
  /* an output listed twice; an input index out of range */
  g->outputs[2] = g->outputs[0];
  expect_fail(g, QINFER_ERR_INVALID_ARGUMENT, "graph output 'out' is listed twice", "duplicate output");
  g->outputs[2] = saved_out;
  int saved_input = g->inputs[1];
  g->inputs[1] = g->n_tensors;
  expect_fail(g, QINFER_ERR_INVALID_ARGUMENT, "out of range", "input index");
  g->inputs[1] = saved_input;
  /* a graph input without a dtype */
  int x = g->inputs[0];
  g->tensors[x].dtype = QINFER_DTYPE_UNDEFINED;
  expect_fail(g, QINFER_ERR_INVALID_ARGUMENT, "graph input 'x' has no data type", "input dtype");
  g->tensors[x].dtype = QINFER_DTYPE_FLOAT;
  /* a symbol index out of range */
  g->tensors[x].sym[1] = 9;
  expect_fail(g, QINFER_ERR_INVALID_ARGUMENT, "invalid symbol", "bad symbol");
  g->tensors[x].sym[1] = -1;
  /* still writable after all the restores */
  uint8_t *buf = NULL;
  size_t n = 0;
  CHECK(qi_onnx_write(g, &buf, &n, NULL) == QINFER_OK);
  free(buf);
  /* constant payloads dropped (a model handle's graph) */
  qi_graph_drop_const_data(g);
  expect_fail(g, QINFER_ERR_INVALID_ARGUMENT, "constant data dropped", "dropped data");
  qi_graph_free(g);
  /* NULL arguments */
  qi_error err = {0};
  CHECK(qi_onnx_write(NULL, &buf, &n, &err) == QINFER_ERR_INVALID_ARGUMENT && !buf);
  CHECK(qi_onnx_write_file(NULL, "/tmp/x.onnx", &err) == QINFER_ERR_INVALID_ARGUMENT);
}

/* Over protobuf's 2 GiB: refused before anything is allocated or read (the data pointer is a decoy). */
static void test_too_big(void) {
  if (SIZE_MAX <= UINT32_MAX) {
    printf("skipped: the 2 GiB refusal needs a 64-bit size_t\n");
    return;
  }
  qi_graph *g = build_chain(1);
  qi_error err = {0};
  CHECK(qi_graph_toposort(g, &err) == QINFER_OK);
  static uint8_t decoy;
  int big = tensor(g, "big");
  qi_tensor *t = &g->tensors[big];
  t->dtype = QINFER_DTYPE_UINT8;
  t->rank = 1;
  t->dims[0] = 3000000000LL;
  t->nbytes = 3000000000ULL;
  t->data = &decoy;
  t->flags = QI_TF_CONST | QI_TF_SHAPED; /* not owned: qi_graph_free leaves it */
  g->outputs[0] = big;
  expect_fail(g, QINFER_ERR_UNSUPPORTED, "2 GiB", "3 GB initializer");
  qi_graph_free(g);
}

static int count_entries(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  int n = 0;
  for (struct dirent *e; (e = readdir(d));) n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
  closedir(d);
  return n;
}

static void test_files(void) {
  qi_graph *g = build_rich();
  char sub[128], path[160], bad[200];
  snprintf(sub, sizeof sub, "%s/files", tmp_dir);
  CHECK(mkdir(sub, 0755) == 0);
  snprintf(path, sizeof path, "%s/model.onnx", sub);
  /* written twice: the second replaces the first atomically */
  qi_error err = {0};
  for (int round = 0; round < 2; round++)
    CHECK_MSG(qi_onnx_write_file(g, path, &err) == QINFER_OK, "write_file: %s", err.msg);
  CHECK(count_entries(sub) == 1); /* no temporary file left */
  void *addr;
  size_t len;
  qi_graph *g2 = NULL;
  if (qi_map_file(path, &addr, &len, &err) == QINFER_OK) {
    CHECK(qi_onnx_load(addr, len, sub, &g2, &err) == QINFER_OK);
    if (g2) {
      check_same(g, g2, "file");
      CHECK(qi_graph_add_mapping(g2, addr, len, &err) == QINFER_OK);
    }
    qi_graph_free(g2);
  } else {
    CHECK_MSG(false, "map: %s", err.msg);
  }
  /* a folder that does not exist, a "folder" that is a file, a path that is a folder */
  const char *cases[][2] = {{"/nonexistent-qinfer-dir/m.onnx", "cannot create"}, {"model.onnx/m.onnx", "cannot create"},
                            {"", "rename"}};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    if (cases[c][0][0] == '/') snprintf(bad, sizeof bad, "%s", cases[c][0]);
    else if (cases[c][0][0]) snprintf(bad, sizeof bad, "%s/%s", sub, cases[c][0]);
    else snprintf(bad, sizeof bad, "%s", sub);
    err = (qi_error){0};
    qi_status s = qi_onnx_write_file(g, bad, &err);
    CHECK_MSG(s == QINFER_ERR_IO && strstr(err.msg, bad) && strstr(err.msg, cases[c][1]), "%s: %d '%s'", bad, (int)s,
              err.msg);
  }
  CHECK(count_entries(sub) == 1);
  CHECK(count_entries(tmp_dir) == 1);
  /* a graph the writer refuses leaves the old file alone */
  g->n_outputs = 0;
  CHECK(qi_onnx_write_file(g, path, &err) == QINFER_ERR_INVALID_ARGUMENT);
  struct stat st;
  CHECK(stat(path, &st) == 0 && st.st_size > 0);
  qi_graph_free(g);
}

/* x float [N,4] -> QuantizeLinear(int8) -> DequantizeLinear -> MatMul W [4,3] -> Add bias -> y [N,3]: the shape
 * of what the quantizer writes, for onnx.checker's full check. */
static qi_graph *build_qdq(void) {
  qi_graph *g = qi_graph_new();
  g->ir_version = 8;
  add_opset(g, "", 13);
  add_sym(g, "N");
  int x = tensor(g, "x");
  set_type(g, x, QINFER_DTYPE_FLOAT, 2, (const int64_t[]){-1, 4}, (const int32_t[]){0, -1});
  const float scale = 0.05f, w[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, bias[3] = {0.5f, -1, 2};
  const int8_t zp = -3;
  int s = constant(g, "x_scale", QINFER_DTYPE_FLOAT, 0, NULL, &scale);
  int z = constant(g, "x_zero_point", QINFER_DTYPE_INT8, 0, NULL, &zp);
  int W = constant(g, "W", QINFER_DTYPE_FLOAT, 2, (const int64_t[]){4, 3}, w);
  int B = constant(g, "bias", QINFER_DTYPE_FLOAT, 1, (const int64_t[]){3}, bias);
  int xq = tensor(g, "x_q"), xd = tensor(g, "x_dq"), mm = tensor(g, "mm"), y = tensor(g, "y");
  node(g, "q", "QuantizeLinear", "", 13, (const int[]){x, s, z}, 3, &xq, 1);
  node(g, "dq", "DequantizeLinear", "", 13, (const int[]){xq, s, z}, 3, &xd, 1);
  node(g, "matmul", "MatMul", "", 13, (const int[]){xd, W}, 2, &mm, 1);
  node(g, "add", "Add", "", 13, (const int[]){mm, B}, 2, &y, 1);
  set_type(g, y, QINFER_DTYPE_FLOAT, 2, (const int64_t[]){-1, 3}, (const int32_t[]){0, -1});
  set_type(g, xq, QINFER_DTYPE_INT8, 2, (const int64_t[]){-1, 4}, (const int32_t[]){0, -1});
  g->tensors[xq].flags |= QI_TF_SHAPED;
  set_io(g, &x, 1, &y, 1);
  return g;
}

#ifdef QI_WRITER_CHECK_PY
static const char *const check_py = QI_WRITER_CHECK_PY;
#else
static const char *const check_py = NULL;
#endif

/* The written files read by the onnx package (tests/writer/check_written.py). */
static void test_python(void) {
  if (!check_py) {
    printf("skipped: onnx package check (QI_WRITER_CHECK_PY not defined: tests/writer.cmake not included)\n");
    return;
  }
  if (access("/usr/bin/python3", X_OK) != 0 ||
      system("/usr/bin/python3 -c 'import onnx, numpy' >/dev/null 2>&1") != 0) {
    printf("skipped: onnx package check (/usr/bin/python3 with onnx and numpy not found)\n");
    return;
  }
  char rich[256], qdq[256], cmd[1024];
  snprintf(rich, sizeof rich, "%s/rich.onnx", tmp_dir);
  snprintf(qdq, sizeof qdq, "%s/qdq.onnx", tmp_dir);
  qi_graph *g = build_rich(), *h = build_qdq();
  qi_error err = {0};
  CHECK(qi_onnx_write_file(g, rich, &err) == QINFER_OK);
  CHECK(qi_onnx_write_file(h, qdq, &err) == QINFER_OK);
  qi_graph_free(g);
  qi_graph_free(h);
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' '%s' '%s'", check_py, rich, qdq);
  int rc = system(cmd);
  CHECK_MSG(rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0, "%s: exit %d", check_py,
            rc != -1 && WIFEXITED(rc) ? WEXITSTATUS(rc) : -1);
  unlink(rich);
  unlink(qdq);
}

int main(void) {
  snprintf(tmp_dir, sizeof tmp_dir, "/tmp/qi_writer_XXXXXX");
  if (!mkdtemp(tmp_dir)) return 1;
  test_round_trip();
  test_versions();
  test_order();
  test_refusals();
  test_too_big();
  test_files();
  test_python();
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp_dir);
  return TEST_SUMMARY();
}
