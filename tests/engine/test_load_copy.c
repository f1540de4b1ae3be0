/* qinfer_model_load_file_ex(QINFER_LOAD_READ_INTO_MEMORY): a model read into memory keeps giving its original
 * outputs when its file (or its external data file) is rewritten with other bytes of the same size or truncated
 * after the load and after a session was created; and the error paths of the call.
 *
 * usage: test_load_copy MODELS_DIR [--mapped]
 * MODELS_DIR holds add_const.onnx and add_const_ext.onnx / .data (tests/engine/make_models.py): y = x + c with c
 * all 1.0, used in place, and small_cnn.onnx. --mapped runs only the rewrite case on a mapped load (flags 0): the rewrite then changes
 * the outputs (c becomes 7.0), so that run fails; ctest expects it to (engine.load_mapped_sees_rewrite). */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qinfer.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

static char models[900];
static char tmp[900];

static const char *path_in(const char *folder, const char *name) {
  static char p[2][1024];
  static int k;
  k ^= 1;
  snprintf(p[k], sizeof p[k], "%s/%s", folder, name);
  return p[k];
}

static bool copy_file(const char *from, const char *to) {
  FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
  bool ok = in && out;
  char buf[4096];
  size_t n;
  while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0) ok = fwrite(buf, 1, n, out) == n;
  if (in) fclose(in);
  if (out && fclose(out) != 0) ok = false;
  return ok;
}

/* Rewrites, in place and without changing the file's size, every float 1.0 of c (eight in a row) with 7.0. */
static bool rewrite_ones(const char *path) {
  int fd = open(path, O_RDWR);
  if (fd < 0) return false;
  struct stat st;
  bool ok = fstat(fd, &st) == 0 && st.st_size > 0;
  size_t n = ok ? (size_t)st.st_size : 0;
  unsigned char *b = ok ? malloc(n) : NULL;
  ok = b && pread(fd, b, n, 0) == (ssize_t)n;
  float ones[8], sevens[8];
  for (int i = 0; i < 8; i++) ones[i] = 1.0f, sevens[i] = 7.0f;
  bool found = false;
  for (size_t at = 0; ok && at + sizeof ones <= n; at++)
    if (!memcmp(b + at, ones, sizeof ones)) {
      ok = pwrite(fd, sevens, sizeof sevens, (off_t)at) == (ssize_t)sizeof sevens;
      found = true;
    }
  free(b);
  close(fd);
  return ok && found;
}

/* Runs y = x + c and checks y == x + 1 (the weights as loaded). */
static bool gives_original(qinfer_session *s, const char *what) {
  float x[8], want[8];
  for (int i = 0; i < 8; i++) x[i] = (float)i * 0.5f, want[i] = x[i] + 1.0f;
  const void *y = NULL;
  size_t bytes = 0;
  bool ok = qinfer_session_set_input(s, 0, x, sizeof x) == QINFER_OK && qinfer_session_run(s) == QINFER_OK &&
            qinfer_session_get_output(s, 0, &y, &bytes) == QINFER_OK && bytes == sizeof want;
  CHECK_MSG(ok, "%s: run failed: %s", what, qinfer_session_last_error(s));
  if (!ok) return false;
  CHECK_MSG(!memcmp(y, want, sizeof want), "%s: y[0] = %g, want %g (the file's new bytes were used)", what,
            (double)((const float *)y)[0], (double)want[0]);
  return !memcmp(y, want, sizeof want);
}

/* Loads `name` copied into the temp folder with flags, creates a session, applies change to the file named
 * `changed` (copied too), creates a second session, and checks that both give the original outputs. */
