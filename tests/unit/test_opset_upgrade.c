/* The version converter (engine/quant/writer/opset_upgrade.c) on graphs built with the IR API, for what the
 * end-to-end suite (tests/writer/run_opset_upgrade.py: ONNX Runtime's outputs at both opsets) cannot see: a
 * refused graph is left exactly as it was, the new inputs hold the attribute values, new names never collide with
 * existing ones, the rank hints of a second graph spare Softmax its Flatten / Reshape, the execution order covers
 * the new nodes, and graphs at opset 13 or without a default-domain import are untouched. */
#include <stdlib.h>
#include <string.h>

#include "engine/quant/writer/opset_upgrade.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

static int tensor(qi_graph *g, const char *name) {
  const int t = qi_graph_add_tensor(g, name);
  if (t < 0) abort();
  return t;
}

static void set_opset(qi_graph *g, const char *domain, int64_t version) {
  g->opset_domains = realloc(g->opset_domains, sizeof(char *) * (size_t)(g->n_opsets + 1));
  g->opset_versions = realloc(g->opset_versions, sizeof(int64_t) * (size_t)(g->n_opsets + 1));
  if (!g->opset_domains || !g->opset_versions) abort();
  g->opset_domains[g->n_opsets] = strdup(domain);
  g->opset_versions[g->n_opsets++] = version;
}

static int node(qi_graph *g, const char *op, int in, int out, int opset) {
  const int n = qi_graph_add_node(g, op, "", &in, 1, &out, 1);
  if (n < 0) abort();
  g->nodes[n].opset = opset;
  return n;
}

static void float_attr(qi_graph *g, int n, const char *name, float v) {
  qi_attr *a = qi_node_add_attr(g, n, name, QI_ATTR_FLOAT);
  if (!a) abort();
  a->f = v;
}

static void int_attr(qi_graph *g, int n, const char *name, int64_t v) {
  qi_attr *a = qi_node_add_attr(g, n, name, QI_ATTR_INT);
  if (!a) abort();
  a->i = v;
}

/* x -> Clip(min -1.5, max 2.5) -> c -> Softmax(axis 1) -> y at `opset`; x has rank 3, c and y no shape. */
static qi_graph *clip_softmax(int opset) {
  qi_graph *g = qi_graph_new();
  if (!g) abort();
  const int x = tensor(g, "x"), c = tensor(g, "c"), y = tensor(g, "y");
  const int64_t dims[3] = {2, 3, 4};
  qi_tensor_set_shape(&g->tensors[x], QINFER_DTYPE_FLOAT, 3, dims);
  g->tensors[x].flags |= QI_TF_INPUT;
  g->inputs = malloc(sizeof(int));
  g->outputs = malloc(sizeof(int));
  if (!g->inputs || !g->outputs) abort();
  g->inputs[0] = x;
  g->outputs[0] = y;
  g->n_inputs = g->n_outputs = 1;
  const int clip = node(g, "Clip", x, c, opset);
  float_attr(g, clip, "min", -1.5f);
  float_attr(g, clip, "max", 2.5f);
  int_attr(g, node(g, "Softmax", c, y, opset), "axis", 1);
  set_opset(g, "", opset);
  return g;
}

static int live_nodes(const qi_graph *g) {
  int n = 0;
  for (int i = 0; i < g->n_nodes; i++) n += !g->nodes[i].dead;
  return n;
}

static float scalar(const qi_graph *g, int t) { return t >= 0 ? *(const float *)g->tensors[t].data : -999.f; }

