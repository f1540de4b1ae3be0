/* .npy reader and writer: round trips, files written by numpy (np.save, format v1.0 / v2.0) and read back
 * by numpy, and malformed images built by hand (truncated, bad magic, overflowing shapes, size mismatch). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_util.h"
#include "engine/quant/io/npy.h"

TEST_MAIN_GLOBALS;

static const char *python(void) {
  const char *p = getenv("QI_PYTHON");
  if (p && *p) return p;
  return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

/* Runs a Python snippet (needs numpy); returns its exit status, or -1 if it could not run. */
static int run_python(const char *code) {
  char path[] = "test_npy_script.py";
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  fputs(code, f);
  fclose(f);
  char cmd[512];
  snprintf(cmd, sizeof cmd, "%s %s", python(), path);
  int rc = system(cmd);
  remove(path);
  return rc;
}

/* Builds a .npy image from a header dict (padded as numpy does) and payload bytes. */
static size_t make_npy(uint8_t *out, int major, const char *dict, const void *payload, size_t payload_len) {
  size_t pre = major == 1 ? 10 : 12, n = strlen(dict);
  size_t total = (pre + n + 1 + 63) / 64 * 64, hlen = total - pre;
  memcpy(out, "\x93NUMPY", 6);
  out[6] = (uint8_t)major;
  out[7] = 0;
  out[8] = (uint8_t)hlen;
  out[9] = (uint8_t)(hlen >> 8);
  if (major != 1) out[10] = out[11] = 0;
  memcpy(out + pre, dict, n);
  memset(out + pre + n, ' ', hlen - n - 1);
  out[total - 1] = '\n';
  if (payload_len) memcpy(out + total, payload, payload_len);
  return total + payload_len;
}

static qi_status parse(const uint8_t *buf, size_t size, qi_host_tensor *t, qi_error *err) {
  qi_error_clear(err);
  return qi_npy_parse(buf, size, t, err);
}

static void expect_error(const char *dict, const void *payload, size_t len, qi_status code, const char *words) {
  uint8_t buf[1024];
  size_t n = make_npy(buf, 1, dict, payload, len);
  qi_host_tensor t;
  qi_error err;
  qi_status s = parse(buf, n, &t, &err);
  CHECK_MSG(s == code, "dict %s: status %d, wanted %d (%s)", dict, s, code, err.msg);
  CHECK_MSG(strstr(err.msg, words) != NULL, "dict %s: message '%s' lacks '%s'", dict, err.msg, words);
  CHECK(t.data == NULL);
}

static void test_round_trip(void) {
  const qinfer_dtype types[] = {QINFER_DTYPE_FLOAT, QINFER_DTYPE_DOUBLE, QINFER_DTYPE_FLOAT16,
                                QINFER_DTYPE_INT8,  QINFER_DTYPE_UINT8,  QINFER_DTYPE_INT16,
                                QINFER_DTYPE_UINT16, QINFER_DTYPE_INT32, QINFER_DTYPE_UINT32,
                                QINFER_DTYPE_INT64, QINFER_DTYPE_UINT64, QINFER_DTYPE_BOOL};
  const int64_t shapes[][3] = {{2, 3, 4}, {0, 5, 1}, {7, 1, 1}};
  const int ranks[] = {3, 2, 0};
  for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++) {
    for (int si = 0; si < 3; si++) {
      size_t nbytes;
      qi_error err = {0};
      CHECK(qi_host_shape_bytes(types[ti], ranks[si], shapes[si], &nbytes, &err) == QINFER_OK);
      uint8_t data[256];
      for (size_t i = 0; i < nbytes; i++) data[i] = (uint8_t)(types[ti] == QINFER_DTYPE_BOOL ? i & 1 : i * 37 + 11);
      CHECK(qi_npy_write("test_npy_rt.npy", types[ti], ranks[si], shapes[si], data, nbytes, &err) == QINFER_OK);
      qi_host_tensor t;
      qi_status s = qi_npy_read("test_npy_rt.npy", &t, &err);
      CHECK_MSG(s == QINFER_OK, "dtype %d rank %d: %s", types[ti], ranks[si], err.msg);
      if (s != QINFER_OK) continue;
      CHECK(t.dtype == types[ti] && t.rank == ranks[si] && t.nbytes == nbytes);
      for (int d = 0; d < t.rank; d++) CHECK(t.dims[d] == shapes[si][d]);
      CHECK(nbytes == 0 || memcmp(t.data, data, nbytes) == 0);
      qi_host_tensor_free(&t);
    }
  }
  remove("test_npy_rt.npy");
  /* A mismatched byte count is refused before anything is written. */
  qi_error err = {0};
  int64_t dims[1] = {4};
  float v[4] = {0};
  CHECK(qi_npy_write("test_npy_bad.npy", QINFER_DTYPE_FLOAT, 1, dims, v, 12, &err) == QINFER_ERR_INVALID_ARGUMENT);
  CHECK(qi_npy_write("/nonexistent-dir/x.npy", QINFER_DTYPE_FLOAT, 1, dims, v, 16, &err) == QINFER_ERR_IO);
}

