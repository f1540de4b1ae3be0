/* ONNX loader: valid models built in the test decode into the expected IR (raw_data in place, typed fields,
 * every attribute kind, Constant folding into tensors, symbolic dims, opsets, node order). */
#include <stdint.h>
#include <string.h>

#include "loader/onnx_loader.h"
#include "test_loader_enc.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

static const float W_VALUES[6] = {1, 2, 3, 4, 5, 6};

static int find(const qi_graph *g, const char *name) { return qi_graph_find_tensor(g, name); }

static const qi_node *find_node(const qi_graph *g, const char *name) {
  for (int i = 0; i < g->n_nodes; i++)
    if (strcmp(g->nodes[i].name, name) == 0) return &g->nodes[i];
  return NULL;
}

/* The model used by most checks below. */
static void build_model(pbw *m) {
  pbw g = {0}, t, attrs = {0};
  const int64_t d23[] = {2, 3}, d3[] = {3}, d4[] = {4}, d2[] = {2}, d1[] = {1};
  enc_init_raw(&g, "W", 1, d23, 2, W_VALUES, sizeof W_VALUES);
  /* typed fields */
  const int64_t b[] = {7, -8, 1LL << 40};
  t = (pbw){0};
  enc_tensor_head(&t, "B", 7, d3, 1);
  pbw_packed_varint(&t, T_INT64, b, 3);
  pbw_msg(&g, G_INIT, &t);
  const int64_t i8[] = {-128, -1, 0, 127};
  t = (pbw){0};
  enc_tensor_head(&t, "I8", 3, d4, 1);
  pbw_packed_varint(&t, T_INT32, i8, 4);
  pbw_msg(&g, G_INIT, &t);
  const int64_t f16[] = {0x3c00, 0xc000};
  t = (pbw){0};
  enc_tensor_head(&t, "H", 10, d2, 1);
  pbw_packed_varint(&t, T_INT32, f16, 2);
  pbw_msg(&g, G_INIT, &t);
  const double dd[] = {0.5, -2.25};
  t = (pbw){0};
  enc_tensor_head(&t, "D", 11, d2, 1);
  pbw_packed_f64(&t, T_DOUBLE, dd, 2);
  pbw_msg(&g, G_INIT, &t);
  const int64_t u64[] = {(int64_t)UINT64_MAX};
  t = (pbw){0};
  enc_tensor_head(&t, "U64", 13, d1, 1);
  pbw_packed_varint(&t, T_UINT64, u64, 1);
  pbw_msg(&g, G_INIT, &t);
  const int64_t u32[] = {4000000000LL};
  t = (pbw){0};
  enc_tensor_head(&t, "U32", 12, d1, 1);
  pbw_packed_varint(&t, T_UINT64, u32, 1);
  pbw_msg(&g, G_INIT, &t);
  const int64_t bo[] = {0, 1};
  t = (pbw){0};
  enc_tensor_head(&t, "Bo", 9, d2, 1);
  pbw_packed_varint(&t, T_INT32, bo, 2);
  pbw_msg(&g, G_INIT, &t);
  /* unpacked float_data (one field per value) and a scalar */
  t = (pbw){0};
  enc_tensor_head(&t, "F", 1, d2, 1);
  pbw_f32(&t, T_FLOAT, 1.5f);
  pbw_f32(&t, T_FLOAT, -3.0f);
  pbw_msg(&g, G_INIT, &t);
  const int64_t i32s[] = {-5};
  t = (pbw){0};
  enc_tensor_head(&t, "S", 6, NULL, 0);
  pbw_packed_varint(&t, T_INT32, i32s, 1);
  pbw_msg(&g, G_INIT, &t);
  /* an empty tensor */
  const int64_t d0[] = {0, 5};
  t = (pbw){0};
  enc_tensor_head(&t, "E", 1, d0, 2);
  pbw_msg(&g, G_INIT, &t);

  /* inputs: X [N, 3], Y [N, ?] int64, Z of unknown rank; W listed as an input too (IR < 4 style) */
  const char *pn[] = {"N", NULL};
  const int64_t xd[] = {-1, 3}, yd[] = {-1, -1};
  enc_value_info(&g, G_INPUT, "X", 1, xd, pn, 2);
  enc_value_info(&g, G_INPUT, "W", 1, d23, NULL, 2);
  enc_value_info(&g, G_INPUT, "Y", 7, yd, pn, 2);
  enc_value_info(&g, G_INPUT, "Z", 1, NULL, NULL, -1);

  /* Nodes, consumer first: the loader must not depend on file order. */
  pbw a;
  enc_attr_float(&attrs, "f", 0.25f);
  enc_attr_int(&attrs, "i", -3);
  enc_attr_begin(&a, "s", 3);
  pbw_bytes(&a, A_S, "ab\0c", 4);
  pbw_msg(&attrs, N_ATTR, &a);
  enc_attr_begin(&a, "t", 4);
  t = (pbw){0};
  enc_tensor_raw(&t, "ignored", 1, d2, 1, W_VALUES, 8);
  pbw_msg(&a, A_T, &t);
  pbw_msg(&attrs, N_ATTR, &a);
  enc_attr_begin(&a, "g", 5);
  pbw sub = {0};
  pbw_str(&sub, G_NAME, "body");
  pbw_msg(&a, A_G, &sub);
  pbw_msg(&attrs, N_ATTR, &a);
  enc_attr_begin(&a, "floats", 6);
  const float fl[] = {1.f, 2.f, 3.f};
  pbw_packed_f32(&a, A_FLOATS, fl, 3);
  pbw_msg(&attrs, N_ATTR, &a);
  enc_attr_begin(&a, "ints", 7);
  pbw_int(&a, A_INTS, 5); /* unpacked */
  pbw_int(&a, A_INTS, -6);
  pbw_msg(&attrs, N_ATTR, &a);
  enc_attr_begin(&a, "strings", 8);
  pbw_str(&a, A_STRINGS, "x");
  pbw_str(&a, A_STRINGS, "");
  pbw_str(&a, A_STRINGS, "yz");
  pbw_msg(&attrs, N_ATTR, &a);
  enc_attr_begin(&a, "tensors", 9);
  for (int k = 0; k < 2; k++) {
    t = (pbw){0};
    const int64_t v = 10 + k;
    enc_tensor_head(&t, NULL, 7, NULL, 0);
    pbw_packed_varint(&t, T_INT64, &v, 1);
    pbw_msg(&a, A_TENSORS, &t);
  }
  pbw_msg(&attrs, N_ATTR, &a);
  enc_attr_begin(&a, "graphs", 10);
  sub = (pbw){0};
  pbw_msg(&a, A_GRAPHS, &sub);
  sub = (pbw){0};
  pbw_msg(&a, A_GRAPHS, &sub);
  pbw_msg(&attrs, N_ATTR, &a);
  enc_attr_begin(&a, "sparse", 11);
  sub = (pbw){0};
  pbw_msg(&a, A_SPARSE, &sub);
  pbw_msg(&attrs, N_ATTR, &a);
  enc_attr_begin(&a, "tp", 13);
  sub = (pbw){0};
  pbw_msg(&a, A_TP, &sub);
  pbw_msg(&attrs, N_ATTR, &a);
  const char *add_in[] = {"h", "cf", "", "X"}, *add_out[] = {"y", ""};
  enc_node(&g, "Custom", "add", "ai.onnx", add_in, 4, add_out, 2, &attrs);
  const char *mm_in[] = {"X", "W"}, *mm_out[] = {"h"};
  enc_node(&g, "MatMul", "mm", NULL, mm_in, 2, mm_out, 1, NULL);
  /* Constant nodes of every supported form */
  const char *cout[] = {"cf"};
  attrs = (pbw){0};
  enc_attr_float(&attrs, "value_float", 2.5f);
  enc_node(&g, "Constant", "c_float", "", NULL, 0, cout, 1, &attrs);
  const char *couts[][1] = {{"cfs"}, {"ci"}, {"cis"}, {"ct"}};
  attrs = (pbw){0};
  enc_attr_begin(&a, "value_floats", 6);
  pbw_packed_f32(&a, A_FLOATS, fl, 3);
  pbw_msg(&attrs, N_ATTR, &a);
  enc_node(&g, "Constant", "c_floats", NULL, NULL, 0, couts[0], 1, &attrs);
  attrs = (pbw){0};
  enc_attr_int(&attrs, "value_int", -42);
  enc_node(&g, "Constant", "c_int", NULL, NULL, 0, couts[1], 1, &attrs);
  attrs = (pbw){0};
  enc_attr_begin(&a, "value_ints", 7);
  const int64_t iv[] = {1, 2};
  pbw_packed_varint(&a, A_INTS, iv, 2);
  pbw_msg(&attrs, N_ATTR, &a);
  enc_node(&g, "Constant", "c_ints", NULL, NULL, 0, couts[2], 1, &attrs);
  attrs = (pbw){0};
  enc_attr_begin(&a, "value", 4);
  t = (pbw){0};
  enc_tensor_raw(&t, "cv", 1, d23, 2, W_VALUES, sizeof W_VALUES);
  pbw_msg(&a, A_T, &t);
  pbw_msg(&attrs, N_ATTR, &a);
  enc_node(&g, "Constant", "c_tensor", NULL, NULL, 0, couts[3], 1, &attrs);
  /* a node in another domain */
  const char *q_in[] = {"ct", "cfs", "ci", "cis"}, *q_out[] = {"q"};
  enc_node(&g, "QGemm", "q", "com.microsoft", q_in, 4, q_out, 1, NULL);

  const int64_t od[] = {-1, 2};
  enc_value_info(&g, G_OUTPUT, "y", 1, od, pn, 2);
  enc_value_info(&g, G_OUTPUT, "q", 1, NULL, NULL, -1);
  enc_value_info(&g, G_OUTPUT, "W", 1, d23, NULL, 2); /* an initializer may be an output */

  const char *domains[] = {"", "com.microsoft"};
  const int64_t versions[] = {17, 1};
  enc_model(m, 8, domains, versions, 2, &g);
}