static void check_change(const char *name, const char *changed, unsigned flags, const char *change) {
  char what[256];
  snprintf(what, sizeof what, "%s, %s %s (flags %u)", name, change, changed, flags);
  qinfer_model *m = NULL;
  qinfer_session *s1 = NULL, *s2 = NULL;
  CHECK_MSG(qinfer_model_load_file_ex(path_in(tmp, name), flags, &m) == QINFER_OK, "%s: %s", what,
            qinfer_last_error());
  if (!m) return;
  CHECK(qinfer_session_create(m, NULL, &s1) == QINFER_OK);
  if (!strcmp(change, "truncate"))
    CHECK(truncate(path_in(tmp, changed), 0) == 0);
  else
    CHECK(rewrite_ones(path_in(tmp, changed)));
  CHECK(qinfer_session_create(m, NULL, &s2) == QINFER_OK);
  if (s1) gives_original(s1, what);
  if (s2) gives_original(s2, what);
  qinfer_session_destroy(s1);
  qinfer_session_destroy(s2);
  qinfer_model_destroy(m);
}

static void fresh_copies(void) {
  static const char *const files[] = {"add_const.onnx", "add_const_ext.onnx", "add_const_ext.data"};
  for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
    unlink(path_in(tmp, files[i]));
    CHECK(copy_file(path_in(models, files[i]), path_in(tmp, files[i])));
  }
}

static void test_changes_after_load(void) {
  const unsigned copy = QINFER_LOAD_READ_INTO_MEMORY;
  fresh_copies();
  check_change("add_const.onnx", "add_const.onnx", copy, "rewrite");
  fresh_copies();
  check_change("add_const.onnx", "add_const.onnx", copy, "truncate");
  fresh_copies();
  check_change("add_const_ext.onnx", "add_const_ext.data", copy, "rewrite");
  fresh_copies();
  check_change("add_const_ext.onnx", "add_const_ext.data", copy, "truncate");
  fresh_copies();
  check_change("add_const_ext.onnx", "add_const_ext.onnx", copy, "truncate");
}

/* A session whose every constant input was packed by its kernels or folded reads nothing from the file mapping
 * when it runs: truncating the file of a mapped model after the session was created leaves its runs as they were
 * (documented in docs/loader.md). small_cnn: Conv, Gemm, a folded BatchNormalization; convt_bias: ConvTranspose
 * whose bias lies in place in the file. A regression here is a SIGBUS, not a wrong number. */
static void check_packed_session_leaves_the_mapping(const char *model, size_t in_floats, size_t out_floats) {
  unlink(path_in(tmp, model));
  CHECK(copy_file(path_in(models, model), path_in(tmp, model)));
  qinfer_model *m = NULL;
  qinfer_session_options *o = NULL;
  qinfer_session *s = NULL;
  CHECK(qinfer_model_load_file(path_in(tmp, model), &m) == QINFER_OK);
  CHECK(qinfer_session_options_create(&o) == QINFER_OK && qinfer_session_options_set_dim(o, "N", 1) == QINFER_OK);
  CHECK(m && qinfer_session_create(m, o, &s) == QINFER_OK);
  float *x = calloc(in_floats, sizeof *x), *before = calloc(out_floats, sizeof *before);
  float *after = calloc(out_floats, sizeof *after);
  const size_t in_bytes = in_floats * sizeof *x, out_bytes = out_floats * sizeof(float);
  if (s && x && before && after) {
    for (size_t i = 0; i < in_floats; i++) x[i] = (float)((i * 7919u) % 200u) / 100.0f - 1.0f;
    const void *y = NULL;
    size_t bytes = 0;
    CHECK(qinfer_session_set_input(s, 0, x, in_bytes) == QINFER_OK && qinfer_session_run(s) == QINFER_OK &&
          qinfer_session_get_output(s, 0, &y, &bytes) == QINFER_OK && bytes == out_bytes);
    if (y && bytes == out_bytes) memcpy(before, y, out_bytes);
    CHECK(truncate(path_in(tmp, model), 0) == 0);
    CHECK(qinfer_session_set_input(s, 0, x, in_bytes) == QINFER_OK && qinfer_session_run(s) == QINFER_OK &&
          qinfer_session_get_output(s, 0, &y, &bytes) == QINFER_OK && bytes == out_bytes);
    if (y && bytes == out_bytes) memcpy(after, y, out_bytes);
    CHECK(!memcmp(before, after, out_bytes));
  }
  free(x);
  free(before);
  free(after);
  qinfer_session_destroy(s);
  qinfer_session_options_destroy(o);
  qinfer_model_destroy(m);
  unlink(path_in(tmp, model));
}