static void test_header_format(void) {
  char buf[640];
  size_t len;
  qi_error err = {0};
  int64_t dims[2] = {1, 3};
  CHECK(qi_npy_format_header(QINFER_DTYPE_FLOAT, 2, dims, buf, sizeof buf, &len, &err) == QINFER_OK);
  CHECK(len % 64 == 0 && buf[len - 1] == '\n');
  CHECK(memmem(buf, len, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3), }", 58) != NULL);
  CHECK(qi_npy_format_header(QINFER_DTYPE_INT8, 1, dims, buf, sizeof buf, &len, &err) == QINFER_OK);
  CHECK(memmem(buf, len, "'shape': (1,), }", 16) != NULL);
  CHECK(qi_npy_format_header(QINFER_DTYPE_STRING, 1, dims, buf, sizeof buf, &len, &err) == QINFER_ERR_UNSUPPORTED);
}

static void test_malformed(void) {
  float four[4] = {1, 2, 3, 4};
  qi_host_tensor t;
  qi_error err;
  uint8_t buf[1024];
  size_t n = make_npy(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", four, sizeof four);
  CHECK(parse(buf, n, &t, &err) == QINFER_OK);
  qi_host_tensor_free(&t);

  /* Every proper prefix fails cleanly. */
  int prefix_failures = 0;
  for (size_t len = 0; len < n; len++) {
    uint8_t *copy = malloc(len + 1); /* exact-size heap copy so ASan catches any over-read */
    memcpy(copy, buf, len);
    if (parse(copy, len, &t, &err) != QINFER_OK && t.data == NULL && err.msg[0]) prefix_failures++;
    qi_host_tensor_free(&t);
    free(copy);
  }
  CHECK_MSG(prefix_failures == (int)n, "%d of %zu prefixes failed", prefix_failures, n);

  uint8_t bad[1024];
  memcpy(bad, buf, n);
  bad[1] = 'X';
  CHECK(parse(bad, n, &t, &err) == QINFER_ERR_INVALID_ARGUMENT && strstr(err.msg, "magic"));
  memcpy(bad, buf, n);
  bad[6] = 4;
  CHECK(parse(bad, n, &t, &err) == QINFER_ERR_UNSUPPORTED && strstr(err.msg, "version"));
  memcpy(bad, buf, n);
  bad[8] = 0xff, bad[9] = 0xff; /* header longer than the file */
  CHECK(parse(bad, n, &t, &err) == QINFER_ERR_INVALID_ARGUMENT && strstr(err.msg, "truncated"));

  const char *f4 = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }";
  char dict[256];
  /* Size mismatch: one byte short, one byte long. */
  expect_error("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", four, 15, QINFER_ERR_INVALID_ARGUMENT,
               "size mismatch");
  uint8_t five[17] = {0};
  expect_error("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", five, 17, QINFER_ERR_INVALID_ARGUMENT,
               "size mismatch");
  /* Shapes whose product overflows, dims beyond int64, too many dims, negative dims. */
  snprintf(dict, sizeof dict, f4, "4611686018427387904, 4611686018427387904");
  expect_error(dict, NULL, 0, QINFER_ERR_OUT_OF_MEMORY, "overflow");
  snprintf(dict, sizeof dict, f4, "99999999999999999999,");
  expect_error(dict, NULL, 0, QINFER_ERR_OUT_OF_MEMORY, "overflow");
  snprintf(dict, sizeof dict, f4, "1, 1, 1, 1, 1, 1, 1, 1, 1");
  expect_error(dict, four, 4, QINFER_ERR_UNSUPPORTED, "rank");
  snprintf(dict, sizeof dict, f4, "-1,");
  expect_error(dict, NULL, 0, QINFER_ERR_INVALID_ARGUMENT, "non-integer");
  snprintf(dict, sizeof dict, f4, "2,,");
  expect_error(dict, NULL, 0, QINFER_ERR_INVALID_ARGUMENT, "non-integer");
  /* Layouts and dtypes qinfer refuses, with a message naming the problem. */
  expect_error("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", four, 16, QINFER_ERR_UNSUPPORTED,
               "Fortran");
  expect_error("{'descr': '>f4', 'fortran_order': False, 'shape': (4,), }", four, 16, QINFER_ERR_UNSUPPORTED,
               "big-endian");
  expect_error("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", four, 16, QINFER_ERR_UNSUPPORTED,
               "object");
  expect_error("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", four, 16, QINFER_ERR_UNSUPPORTED,
               "unsupported .npy dtype");
  expect_error("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (4,), }", four, 16,
               QINFER_ERR_UNSUPPORTED, "structured");
  /* Broken dictionaries. */
  expect_error("{'descr': '<f4', 'shape': (4,), }", four, 16, QINFER_ERR_INVALID_ARGUMENT, "missing");
  expect_error("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), 'x': 1}", four, 16,
               QINFER_ERR_INVALID_ARGUMENT, "unexpected key");
  expect_error("{'descr': '<f4', 'fortran_order': False, 'shape': (4,) junk", four, 16, QINFER_ERR_INVALID_ARGUMENT,
               "malformed");
  expect_error("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), } junk", four, 16,
               QINFER_ERR_INVALID_ARGUMENT, "junk");
  expect_error("{'descr' '<f4', 'fortran_order': False, 'shape': (4,), }", four, 16, QINFER_ERR_INVALID_ARGUMENT,
               "malformed");
  /* A key given twice: numpy's last-wins would read another dtype than the first 'descr' announced. */
  expect_error("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), 'descr': '<i4', }", four, 16,
               QINFER_ERR_INVALID_ARGUMENT, "duplicate key 'descr'");
  expect_error("{'descr': '<f4', 'fortran_order': False, 'fortran_order': False, 'shape': (4,), }", four, 16,
               QINFER_ERR_INVALID_ARGUMENT, "duplicate key 'fortran_order'");
  expect_error("{'descr': '<f4', 'shape': (2,), 'fortran_order': False, 'shape': (4,), }", four, 16,
               QINFER_ERR_INVALID_ARGUMENT, "duplicate key 'shape'");
  expect_error("[1, 2]", four, 16, QINFER_ERR_INVALID_ARGUMENT, "no dictionary");
  expect_error("", four, 16, QINFER_ERR_INVALID_ARGUMENT, "no dictionary");

  /* Missing file. */
  CHECK(qi_npy_read("test_npy_does_not_exist.npy", &t, &err) == QINFER_ERR_IO);
  /* Not regular files: a FIFO without a writer is refused at once (its open would block forever), a device that
   * never ends (/dev/zero) is refused rather than read until memory runs out; both name the file. */
  remove("test_npy_fifo.npy");
  CHECK(mkfifo("test_npy_fifo.npy", 0600) == 0);
  CHECK_MSG(qi_npy_read("test_npy_fifo.npy", &t, &err) == QINFER_ERR_IO && strstr(err.msg, "not a regular file") &&
                strstr(err.msg, "test_npy_fifo.npy"),
            "%s", err.msg);
  remove("test_npy_fifo.npy");
  CHECK_MSG(qi_npy_read("/dev/zero", &t, &err) == QINFER_ERR_IO && strstr(err.msg, "'/dev/zero' is not a regular file"),
            "%s", err.msg);
  CHECK(qi_npy_read(".", &t, &err) == QINFER_ERR_IO && strstr(err.msg, "not a regular file"));
}