static void check_values(void) {
  pbw m = {0};
  build_model(&m);
  qi_error err = {0};
  qi_graph *g = NULL;
  qi_status s = qi_onnx_load(m.p, m.n, NULL, &g, &err);
  CHECK_MSG(s == QINFER_OK, "load: %s", err.msg);
  if (s != QINFER_OK) {
    pbw_free(&m);
    return;
  }
  CHECK(g->ir_version == 8);
  CHECK(g->producer_name && strcmp(g->producer_name, "qinfer-test") == 0);
  CHECK(g->n_opsets == 2 && g->opset_versions[0] == 17 && strcmp(g->opset_domains[1], "com.microsoft") == 0);

  /* typed initializers */
  const qi_tensor *t = &g->tensors[find(g, "B")];
  CHECK(t->dtype == QINFER_DTYPE_INT64 && t->rank == 1 && t->dims[0] == 3 && (t->flags & QI_TF_CONST));
  CHECK(((const int64_t *)t->data)[0] == 7 && ((const int64_t *)t->data)[1] == -8 &&
        ((const int64_t *)t->data)[2] == (1LL << 40));
  t = &g->tensors[find(g, "I8")];
  CHECK(t->dtype == QINFER_DTYPE_INT8 && t->nbytes == 4 && ((const int8_t *)t->data)[0] == -128 &&
        ((const int8_t *)t->data)[1] == -1 && ((const int8_t *)t->data)[3] == 127);
  t = &g->tensors[find(g, "H")];
  CHECK(t->nbytes == 4 && ((const uint16_t *)t->data)[0] == 0x3c00 && ((const uint16_t *)t->data)[1] == 0xc000);
  t = &g->tensors[find(g, "D")];
  CHECK(t->dtype == QINFER_DTYPE_DOUBLE && ((const double *)t->data)[1] == -2.25);
  t = &g->tensors[find(g, "U64")];
  CHECK(((const uint64_t *)t->data)[0] == UINT64_MAX);
  t = &g->tensors[find(g, "U32")];
  CHECK(t->nbytes == 4 && ((const uint32_t *)t->data)[0] == 4000000000u);
  t = &g->tensors[find(g, "Bo")];
  CHECK(t->nbytes == 2 && ((const uint8_t *)t->data)[0] == 0 && ((const uint8_t *)t->data)[1] == 1);
  t = &g->tensors[find(g, "F")];
  CHECK(t->nbytes == 8 && ((const float *)t->data)[0] == 1.5f && ((const float *)t->data)[1] == -3.0f);
  t = &g->tensors[find(g, "S")];
  CHECK(t->rank == 0 && t->nbytes == 4 && ((const int32_t *)t->data)[0] == -5);
  t = &g->tensors[find(g, "E")];
  CHECK(t->rank == 2 && t->dims[0] == 0 && t->nbytes == 0 && (t->flags & QI_TF_CONST) && t->data);

  /* inputs: initializer W is not one; symbolic N is shared by X and Y */
  CHECK(g->n_inputs == 3);
  const qi_tensor *x = &g->tensors[g->inputs[0]], *y = &g->tensors[g->inputs[1]], *z = &g->tensors[g->inputs[2]];
  CHECK(strcmp(x->name, "X") == 0 && strcmp(y->name, "Y") == 0 && strcmp(z->name, "Z") == 0);
  CHECK(x->flags & QI_TF_INPUT);
  CHECK(x->dtype == QINFER_DTYPE_FLOAT && x->rank == 2 && x->dims[0] == -1 && x->dims[1] == 3 && x->sym[1] == -1);
  CHECK(g->n_syms == 1 && strcmp(g->sym_names[0], "N") == 0 && x->sym[0] == 0 && y->sym[0] == 0);
  CHECK(y->dtype == QINFER_DTYPE_INT64 && y->dims[1] == -1 && y->sym[1] == -1);
  CHECK(z->rank == -1);

  /* Constant nodes became constants and are gone */
  CHECK(g->n_nodes == 3);
  t = &g->tensors[find(g, "cf")];
  CHECK(t->dtype == QINFER_DTYPE_FLOAT && t->rank == 0 && (t->flags & QI_TF_CONST) && *(const float *)t->data == 2.5f);
  t = &g->tensors[find(g, "cfs")];
  CHECK(t->rank == 1 && t->dims[0] == 3 && ((const float *)t->data)[2] == 3.f);
  t = &g->tensors[find(g, "ci")];
  CHECK(t->dtype == QINFER_DTYPE_INT64 && t->rank == 0 && *(const int64_t *)t->data == -42);
  t = &g->tensors[find(g, "cis")];
  CHECK(t->rank == 1 && t->dims[0] == 2 && ((const int64_t *)t->data)[1] == 2);
  t = &g->tensors[find(g, "ct")];
  CHECK(t->rank == 2 && t->dims[1] == 3 && ((const float *)t->data)[5] == 6.f && t->producer == -1);

  /* nodes, attributes of every kind */
  const qi_node *add = find_node(g, "add"), *mm = find_node(g, "mm"), *q = find_node(g, "q");
  CHECK(add && mm && q);
  if (add && mm && q) {
    CHECK(strcmp(add->domain, "") == 0 && add->opset == 17 && q->opset == 1 && strcmp(q->domain, "com.microsoft") == 0);
    CHECK(add->n_inputs == 4 && add->inputs[2] == -1 && add->inputs[0] == find(g, "h") && add->inputs[1] == find(g, "cf"));
    CHECK(add->n_outputs == 2 && add->outputs[1] == -1 && add->outputs[0] == find(g, "y"));
    CHECK(mm->inputs[1] == find(g, "W"));
    CHECK(add->n_attrs == 12);
    CHECK(qi_attr_float(add, "f", 0) == 0.25f);
    CHECK(qi_attr_int(add, "i", 0) == -3);
    const qi_attr *a = qi_node_attr(add, "s");
    CHECK(a && a->type == QI_ATTR_STRING && a->s_len == 4 && memcmp(a->s, "ab\0c", 5) == 0);
    a = qi_node_attr(add, "t");
    CHECK(a && a->type == QI_ATTR_TENSOR && a->tensor >= 0);
    if (a && a->tensor >= 0) {
      const qi_tensor *at = &g->tensors[a->tensor];
      CHECK((at->flags & QI_TF_CONST) && at->rank == 1 && at->dims[0] == 2 && ((const float *)at->data)[1] == 2.f);
      CHECK(strcmp(at->name, "ignored") != 0); /* attribute tensors get private names */
    }
    a = qi_node_attr(add, "g");
    CHECK(a && a->type == QI_ATTR_GRAPH);
    const float *fl;
    CHECK(qi_attr_floats(add, "floats", &fl) == 3 && fl[2] == 3.f);
    const int64_t *iv;
    CHECK(qi_attr_ints(add, "ints", &iv) == 2 && iv[0] == 5 && iv[1] == -6);
    a = qi_node_attr(add, "strings");
    CHECK(a && a->type == QI_ATTR_STRINGS && a->n == 3 && strcmp(a->strings[0], "x") == 0 &&
          strcmp(a->strings[1], "") == 0 && strcmp(a->strings[2], "yz") == 0);
    a = qi_node_attr(add, "tensors");
    CHECK(a && a->type == QI_ATTR_TENSORS && a->n == 2);
    if (a && a->n == 2) {
      CHECK(*(const int64_t *)g->tensors[a->tensors[0]].data == 10);
      CHECK(*(const int64_t *)g->tensors[a->tensors[1]].data == 11);
      CHECK(a->tensors[0] != a->tensors[1]);
    }
    a = qi_node_attr(add, "graphs");
    CHECK(a && a->type == QI_ATTR_GRAPHS && a->n == 2);
    a = qi_node_attr(add, "sparse");
    CHECK(a && a->type == QI_ATTR_SPARSE_TENSOR);
    a = qi_node_attr(add, "tp");
    CHECK(a && a->type == QI_ATTR_TYPE_PROTO);
  }

  /* outputs and order: mm runs before add although it comes later in the file */
  CHECK(g->n_outputs == 3);
  const qi_tensor *out = &g->tensors[g->outputs[0]];
  CHECK(strcmp(out->name, "y") == 0 && (out->flags & QI_TF_OUTPUT) && out->dtype == QINFER_DTYPE_FLOAT &&
        out->rank == 2 && out->sym[0] == 0 && out->dims[1] == 2);
  CHECK(g->tensors[g->outputs[2]].flags & QI_TF_CONST);
  CHECK(g->n_order == 3);
  int pos_mm = -1, pos_add = -1;
  for (int i = 0; i < g->n_order; i++) {
    if (&g->nodes[g->order[i]] == mm) pos_mm = i;
    if (&g->nodes[g->order[i]] == add) pos_add = i;
  }
  CHECK(pos_mm >= 0 && pos_add > pos_mm);
  qi_graph_free(g);
  pbw_free(&m);
}