static void test_refused_graph_unchanged(void) {
  qi_graph *g = clip_softmax(8);
  /* BatchNormalization-7's spatial = 0 after the convertible nodes */
  const int z = tensor(g, "z");
  int_attr(g, node(g, "BatchNormalization", g->outputs[0], z, 8), "spatial", 0);
  g->nodes[2].name = (free(g->nodes[2].name), strdup("bn"));
  const int n_tensors = g->n_tensors, n_nodes = g->n_nodes;
  qi_error err = {0};
  const qi_status st = qi_opset_upgrade(g, NULL, &err);
  CHECK_MSG(st == QINFER_ERR_UNSUPPORTED && strstr(err.msg, "node 'bn' (BatchNormalization)") &&
                strstr(err.msg, "spatial = 0"), "status %d: %s", st, err.msg);
  CHECK(g->n_tensors == n_tensors && g->n_nodes == n_nodes);
  CHECK(g->opset_versions[0] == 8 && g->nodes[0].opset == 8 && g->nodes[1].opset == 8);
  CHECK(g->nodes[0].n_inputs == 1 && g->nodes[0].n_attrs == 2 && qi_attr_float(&g->nodes[0], "min", 0) == -1.5f);
  CHECK(strcmp(g->nodes[1].op_type, "Softmax") == 0 && g->nodes[1].inputs[0] == 1);
  qi_graph_free(g);
}

static void test_converted(void) {
  qi_graph *g = clip_softmax(9);
  tensor(g, "c_min"); /* takes the name the Clip's min constant would get */
  qi_error err = {0};
  CHECK_MSG(qi_opset_upgrade(g, NULL, &err) == QINFER_OK, "%s", err.msg);
  const qi_node *clip = &g->nodes[0];
  CHECK(clip->n_attrs == 0 && clip->n_inputs == 3 && clip->opset == 13);
  CHECK(scalar(g, clip->inputs[1]) == -1.5f && scalar(g, clip->inputs[2]) == 2.5f);
  CHECK(clip->inputs[1] >= 0 && strcmp(g->tensors[clip->inputs[1]].name, "c_min_1") == 0);
  CHECK(clip->inputs[2] >= 0 && strcmp(g->tensors[clip->inputs[2]].name, "c_max") == 0);
  CHECK(clip->inputs[1] >= 0 && g->tensors[clip->inputs[1]].rank == 0);
  /* c's rank is unknown: Shape and Flatten(axis 1) before the Softmax (axis 1), Reshape back into y */
  CHECK(live_nodes(g) == 5 && g->n_order == 5 && g->opset_versions[0] == 13);
  const qi_node *sm = &g->nodes[1];
  CHECK(qi_attr_int(sm, "axis", -7) == 1 && sm->outputs[0] != g->outputs[0]);
  int flatten = -1, reshape = -1;
  for (int i = 2; i < g->n_nodes; i++) {
    if (!strcmp(g->nodes[i].op_type, "Flatten")) flatten = i;
    if (!strcmp(g->nodes[i].op_type, "Reshape")) reshape = i;
  }
  CHECK(flatten >= 0 && qi_attr_int(&g->nodes[flatten], "axis", -7) == 1 && g->nodes[flatten].outputs[0] == sm->inputs[0]);
  CHECK(reshape >= 0 && g->nodes[reshape].outputs[0] == g->outputs[0] && g->nodes[reshape].inputs[0] == sm->outputs[0]);
  int pos_sm = -1, pos_flat = -1, pos_reshape = -1;
  for (int k = 0; k < g->n_order; k++) {
    if (g->order[k] == 1) pos_sm = k;
    if (g->order[k] == flatten) pos_flat = k;
    if (g->order[k] == reshape) pos_reshape = k;
  }
  CHECK(pos_flat >= 0 && pos_flat < pos_sm && pos_sm < pos_reshape);
  qi_graph_free(g);
}

static void test_rank_hint(void) {
  qi_graph *g = clip_softmax(11);
  qi_graph *ranks = qi_graph_new();
  if (!ranks) abort();
  tensor(ranks, "x");
  const int c = tensor(ranks, "c");
  const int64_t dims[2] = {6, 4};
  qi_tensor_set_shape(&ranks->tensors[c], QINFER_DTYPE_FLOAT, 2, dims); /* axis 1 is the last: no Flatten */
  qi_error err = {0};
  CHECK_MSG(qi_opset_upgrade(g, ranks, &err) == QINFER_OK, "%s", err.msg);
  CHECK(live_nodes(g) == 2 && qi_attr_int(&g->nodes[1], "axis", 7) == -1 && g->nodes[1].outputs[0] == g->outputs[0]);
  qi_graph_free(ranks);
  qi_graph_free(g);
}

