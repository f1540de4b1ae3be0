/* Internals of the ONNX loader shared by its translation units.
 *
 * Decoding scheme: nanopb decodes one message at a time with callbacks. Strings, bytes and submessages that are
 * handled later are recorded as spans (pointer + length) into the caller's buffer: inside a callback on a
 * buffer stream, stream->state points at the field's first byte and stream->bytes_left is its length. A span
 * is decoded again later with pb_istream_from_buffer. The graph is decoded once into spans of its nodes,
 * initializers, inputs and outputs, which are then processed in the order the IR needs (initializers, inputs,
 * node outputs, nodes, graph outputs). Nesting is bounded by the message types: graph attributes are noted,
 * never descended into, so no hostile input can drive recursion deeper than a few levels. */
#ifndef QI_LOADER_INTERNAL_H
#define QI_LOADER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <pb_decode.h>

#include "engine/ir/ir.h"
#include "engine/ir/status.h"
#include "loader/name_map.h"
#include "loader/onnx_loader.h"
#include "onnx.pb.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the loader reads ONNX raw_data (little-endian) in place: big-endian hosts are not supported"
#endif

/* Bytes of a field inside the model buffer. */
typedef struct qi_span {
  const uint8_t *p;
  size_t len;
  bool set;
} qi_span;

/* Growable array of elem-sized items. */
typedef struct qi_vec {
  void *data;
  size_t n, cap, elem;
} qi_vec;

typedef struct qi_ext_file {
  char *path; /* realpath */
  const uint8_t *addr;
  size_t len;
} qi_ext_file;

/* State of one qi_onnx_load call. */
typedef struct qi_ld {
  const uint8_t *buf;
  size_t size;
  const char *base_dir; /* NULL: external data refused */
  unsigned flags;       /* QI_LOAD_* */
  char *base_real;      /* realpath(base_dir), computed on first use */
  qi_graph *g;
  qi_error *err;
  bool failed;          /* err holds the first error, set by a callback or a check */
  int64_t ir_version;
  qi_name_map names;    /* tensor name -> index (keys are the tensors' own names) */
  qi_name_map syms;     /* dim_param -> index in g->sym_names */
  qi_ext_file *ext;     /* external files mapped so far */
  int n_ext;
  int n_named;          /* tensors [0, n_named) carry ONNX names; later ones are private (attribute tensors) */
} qi_ld;

/* Records the first error (later ones keep the first message) and returns false, for use in callbacks. */
bool qi_ld_fail(qi_ld *ld, qi_status code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Marks the error an engine function (qi_graph_*, qi_tensor_*) just wrote into ld->err as the load's error. */
static inline bool qi_ld_adopt(qi_ld *ld) {
  ld->failed = true;
  return false;
}
/* Status of the recorded error. */
static inline qi_status qi_ld_status(const qi_ld *ld) { return ld->err ? ld->err->code : QINFER_ERR_INVALID_MODEL; }

/* pb_decode of msg from stream; on failure records "<what>: malformed protobuf (<nanopb message>)" unless a
 * callback already recorded a more precise error. */
bool qi_ld_decode(qi_ld *ld, pb_istream_t *stream, const pb_msgdesc_t *fields, void *msg, const char *what);
/* Decodes a recorded span as message fields into msg. */
bool qi_ld_decode_span(qi_ld *ld, qi_span span, const pb_msgdesc_t *fields, void *msg, const char *what);

/* In a callback: records the rest of stream (a length-delimited field) as a span and skips it. Fails when the
 * bytes are not inside the model buffer (the field was sent with a scalar wire type). */
bool qi_ld_take_span(qi_ld *ld, pb_istream_t *stream, qi_span *out, const char *what);
/* Copies a span into a new NUL-terminated string; NUL bytes inside are an error (names are C strings). */
char *qi_ld_strdup(qi_ld *ld, qi_span s, const char *what);
/* True when span equals the C string lit. */
bool qi_span_eq(qi_span s, const char *lit);

void qi_vec_init(qi_vec *v, size_t elem);
void qi_vec_free(qi_vec *v);
bool qi_vec_push(qi_ld *ld, qi_vec *v, const void *item);
#define QI_VEC_AT(v, type, i) (((type *)(v)->data)[i])

/* ---- tensors (ld_tensor.c) ---- */

/* Everything one TensorProto decode collects. */
typedef struct qi_tensor_msg {
  qi_ld *ld;
  onnx_TensorProto pb;
  int rank;            /* number of dims seen (may exceed QI_MAX_RANK: refused later) */
  int64_t dims[QI_MAX_RANK];
  qi_span name, raw;
  qi_vec f32, i32, i64, f64, u64; /* float, int32_t, int64_t, double, uint64_t */
  size_t n_strings;
  int n_external_entries;
  qi_span ext_location, ext_offset, ext_length;
} qi_tensor_msg;

/* Decodes a TensorProto span into m (free with qi_tensor_msg_free even on failure). */
bool qi_tensor_msg_decode(qi_ld *ld, qi_span span, qi_tensor_msg *m, const char *what);
void qi_tensor_msg_free(qi_tensor_msg *m);
/* Gives graph tensor t the dtype, shape and value of m (in place, owned copy or external data). */
bool qi_ld_fill_tensor(qi_ld *ld, const qi_tensor_msg *m, int t);
/* Checks an ONNX element type: false with INVALID_MODEL (unknown) or UNSUPPORTED (known, not handled). */
bool qi_ld_check_dtype(qi_ld *ld, int64_t dtype, const char *what, const char *name);

/* ---- external data (ld_external.c) ---- */

/* Resolves the external data of m (location / offset / length) inside ld->base_dir, maps the file once, and
 * returns the bytes in [*p, *p + nbytes). */
bool qi_ld_external(qi_ld *ld, const qi_tensor_msg *m, const char *tensor_name, size_t nbytes, const uint8_t **p);
void qi_ld_external_free(qi_ld *ld);

/* ---- attributes and Constant nodes (ld_attr.c) ---- */

/* Decodes the AttributeProto span onto node (qi_node_add_attr). */
bool qi_ld_add_attr(qi_ld *ld, int node, qi_span span);
/* Turns a Constant node (its attribute spans) into the constant tensor out. */
bool qi_ld_constant(qi_ld *ld, const char *node_name, const qi_span *attrs, size_t n_attrs, int out);
/* Creates an unnamed (privately named) constant tensor from a TensorProto span; returns its index or -1. */
int qi_ld_attr_tensor(qi_ld *ld, const char *node_name, const char *attr_name, qi_span span);

/* ---- graph (ld_graph.c) ---- */

/* Builds ld->g from the GraphProto span. */
bool qi_ld_graph(qi_ld *ld, qi_span graph);
/* Opset version imported for domain ("" and "ai.onnx" are the same) or -1. */
int64_t qi_ld_opset(const qi_ld *ld, const char *domain);

/* ---- files (map_file.c) ---- */
qi_status qi_map_fd(int fd, const char *path, const struct stat *st, void **addr, size_t *len, qi_error *err);
/* qi_map_fd's counterpart for qi_read_file_copy: reads fd into a read-only private anonymous mapping. */
qi_status qi_read_fd_copy(int fd, const char *path, const struct stat *st, void **addr, size_t *len, qi_error *err);

#endif /* QI_LOADER_INTERNAL_H */
