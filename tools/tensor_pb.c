#include "tools/tensor_pb.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* ---- protobuf wire format ---- */

enum { WIRE_VARINT = 0, WIRE_FIXED64 = 1, WIRE_LEN = 2, WIRE_FIXED32 = 5 };

enum {
  F_DIMS = 1,
  F_DATA_TYPE = 2,
  F_FLOAT_DATA = 4,
  F_INT32_DATA = 5,
  F_STRING_DATA = 6,
  F_INT64_DATA = 7,
  F_NAME = 8,
  F_RAW_DATA = 9,
  F_DOUBLE_DATA = 10,
  F_UINT64_DATA = 11,
  F_DATA_LOCATION = 14,
};

typedef struct reader {
  const uint8_t *p, *end;
} reader;

static bool read_varint(reader *r, uint64_t *v) {
  uint64_t x = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (r->p >= r->end) return false;
    uint8_t byte = *r->p++;
    x |= (uint64_t)(byte & 0x7f) << shift;
    if (!(byte & 0x80)) {
      *v = x;
      return true;
    }
  }
  return false; /* more than 10 bytes */
}

static bool read_fixed(reader *r, int bytes, uint64_t *v) {
  if (r->end - r->p < bytes) return false;
  uint64_t x = 0;
  for (int i = 0; i < bytes; i++) x |= (uint64_t)r->p[i] << (8 * i);
  r->p += bytes;
  *v = x;
  return true;
}

/* Reads the payload of a length-delimited field into sub. */
static bool read_len(reader *r, reader *sub) {
  uint64_t n;
  if (!read_varint(r, &n) || n > (uint64_t)(r->end - r->p)) return false;
  sub->p = r->p;
  sub->end = r->p + n;
  r->p += n;
  return true;
}

static bool skip_field(reader *r, int wire) {
  uint64_t v;
  reader sub;
  switch (wire) {
    case WIRE_VARINT: return read_varint(r, &v);
    case WIRE_FIXED64: return read_fixed(r, 8, &v);
    case WIRE_FIXED32: return read_fixed(r, 4, &v);
    case WIRE_LEN: return read_len(r, &sub);
    default: return false; /* groups (3, 4) and reserved types */
  }
}

/* ---- repeated numeric fields ----
 * A repeated field may occur many times, each occurrence packed (WIRE_LEN) or a single value. count_values
 * counts the elements of one occurrence; decode_values appends them. */

typedef enum { ENC_VARINT, ENC_FIXED32, ENC_FIXED64 } value_enc;

static int wire_of(value_enc enc) {
  return enc == ENC_VARINT ? WIRE_VARINT : enc == ENC_FIXED32 ? WIRE_FIXED32 : WIRE_FIXED64;
}

static bool read_value(reader *r, value_enc enc, uint64_t *v) {
  return enc == ENC_VARINT ? read_varint(r, v) : read_fixed(r, enc == ENC_FIXED32 ? 4 : 8, v);
}

/* Reads one occurrence (packed or not) at r, calling back each value; returns the count or -1 on bad data. */
typedef void (*value_sink)(void *ctx, uint64_t v);

static int64_t read_repeated(reader *r, int wire, value_enc enc, value_sink sink, void *ctx) {
  uint64_t v;
  if (wire == wire_of(enc)) {
    if (!read_value(r, enc, &v)) return -1;
    if (sink) sink(ctx, v);
    return 1;
  }
  if (wire != WIRE_LEN) return -1;
  reader sub;
  if (!read_len(r, &sub)) return -1;
  int64_t n = 0;
  while (sub.p < sub.end) {
    if (!read_value(&sub, enc, &v)) return -1;
    if (sink) sink(ctx, v);
    n++;
  }
  return n;
}

/* ---- TensorProto ---- */

typedef struct tensor_fields {
  int64_t data_type;
  int rank;
  int64_t dims[QINFER_MAX_RANK];
  const uint8_t *raw;
  size_t raw_len;
  bool has_raw;
  const uint8_t *name;
  size_t name_len;
  int64_t counts[16]; /* elements seen per typed data field number */
  int64_t data_location;
} tensor_fields;

