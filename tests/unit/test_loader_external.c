/* ONNX loader, external data: tensors stored in files inside the model folder load (mapped once, in place when
 * aligned); every way out of the folder (absolute path, "..", symbolic link, hard link) and every offset/length
 * outside the file is refused. Also qi_map_file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader/onnx_loader.h"
#include "test_loader_enc.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

static char root[64], dir[128];

static void path_in(char *out, size_t cap, const char *base, const char *name) { snprintf(out, cap, "%s/%s", base, name); }

static void write_file(const char *base, const char *name, const void *data, size_t n) {
  char p[256];
  path_in(p, sizeof p, base, name);
  FILE *f = fopen(p, "wb");
  if (!f) abort();
  if (n) fwrite(data, 1, n, f);
  fclose(f);
}

static float weights[16];

static void setup(void) {
  for (int i = 0; i < 16; i++) weights[i] = (float)i;
  snprintf(root, sizeof root, "/tmp/qi_loader_ext_XXXXXX");
  if (!mkdtemp(root)) abort();
  path_in(dir, sizeof dir, root, "model");
  char p[256], q[256];
  mkdir(dir, 0700);
  path_in(p, sizeof p, dir, "sub");
  mkdir(p, 0700);
  write_file(dir, "weights.bin", weights, sizeof weights);
  write_file(dir, "sub/w2.bin", weights, 8);
  write_file(dir, "empty.bin", NULL, 0);
  write_file(root, "outside.bin", weights, sizeof weights);
  path_in(p, sizeof p, dir, "link_out.bin");
  CHECK(symlink("../outside.bin", p) == 0);
  path_in(p, sizeof p, dir, "link_in.bin");
  CHECK(symlink("weights.bin", p) == 0);
  path_in(p, sizeof p, root, "outside.bin");
  path_in(q, sizeof q, dir, "hard.bin");
  CHECK(link(p, q) == 0);
  path_in(p, sizeof p, dir, "fifo.bin");
  CHECK(mkfifo(p, 0600) == 0);
}

static void teardown(void) {
  const char *files[] = {"weights.bin", "sub/w2.bin", "empty.bin", "link_out.bin", "link_in.bin", "hard.bin", "fifo.bin"};
  char p[256];
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    path_in(p, sizeof p, dir, files[i]);
    unlink(p);
  }
  path_in(p, sizeof p, dir, "sub");
  rmdir(p);
  rmdir(dir);
  path_in(p, sizeof p, root, "outside.bin");
  unlink(p);
  rmdir(root);
}

/* An initializer of n floats stored externally (offset/length NULL: not given). */
static void enc_ext_init(pbw *g, const char *name, const char *location, const char *offset, const char *length,
                         int64_t n) {
  pbw t = {0}, kv;
  enc_tensor_head(&t, name, 1, &n, 1);
  const char *keys[] = {"location", "offset", "length"}, *vals[] = {location, offset, length};
  for (int k = 0; k < 3; k++) {
    if (!vals[k]) continue;
    kv = (pbw){0};
    pbw_str(&kv, 1, keys[k]);
    pbw_str(&kv, 2, vals[k]);
    pbw_msg(&t, T_EXTERNAL, &kv);
  }
  pbw_int(&t, T_LOCATION, 1);
  pbw_msg(g, G_INIT, &t);
}

/* Model computing y = Relu(W) with W external. */
static void ext_model(pbw *m, const char *location, const char *offset, const char *length, int64_t n) {
  pbw g = {0};
  enc_ext_init(&g, "W", location, offset, length, n);
  const char *in[] = {"W"}, *out[] = {"y"};
  enc_node(&g, "Relu", "r", NULL, in, 1, out, 1, NULL);
  enc_value_info(&g, G_OUTPUT, "y", 1, &n, NULL, 1);
  enc_model17(m, &g);
}

static qi_status load(pbw *m, const char *base, qi_graph **g, qi_error *err) {
  qi_status s = qi_onnx_load(m->p, m->n, base, g, err);
  pbw_free(m);
  return s;
}

static bool inside_mapping(const qi_graph *g, const void *p, size_t n) {
  for (int i = 0; i < g->n_mappings; i++) {
    const uint8_t *a = g->mappings[i].addr;
    if ((const uint8_t *)p >= a && (const uint8_t *)p + n <= a + g->mappings[i].len) return true;
  }
  return false;
}