/* numpy writes, qinfer reads; qinfer writes, numpy reads. */
static void test_numpy_oracle(void) {
  int rc = run_python(
      "import numpy as np\n"
      "a = np.arange(24).reshape(2, 3, 4)\n"
      "for t in ['f4', 'f8', 'f2', 'i1', 'u1', 'i2', 'u2', 'i4', 'u4', 'i8', 'u8', 'b1']:\n"
      "    np.save('test_npy_np_%s.npy' % t, (a % 2 if t == 'b1' else a - (0 if t[0] == 'u' else 5)).astype(t))\n"
      "np.save('test_npy_np_scalar.npy', np.float32(2.5))\n"
      "np.save('test_npy_np_empty.npy', np.zeros((0, 3), np.float32))\n"
      "with open('test_npy_np_v2.npy', 'wb') as f:\n"
      "    np.lib.format.write_array(f, a.astype('f4'), version=(2, 0))\n"
      "np.save('test_npy_np_fortran.npy', np.asfortranarray(a.astype('f4')))\n"
      "np.save('test_npy_np_big.npy', a.astype('>f4'))\n"
      "np.save('test_npy_np_object.npy', np.array([1, 'x'], dtype=object), allow_pickle=True)\n");
  if (rc != 0) {
    printf("SKIP numpy oracle: '%s' with numpy is not available\n", python());
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
    char path[64];
    snprintf(path, sizeof path, "test_npy_np_%s.npy", cases[c].suffix);
    qi_host_tensor t;
    qi_error err = {0};
    qi_status s = qi_npy_read(path, &t, &err);
    CHECK_MSG(s == QINFER_OK, "%s: %s", path, err.msg);
    remove(path);
    if (s != QINFER_OK) continue;
    CHECK(t.dtype == cases[c].dtype && t.rank == 3 && t.dims[0] == 2 && t.dims[1] == 3 && t.dims[2] == 4);
    const uint8_t *b = t.data;
    switch (t.dtype) {
      case QINFER_DTYPE_FLOAT: CHECK(((float *)t.data)[23] == 18.0f && ((float *)t.data)[0] == -5.0f); break;
      case QINFER_DTYPE_DOUBLE: CHECK(((double *)t.data)[23] == 18.0); break;
      case QINFER_DTYPE_FLOAT16: CHECK(b[46] == 0x80 && b[47] == 0x4c); break; /* 18.0 = 0x4c80 */
      case QINFER_DTYPE_INT8: CHECK(((int8_t *)t.data)[0] == -5 && ((int8_t *)t.data)[23] == 18); break;
      case QINFER_DTYPE_INT64: CHECK(((int64_t *)t.data)[0] == -5 && ((int64_t *)t.data)[23] == 18); break;
      case QINFER_DTYPE_UINT64: CHECK(((uint64_t *)t.data)[23] == 23); break;
      case QINFER_DTYPE_BOOL: CHECK(b[0] == 0 && b[1] == 1 && b[23] == 1); break;
      default: CHECK(b[0] == (t.dtype == QINFER_DTYPE_UINT8 || t.dtype == QINFER_DTYPE_UINT16 ||
                              t.dtype == QINFER_DTYPE_UINT32 ? 0 : 0xfb));
    }
    qi_host_tensor_free(&t);
  }

  qi_host_tensor t;
  qi_error err = {0};
  CHECK(qi_npy_read("test_npy_np_scalar.npy", &t, &err) == QINFER_OK && t.rank == 0 && t.nbytes == 4 &&
        *(float *)t.data == 2.5f);
  qi_host_tensor_free(&t);
  CHECK(qi_npy_read("test_npy_np_empty.npy", &t, &err) == QINFER_OK && t.rank == 2 && t.dims[0] == 0 &&
        t.dims[1] == 3 && t.nbytes == 0);
  qi_host_tensor_free(&t);
  CHECK_MSG(qi_npy_read("test_npy_np_v2.npy", &t, &err) == QINFER_OK && t.nbytes == 96 &&
                ((float *)t.data)[5] == 5.0f, "v2: %s", err.msg);
  qi_host_tensor_free(&t);
  CHECK(qi_npy_read("test_npy_np_fortran.npy", &t, &err) == QINFER_ERR_UNSUPPORTED && strstr(err.msg, "Fortran"));
  CHECK(qi_npy_read("test_npy_np_big.npy", &t, &err) == QINFER_ERR_UNSUPPORTED && strstr(err.msg, "big-endian"));
  CHECK(qi_npy_read("test_npy_np_object.npy", &t, &err) == QINFER_ERR_UNSUPPORTED && strstr(err.msg, "object"));
  /* Errors from files name the file. */
  CHECK(strstr(err.msg, "test_npy_np_object.npy") != NULL);
  remove("test_npy_np_scalar.npy");
  remove("test_npy_np_empty.npy");
  remove("test_npy_np_v2.npy");
  remove("test_npy_np_fortran.npy");
  remove("test_npy_np_big.npy");
  remove("test_npy_np_object.npy");

  /* qinfer writes; numpy must read back the same values and shapes. */
  float f[6] = {-1.5f, 0, 1, 2, 3, 1e30f};
  int64_t dims[2] = {2, 3};
  CHECK(qi_npy_write("test_npy_q_f4.npy", QINFER_DTYPE_FLOAT, 2, dims, f, sizeof f, &err) == QINFER_OK);
  int64_t i64[3] = {-7, 0, INT64_MAX};
  CHECK(qi_npy_write("test_npy_q_i8.npy", QINFER_DTYPE_INT64, 1, dims + 1, i64, sizeof i64, &err) == QINFER_OK);
  uint8_t u8 = 200;
  CHECK(qi_npy_write("test_npy_q_u1.npy", QINFER_DTYPE_UINT8, 0, NULL, &u8, 1, &err) == QINFER_OK);
  rc = run_python(
      "import numpy as np, sys\n"
      "a = np.load('test_npy_q_f4.npy'); b = np.load('test_npy_q_i8.npy'); c = np.load('test_npy_q_u1.npy')\n"
      "ok = a.dtype == np.float32 and a.shape == (2, 3) and a.tolist() == [[-1.5, 0, 1], [2, 3, np.float32(1e30)]]\n"
      "ok = ok and b.dtype == np.int64 and b.tolist() == [-7, 0, 2**63 - 1]\n"
      "ok = ok and c.dtype == np.uint8 and c.shape == () and int(c) == 200\n"
      "sys.exit(0 if ok else 1)\n");
  CHECK_MSG(rc == 0, "numpy did not read back what qinfer wrote");
  remove("test_npy_q_f4.npy");
  remove("test_npy_q_i8.npy");
  remove("test_npy_q_u1.npy");
}

int main(void) {
  test_round_trip();
  test_header_format();
  test_malformed();
  test_numpy_oracle();
  return TEST_SUMMARY();
}