static value_enc field_enc(int field) {
  switch (field) {
    case F_FLOAT_DATA: return ENC_FIXED32;
    case F_DOUBLE_DATA: return ENC_FIXED64;
    default: return ENC_VARINT;
  }
}

static bool is_typed_field(int field) {
  return field == F_FLOAT_DATA || field == F_INT32_DATA || field == F_INT64_DATA || field == F_DOUBLE_DATA ||
         field == F_UINT64_DATA;
}

/* The typed field ONNX stores each data type in (onnx.proto, TensorProto comments). */
static int typed_field_for(qinfer_dtype dtype) {
  switch (dtype) {
    case QINFER_DTYPE_FLOAT: return F_FLOAT_DATA;
    case QINFER_DTYPE_DOUBLE: return F_DOUBLE_DATA;
    case QINFER_DTYPE_INT64: return F_INT64_DATA;
    case QINFER_DTYPE_UINT32:
    case QINFER_DTYPE_UINT64: return F_UINT64_DATA;
    default: return F_INT32_DATA; /* int8/16/32, uint8/16, bool, float16 (bit pattern) */
  }
}

static const char *field_name(int field) {
  switch (field) {
    case F_FLOAT_DATA: return "float_data";
    case F_INT32_DATA: return "int32_data";
    case F_INT64_DATA: return "int64_data";
    case F_DOUBLE_DATA: return "double_data";
    case F_UINT64_DATA: return "uint64_data";
    default: return "?";
  }
}

static void sink_dim(void *ctx, uint64_t v) {
  tensor_fields *f = ctx;
  if (f->rank < QINFER_MAX_RANK) f->dims[f->rank] = (int64_t)v;
  if (f->rank <= QINFER_MAX_RANK) f->rank++; /* one past the maximum marks "too many" */
}

/* Pass 1: scalar fields, dims, raw_data and the element count of each typed field. */
static qi_status scan_fields(reader r, tensor_fields *f, qi_error *err) {
  while (r.p < r.end) {
    uint64_t key;
    if (!read_varint(&r, &key)) return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "truncated TensorProto");
    uint64_t field = key >> 3;
    int wire = (int)(key & 7);
    if (field == 0 || field > 536870911u)
      return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "bad TensorProto field number %llu",
                     (unsigned long long)field);
    bool ok = true;
    uint64_t v;
    reader sub;
    switch (field) {
      case F_DIMS: ok = read_repeated(&r, wire, ENC_VARINT, sink_dim, f) >= 0; break;
      case F_DATA_TYPE:
      case F_DATA_LOCATION:
        ok = wire == WIRE_VARINT && read_varint(&r, &v);
        if (ok) *(field == F_DATA_TYPE ? &f->data_type : &f->data_location) = (int64_t)v;
        break;
      case F_NAME:
        ok = wire == WIRE_LEN && read_len(&r, &sub);
        if (ok) f->name = sub.p, f->name_len = (size_t)(sub.end - sub.p);
        break;
      case F_RAW_DATA:
        ok = wire == WIRE_LEN && read_len(&r, &sub);
        if (ok) f->raw = sub.p, f->raw_len = (size_t)(sub.end - sub.p), f->has_raw = true;
        break;
      case F_STRING_DATA:
        return qi_fail(err, QINFER_ERR_UNSUPPORTED, "string tensors are not supported");
      default:
        if (is_typed_field((int)field)) {
          int64_t n = read_repeated(&r, wire, field_enc((int)field), NULL, NULL);
          ok = n >= 0;
          if (ok) f->counts[field] += n;
        } else {
          ok = skip_field(&r, wire);
        }
    }
    if (!ok)
      return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "truncated or malformed TensorProto (field %llu)",
                     (unsigned long long)field);
  }
  return QINFER_OK;
}

typedef struct value_writer {
  uint8_t *out;
  size_t esize;
  int64_t i, n;
} value_writer;

static void sink_value(void *ctx, uint64_t v) {
  value_writer *w = ctx;
  if (w->i >= w->n) return; /* counted in pass 1: cannot happen, kept as a guard */
  /* The low esize bytes of v are the element (int32_data holds narrow ints and the
   * float16 bit pattern; fixed32/fixed64 hold float/double bits), stored little-endian. */
  uint8_t bytes[8];
  for (int b = 0; b < 8; b++) bytes[b] = (uint8_t)(v >> (8 * b));
  memcpy(w->out + (size_t)w->i * w->esize, bytes, w->esize);
  w->i++;
}

