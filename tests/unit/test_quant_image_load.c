/* qinfer_quant_image_load (include/qinfer_quant.h): one image file through the quantizer options' preprocessing,
 * on a 3x2 PNG whose pixels the test knows (no resize, so every value is (pixel - mean) / std exactly), in NCHW,
 * NHWC and BGR, with symbolic dims, and its failures: no preprocessing chosen, a missing file, a model input of
 * the wrong rank, a buffer too small, NULL arguments. */
#include <stdio.h>
#include <string.h>

#include "qinfer_quant.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

/* 3 wide, 2 high, RGB 8-bit: row 0 (10,20,30) (40,50,60) (70,80,90), row 1 (100,110,120) (130,140,150)
 * (160,170,180); written by PIL. */
static const unsigned char PNG[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x03, 0x00, 0x00, 0x00, 0x02, 0x08, 0x02, 0x00, 0x00, 0x00, 0x12, 0x16, 0xf1, 0x4d, 0x00, 0x00, 0x00, 0x13, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xe4, 0x12, 0x91, 0x83, 0x00, 0x96, 0xa8, 0xa8, 0x28, 0x08, 0x0b, 0x00, 0x18,
    0xd8, 0x02, 0xb8, 0x39, 0xd0, 0xd4, 0xa0, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};

static float pixel(int y, int x, int c) { return (float)(10 + 90 * y + 30 * x + 10 * c); }

int main(void) {
  const char *path = "test_quant_image_load.png";
  FILE *f = fopen(path, "wb");
  CHECK(f && fwrite(PNG, 1, sizeof PNG, f) == sizeof PNG);
  if (f) fclose(f);

  qinfer_quant_options *o = NULL;
  CHECK(qinfer_quant_options_create(&o) == QINFER_OK);
  int64_t nchw[4] = {1, 3, 2, 3}, nhwc[4] = {1, 2, 3, 3}, sym[4] = {-1, 3, -1, -1}, dims[4];
  float out[18];

  /* no preprocessing chosen */
  CHECK(qinfer_quant_image_load(o, path, 4, nchw, dims, out, 18) == QINFER_ERR_INVALID_ARGUMENT);
  CHECK(strstr(qinfer_quant_options_last_error(o), "needs a preprocessing choice") != NULL);

  const double mean[3] = {10, 20, 30}, std[3] = {2, 4, 5};
  CHECK(qinfer_quant_options_set_image_mean(o, mean) == QINFER_OK);
  CHECK(qinfer_quant_options_set_image_std(o, std) == QINFER_OK);
  memset(out, 0, sizeof out);
  CHECK(qinfer_quant_image_load(o, path, 4, nchw, dims, out, 18) == QINFER_OK);
  CHECK(dims[0] == 1 && dims[1] == 3 && dims[2] == 2 && dims[3] == 3);
  int bad = 0;
  for (int c = 0; c < 3; c++)
    for (int y = 0; y < 2; y++)
      for (int x = 0; x < 3; x++) bad += out[(c * 2 + y) * 3 + x] != (float)((pixel(y, x, c) - mean[c]) / std[c]);
  CHECK_MSG(bad == 0, "NCHW: %d values differ", bad);

  CHECK(qinfer_quant_image_load(o, path, 4, nhwc, dims, out, 18) == QINFER_OK);
  CHECK(dims[1] == 2 && dims[2] == 3 && dims[3] == 3);
  bad = 0;
  for (int y = 0; y < 2; y++)
    for (int x = 0; x < 3; x++)
      for (int c = 0; c < 3; c++) bad += out[(y * 3 + x) * 3 + c] != (float)((pixel(y, x, c) - mean[c]) / std[c]);
  CHECK_MSG(bad == 0, "NHWC: %d values differ", bad);

  /* BGR: channel 0 is blue; mean / std are given in the model's order */
  CHECK(qinfer_quant_options_set_image_bgr(o, 1) == QINFER_OK);
  CHECK(qinfer_quant_image_load(o, path, 4, nchw, dims, out, 18) == QINFER_OK);
  bad = 0;
  for (int c = 0; c < 3; c++)
    for (int y = 0; y < 2; y++)
      for (int x = 0; x < 3; x++) bad += out[(c * 2 + y) * 3 + x] != (float)((pixel(y, x, 2 - c) - mean[c]) / std[c]);
  CHECK_MSG(bad == 0, "BGR: %d values differ", bad);
  CHECK(qinfer_quant_options_set_image_bgr(o, 0) == QINFER_OK);

  /* symbolic batch, H and W: the image's own size; out NULL resolves the shape only */
  CHECK(qinfer_quant_image_load(o, path, 4, sym, dims, NULL, 0) == QINFER_OK);
  CHECK(dims[0] == 1 && dims[1] == 3 && dims[2] == 2 && dims[3] == 3);

  /* failures */
  CHECK(qinfer_quant_image_load(o, path, 4, nchw, dims, out, 17) == QINFER_ERR_INVALID_ARGUMENT);
  CHECK(strstr(qinfer_quant_options_last_error(o), "needs 18 floats, the buffer holds 17") != NULL);
  CHECK(qinfer_quant_image_load(o, "no_such_image.png", 4, nchw, dims, out, 18) == QINFER_ERR_IO);
  CHECK(strstr(qinfer_quant_options_last_error(o), "no_such_image.png") != NULL);
  int64_t flat[2] = {1, 18};
  CHECK(qinfer_quant_image_load(o, path, 2, flat, dims, out, 18) == QINFER_ERR_SHAPE);
  CHECK(strstr(qinfer_quant_options_last_error(o), "rank") != NULL);
  CHECK(qinfer_quant_image_load(o, NULL, 4, nchw, dims, out, 18) == QINFER_ERR_INVALID_ARGUMENT);
  CHECK(qinfer_quant_image_load(NULL, path, 4, nchw, dims, out, 18) == QINFER_ERR_INVALID_ARGUMENT);
  CHECK(strstr(qinfer_last_error(), "options must not be NULL") != NULL);

  qinfer_quant_options_destroy(o);
  remove(path);
  return TEST_SUMMARY();
}
