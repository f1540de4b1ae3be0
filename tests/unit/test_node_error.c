/* Node errors have one format, "node 'NAME' (OP): message" ("node #INDEX (OP)" for a node without a name),
 * whichever family or pass reports them (qi_node_fail), and the session's context (qi_node_error_context) names a node only when the message does not
 * already: one failing node of each op family, through infer as a session calls it. */
#include <string.h>

#include "test_ops_math_harness.h"

TEST_MAIN_GLOBALS;

/* The message names node 'bad' of op_type exactly once, at the start, and the session context keeps it so. */
static void check_message(const char *op_type, qi_error *err) {
  char want[128];
  snprintf(want, sizeof want, "node 'bad' (%s): ", op_type);
  CHECK_MSG(strncmp(err->msg, want, strlen(want)) == 0, "%s: '%s' does not start with \"%s\"", op_type, err->msg,
            want);
  CHECK_MSG(strstr(err->msg + 1, "node 'bad'") == NULL, "%s: the node is named twice: '%s'", op_type, err->msg);
  char before[QI_ERROR_MSG_SIZE];
  memcpy(before, err->msg, sizeof before);
  const qi_node n = {.name = "bad", .op_type = (char *)op_type, .domain = ""};
  qi_node_error_context(&n, err);
  CHECK_MSG(strcmp(before, err->msg) == 0, "%s: the context named the node again: '%s'", op_type, err->msg);
}

/* A one-node graph whose node 'bad' fails infer: x (dtype, shape) and an optional constant second input. */
static void check_infer_fails(const char *op_type, const char *domain, int dtype, int rank, const int64_t *dims,
                              int n_extra) {
  qi_graph *g = qi_graph_new();
  const int x = qi_graph_add_tensor(g, "x"), y = h_out(g, "y");
  qi_tensor_set_shape(&g->tensors[x], dtype, rank, dims);
  int ins[3] = {x, x, x};
  const int node = qi_graph_add_node(g, op_type, domain, ins, 1 + n_extra, &y, 1);
  qi_node *n = &g->nodes[node];
  free(n->name);
  n->name = qi_str_dup("bad");
  n->opset = 13;
  n->op = qi_op_find(domain, op_type);
  qi_error err = {0};
  CHECK_MSG(n->op && n->op->infer(g, n, &err) != QINFER_OK, "%s: infer should fail", op_type);
  if (err.code != QINFER_OK) check_message(op_type, &err);
  qi_graph_free(g);
}

int main(void) {
  /* the helpers themselves */
  const qi_node n = {.name = "bad", .op_type = "Conv", .domain = ""};
  qi_error err = {0};
  CHECK(qi_node_fail(&err, QINFER_ERR_SHAPE, &n, "weights have rank %d", 3) == QINFER_ERR_SHAPE);
  CHECK_MSG(strcmp(err.msg, "node 'bad' (Conv): weights have rank 3") == 0, "%s", err.msg);
  qi_fail(&err, QINFER_ERR_RUNTIME, "integer division by zero");
  CHECK(qi_node_error_context(&n, &err) == QINFER_ERR_RUNTIME);
  CHECK_MSG(strcmp(err.msg, "node 'bad' (Conv): integer division by zero") == 0, "%s", err.msg);
  check_message("Conv", &err);

  /* a node without a name: its index and op type, not "node ''" */
  const qi_node unnamed = {.name = "", .op_type = "Conv", .domain = "", .index = 12};
  CHECK(qi_node_fail(&err, QINFER_ERR_SHAPE, &unnamed, "weights have rank %d", 3) == QINFER_ERR_SHAPE);
  CHECK_MSG(strcmp(err.msg, "node #12 (Conv): weights have rank 3") == 0, "%s", err.msg);
  qi_fail(&err, QINFER_ERR_RUNTIME, "integer division by zero");
  CHECK(qi_node_error_context(&unnamed, &err) == QINFER_ERR_RUNTIME);
  CHECK(qi_node_error_context(&unnamed, &err) == QINFER_ERR_RUNTIME); /* named once */
  CHECK_MSG(strcmp(err.msg, "node #12 (Conv): integer division by zero") == 0, "%s", err.msg);
  { /* the index comes from the graph */
    qi_graph *g = qi_graph_new();
    const int x = qi_graph_add_tensor(g, "x"), y = qi_graph_add_tensor(g, "y"), z = qi_graph_add_tensor(g, "z");
    qi_graph_add_node(g, "Relu", "", &x, 1, &y, 1);
    const int second = qi_graph_add_node(g, "Sigmoid", "", &y, 1, &z, 1);
    CHECK(second == 1 && g->nodes[second].index == 1);
    qi_node_fail(&err, QINFER_ERR_SHAPE, &g->nodes[second], "bad");
    CHECK_MSG(strcmp(err.msg, "node #1 (Sigmoid): bad") == 0, "%s", err.msg);
    qi_graph_free(g);
  }

  /* one failing node per family */
  static const int64_t d4[4] = {1, 2, 3, 4}, d0[1] = {0};
  check_infer_fails("Sqrt", "", QINFER_DTYPE_INT64, 4, d4, 0);                 /* math: dtype */
  check_infer_fails("Add", "", QINFER_DTYPE_FLOAT, 4, d4, 2);                  /* math: arity */
  check_infer_fails("ArgMax", "", QINFER_DTYPE_FLOAT, 0, d0, 0);               /* reduce: rank */
  check_infer_fails("Softmax", "", QINFER_DTYPE_INT64, 4, d4, 0);              /* reduce: dtype */
  check_infer_fails("Reshape", "", QINFER_DTYPE_FLOAT, 4, d4, 1);              /* tensor: shape not constant */
  check_infer_fails("Conv", "", QINFER_DTYPE_FLOAT, 4, d4, 0);                 /* nn: no weights */
  check_infer_fails("QuantizeLinear", "", QINFER_DTYPE_FLOAT, 4, d4, 0);       /* quant: no scale */
  check_infer_fails("QLinearConv", "", QINFER_DTYPE_UINT8, 4, d4, 0);          /* quant conv */
  check_infer_fails("QLinearGlobalAveragePool", "com.microsoft", QINFER_DTYPE_UINT8, 4, d4, 0); /* quant pool */
  check_infer_fails("QLinearTable", "ai.qinfer", QINFER_DTYPE_FLOAT, 4, d4, 1); /* table */
  return TEST_SUMMARY();
}
