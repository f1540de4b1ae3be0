/* TensorProto reader: messages built byte by byte (raw and typed fields, packed and unpacked), every
 * truncation, wrong sizes and hostile values; and files written by onnx.numpy_helper / onnx.helper. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"
#include "tools/tensor_pb.h"

TEST_MAIN_GLOBALS;

/* ---- a tiny protobuf writer ---- */

typedef struct pb {
  uint8_t b[1024];
  size_t n;
} pb;

static void put_varint(pb *m, uint64_t v) {
  do {
    uint8_t byte = v & 0x7f;
    v >>= 7;
    m->b[m->n++] = byte | (v ? 0x80 : 0);
  } while (v);
}
static void put_key(pb *m, int field, int wire) { put_varint(m, (uint64_t)field << 3 | (uint64_t)wire); }
static void put_int(pb *m, int field, int64_t v) {
  put_key(m, field, 0);
  put_varint(m, (uint64_t)v);
}
static void put_bytes(pb *m, int field, const void *data, size_t n) {
  put_key(m, field, 2);
  put_varint(m, n);
  memcpy(m->b + m->n, data, n);
  m->n += n;
}
static void put_packed_varints(pb *m, int field, const int64_t *v, int count) {
  pb body = {.n = 0};
  for (int i = 0; i < count; i++) put_varint(&body, (uint64_t)v[i]);
  put_bytes(m, field, body.b, body.n);
}
static void put_dims(pb *m, const int64_t *dims, int rank) {
  for (int i = 0; i < rank; i++) put_int(m, 1, dims[i]); /* proto2 default: unpacked */
}

enum { DIMS = 1, DATA_TYPE = 2, FLOAT_DATA = 4, INT32_DATA = 5, STRING_DATA = 6, INT64_DATA = 7, NAME = 8,
       RAW_DATA = 9, DOUBLE_DATA = 10, UINT64_DATA = 11, DOC = 12, LOCATION = 14 };

static qi_status parse(const pb *m, qi_host_tensor *t, qi_error *err) {
  qi_error_clear(err);
  uint8_t *copy = malloc(m->n + 1); /* exact size on the heap: ASan sees any over-read */
  memcpy(copy, m->b, m->n);
  qi_status s = qi_tensor_pb_parse(copy, m->n, t, NULL, 0, err);
  free(copy);
  return s;
}

static void expect_error(const pb *m, qi_status code, const char *words, int line) {
  qi_host_tensor t;
  qi_error err;
  qi_status s = parse(m, &t, &err);
  CHECK_MSG(s == code, "line %d: status %d, wanted %d (%s)", line, s, code, err.msg);
  CHECK_MSG(strstr(err.msg, words) != NULL, "line %d: message '%s' lacks '%s'", line, err.msg, words);
  CHECK(t.data == NULL);
  qi_host_tensor_free(&t);
}
#define EXPECT_ERROR(m, code, words) expect_error(m, code, words, __LINE__)

static const float F6[6] = {1.5f, -2, 0, 3.25f, 1e-3f, -7};
static const int64_t D23[2] = {2, 3};

static pb raw_float_tensor(void) {
  pb m = {.n = 0};
  put_dims(&m, D23, 2);
  put_int(&m, DATA_TYPE, QINFER_DTYPE_FLOAT);
  put_bytes(&m, NAME, "input:0", 7);
  put_bytes(&m, RAW_DATA, F6, sizeof F6);
  return m;
}

