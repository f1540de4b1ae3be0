/* Test driver for engine/quant/image (tests/image/image_tests.py runs it and checks what it writes):
 *
 *   image_tool decode OUTDIR FILE...          each FILE decoded to OUTDIR/<name>.npy (uint8 [H,W,3]); prints
 *                                             "ok NAME HxW" or "error NAME: MESSAGE" per file
 *   image_tool preprocess OUT.npy FILE DIMS [OPTION...]
 *                                             FILE preprocessed for a model input of dims DIMS ("1,3,-1,-1",
 *                                             negative = symbolic) with qinfer's preprocessing options;
 *                                             writes one float32 sample with batch 1
 *   image_tool fuzz SEED COUNT FILE...        in process: every truncation of each FILE (each must fail) and
 *                                             COUNT seeded random corruptions (any result but a crash)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/quant/image/image.h"
#include "engine/quant/image/preprocess.h"
#include "engine/quant/io/npy.h"
#include "engine/quant/job.h"
#include "tools/cli_image.h"

static const char *base_name(const char *path) {
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

static int cmd_decode(int argc, char **argv) {
  int failures = 0;
  for (int i = 1; i < argc; i++) {
    qi_image img;
    char err[512];
    if (qi_image_load(argv[i], &img, err, sizeof err)) {
      printf("error %s: %s\n", base_name(argv[i]), err);
      failures++;
      continue;
    }
    char out[4096];
    snprintf(out, sizeof out, "%s/%s.npy", argv[0], base_name(argv[i]));
    int64_t dims[3] = {img.height, img.width, 3};
    qi_error e = {0};
    if (qi_npy_write(out, QINFER_DTYPE_UINT8, 3, dims, img.rgb, (size_t)img.width * img.height * 3, &e) != QINFER_OK) {
      fprintf(stderr, "image_tool: %s\n", e.msg);
      qi_image_free(&img);
      return 2;
    }
    printf("ok %s %dx%d\n", base_name(argv[i]), img.width, img.height);
    qi_image_free(&img);
  }
  return failures ? 1 : 0;
}

static int cmd_preprocess(int argc, char **argv) {
  if (argc < 3) return fprintf(stderr, "usage: image_tool preprocess OUT.npy FILE DIMS [OPTION...]\n"), 2;
  int64_t model[4];
  if (sscanf(argv[2], "%lld,%lld,%lld,%lld", (long long *)&model[0], (long long *)&model[1], (long long *)&model[2],
             (long long *)&model[3]) != 4)
    return fprintf(stderr, "image_tool: bad DIMS '%s'\n", argv[2]), 2;
  /* the options as `qinfer quantize` parses them, into the quantizer options' preprocessing */
  qi_cli_image_args args = {0};
  if (qinfer_quant_options_create(&args.options) != QINFER_OK) return fprintf(stderr, "image_tool: out of memory\n"), 2;
  char err[512];
  for (int i = 3; i < argc; i++) {
    int m = qi_cli_image_arg(&args, argc, argv, &i, err, sizeof err);
    if (m <= 0) qinfer_quant_options_destroy(args.options);
    if (m < 0) return printf("option error: %s\n", err), 1;
    if (m == 0) return printf("option error: unknown option '%s'\n", argv[i]), 1;
  }
  const qi_preprocess p = args.options->pre;
  qinfer_quant_options_destroy(args.options);
  int64_t dims[4];
  qi_layout layout;
  if (qi_preprocess_shape(&p, 4, model, 0, 0, dims, &layout, err, sizeof err)) /* no image size: H, W must be set */
    return printf("shape error: %s\n", err), 1;
  dims[0] = 1;
  int h = (int)(layout == QI_LAYOUT_NCHW ? dims[2] : dims[1]), w = (int)(layout == QI_LAYOUT_NCHW ? dims[3] : dims[2]);
  size_t n = (size_t)h * (size_t)w * 3;
  float *out = malloc(n * sizeof *out);
  int rc = !out || qi_preprocess_file(&p, argv[1], h, w, layout, out, err, sizeof err);
  if (rc) {
    free(out);
    return printf("preprocess error: %s\n", out ? err : "out of memory"), 1;
  }
  qi_error e = {0};
  rc = qi_npy_write(argv[0], QINFER_DTYPE_FLOAT, 4, dims, out, n * sizeof *out, &e) != QINFER_OK;
  free(out);
  if (rc) return fprintf(stderr, "image_tool: %s\n", e.msg), 2;
  printf("ok [%lld,%lld,%lld,%lld] %s\n", (long long)dims[0], (long long)dims[1], (long long)dims[2],
         (long long)dims[3], layout == QI_LAYOUT_NCHW ? "nchw" : "nhwc");
  return 0;
}