static void check_ok(void) {
  pbw m = {0};
  qi_graph *g = NULL;
  qi_error err = {0};
  ext_model(&m, "weights.bin", "16", "24", 6);
  CHECK_MSG(load(&m, dir, &g, &err) == QINFER_OK, "%s", err.msg);
  if (g) {
    const qi_tensor *w = &g->tensors[qi_graph_find_tensor(g, "W")];
    CHECK(w->nbytes == 24 && ((const float *)w->data)[0] == 4.f && ((const float *)w->data)[5] == 9.f);
    CHECK(!(w->flags & QI_TF_OWNED) && g->n_mappings == 1 && inside_mapping(g, w->data, w->nbytes));
  }
  qi_graph_free(g);

  /* unaligned offset: copied once into an aligned owned buffer */
  g = NULL;
  ext_model(&m, "weights.bin", "2", "8", 2);
  CHECK_MSG(load(&m, dir, &g, &err) == QINFER_OK, "%s", err.msg);
  if (g) {
    const qi_tensor *w = &g->tensors[qi_graph_find_tensor(g, "W")];
    float expect[2];
    memcpy(expect, (const uint8_t *)weights + 2, 8);
    CHECK((w->flags & QI_TF_OWNED) && (uintptr_t)w->data % 4 == 0 && memcmp(w->data, expect, 8) == 0);
  }
  qi_graph_free(g);

  /* no offset / length; a subfolder; a symbolic link that stays inside; the same file twice: one mapping */
  const char *locs[] = {"weights.bin", "sub/w2.bin", "link_in.bin", "./weights.bin"};
  const int64_t counts[] = {16, 2, 16, 16};
  for (int k = 0; k < 4; k++) {
    g = NULL;
    ext_model(&m, locs[k], NULL, NULL, counts[k]);
    CHECK_MSG(load(&m, dir, &g, &err) == QINFER_OK, "%s: %s", locs[k], err.msg);
    if (g) CHECK(((const float *)g->tensors[0].data)[1] == 1.f);
    qi_graph_free(g);
  }
  pbw gr = {0};
  enc_ext_init(&gr, "A", "weights.bin", "0", "16", 4);
  enc_ext_init(&gr, "B", "weights.bin", "32", "16", 4);
  enc_ext_init(&gr, "C", "sub/w2.bin", NULL, NULL, 2);
  const char *in[] = {"A", "B", "C"}, *out[] = {"y"};
  enc_node(&gr, "Sum", "s", NULL, in, 3, out, 1, NULL);
  const int64_t d4[] = {4};
  enc_value_info(&gr, G_OUTPUT, "y", 1, d4, NULL, 1);
  enc_model17(&m, &gr);
  g = NULL;
  CHECK_MSG(load(&m, dir, &g, &err) == QINFER_OK, "%s", err.msg);
  if (g) {
    CHECK(g->n_mappings == 2);
    CHECK(((const float *)g->tensors[qi_graph_find_tensor(g, "B")].data)[0] == 8.f);
  }
  qi_graph_free(g);
}

#define EXPECT_EXT(loc, off, len, n, base, want, needle)                                                      \
  do {                                                                                                        \
    pbw m_ = {0};                                                                                             \
    qi_graph *g_ = NULL;                                                                                      \
    qi_error e_ = {0};                                                                                        \
    ext_model(&m_, loc, off, len, n);                                                                         \
    qi_status s_ = load(&m_, base, &g_, &e_);                                                                 \
    CHECK_MSG(s_ == (want) && !g_ && strstr(e_.msg, needle), "%s: status %d, '%s' (want '%s')", loc, (int)s_, \
              e_.msg, needle);                                                                                \
    qi_graph_free(g_);                                                                                        \
  } while (0)