static void test_valid(void) {
  qi_host_tensor t;
  qi_error err = {0};
  char name[8];

  pb m = raw_float_tensor();
  CHECK(qi_tensor_pb_parse(m.b, m.n, &t, name, sizeof name, &err) == QINFER_OK);
  CHECK(t.dtype == QINFER_DTYPE_FLOAT && t.rank == 2 && t.dims[0] == 2 && t.dims[1] == 3 && t.nbytes == 24);
  CHECK(memcmp(t.data, F6, sizeof F6) == 0 && strcmp(name, "input:0") == 0);
  qi_host_tensor_free(&t);
  CHECK(qi_tensor_pb_parse(m.b, m.n, &t, name, 4, &err) == QINFER_OK && strcmp(name, "inp") == 0); /* truncated */
  qi_host_tensor_free(&t);

  /* float_data packed, dims packed, unknown fields skipped. */
  m = (pb){.n = 0};
  put_bytes(&m, DOC, "doc", 3);
  put_packed_varints(&m, DIMS, D23, 2);
  put_int(&m, DATA_TYPE, QINFER_DTYPE_FLOAT);
  put_bytes(&m, FLOAT_DATA, F6, sizeof F6);
  put_int(&m, 20, 5); /* a field from the future */
  CHECK(parse(&m, &t, &err) == QINFER_OK && t.nbytes == 24 && memcmp(t.data, F6, 24) == 0);
  qi_host_tensor_free(&t);

  /* float_data unpacked (fixed32 each), split over two runs. */
  m = (pb){.n = 0};
  put_dims(&m, D23, 2);
  put_int(&m, DATA_TYPE, QINFER_DTYPE_FLOAT);
  for (int i = 0; i < 3; i++) {
    put_key(&m, FLOAT_DATA, 5);
    memcpy(m.b + m.n, &F6[i], 4);
    m.n += 4;
  }
  put_bytes(&m, FLOAT_DATA, F6 + 3, 12);
  CHECK(parse(&m, &t, &err) == QINFER_OK && memcmp(t.data, F6, 24) == 0);
  qi_host_tensor_free(&t);

  /* int8 in int32_data, negative values as 10-byte varints. */
  const int64_t i8v[4] = {-128, -1, 0, 127};
  const int64_t d4[1] = {4};
  m = (pb){.n = 0};
  put_dims(&m, d4, 1);
  put_int(&m, DATA_TYPE, QINFER_DTYPE_INT8);
  put_packed_varints(&m, INT32_DATA, i8v, 4);
  CHECK(parse(&m, &t, &err) == QINFER_OK && t.nbytes == 4);
  if (t.data) CHECK(((int8_t *)t.data)[0] == -128 && ((int8_t *)t.data)[1] == -1 && ((int8_t *)t.data)[3] == 127);
  qi_host_tensor_free(&t);

  /* int64_data unpacked. */
  m = (pb){.n = 0};
  put_dims(&m, d4, 1);
  put_int(&m, DATA_TYPE, QINFER_DTYPE_INT64);
  for (int i = 0; i < 4; i++) put_int(&m, INT64_DATA, i8v[i] * 1000000000000LL);
  CHECK(parse(&m, &t, &err) == QINFER_OK && t.nbytes == 32);
  if (t.data) CHECK(((int64_t *)t.data)[0] == -128000000000000LL && ((int64_t *)t.data)[3] == 127000000000000LL);
  qi_host_tensor_free(&t);

  /* double_data packed. */
  const double dv[2] = {-0.5, 1e300};
  const int64_t d2[1] = {2};
  m = (pb){.n = 0};
  put_dims(&m, d2, 1);
  put_int(&m, DATA_TYPE, QINFER_DTYPE_DOUBLE);
  put_bytes(&m, DOUBLE_DATA, dv, sizeof dv);
  CHECK(parse(&m, &t, &err) == QINFER_OK && memcmp(t.data, dv, sizeof dv) == 0);
  qi_host_tensor_free(&t);

  /* uint32 in uint64_data; float16 bit patterns in int32_data. */
  const int64_t u32v[2] = {4000000000LL, 7};
  m = (pb){.n = 0};
  put_dims(&m, d2, 1);
  put_int(&m, DATA_TYPE, QINFER_DTYPE_UINT32);
  put_packed_varints(&m, UINT64_DATA, u32v, 2);
  CHECK(parse(&m, &t, &err) == QINFER_OK && ((uint32_t *)t.data)[0] == 4000000000u && ((uint32_t *)t.data)[1] == 7);
  qi_host_tensor_free(&t);
  const int64_t f16v[2] = {0x3c00, 0xc000}; /* 1.0, -2.0 */
  m = (pb){.n = 0};
  put_dims(&m, d2, 1);
  put_int(&m, DATA_TYPE, QINFER_DTYPE_FLOAT16);
  put_packed_varints(&m, INT32_DATA, f16v, 2);
  CHECK(parse(&m, &t, &err) == QINFER_OK && ((uint16_t *)t.data)[0] == 0x3c00 && ((uint16_t *)t.data)[1] == 0xc000);
  qi_host_tensor_free(&t);

  /* A scalar and an empty tensor. */
  m = (pb){.n = 0};
  put_int(&m, DATA_TYPE, QINFER_DTYPE_FLOAT);
  put_bytes(&m, RAW_DATA, F6, 4);
  CHECK(parse(&m, &t, &err) == QINFER_OK && t.rank == 0 && t.nbytes == 4 && *(float *)t.data == 1.5f);
  qi_host_tensor_free(&t);
  const int64_t d03[2] = {0, 3};
  m = (pb){.n = 0};
  put_dims(&m, d03, 2);
  put_int(&m, DATA_TYPE, QINFER_DTYPE_FLOAT);
  CHECK(parse(&m, &t, &err) == QINFER_OK && t.rank == 2 && t.nbytes == 0 && t.data == NULL);
  qi_host_tensor_free(&t);
}