/* raw_data is used in place when aligned for its type, else copied once into an aligned owned buffer. */
static void check_in_place(void) {
  pbw m = {0};
  build_model(&m);
  int in_place = 0, copied = 0;
  uint8_t *storage = malloc(m.n + 8);
  for (int shift = 0; shift < 4; shift++) {
    uint8_t *buf = storage + shift;
    memcpy(buf, m.p, m.n);
    qi_error err = {0};
    qi_graph *g = NULL;
    qi_status s = qi_onnx_load(buf, m.n, NULL, &g, &err);
    CHECK_MSG(s == QINFER_OK, "load: %s", err.msg);
    if (s != QINFER_OK) continue;
    const qi_tensor *w = &g->tensors[find(g, "W")];
    const uint8_t *p = w->data;
    CHECK(w->nbytes == sizeof W_VALUES && memcmp(p, W_VALUES, sizeof W_VALUES) == 0);
    CHECK((uintptr_t)p % 4 == 0);
    if (p >= buf && p + w->nbytes <= buf + m.n) {
      in_place++;
      CHECK(!(w->flags & QI_TF_OWNED));
    } else {
      copied++;
      CHECK(w->flags & QI_TF_OWNED);
    }
    /* The Constant's value tensor obeys the same rule. */
    const qi_tensor *ct = &g->tensors[find(g, "ct")];
    CHECK((uintptr_t)ct->data % 4 == 0 && ((const float *)ct->data)[0] == 1.f);
    qi_graph_free(g);
  }
  CHECK(in_place == 1 && copied == 3);
  free(storage);
  pbw_free(&m);
}

