/* A tiny protobuf encoder and ONNX message builders for the loader tests (test_loader_*.c). Each builder
 * appends one field to a parent message; messages are built bottom-up in pbw buffers. */
#ifndef QI_TEST_LOADER_ENC_H
#define QI_TEST_LOADER_ENC_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { WT_VARINT = 0, WT_FIXED64 = 1, WT_LEN = 2, WT_FIXED32 = 5 };

typedef struct pbw {
  uint8_t *p;
  size_t n, cap;
} pbw;

static inline void pbw_raw(pbw *w, const void *data, size_t len) {
  if (w->n + len > w->cap) {
    size_t cap = w->cap ? w->cap : 64;
    while (cap < w->n + len) cap *= 2;
    w->p = realloc(w->p, cap);
    if (!w->p) abort();
    w->cap = cap;
  }
  if (len) memcpy(w->p + w->n, data, len);
  w->n += len;
}
static inline void pbw_free(pbw *w) {
  free(w->p);
  memset(w, 0, sizeof *w);
}
static inline void pbw_varint(pbw *w, uint64_t v) {
  do {
    uint8_t b = (uint8_t)(v & 0x7f);
    v >>= 7;
    if (v) b |= 0x80;
    pbw_raw(w, &b, 1);
  } while (v);
}
static inline void pbw_tag(pbw *w, int field, int wt) { pbw_varint(w, ((uint64_t)field << 3) | (uint64_t)wt); }
static inline void pbw_int(pbw *w, int field, int64_t v) {
  pbw_tag(w, field, WT_VARINT);
  pbw_varint(w, (uint64_t)v);
}
static inline void pbw_bytes(pbw *w, int field, const void *data, size_t len) {
  pbw_tag(w, field, WT_LEN);
  pbw_varint(w, len);
  pbw_raw(w, data, len);
}
static inline void pbw_str(pbw *w, int field, const char *s) { pbw_bytes(w, field, s, strlen(s)); }
/* Appends sub as a submessage and frees it. */
static inline void pbw_msg(pbw *w, int field, pbw *sub) {
  pbw_bytes(w, field, sub->p, sub->n);
  pbw_free(sub);
}
static inline void pbw_f32(pbw *w, int field, float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  pbw_tag(w, field, WT_FIXED32);
  pbw_raw(w, &u, 4);
}
static inline void pbw_packed_f32(pbw *w, int field, const float *v, size_t n) { pbw_bytes(w, field, v, n * 4); }
static inline void pbw_packed_f64(pbw *w, int field, const double *v, size_t n) { pbw_bytes(w, field, v, n * 8); }
static inline void pbw_packed_varint(pbw *w, int field, const int64_t *v, size_t n) {
  pbw sub = {0};
  for (size_t i = 0; i < n; i++) pbw_varint(&sub, (uint64_t)v[i]);
  pbw_msg(w, field, &sub);
}

/* ---- ONNX (field numbers of onnx.proto) ---- */

enum { T_DIMS = 1, T_DTYPE = 2, T_SEGMENT = 3, T_FLOAT = 4, T_INT32 = 5, T_STRING = 6, T_INT64 = 7, T_NAME = 8,
       T_RAW = 9, T_DOUBLE = 10, T_UINT64 = 11, T_EXTERNAL = 13, T_LOCATION = 14 };
enum { A_NAME = 1, A_F = 2, A_I = 3, A_S = 4, A_T = 5, A_G = 6, A_FLOATS = 7, A_INTS = 8, A_STRINGS = 9,
       A_TENSORS = 10, A_GRAPHS = 11, A_TP = 14, A_TYPE_PROTOS = 15, A_TYPE = 20, A_REF = 21, A_SPARSE = 22,
       A_SPARSES = 23 };
enum { N_INPUT = 1, N_OUTPUT = 2, N_NAME = 3, N_OP = 4, N_ATTR = 5, N_DOMAIN = 7 };
enum { G_NODE = 1, G_NAME = 2, G_INIT = 5, G_INPUT = 11, G_OUTPUT = 12, G_VALUE_INFO = 13, G_SPARSE_INIT = 15 };
enum { M_IR = 1, M_PRODUCER = 2, M_GRAPH = 7, M_OPSET = 8 };