static void test_truncation(void) {
  /* raw_data comes last: every proper prefix misses data and must fail. */
  pb full = raw_float_tensor();
  int failed = 0;
  for (size_t len = 0; len < full.n; len++) {
    pb m = full;
    m.n = len;
    qi_host_tensor t;
    qi_error err;
    if (parse(&m, &t, &err) != QINFER_OK && t.data == NULL && err.msg[0]) failed++;
    qi_host_tensor_free(&t);
  }
  CHECK_MSG(failed == (int)full.n, "%d of %zu prefixes failed", failed, full.n);

  /* Typed data followed by the name: a prefix either fails or, once the data is complete, decodes it all. */
  pb typed = {.n = 0};
  put_dims(&typed, D23, 2);
  put_int(&typed, DATA_TYPE, QINFER_DTYPE_FLOAT);
  put_bytes(&typed, FLOAT_DATA, F6, sizeof F6);
  put_bytes(&typed, NAME, "x", 1);
  int bad = 0;
  for (size_t len = 0; len <= typed.n; len++) {
    pb m = typed;
    m.n = len;
    qi_host_tensor t;
    qi_error err;
    if (parse(&m, &t, &err) == QINFER_OK && (t.nbytes != 24 || memcmp(t.data, F6, 24) != 0)) bad++;
    qi_host_tensor_free(&t);
  }
  CHECK(bad == 0);
}