static void check_refused(void) {
  char abs_path[256];
  path_in(abs_path, sizeof abs_path, dir, "weights.bin");
  EXPECT_EXT(abs_path, NULL, NULL, 16, dir, QINFER_ERR_INVALID_MODEL, "absolute");
  EXPECT_EXT("../outside.bin", NULL, NULL, 16, dir, QINFER_ERR_INVALID_MODEL, "'..'");
  EXPECT_EXT("sub/../weights.bin", NULL, NULL, 16, dir, QINFER_ERR_INVALID_MODEL, "'..'");
  EXPECT_EXT("sub/..", NULL, NULL, 16, dir, QINFER_ERR_INVALID_MODEL, "'..'");
  EXPECT_EXT("link_out.bin", NULL, NULL, 16, dir, QINFER_ERR_INVALID_MODEL, "outside the model folder");
  EXPECT_EXT("hard.bin", NULL, NULL, 16, dir, QINFER_ERR_INVALID_MODEL, "hard-linked");
  EXPECT_EXT("weights.bin", "60", "8", 2, dir, QINFER_ERR_INVALID_MODEL, "lies outside");
  EXPECT_EXT("weights.bin", "100", "0", 0, dir, QINFER_ERR_INVALID_MODEL, "lies outside");
  EXPECT_EXT("weights.bin", "18446744073709551615", "8", 2, dir, QINFER_ERR_INVALID_MODEL, "not a number");
  EXPECT_EXT("weights.bin", "9223372036854775807", "8", 2, dir, QINFER_ERR_INVALID_MODEL, "lies outside");
  EXPECT_EXT("weights.bin", NULL, NULL, 17, dir, QINFER_ERR_INVALID_MODEL, "lies outside");
  EXPECT_EXT("weights.bin", "0", "8", 6, dir, QINFER_ERR_INVALID_MODEL, "length 8");
  EXPECT_EXT("weights.bin", "-1", "8", 2, dir, QINFER_ERR_INVALID_MODEL, "not a number");
  EXPECT_EXT("weights.bin", "0x10", "8", 2, dir, QINFER_ERR_INVALID_MODEL, "not a number");
  EXPECT_EXT("weights.bin", "", "8", 2, dir, QINFER_ERR_INVALID_MODEL, "not a number");
  EXPECT_EXT("", NULL, NULL, 2, dir, QINFER_ERR_INVALID_MODEL, "empty external data location");
  EXPECT_EXT("missing.bin", NULL, NULL, 2, dir, QINFER_ERR_IO, "missing.bin");
  EXPECT_EXT("empty.bin", NULL, NULL, 0, dir, QINFER_ERR_IO, "empty");
  EXPECT_EXT("sub", NULL, NULL, 2, dir, QINFER_ERR_IO, "not a regular file");
  /* a FIFO no one writes: refused at once, not waited on (its blocking open would hang the load) */
  EXPECT_EXT("fifo.bin", NULL, NULL, 2, dir, QINFER_ERR_IO, "not a regular file");
  EXPECT_EXT("fifo.bin", NULL, NULL, 2, dir, QINFER_ERR_IO, "external data file 'fifo.bin'");
  EXPECT_EXT("weights.bin", NULL, NULL, 16, NULL, QINFER_ERR_INVALID_MODEL, "without a base folder");
  char missing_dir[256];
  path_in(missing_dir, sizeof missing_dir, root, "nope");
  EXPECT_EXT("weights.bin", NULL, NULL, 16, missing_dir, QINFER_ERR_IO, "model folder");
  /* a location with a NUL byte, and no location at all */
  pbw g = {0}, t = {0}, kv = {0}, m = {0};
  const int64_t n2 = 2;
  enc_tensor_head(&t, "W", 1, &n2, 1);
  pbw_str(&kv, 1, "location");
  pbw_bytes(&kv, 2, "weights.bin\0x", 13);
  pbw_msg(&t, T_EXTERNAL, &kv);
  pbw_int(&t, T_LOCATION, 1);
  pbw_msg(&g, G_INIT, &t);
  enc_value_info(&g, G_OUTPUT, "W", 1, &n2, NULL, 1);
  enc_model17(&m, &g);
  qi_graph *gr = NULL;
  qi_error err = {0};
  CHECK(load(&m, dir, &gr, &err) == QINFER_ERR_INVALID_MODEL && strstr(err.msg, "NUL"));
  g = (pbw){0};
  t = (pbw){0};
  enc_tensor_head(&t, "W", 1, &n2, 1);
  pbw_int(&t, T_LOCATION, 1);
  pbw_msg(&g, G_INIT, &t);
  enc_value_info(&g, G_OUTPUT, "W", 1, &n2, NULL, 1);
  enc_model17(&m, &g);
  CHECK(load(&m, dir, &gr, &err) == QINFER_ERR_INVALID_MODEL && strstr(err.msg, "without a location"));
}

static void check_map_file(void) {
  char p[256];
  void *addr = NULL;
  size_t len = 0;
  qi_error err = {0};
  path_in(p, sizeof p, dir, "weights.bin");
  CHECK(qi_map_file(p, &addr, &len, &err) == QINFER_OK && len == sizeof weights &&
        memcmp(addr, weights, len) == 0);
  if (addr) munmap(addr, len);
  path_in(p, sizeof p, dir, "empty.bin");
  CHECK(qi_map_file(p, &addr, &len, &err) == QINFER_ERR_IO && strstr(err.msg, "empty"));
  path_in(p, sizeof p, dir, "missing.bin");
  CHECK(qi_map_file(p, &addr, &len, &err) == QINFER_ERR_IO);
  CHECK(qi_map_file(dir, &addr, &len, &err) == QINFER_ERR_IO);
  path_in(p, sizeof p, dir, "fifo.bin"); /* the model path itself a FIFO: refused, not waited on */
  CHECK_MSG(qi_map_file(p, &addr, &len, &err) == QINFER_ERR_IO && strstr(err.msg, "not a regular file") &&
                strstr(err.msg, "fifo.bin"),
            "%s", err.msg);
  CHECK(qi_map_file("/dev/zero", &addr, &len, &err) == QINFER_ERR_IO && strstr(err.msg, "not a regular file"));
}

int main(void) {
  setup();
  check_ok();
  check_refused();
  check_map_file();
  teardown();
  return TEST_SUMMARY();
}