static void test_packed_session_leaves_the_mapping(void) {
  check_packed_session_leaves_the_mapping("small_cnn.onnx", 3 * 16 * 16, 10);
  check_packed_session_leaves_the_mapping("convt_bias.onnx", 4 * 5 * 5, 3 * 11 * 11);
}

static void test_errors(void) {
  qinfer_model *m = (qinfer_model *)&m;
  CHECK(qinfer_model_load_file_ex(NULL, QINFER_LOAD_READ_INTO_MEMORY, &m) == QINFER_ERR_INVALID_ARGUMENT);
  CHECK(qinfer_model_load_file_ex(path_in(models, "add_const.onnx"), QINFER_LOAD_READ_INTO_MEMORY, NULL) ==
        QINFER_ERR_INVALID_ARGUMENT);
  m = (qinfer_model *)&m;
  CHECK(qinfer_model_load_file_ex(path_in(models, "add_const.onnx"), 0x80u, &m) == QINFER_ERR_INVALID_ARGUMENT &&
        m == NULL);
  CHECK_MSG(strstr(qinfer_last_error(), "flags") != NULL, "message: %s", qinfer_last_error());
  m = (qinfer_model *)&m;
  CHECK(qinfer_model_load_file_ex(path_in(tmp, "does_not_exist.onnx"), QINFER_LOAD_READ_INTO_MEMORY, &m) ==
            QINFER_ERR_IO &&
        m == NULL);
  const char *fifo = path_in(tmp, "fifo.onnx");
  CHECK(mkfifo(fifo, 0600) == 0);
  m = (qinfer_model *)&m;
  CHECK(qinfer_model_load_file_ex(fifo, QINFER_LOAD_READ_INTO_MEMORY, &m) == QINFER_ERR_IO && m == NULL);
  CHECK_MSG(strstr(qinfer_last_error(), "regular file") != NULL, "message: %s", qinfer_last_error());
  unlink(fifo);
  CHECK(qinfer_model_load_file_ex(tmp, QINFER_LOAD_READ_INTO_MEMORY, &m) == QINFER_ERR_IO && m == NULL);
  const char *empty = path_in(tmp, "empty.onnx");
  FILE *f = fopen(empty, "wb");
  CHECK(f != NULL);
  if (f) fclose(f);
  CHECK(qinfer_model_load_file_ex(empty, QINFER_LOAD_READ_INTO_MEMORY, &m) == QINFER_ERR_IO && m == NULL);
  unlink(empty);
  /* external data read into memory is checked as when mapped: a missing file is an error at load */
  fresh_copies();
  unlink(path_in(tmp, "add_const_ext.data"));
  CHECK(qinfer_model_load_file_ex(path_in(tmp, "add_const_ext.onnx"), QINFER_LOAD_READ_INTO_MEMORY, &m) ==
            QINFER_ERR_IO &&
        m == NULL);
  /* flags 0 is qinfer_model_load_file */
  CHECK(qinfer_model_load_file_ex(path_in(models, "add_const.onnx"), QINFER_LOAD_DEFAULT, &m) == QINFER_OK);
  qinfer_model_destroy(m);
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "--mapped")))
    return fprintf(stderr, "usage: %s MODELS_DIR [--mapped]\n", argv[0]), 2;
  snprintf(models, sizeof models, "%s", argv[1]);
  const char *base = getenv("TMPDIR");
  snprintf(tmp, sizeof tmp, "%s/qinfer_load_copy_XXXXXX", base && *base ? base : "/tmp");
  if (!mkdtemp(tmp)) return perror("mkdtemp"), 1;
  if (argc == 3) {
    fresh_copies();
    check_change("add_const.onnx", "add_const.onnx", QINFER_LOAD_DEFAULT, "rewrite");
  } else {
    test_changes_after_load();
    test_packed_session_leaves_the_mapping();
    test_errors();
  }
  static const char *const files[] = {"add_const.onnx", "add_const_ext.onnx", "add_const_ext.data"};
  for (size_t i = 0; i < sizeof files / sizeof *files; i++) unlink(path_in(tmp, files[i]));
  rmdir(tmp);
  return TEST_SUMMARY();
}