/* QI_LOAD_UNALIGNED_IN_PLACE (a model's shared graph): raw_data stays in place at every offset, flagged
 * QI_TF_UNALIGNED where it is not aligned; a clone gets its own aligned copy with the same bytes and the
 * original keeps pointing into the buffer. */
static void check_unaligned_in_place(void) {
  pbw m = {0};
  build_model(&m);
  uint8_t *storage = malloc(m.n + 8);
  int unaligned = 0;
  for (int shift = 0; shift < 4; shift++) {
    uint8_t *buf = storage + shift;
    memcpy(buf, m.p, m.n);
    qi_error err = {0};
    qi_graph *g = NULL;
    CHECK_MSG(qi_onnx_load_flags(buf, m.n, NULL, QI_LOAD_UNALIGNED_IN_PLACE, &g, &err) == QINFER_OK, "%s", err.msg);
    if (!g) continue;
    const int wi = find(g, "W");
    const qi_tensor *w = &g->tensors[wi];
    const uint8_t *p = w->data;
    CHECK(p >= buf && p + w->nbytes <= buf + m.n && !(w->flags & QI_TF_OWNED));
    CHECK(((uintptr_t)p % 4 != 0) == ((w->flags & QI_TF_UNALIGNED) != 0));
    unaligned += (w->flags & QI_TF_UNALIGNED) != 0;
    qi_graph *c = qi_graph_clone(g);
    CHECK(c != NULL);
    if (c) {
      const qi_tensor *cw = &c->tensors[wi];
      CHECK(!(cw->flags & QI_TF_UNALIGNED) && (uintptr_t)cw->data % 4 == 0);
      CHECK(cw->nbytes == sizeof W_VALUES && memcmp(cw->data, W_VALUES, sizeof W_VALUES) == 0);
      CHECK(((w->flags & QI_TF_UNALIGNED) != 0) == ((cw->flags & QI_TF_OWNED) != 0)); /* aligned: shared */
      CHECK(strcmp(cw->name, "W") == 0 && cw->name != w->name && c->n_nodes == g->n_nodes);
      qi_graph_free(c);
    }
    CHECK(w->data == p); /* the original is untouched */
    qi_graph_free(g);
  }
  CHECK(unaligned == 3);
  free(storage);
  pbw_free(&m);
}

