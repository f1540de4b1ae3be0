/* TensorProto -> constant tensor: dtype and shape checks, raw_data in place, typed fields, external data. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "loader/loader_internal.h"

bool qi_ld_check_dtype(qi_ld *ld, int64_t dtype, const char *what, const char *name) {
  static const char *const unsupported[] = {
      [14] = "complex64", [15] = "complex128", [16] = "bfloat16", [17] = "float8e4m3fn", [18] = "float8e4m3fnuz",
      [19] = "float8e5m2", [20] = "float8e5m2fnuz", [21] = "uint4", [22] = "int4", [23] = "float4e2m1"};
  if (dtype >= QINFER_DTYPE_FLOAT && dtype <= QINFER_DTYPE_UINT64 && dtype != QINFER_DTYPE_STRING) return true;
  if (dtype == QINFER_DTYPE_UINT4 || dtype == QINFER_DTYPE_INT4) return true;
  if (dtype == QINFER_DTYPE_STRING)
    return qi_ld_fail(ld, QINFER_ERR_UNSUPPORTED, "%s '%s': string tensors are not supported", what, name);
  if (dtype >= 14 && dtype <= 23)
    return qi_ld_fail(ld, QINFER_ERR_UNSUPPORTED, "%s '%s': data type %s is not supported", what, name,
                      unsupported[dtype]);
  if (dtype == 0) return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "%s '%s' has no data type", what, name);
  return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "%s '%s' has unknown data type %lld", what, name, (long long)dtype);
}

/* ---- decoding ---- */

typedef struct entry_msg {
  qi_ld *ld;
  qi_span key, value;
} entry_msg;

static bool entry_cb(pb_istream_t *stream, const pb_field_t *field, void **arg) {
  entry_msg *e = *arg;
  qi_span *dst = field->tag == onnx_StringStringEntryProto_key_tag ? &e->key : &e->value;
  return qi_ld_take_span(e->ld, stream, dst, "external_data entry");
}

static bool external_entry(qi_tensor_msg *m, pb_istream_t *stream) {
  qi_ld *ld = m->ld;
  entry_msg kv = {ld, {0}, {0}};
  onnx_StringStringEntryProto e = onnx_StringStringEntryProto_init_zero;
  e.key.funcs.decode = e.value.funcs.decode = entry_cb;
  e.key.arg = e.value.arg = &kv;
  if (!qi_ld_decode(ld, stream, onnx_StringStringEntryProto_fields, &e, "external_data entry")) return false;
  m->n_external_entries++;
  qi_span *slot = qi_span_eq(kv.key, "location") ? &m->ext_location
                  : qi_span_eq(kv.key, "offset") ? &m->ext_offset
                  : qi_span_eq(kv.key, "length") ? &m->ext_length
                                                 : NULL; /* "checksum" and unknown keys are ignored */
  if (!slot) return true;
  if (slot->set)
    return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "external_data key '%.*s' is given twice", (int)kv.key.len,
                      (const char *)kv.key.p);
  *slot = kv.value;
  slot->set = true;
  return true;
}

static bool malformed(qi_tensor_msg *m, pb_istream_t *stream, const char *field) {
  return qi_ld_fail(m->ld, QINFER_ERR_INVALID_MODEL, "tensor %s: malformed value (%s)", field, PB_GET_ERROR(stream));
}