/* TensorProto header: name, dtype, dims (rank may be 0). Data is appended by the caller. */
static inline void enc_tensor_head(pbw *t, const char *name, int dtype, const int64_t *dims, int rank) {
  if (name) pbw_str(t, T_NAME, name);
  pbw_int(t, T_DTYPE, dtype);
  for (int i = 0; i < rank; i++) pbw_int(t, T_DIMS, dims[i]);
}
static inline void enc_tensor_raw(pbw *t, const char *name, int dtype, const int64_t *dims, int rank,
                                  const void *data, size_t nbytes) {
  enc_tensor_head(t, name, dtype, dims, rank);
  pbw_bytes(t, T_RAW, data, nbytes);
}
/* Graph initializer with raw_data. */
static inline void enc_init_raw(pbw *g, const char *name, int dtype, const int64_t *dims, int rank,
                                const void *data, size_t nbytes) {
  pbw t = {0};
  enc_tensor_raw(&t, name, dtype, dims, rank, data, nbytes);
  pbw_msg(g, G_INIT, &t);
}

/* ValueInfoProto with a tensor type. rank < 0: no shape. params[i] non-NULL: symbolic dim; dims[i] < 0 and
 * no param: an empty Dimension. */
static inline void enc_value_info(pbw *g, int field, const char *name, int elem, const int64_t *dims,
                                  const char *const *params, int rank) {
  pbw vi = {0}, type = {0}, tt = {0}, shape = {0};
  pbw_str(&vi, 1, name);
  pbw_int(&tt, 1, elem);
  if (rank >= 0) {
    for (int i = 0; i < rank; i++) {
      pbw d = {0};
      if (params && params[i]) pbw_str(&d, 2, params[i]);
      else if (dims[i] >= 0) pbw_int(&d, 1, dims[i]);
      pbw_msg(&shape, 1, &d);
    }
    pbw_msg(&tt, 2, &shape);
  } else {
    pbw_free(&shape);
  }
  pbw_msg(&type, 1, &tt);
  pbw_msg(&vi, 2, &type);
  pbw_msg(g, field, &vi);
}

/* NodeProto; attrs (may be NULL) is a message holding already-encoded attribute fields (field 5). */
static inline void enc_node(pbw *g, const char *op, const char *name, const char *domain, const char *const *in,
                            int n_in, const char *const *out, int n_out, pbw *attrs) {
  pbw n = {0};
  for (int i = 0; i < n_in; i++) pbw_str(&n, N_INPUT, in[i]);
  for (int i = 0; i < n_out; i++) pbw_str(&n, N_OUTPUT, out[i]);
  if (name) pbw_str(&n, N_NAME, name);
  pbw_str(&n, N_OP, op);
  if (domain) pbw_str(&n, N_DOMAIN, domain);
  if (attrs) {
    pbw_raw(&n, attrs->p, attrs->n);
    pbw_free(attrs);
  }
  pbw_msg(g, G_NODE, &n);
}

/* Attribute builders: append one AttributeProto (field 5 of NodeProto) to attrs. */
static inline void enc_attr_begin(pbw *a, const char *name, int type) {
  memset(a, 0, sizeof *a);
  pbw_str(a, A_NAME, name);
  pbw_int(a, A_TYPE, type);
}
static inline void enc_attr_int(pbw *attrs, const char *name, int64_t v) {
  pbw a;
  enc_attr_begin(&a, name, 2);
  pbw_int(&a, A_I, v);
  pbw_msg(attrs, N_ATTR, &a);
}
static inline void enc_attr_float(pbw *attrs, const char *name, float v) {
  pbw a;
  enc_attr_begin(&a, name, 1);
  pbw_f32(&a, A_F, v);
  pbw_msg(attrs, N_ATTR, &a);
}

/* ModelProto: ir_version, opset imports (domain/version pairs), producer, then the graph LAST so that every
 * strict prefix of the encoding lacks a complete graph. */
static inline void enc_model(pbw *m, int64_t ir, const char *const *domains, const int64_t *versions, int n_opsets,
                             pbw *graph) {
  pbw_int(m, M_IR, ir);
  for (int i = 0; i < n_opsets; i++) {
    pbw o = {0};
    if (domains[i]) pbw_str(&o, 1, domains[i]);
    pbw_int(&o, 2, versions[i]);
    pbw_msg(m, M_OPSET, &o);
  }
  pbw_str(m, M_PRODUCER, "qinfer-test");
  pbw_msg(m, M_GRAPH, graph);
}
/* Model with ir_version 8 importing the default domain at opset 17. */
static inline void enc_model17(pbw *m, pbw *graph) {
  const char *d[] = {""};
  const int64_t v[] = {17};
  enc_model(m, 8, d, v, 1, graph);
}

#endif /* QI_TEST_LOADER_ENC_H */
