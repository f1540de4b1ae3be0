#include "engine/quant/image/preprocess.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SET_SIZE = 1, SET_RESIZE = 2, SET_CROP = 4, SET_MEAN = 8, SET_STD = 16, SET_CHANNELS = 32, SET_LAYOUT = 64 };

void qi_preprocess_init(qi_preprocess *p) {
  memset(p, 0, sizeof *p);
  p->resize = QI_RESIZE_STRETCH;
  p->crop_fraction = 1.0f;
  for (int c = 0; c < 3; c++) p->std[c] = 1.0;
  p->layout = QI_LAYOUT_AUTO;
}

typedef struct preset {
  const char *name;
  int size;
  qi_resize_mode resize;
  float crop_fraction;
  double mean[3], std[3];
  int bgr;
} preset;

/* imagenet: torchvision's eval recipe (Resize(256) + CenterCrop(224), ImageNet mean/std on 0..255);
 * facenet: facenet-pytorch's fixed_image_standardization; arcface: insightface's recognition models;
 * adaface: AdaFace's to_input (BGR, (x / 255 - 0.5) / 0.5). */
static const preset presets[] = {
    {"imagenet", 224, QI_RESIZE_SHORTER_CROP, 0.875f, {123.675, 116.28, 103.53}, {58.395, 57.12, 57.375}, 0},
    {"facenet", 160, QI_RESIZE_STRETCH, 1.0f, {127.5, 127.5, 127.5}, {128, 128, 128}, 0},
    {"arcface", 112, QI_RESIZE_STRETCH, 1.0f, {127.5, 127.5, 127.5}, {127.5, 127.5, 127.5}, 0},
    {"adaface", 112, QI_RESIZE_STRETCH, 1.0f, {127.5, 127.5, 127.5}, {127.5, 127.5, 127.5}, 1},
};

static void apply_preset(qi_preprocess *p, const preset *s) {
  if (!(p->explicit_set & SET_SIZE)) p->height = p->width = s->size;
  if (!(p->explicit_set & SET_RESIZE)) p->resize = s->resize;
  if (!(p->explicit_set & SET_CROP)) p->crop_fraction = s->crop_fraction;
  if (!(p->explicit_set & SET_MEAN)) memcpy(p->mean, s->mean, sizeof p->mean);
  if (!(p->explicit_set & SET_STD)) memcpy(p->std, s->std, sizeof p->std);
  if (!(p->explicit_set & SET_CHANNELS)) p->bgr = s->bgr;
}

bool qi_preprocess_apply_preset(qi_preprocess *p, const char *name) {
  for (size_t k = 0; k < sizeof presets / sizeof presets[0]; k++)
    if (!strcmp(name, presets[k].name)) {
      apply_preset(p, &presets[k]);
      return true;
    }
  return false;
}

void qi_preprocess_set_size(qi_preprocess *p, int height, int width) {
  p->height = height;
  p->width = width;
  p->explicit_set |= SET_SIZE;
}

void qi_preprocess_set_resize(qi_preprocess *p, qi_resize_mode resize) {
  p->resize = resize;
  p->explicit_set |= SET_RESIZE;
}

void qi_preprocess_set_crop_fraction(qi_preprocess *p, double fraction) {
  p->crop_fraction = (float)fraction;
  p->explicit_set |= SET_CROP;
}

void qi_preprocess_set_mean(qi_preprocess *p, const double mean[3]) {
  memcpy(p->mean, mean, sizeof p->mean);
  p->explicit_set |= SET_MEAN;
}

void qi_preprocess_set_std(qi_preprocess *p, const double std[3]) {
  memcpy(p->std, std, sizeof p->std);
  p->explicit_set |= SET_STD;
}

void qi_preprocess_set_bgr(qi_preprocess *p, bool bgr) {
  p->bgr = bgr;
  p->explicit_set |= SET_CHANNELS;
}

void qi_preprocess_set_layout(qi_preprocess *p, qi_layout layout) {
  p->layout = layout;
  p->explicit_set |= SET_LAYOUT;
}