static uint64_t next(uint64_t *s) { /* xorshift64* */
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 0x2545f4914f6cdd1dull;
}

/* Recomputes every PNG chunk CRC, so that corruptions reach the decompression and filtering code. */
static void fix_png_crcs(uint8_t *p, size_t n) {
  for (size_t pos = 8; n - pos >= 12;) {
    size_t len = (size_t)p[pos] << 24 | (size_t)p[pos + 1] << 16 | (size_t)p[pos + 2] << 8 | p[pos + 3];
    if (len > n - pos - 12) return;
    uint32_t c = 0xffffffffu;
    for (size_t i = pos + 4; i < pos + 8 + len; i++) {
      c ^= p[i];
      for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
    }
    c ^= 0xffffffffu;
    for (int k = 0; k < 4; k++) p[pos + 8 + len + (size_t)k] = (uint8_t)(c >> (24 - 8 * k));
    pos += len + 12;
  }
}

static int cmd_fuzz(int argc, char **argv) {
  if (argc < 3) return fprintf(stderr, "usage: image_tool fuzz SEED COUNT FILE...\n"), 2;
  uint64_t seed = strtoull(argv[0], NULL, 10) * 2654435761u + 1;
  long count = strtol(argv[1], NULL, 10);
  int bad = 0;
  for (int f = 2; f < argc; f++) {
    FILE *fp = fopen(argv[f], "rb");
    if (!fp) return fprintf(stderr, "image_tool: cannot open %s\n", argv[f]), 2;
    static uint8_t data[1 << 20];
    size_t n = fread(data, 1, sizeof data, fp);
    fclose(fp);
    uint8_t *buf = malloc(n);
    qi_image img;
    char err[512];
    if (!buf || qi_image_decode(data, n, &img, err, sizeof err)) {
      fprintf(stderr, "image_tool: %s does not decode: %s\n", argv[f], buf ? err : "out of memory");
      return 2;
    }
    qi_image_free(&img);
    long truncated_ok = 0, decoded = 0, failed = 0;
    /* every strict prefix, each in a buffer of exactly its size so ASan sees any overread */
    for (size_t len = 0; len < n; len++) {
      uint8_t *t = malloc(len ? len : 1);
      memcpy(t, data, len);
      err[0] = '\0';
      if (qi_image_decode(t, len, &img, err, sizeof err) == 0) {
        truncated_ok++;
        qi_image_free(&img);
        printf("truncation to %zu bytes of %s decoded\n", len, base_name(argv[f]));
      } else if (!err[0]) {
        printf("truncation to %zu bytes of %s: empty error message\n", len, base_name(argv[f]));
        bad++;
      }
      free(t);
    }
    for (long k = 0; k < count; k++) {
      memcpy(buf, data, n);
      int edits = 1 + (int)(next(&seed) % 8);
      for (int e = 0; e < edits; e++) {
        size_t at = (size_t)(next(&seed) % n);
        uint64_t r = next(&seed);
        switch (r % 4) {
          case 0: buf[at] ^= (uint8_t)(1u << (r >> 8) % 8); break;
          case 1: buf[at] = (uint8_t)(r >> 16); break;
          case 2: buf[at] = 0xFF; break;
          default: buf[at] = 0; break;
        }
      }
      if (n > 8 && !memcmp(data, "\x89PNG", 4) && k % 4 != 0) fix_png_crcs(buf, n);
      err[0] = '\0';
      if (qi_image_decode(buf, n, &img, err, sizeof err) == 0) {
        decoded++;
        if (img.width < 1 || img.height < 1 || !img.rgb) bad++;
        qi_image_free(&img);
      } else {
        failed++;
        if (!err[0]) bad++;
      }
    }
    printf("%s: %zu truncations (%ld decoded), %ld corruptions: %ld decoded, %ld refused\n", base_name(argv[f]), n,
           truncated_ok, count, decoded, failed);
    bad += truncated_ok > 0;
    free(buf);
  }
  printf("%s\n", bad ? "FAILED" : "fuzz ok");
  return bad ? 1 : 0;
}

int main(int argc, char **argv) {
  if (argc >= 3 && !strcmp(argv[1], "decode")) return cmd_decode(argc - 2, argv + 2);
  if (argc >= 2 && !strcmp(argv[1], "preprocess")) return cmd_preprocess(argc - 2, argv + 2);
  if (argc >= 2 && !strcmp(argv[1], "fuzz")) return cmd_fuzz(argc - 2, argv + 2);
  fprintf(stderr, "usage: image_tool decode OUTDIR FILE... | preprocess OUT.npy FILE DIMS [OPTION...] | "
                  "fuzz SEED COUNT FILE...\n");
  return 2;
}
