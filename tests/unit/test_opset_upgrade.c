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

int main(void) {
  test_refused_graph_unchanged();
  test_converted();
  test_rank_hint();
  test_untouched();
  return TEST_SUMMARY();
}