/* The side of a symbolic dim taken from an image of sides (side, other) when the other model dim is `fixed` (or
 * symbolic, < 0): the image's own side, or scaled with the aspect ratio to the fixed other side, rounded up
 * (PP-OCR's recognition resize). */
static int64_t free_side(int side, int other, int64_t fixed) {
  if (fixed < 0) return side;
  const double v = ceil((double)side * (double)fixed / (double)other);
  return v < 1 ? 1 : (v > QI_IMAGE_MAX_SIDE ? QI_IMAGE_MAX_SIDE : (int64_t)v);
}

int qi_preprocess_shape(const qi_preprocess *p, int model_rank, const int64_t *model_dims, int image_h, int image_w,
                        int64_t dims[4], qi_layout *layout, char *err, size_t errlen) {
  if (model_rank != 4)
    return qi_image_fail(err, errlen, "an image input needs rank 4 ([N,3,H,W] or [N,H,W,3]), the model's has rank %d",
                         model_rank);
  const int64_t *m = model_dims;
  int nchw_ok = m[1] < 0 || m[1] == 3, nhwc_ok = m[3] < 0 || m[3] == 3;
  qi_layout l = p->layout;
  if (l == QI_LAYOUT_AUTO) {
    if (m[1] == 3) l = QI_LAYOUT_NCHW;
    else if (m[3] == 3) l = QI_LAYOUT_NHWC;
    else if (nchw_ok) l = QI_LAYOUT_NCHW;
    else
      return qi_image_fail(err, errlen, "the model input has no dimension of 3 channels (dims 1 and 3 are %lld, %lld)",
                           (long long)m[1], (long long)m[3]);
  } else if (l == QI_LAYOUT_NCHW ? !nchw_ok : !nhwc_ok) {
    return qi_image_fail(err, errlen, "layout %s needs 3 channels in dimension %d, the model has %lld",
                         l == QI_LAYOUT_NCHW ? "nchw" : "nhwc", l == QI_LAYOUT_NCHW ? 1 : 3,
                         (long long)m[l == QI_LAYOUT_NCHW ? 1 : 3]);
  }
  int hd = l == QI_LAYOUT_NCHW ? 2 : 1;
  int64_t h = m[hd], w = m[hd + 1];
  if (p->height) {
    if ((h >= 0 && h != p->height) || (w >= 0 && w != p->width))
      return qi_image_fail(err, errlen, "--size %dx%d does not match the model input's %lldx%lld", p->height, p->width,
                           (long long)h, (long long)w);
    h = p->height;
    w = p->width;
  } else if ((h < 0 || w < 0) && image_h > 0 && image_w > 0) { /* symbolic: the image's size */
    const int64_t fixed_h = h, fixed_w = w;
    if (fixed_h < 0) h = free_side(image_h, image_w, fixed_w);
    if (fixed_w < 0) w = free_side(image_w, image_h, fixed_h);
  } else if (h <= 0 || w <= 0) {
    return qi_image_fail(err, errlen, "the model input's height and width are not fixed: give --size");
  } else if (h > QI_IMAGE_MAX_SIDE || w > QI_IMAGE_MAX_SIDE) {
    return qi_image_fail(err, errlen, "the model input's %lldx%lld is larger than %d per side", (long long)h,
                         (long long)w, QI_IMAGE_MAX_SIDE);
  }
  if (m[0] == 0) return qi_image_fail(err, errlen, "the model input has batch size 0");
  dims[0] = m[0] > 0 ? m[0] : 1;
  dims[hd] = h;
  dims[hd + 1] = w;
  dims[l == QI_LAYOUT_NCHW ? 1 : 3] = 3;
  *layout = l;
  return 0;
}

/* Source positions of n output samples along one axis: the image's in samples are resized to total, and the
 * output starts at sample offset of that resize. Half-pixel centers, clamped at both ends. */