static void test_untouched(void) {
  for (int k = 0; k < 2; k++) {
    qi_graph *g = clip_softmax(9);
    if (k == 0) g->opset_versions[0] = 13; /* already at 13 */
    else free(g->opset_domains[0]), g->opset_domains[0] = strdup("com.example"); /* no default-domain import */
    const int n_tensors = g->n_tensors;
    qi_error err = {0};
    CHECK(qi_opset_upgrade(g, NULL, &err) == QINFER_OK);
    CHECK(g->n_tensors == n_tensors && live_nodes(g) == 2 && g->nodes[0].n_attrs == 2 && g->nodes[0].opset == 9);
    qi_graph_free(g);
  }
}

static void ints_attr(qi_graph *g, int n, const char *name, const int64_t *v, int len) {
  qi_attr *a = qi_node_add_attr(g, n, name, QI_ATTR_INTS);
  if (!a || !(a->ints = malloc(sizeof(int64_t) * (size_t)len))) abort();
  memcpy(a->ints, v, sizeof(int64_t) * (size_t)len);
  a->n = len;
}

/* Opset 21 (the quantizer's 4-bit weights): from 13, ReduceMean's axes attribute becomes an input (opset 18) and an
 * equal Split names its outputs in num_outputs; a Gelu, an op of opset 20, is refused in a model at 13 and kept in
 * one at 20; other targets are refused. */
static void test_to_21(void) {
  qi_graph *g = clip_softmax(13);
  const int m = tensor(g, "m"), s0 = tensor(g, "s0"), s1 = tensor(g, "s1");
  const int mean = node(g, "ReduceMean", g->outputs[0], m, 13);
  const int64_t axes[2] = {1, 2};
  ints_attr(g, mean, "axes", axes, 2);
  const int outs[2] = {s0, s1};
  const int split = qi_graph_add_node(g, "Split", "", &m, 1, outs, 2);
  if (split < 0) abort();
  g->nodes[split].opset = 13;
  qi_error err = {0};
  CHECK(qi_opset_upgrade_to(g, NULL, 17, &err) == QINFER_ERR_INVALID_ARGUMENT);
  CHECK_MSG(qi_opset_upgrade_to(g, NULL, 21, &err) == QINFER_OK, "%s", err.msg);
  const qi_node *r = &g->nodes[mean];
  CHECK(r->opset == 21 && r->n_inputs == 2 && !qi_node_attr(r, "axes") && g->opset_versions[0] == 21);
  const qi_tensor *ax = r->n_inputs == 2 && r->inputs[1] >= 0 ? &g->tensors[r->inputs[1]] : NULL;
  CHECK(ax && ax->dtype == QINFER_DTYPE_INT64 && qi_tensor_numel(ax) == 2 && ((const int64_t *)ax->data)[0] == 1 &&
        ((const int64_t *)ax->data)[1] == 2);
  CHECK(qi_attr_int(&g->nodes[split], "num_outputs", 0) == 2 && g->nodes[split].opset == 21);
  /* rules at or below the model's opset do not apply: the Clip keeps its (opset-13-invalid) attributes */
  CHECK(g->nodes[0].n_attrs == 2 && g->nodes[0].n_inputs == 1);
  qi_graph_free(g);
  for (int from = 13; from <= 20; from += 7) {
    g = clip_softmax(from);
    g->nodes[1].op_type = (free(g->nodes[1].op_type), strdup("Gelu"));
    qi_node_remove_attr(&g->nodes[1], "axis");
    const qi_status st = qi_opset_upgrade_to(g, NULL, 21, &err);
    if (from == 13) CHECK_MSG(st == QINFER_ERR_UNSUPPORTED && strstr(err.msg, "Gelu") && strstr(err.msg, "opset 21"),
                              "%d: %s", st, err.msg);
    else CHECK_MSG(st == QINFER_OK && g->nodes[1].opset == 21, "%d: %s", st, err.msg);
    qi_graph_free(g);
  }
}

int main(void) {
  test_to_21();
  test_refused_graph_unchanged();
  test_converted();
  test_rank_hint();
  test_untouched();
  return TEST_SUMMARY();
}