/* IR version < 3 without opset imports: the default domain is opset 1. */
static void check_old_ir(void) {
  pbw g = {0}, m = {0};
  const char *in[] = {"a"}, *out[] = {"b"};
  const int64_t d1[] = {1};
  enc_value_info(&g, G_INPUT, "a", 1, d1, NULL, 1);
  enc_node(&g, "Relu", NULL, NULL, in, 1, out, 1, NULL);
  enc_value_info(&g, G_OUTPUT, "b", 1, d1, NULL, 1);
  enc_model(&m, 2, NULL, NULL, 0, &g);
  qi_error err = {0};
  qi_graph *gr = NULL;
  CHECK_MSG(qi_onnx_load(m.p, m.n, NULL, &gr, &err) == QINFER_OK, "%s", err.msg);
  if (gr) CHECK(gr->n_nodes == 1 && gr->nodes[0].opset == 1);
  qi_graph_free(gr);
  pbw_free(&m);
}

/* Thousands of tensors: the name map keeps loading linear. */
static void check_many_tensors(void) {
  pbw g = {0}, m = {0};
  const int n = 5000;
  char prev[32] = "x", cur[32];
  const int64_t d1[] = {1};
  enc_value_info(&g, G_INPUT, "x", 1, d1, NULL, 1);
  for (int i = 0; i < n; i++) {
    snprintf(cur, sizeof cur, "t%d", i);
    const char *in[] = {prev}, *out[] = {cur};
    enc_node(&g, "Relu", NULL, NULL, in, 1, out, 1, NULL);
    memcpy(prev, cur, sizeof cur);
  }
  enc_value_info(&g, G_OUTPUT, prev, 1, d1, NULL, 1);
  enc_model17(&m, &g);
  qi_error err = {0};
  qi_graph *gr = NULL;
  CHECK_MSG(qi_onnx_load(m.p, m.n, NULL, &gr, &err) == QINFER_OK, "%s", err.msg);
  if (gr) CHECK(gr->n_nodes == n && gr->n_tensors == n + 1 && gr->n_order == n);
  qi_graph_free(gr);
  pbw_free(&m);
}

int main(void) {
  check_values();
  check_in_place();
  check_unaligned_in_place();
  check_old_ir();
  check_many_tensors();
  return TEST_SUMMARY();
}