static void axis(int in, int total, int offset, int n, int *i0, int *i1, double *frac) {
  double scale = (double)in / total;
  for (int k = 0; k < n; k++) {
    double s = (k + offset + 0.5) * scale - 0.5;
    if (s < 0) s = 0;
    int a = (int)s;
    if (a >= in - 1) {
      i0[k] = i1[k] = in - 1;
      frac[k] = 0;
    } else {
      i0[k] = a;
      i1[k] = a + 1;
      frac[k] = s - a;
    }
  }
}

int qi_preprocess_image(const qi_preprocess *p, const qi_image *img, int height, int width, qi_layout layout,
                        float *out, char *err, size_t errlen) {
  if (!img->rgb || img->width < 1 || img->height < 1) return qi_image_fail(err, errlen, "empty image");
  if (height < 1 || width < 1 || height > QI_IMAGE_MAX_SIDE || width > QI_IMAGE_MAX_SIDE)
    return qi_image_fail(err, errlen, "bad target size %dx%d", height, width);
  if (layout != QI_LAYOUT_NCHW && layout != QI_LAYOUT_NHWC) return qi_image_fail(err, errlen, "no layout chosen");
  int rh = height, rw = width, top = 0, left = 0;
  if (p->resize == QI_RESIZE_SHORTER_CROP) {
    double sh = (double)height / img->height, sw = (double)width / img->width;
    double s = (sh > sw ? sh : sw) / p->crop_fraction;
    double fh = floor(img->height * s + 0.5), fw = floor(img->width * s + 0.5);
    /* only the cropped window is computed: the resized size just has to fit an int */
    if (fh > 1e9 || fw > 1e9)
      return qi_image_fail(err, errlen, "resize of %dx%d to %dx%d too large", img->height, img->width, height, width);
    rh = fh < height ? height : (int)fh;
    rw = fw < width ? width : (int)fw;
    top = (rh - height) / 2;
    left = (rw - width) / 2;
  }
  int *ix = malloc(sizeof(int) * 2 * ((size_t)width + (size_t)height));
  double *fx = malloc(sizeof(double) * ((size_t)width + (size_t)height));
  if (!ix || !fx) {
    free(ix);
    free(fx);
    return qi_image_fail(err, errlen, "out of memory");
  }
  int *x0 = ix, *x1 = ix + width, *y0 = ix + 2 * width, *y1 = y0 + height;
  double *fy = fx + width;
  axis(img->width, rw, left, width, x0, x1, fx);
  axis(img->height, rh, top, height, y0, y1, fy);
  size_t plane = (size_t)height * (size_t)width, row = (size_t)img->width * 3;
  for (int y = 0; y < height; y++) {
    const uint8_t *ra = img->rgb + (size_t)y0[y] * row, *rb = img->rgb + (size_t)y1[y] * row;
    for (int x = 0; x < width; x++) {
      for (int c = 0; c < 3; c++) {
        int sc = p->bgr ? 2 - c : c;
        const uint8_t *a = ra + 3 * x0[x] + sc, *b = ra + 3 * x1[x] + sc;
        const uint8_t *e = rb + 3 * x0[x] + sc, *f = rb + 3 * x1[x] + sc;
        double upper = *a + (*b - *a) * fx[x], lower = *e + (*f - *e) * fx[x];
        double v = ((upper + (lower - upper) * fy[y]) - p->mean[c]) / p->std[c];
        size_t at = layout == QI_LAYOUT_NCHW ? (size_t)c * plane + (size_t)y * width + x
                                             : ((size_t)y * width + x) * 3 + c;
        out[at] = (float)v;
      }
    }
  }
  free(ix);
  free(fx);
  return 0;
}

int qi_preprocess_file(const qi_preprocess *p, const char *path, int height, int width, qi_layout layout, float *out,
                       char *err, size_t errlen) {
  qi_image img;
  if (qi_image_load(path, &img, err, errlen)) return -1;
  int rc = qi_preprocess_image(p, &img, height, width, layout, out, err, errlen);
  qi_image_free(&img);
  if (rc) {
    char msg[400];
    snprintf(msg, sizeof msg, "%s", err ? err : "");
    qi_image_fail(err, errlen, "%s: %s", path, msg);
  }
  return rc;
}