static void test_malformed(void) {
  pb m;
  /* Wrong sizes. */
  m = (pb){.n = 0};
  put_dims(&m, D23, 2);
  put_int(&m, DATA_TYPE, QINFER_DTYPE_FLOAT);
  put_bytes(&m, RAW_DATA, F6, 20);
  EXPECT_ERROR(&m, QINFER_ERR_INVALID_ARGUMENT, "raw_data has 20 bytes, shape needs 24");
  m = (pb){.n = 0};
  put_dims(&m, D23, 2);
  put_int(&m, DATA_TYPE, QINFER_DTYPE_FLOAT);
  put_bytes(&m, FLOAT_DATA, F6, 20);
  EXPECT_ERROR(&m, QINFER_ERR_INVALID_ARGUMENT, "has 5 values, shape needs 6");
  m = (pb){.n = 0};
  put_dims(&m, D23, 2);
  put_int(&m, DATA_TYPE, QINFER_DTYPE_FLOAT);
  put_bytes(&m, FLOAT_DATA, F6, 22); /* not a whole number of floats */
  EXPECT_ERROR(&m, QINFER_ERR_INVALID_ARGUMENT, "malformed");
  m = (pb){.n = 0};
  put_dims(&m, D23, 2);
  put_int(&m, DATA_TYPE, QINFER_DTYPE_FLOAT);
  EXPECT_ERROR(&m, QINFER_ERR_INVALID_ARGUMENT, "has 0 values");
  /* Values in the wrong field, or in two places. */
  m = (pb){.n = 0};
  put_dims(&m, D23, 2);
  put_int(&m, DATA_TYPE, QINFER_DTYPE_FLOAT);
  put_packed_varints(&m, INT64_DATA, D23, 2);
  EXPECT_ERROR(&m, QINFER_ERR_INVALID_ARGUMENT, "int64_data");
  m = raw_float_tensor();
  put_bytes(&m, FLOAT_DATA, F6, sizeof F6);
  EXPECT_ERROR(&m, QINFER_ERR_INVALID_ARGUMENT, "as well as raw_data");
  /* Types and layouts qinfer refuses. */
  m = (pb){.n = 0};
  put_dims(&m, D23, 2);
  put_bytes(&m, RAW_DATA, F6, sizeof F6);
  EXPECT_ERROR(&m, QINFER_ERR_UNSUPPORTED, "data_type 0");
  m = (pb){.n = 0};
  put_int(&m, DATA_TYPE, QINFER_DTYPE_STRING);
  put_bytes(&m, STRING_DATA, "abc", 3);
  EXPECT_ERROR(&m, QINFER_ERR_UNSUPPORTED, "string");
  m = (pb){.n = 0};
  put_int(&m, DATA_TYPE, 16); /* bfloat16 */
  put_bytes(&m, RAW_DATA, F6, 2);
  EXPECT_ERROR(&m, QINFER_ERR_UNSUPPORTED, "data_type 16");
  m = (pb){.n = 0};
  put_int(&m, DATA_TYPE, -1);
  EXPECT_ERROR(&m, QINFER_ERR_UNSUPPORTED, "data_type -1");
  m = raw_float_tensor();
  put_int(&m, LOCATION, 1);
  EXPECT_ERROR(&m, QINFER_ERR_UNSUPPORTED, "external");
  /* Hostile shapes. */
  const int64_t nine[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  m = (pb){.n = 0};
  put_dims(&m, nine, 9);
  put_int(&m, DATA_TYPE, QINFER_DTYPE_FLOAT);
  put_bytes(&m, RAW_DATA, F6, 4);
  EXPECT_ERROR(&m, QINFER_ERR_UNSUPPORTED, "rank");
  const int64_t negative[2] = {-2, -3};
  m = (pb){.n = 0};
  put_dims(&m, negative, 2);
  put_int(&m, DATA_TYPE, QINFER_DTYPE_FLOAT);
  put_bytes(&m, RAW_DATA, F6, 24);
  EXPECT_ERROR(&m, QINFER_ERR_SHAPE, "negative");
  const int64_t huge[3] = {1LL << 40, 1LL << 40, 0};
  m = (pb){.n = 0};
  put_dims(&m, huge, 2);
  put_int(&m, DATA_TYPE, QINFER_DTYPE_FLOAT);
  EXPECT_ERROR(&m, QINFER_ERR_OUT_OF_MEMORY, "overflow");
  m = (pb){.n = 0};
  put_dims(&m, huge, 3); /* overflow before a later 0 dim is still refused */
  put_int(&m, DATA_TYPE, QINFER_DTYPE_FLOAT);
  EXPECT_ERROR(&m, QINFER_ERR_OUT_OF_MEMORY, "overflow");
  /* Broken wire format. */
  m = (pb){.n = 0};
  put_key(&m, DIMS, 0);
  for (int i = 0; i < 11; i++) m.b[m.n++] = 0xff; /* an 11-byte varint */
  m.b[m.n++] = 0x01;
  EXPECT_ERROR(&m, QINFER_ERR_INVALID_ARGUMENT, "field 1");
  m = raw_float_tensor();
  put_key(&m, 15, 3); /* group start */
  EXPECT_ERROR(&m, QINFER_ERR_INVALID_ARGUMENT, "field 15");
  m = raw_float_tensor();
  put_key(&m, 0, 0);
  put_varint(&m, 0);
  EXPECT_ERROR(&m, QINFER_ERR_INVALID_ARGUMENT, "field number 0");
  m = (pb){.n = 0};
  put_key(&m, RAW_DATA, 2);
  put_varint(&m, UINT64_MAX); /* length beyond the buffer */
  EXPECT_ERROR(&m, QINFER_ERR_INVALID_ARGUMENT, "field 9");
  m = (pb){.n = 0};
  put_key(&m, DATA_TYPE, 2); /* data_type with the wrong wire type */
  put_varint(&m, 0);
  EXPECT_ERROR(&m, QINFER_ERR_INVALID_ARGUMENT, "field 2");
}

/* ---- files written by the onnx package ---- */

static const char *python(void) {
  const char *p = getenv("QI_PYTHON");
  if (p && *p) return p;
  return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

static void test_onnx_oracle(void) {
  FILE *f = fopen("test_tensor_pb_script.py", "w");
  if (!f) return;
  fputs("import numpy as np, onnx\n"
        "from onnx import numpy_helper, helper\n"
        "a = np.arange(24).reshape(2, 3, 4) - 5\n"
        "types = {'f4': 1, 'u1': 2, 'i1': 3, 'u2': 4, 'i2': 5, 'i4': 6, 'i8': 7, 'b1': 9, 'f2': 10, 'f8': 11,\n"
        "         'u4': 12, 'u8': 13}\n"
        "for t, code in types.items():\n"
        "    v = (a % 2 if t == 'b1' else (a + 5 if t[0] == 'u' else a)).astype(t)\n"
        "    open('test_tpb_raw_%s.pb' % t, 'wb').write(numpy_helper.from_array(v, 'n_' + t).SerializeToString())\n"
        "    typed = helper.make_tensor('n_' + t, code, v.shape, v.flatten().tolist(), raw=False)\n"
        "    open('test_tpb_typed_%s.pb' % t, 'wb').write(typed.SerializeToString())\n",
        f);
  fclose(f);
  char cmd[512];
  snprintf(cmd, sizeof cmd, "%s test_tensor_pb_script.py", python());
  int rc = system(cmd);
  remove("test_tensor_pb_script.py");
  if (rc != 0) {
    printf("SKIP onnx oracle: '%s' with onnx and numpy is not available\n", python());
    return;
  }
  const struct {
    const char *suffix;
    qinfer_dtype dtype;
  } cases[] = {{"f4", QINFER_DTYPE_FLOAT},  {"f8", QINFER_DTYPE_DOUBLE}, {"f2", QINFER_DTYPE_FLOAT16},
               {"i1", QINFER_DTYPE_INT8},   {"u1", QINFER_DTYPE_UINT8},  {"i2", QINFER_DTYPE_INT16},
               {"u2", QINFER_DTYPE_UINT16}, {"i4", QINFER_DTYPE_INT32},  {"u4", QINFER_DTYPE_UINT32},
               {"i8", QINFER_DTYPE_INT64},  {"u8", QINFER_DTYPE_UINT64}, {"b1", QINFER_DTYPE_BOOL}};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    qi_host_tensor raw, typed;
    qi_error err = {0};
    char path[64];
    snprintf(path, sizeof path, "test_tpb_raw_%s.pb", cases[c].suffix);
    qi_status s1 = qi_tensor_pb_read(path, &raw, &err);
    CHECK_MSG(s1 == QINFER_OK, "%s: %s", path, err.msg);
    remove(path);
    snprintf(path, sizeof path, "test_tpb_typed_%s.pb", cases[c].suffix);
    qi_status s2 = qi_tensor_pb_read(path, &typed, &err);
    CHECK_MSG(s2 == QINFER_OK, "%s: %s", path, err.msg);
    remove(path);
    if (s1 == QINFER_OK && s2 == QINFER_OK) {
      CHECK(raw.dtype == cases[c].dtype && typed.dtype == cases[c].dtype);
      CHECK(raw.rank == 3 && raw.dims[0] == 2 && raw.dims[1] == 3 && raw.dims[2] == 4);
      CHECK(typed.rank == 3 && typed.dims[2] == 4);
      /* Both encodings carry the same values. */
      CHECK_MSG(raw.nbytes == typed.nbytes && memcmp(raw.data, typed.data, raw.nbytes) == 0, "%s", cases[c].suffix);
      if (cases[c].dtype == QINFER_DTYPE_FLOAT)
        CHECK(((float *)raw.data)[0] == -5.0f && ((float *)raw.data)[23] == 18.0f);
      if (cases[c].dtype == QINFER_DTYPE_INT8) CHECK(((int8_t *)typed.data)[0] == -5);
    }
    qi_host_tensor_free(&raw);
    qi_host_tensor_free(&typed);
  }
}

int main(void) {
  test_valid();
  test_truncation();
  test_malformed();
  test_onnx_oracle();
  return TEST_SUMMARY();
}