/* Pass 2: decodes every occurrence of the typed field into out. */
static qi_status decode_typed(reader r, int want, value_writer *w, qi_error *err) {
  while (r.p < r.end) {
    uint64_t key;
    if (!read_varint(&r, &key)) return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "truncated TensorProto");
    int field = key >> 3 > 64 ? 0 : (int)(key >> 3), wire = (int)(key & 7);
    bool ok = field == want ? read_repeated(&r, wire, field_enc(field), sink_value, w) >= 0 : skip_field(&r, wire);
    if (!ok) return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "malformed TensorProto");
  }
  return QINFER_OK;
}

qi_status qi_tensor_pb_parse(const void *buf, size_t size, qi_host_tensor *t, char *name, size_t name_cap,
                             qi_error *err) {
  memset(t, 0, sizeof *t);
  if (name && name_cap) name[0] = '\0';
  tensor_fields f = {0};
  reader r = {buf, (const uint8_t *)buf + size};
  QI_CHECK(scan_fields(r, &f, err));

  if (f.data_location == 1)
    return qi_fail(err, QINFER_ERR_UNSUPPORTED, "TensorProto with external data is not supported");
  if (f.rank > QINFER_MAX_RANK)
    return qi_fail(err, QINFER_ERR_UNSUPPORTED, "TensorProto rank %d exceeds the maximum of %d", f.rank,
                   QINFER_MAX_RANK);
  qinfer_dtype dtype = (qinfer_dtype)f.data_type;
  if (f.data_type <= 0 || f.data_type > QINFER_DTYPE_UINT64 || qi_host_dtype_size(dtype) == 0)
    return qi_fail(err, QINFER_ERR_UNSUPPORTED, "TensorProto data_type %lld is missing or not supported",
                   (long long)f.data_type);
  size_t nbytes;
  QI_CHECK(qi_host_shape_bytes(dtype, f.rank, f.dims, &nbytes, err));
  size_t esize = qi_host_dtype_size(dtype);
  int64_t numel = (int64_t)(nbytes / esize);

  int want = typed_field_for(dtype);
  for (int field = 0; field < 16; field++) {
    if (f.counts[field] == 0) continue;
    if (field != want || f.has_raw)
      return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "TensorProto of type %s holds values in %s%s",
                     qi_host_dtype_name(dtype), field_name(field), f.has_raw ? " as well as raw_data" : "");
  }
  if (f.has_raw && f.raw_len != nbytes)
    return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "TensorProto raw_data has %zu bytes, shape needs %zu",
                   f.raw_len, nbytes);
  if (!f.has_raw && f.counts[want] != numel)
    return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "TensorProto has %lld values, shape needs %lld",
                   (long long)f.counts[want], (long long)numel);

  QI_CHECK(qi_host_tensor_alloc(t, dtype, f.rank, f.dims, err));
  if (f.has_raw) {
    if (nbytes) memcpy(t->data, f.raw, nbytes);
  } else if (numel > 0) {
    value_writer w = {t->data, esize, 0, numel};
    qi_status s = decode_typed(r, want, &w, err);
    if (s != QINFER_OK) {
      qi_host_tensor_free(t);
      return s;
    }
  }
  if (name && name_cap) {
    size_t n = f.name_len < name_cap - 1 ? f.name_len : name_cap - 1;
    if (n) memcpy(name, f.name, n);
    name[n] = '\0';
  }
  return QINFER_OK;
}

qi_status qi_tensor_pb_read(const char *path, qi_host_tensor *t, qi_error *err) {
  memset(t, 0, sizeof *t);
  void *buf;
  size_t size;
  QI_CHECK(qi_read_file(path, &buf, &size, err));
  qi_status s = qi_tensor_pb_parse(buf, size, t, NULL, 0, err);
  free(buf);
  if (s != QINFER_OK) qi_error_context(err, "%s", path);
  return s;
}