static bool tensor_cb(pb_istream_t *stream, const pb_field_t *field, void **arg) {
  qi_tensor_msg *m = *arg;
  qi_ld *ld = m->ld;
  uint64_t u;
  uint32_t u32;
  switch (field->tag) {
    case onnx_TensorProto_dims_tag:
      while (stream->bytes_left) {
        if (!pb_decode_varint(stream, &u)) return malformed(m, stream, "dims");
        if (m->rank < QI_MAX_RANK) m->dims[m->rank] = (int64_t)u;
        if (m->rank < INT_MAX) m->rank++;
      }
      return true;
    case onnx_TensorProto_float_data_tag:
      while (stream->bytes_left) {
        float f;
        if (!pb_decode_fixed32(stream, &u32)) return malformed(m, stream, "float_data");
        memcpy(&f, &u32, sizeof f);
        if (!qi_vec_push(ld, &m->f32, &f)) return false;
      }
      return true;
    case onnx_TensorProto_int32_data_tag:
      while (stream->bytes_left) {
        if (!pb_decode_varint(stream, &u)) return malformed(m, stream, "int32_data");
        int64_t v = (int64_t)u; /* negative int32 values are sign-extended to 64 bits on the wire */
        if (v < INT32_MIN || v > INT32_MAX)
          return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "tensor int32_data: value %lld is out of range",
                            (long long)v);
        int32_t i = (int32_t)v;
        if (!qi_vec_push(ld, &m->i32, &i)) return false;
      }
      return true;
    case onnx_TensorProto_int64_data_tag:
      while (stream->bytes_left) {
        if (!pb_decode_varint(stream, &u)) return malformed(m, stream, "int64_data");
        int64_t v = (int64_t)u;
        if (!qi_vec_push(ld, &m->i64, &v)) return false;
      }
      return true;
    case onnx_TensorProto_double_data_tag:
      while (stream->bytes_left) {
        double d;
        if (!pb_decode_fixed64(stream, &u)) return malformed(m, stream, "double_data");
        memcpy(&d, &u, sizeof d);
        if (!qi_vec_push(ld, &m->f64, &d)) return false;
      }
      return true;
    case onnx_TensorProto_uint64_data_tag:
      while (stream->bytes_left) {
        if (!pb_decode_varint(stream, &u)) return malformed(m, stream, "uint64_data");
        if (!qi_vec_push(ld, &m->u64, &u)) return false;
      }
      return true;
    case onnx_TensorProto_string_data_tag:
      m->n_strings++;
      return pb_read(stream, NULL, stream->bytes_left) || malformed(m, stream, "string_data");
    case onnx_TensorProto_name_tag:
      return qi_ld_take_span(ld, stream, &m->name, "tensor name");
    case onnx_TensorProto_raw_data_tag:
      return qi_ld_take_span(ld, stream, &m->raw, "tensor raw_data");
    case onnx_TensorProto_external_data_tag:
      return external_entry(m, stream);
    default:
      return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "tensor: unexpected field %u", (unsigned)field->tag);
  }
}

bool qi_tensor_msg_decode(qi_ld *ld, qi_span span, qi_tensor_msg *m, const char *what) {
  memset(m, 0, sizeof *m);
  m->ld = ld;
  qi_vec_init(&m->f32, sizeof(float));
  qi_vec_init(&m->i32, sizeof(int32_t));
  qi_vec_init(&m->i64, sizeof(int64_t));
  qi_vec_init(&m->f64, sizeof(double));
  qi_vec_init(&m->u64, sizeof(uint64_t));
  onnx_TensorProto *pb = &m->pb;
  *pb = (onnx_TensorProto)onnx_TensorProto_init_zero;
  pb_callback_t *cbs[] = {&pb->dims,     &pb->float_data, &pb->int32_data,  &pb->string_data,
                          &pb->int64_data, &pb->name,     &pb->raw_data,    &pb->double_data,
                          &pb->uint64_data, &pb->external_data};
  for (size_t i = 0; i < sizeof cbs / sizeof cbs[0]; i++) {
    cbs[i]->funcs.decode = tensor_cb;
    cbs[i]->arg = m;
  }
  return qi_ld_decode_span(ld, span, onnx_TensorProto_fields, pb, what);
}

void qi_tensor_msg_free(qi_tensor_msg *m) {
  qi_vec_free(&m->f32);
  qi_vec_free(&m->i32);
  qi_vec_free(&m->i64);
  qi_vec_free(&m->f64);
  qi_vec_free(&m->u64);
}

/* ---- filling the graph tensor ---- */

/* The typed field ONNX stores dtype in, and its name. */
static const qi_vec *typed_field(const qi_tensor_msg *m, int dtype, const char **field) {
  switch (dtype) {
    case QINFER_DTYPE_FLOAT: *field = "float_data"; return &m->f32;
    case QINFER_DTYPE_INT64: *field = "int64_data"; return &m->i64;
    case QINFER_DTYPE_DOUBLE: *field = "double_data"; return &m->f64;
    case QINFER_DTYPE_UINT32: case QINFER_DTYPE_UINT64: *field = "uint64_data"; return &m->u64;
    default: *field = "int32_data"; return &m->i32; /* int32, int16, int8, uint16, uint8, bool, float16 */
  }
}

/* Range of values int32_data may hold for a narrow dtype. */
static void int32_range(int dtype, int64_t *lo, int64_t *hi) {
  switch (dtype) {
    case QINFER_DTYPE_INT4: case QINFER_DTYPE_UINT4: *lo = 0; *hi = UINT8_MAX; return; /* a byte: two nibbles */
    case QINFER_DTYPE_INT8: *lo = INT8_MIN; *hi = INT8_MAX; return;
    case QINFER_DTYPE_UINT8: *lo = 0; *hi = UINT8_MAX; return;
    case QINFER_DTYPE_INT16: *lo = INT16_MIN; *hi = INT16_MAX; return;
    case QINFER_DTYPE_UINT16: case QINFER_DTYPE_FLOAT16: *lo = 0; *hi = UINT16_MAX; return; /* float16: bits */
    case QINFER_DTYPE_BOOL: *lo = 0; *hi = 1; return;
    default: *lo = INT32_MIN; *hi = INT32_MAX; return;
  }
}

/* Converts the typed values into t->data (already allocated for count elements of t->dtype). */
static bool convert_typed(qi_ld *ld, qi_tensor *t, const qi_vec *v) {
  size_t n = v->n;
  switch (t->dtype) {
    case QINFER_DTYPE_FLOAT: case QINFER_DTYPE_INT64: case QINFER_DTYPE_DOUBLE: case QINFER_DTYPE_UINT64:
    case QINFER_DTYPE_INT32:
      if (n) memcpy(t->data, v->data, n * v->elem);
      return true;
    case QINFER_DTYPE_UINT32:
      for (size_t i = 0; i < n; i++) {
        uint64_t x = QI_VEC_AT(v, uint64_t, i);
        if (x > UINT32_MAX)
          return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "tensor '%s': uint64_data value out of uint32 range",
                            t->name);
        ((uint32_t *)t->data)[i] = (uint32_t)x;
      }
      return true;
    default: {
      int64_t lo, hi;
      int32_range(t->dtype, &lo, &hi);
      size_t es = qi_dtype_size(t->dtype);
      for (size_t i = 0; i < n; i++) {
        int32_t x = QI_VEC_AT(v, int32_t, i);
        if (x < lo || x > hi)
          return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "tensor '%s': int32_data value %d out of range for %s",
                            t->name, (int)x, qi_dtype_name(t->dtype));
        if (es <= 1) { /* es 0: 4-bit, each int32_data value is one byte of two nibbles (onnx.proto) */
          uint8_t b = (uint8_t)x;
          ((uint8_t *)t->data)[i] = b;
        } else {
          uint16_t h = (uint16_t)x;
          ((uint16_t *)t->data)[i] = h;
        }
      }
      return true;
    }
  }
}

/* Points t at bytes p (in place when aligned for the element type or when the caller asked for unaligned bytes
 * in place, else an owned aligned copy). */
static bool set_bytes(qi_ld *ld, qi_tensor *t, const uint8_t *p, size_t nbytes) {
  size_t es = qi_dtype_size(t->dtype);
  const bool aligned = es == 0 || (uintptr_t)p % es == 0; /* es 0: 4-bit, bytes */
  if (nbytes && (aligned || (ld->flags & QI_LOAD_UNALIGNED_IN_PLACE))) {
    t->data = (void *)(uintptr_t)p; /* read-only: constant tensors are never written */
    t->nbytes = nbytes;
    t->flags |= QI_TF_CONST | (aligned ? 0 : QI_TF_UNALIGNED);
    return true;
  }
  if (qi_tensor_alloc_const(t, ld->err) != QINFER_OK) return qi_ld_adopt(ld);
  if (nbytes) memcpy(t->data, p, nbytes);
  return true;
}

bool qi_ld_fill_tensor(qi_ld *ld, const qi_tensor_msg *m, int ti) {
  qi_tensor *t = &ld->g->tensors[ti];
  const char *name = t->name;
  int64_t dtype = m->pb.has_data_type ? m->pb.data_type : 0;
  if (!qi_ld_check_dtype(ld, dtype, "tensor", name)) return false;
  if (m->rank > QI_MAX_RANK)
    return qi_ld_fail(ld, QINFER_ERR_UNSUPPORTED, "tensor '%s' has rank %d; at most %d is supported", name, m->rank,
                      QI_MAX_RANK);
  if (m->pb.has_segment)
    return qi_ld_fail(ld, QINFER_ERR_UNSUPPORTED, "tensor '%s' is segmented; segments are not supported", name);
  int64_t numel;
  size_t es = qi_dtype_size((int)dtype); /* 0 for 4-bit: two values per byte */
  if (!qi_shape_numel(m->rank, m->dims, &numel))
    return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "tensor '%s' has a negative dimension or its size overflows",
                      name);
  if ((uint64_t)numel > SIZE_MAX / (es ? es : 1))
    return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "tensor '%s': size in bytes overflows", name);
  size_t nbytes = qi_dtype_bytes((int)dtype, (size_t)numel);
  /* Typed values expected: one per element, or one per byte (two nibbles) for 4-bit types (onnx.proto). */
  size_t typed_count = es ? (size_t)numel : nbytes;
  if (m->pb.has_data_location && m->pb.data_location != 0 && m->pb.data_location != 1)
    return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "tensor '%s': invalid data_location %d", name,
                      (int)m->pb.data_location);
  bool external = m->pb.has_data_location && m->pb.data_location == 1;
  const char *field;
  const qi_vec *typed = typed_field(m, (int)dtype, &field);
  const qi_vec *all_typed[] = {&m->f32, &m->i32, &m->i64, &m->f64, &m->u64};
  int sources = (int)m->raw.set + (int)external + (m->n_strings > 0);
  for (size_t i = 0; i < sizeof all_typed / sizeof all_typed[0]; i++) {
    if (all_typed[i]->n == 0) continue;
    sources++;
    if (all_typed[i] != typed)
      return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "tensor '%s' of type %s stores its values in the wrong field",
                        name, qi_dtype_name((int)dtype));
  }
  if (m->n_strings)
    return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "tensor '%s' of type %s has string_data", name,
                      qi_dtype_name((int)dtype));
  if (sources > 1)
    return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "tensor '%s' has values in more than one field", name);

  qi_tensor_set_shape(t, (int)dtype, m->rank, m->dims);
  if (m->raw.set) {
    if (m->raw.len != nbytes)
      return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "tensor '%s': raw_data has %zu bytes, its shape needs %zu", name,
                        m->raw.len, nbytes);
    return set_bytes(ld, t, m->raw.p, nbytes);
  }
  if (external) {
    const uint8_t *p;
    return qi_ld_external(ld, m, name, nbytes, &p) && set_bytes(ld, t, p, nbytes);
  }
  if (typed->n != typed_count)
    return qi_ld_fail(ld, QINFER_ERR_INVALID_MODEL, "tensor '%s': %s holds %zu values, its shape needs %zu%s", name,
                      field, typed->n, typed_count, es ? "" : " (two 4-bit values per int32_data entry)");
  if (qi_tensor_alloc_const(t, ld->err) != QINFER_OK) return qi_ld_adopt(ld);
  return convert_typed(ld, t, typed);
}
