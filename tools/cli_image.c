#include "tools/cli_image.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char qi_cli_image_usage[] =
    "  --size N | HxW            resize target (default: the model input's fixed height and width; a\n"
    "                            symbolic one: the image's, aspect ratio kept when the other is fixed)\n"
    "  --resize stretch|shorter-crop\n"
    "                            stretch to HxW (default), or scale the shorter side and center-crop\n"
    "  --crop-fraction F         shorter-crop: crop H/F x W/F, then resize (default 1; imagenet 0.875)\n"
    "  --mean A[,B,C]            subtracted from 0..255 pixel values (default 0)\n"
    "  --std A[,B,C]             divisor after the mean (default 1)\n"
    "  --scale S                 multiplier after the mean instead of --std (S = 1/std)\n"
    "  --bgr | --rgb             channel order the model expects (default rgb)\n"
    "  --layout auto|nchw|nhwc   tensor layout (default auto: from the model input's shape)\n"
    "  --preset NAME             imagenet, facenet, arcface or adaface (explicit options override it), or\n"
    "                            none: raw 0..255 pixels on purpose (image samples need --preset, --mean,\n"
    "                            --std or --scale)\n";

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (err && errlen) vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
  return -1;
}

static int parse_double(const char *text, size_t len, double *out) {
  char buf[64];
  if (len == 0 || len >= sizeof buf) return 0;
  memcpy(buf, text, len);
  buf[len] = '\0';
  char *end;
  errno = 0;
  *out = strtod(buf, &end);
  return !errno && *end == '\0' && isfinite(*out);
}

/* "A" (every channel) or "A,B,C". */
static int parse_triple(const char *text, double v[3]) {
  const char *c1 = strchr(text, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
  if (!c1) {
    if (!parse_double(text, strlen(text), &v[0])) return 0;
    v[1] = v[2] = v[0];
    return 1;
  }
  return c2 && !strchr(c2 + 1, ',') && parse_double(text, (size_t)(c1 - text), &v[0]) &&
         parse_double(c1 + 1, (size_t)(c2 - c1 - 1), &v[1]) && parse_double(c2 + 1, strlen(c2 + 1), &v[2]);
}

static int parse_side(const char *text, size_t len, int *out) {
  if (len == 0 || len > 5) return 0;
  int v = 0;
  for (size_t i = 0; i < len; i++) {
    if (text[i] < '0' || text[i] > '9') return 0;
    v = v * 10 + (text[i] - '0');
  }
  *out = v;
  return v >= 1 && v <= QINFER_IMAGE_MAX_SIDE;
}

/* One option given as name ("--size") and value (NULL for --bgr / --rgb). */
static int set_option(qi_cli_image_args *a, const char *name, const char *value, char *err, size_t errlen) {
  qinfer_quant_options *o = a->options;
  int is_flag = !strcmp(name, "--bgr") || !strcmp(name, "--rgb");
  if (is_flag && value) return fail(err, errlen, "%s takes no value", name);
  if (!is_flag && !value) return fail(err, errlen, "%s needs a value", name);
  qinfer_status st = QINFER_OK;
  if (is_flag) {
    st = qinfer_quant_options_set_image_bgr(o, !strcmp(name, "--bgr"));
  } else if (!strcmp(name, "--size")) {
    const char *x = strpbrk(value, "xX");
    int h, w;
    if (x ? !(parse_side(value, (size_t)(x - value), &h) && parse_side(x + 1, strlen(x + 1), &w))
          : !parse_side(value, strlen(value), &h))
      return fail(err, errlen, "--size needs N or HxW (1 to %d), not '%s'", QINFER_IMAGE_MAX_SIDE, value);
    st = qinfer_quant_options_set_image_size(o, h, x ? w : h);
  } else if (!strcmp(name, "--resize")) {
    if (!strcmp(value, "stretch"))
      st = qinfer_quant_options_set_image_resize(o, QINFER_IMAGE_RESIZE_STRETCH);
    else if (!strcmp(value, "shorter-crop"))
      st = qinfer_quant_options_set_image_resize(o, QINFER_IMAGE_RESIZE_SHORTER_CROP);
    else
      return fail(err, errlen, "--resize needs stretch or shorter-crop, not '%s'", value);
  } else if (!strcmp(name, "--crop-fraction")) {
    double f;
    if (!parse_double(value, strlen(value), &f) || !(f > 0 && f <= 1))
      return fail(err, errlen, "--crop-fraction needs a number in (0, 1], not '%s'", value);
    st = qinfer_quant_options_set_image_crop_fraction(o, f);
  } else if (!strcmp(name, "--mean")) {
    double v[3];
    if (!parse_triple(value, v)) return fail(err, errlen, "--mean needs A or A,B,C, not '%s'", value);
    st = qinfer_quant_options_set_image_mean(o, v);
  } else if (!strcmp(name, "--std") || !strcmp(name, "--scale")) {
    double v[3];
    if (!parse_triple(value, v) || !(v[0] > 0 && v[1] > 0 && v[2] > 0))
      return fail(err, errlen, "%s needs positive A or A,B,C, not '%s'", name, value);
    if (a->std_given) return fail(err, errlen, "--std and --scale given together or twice");
    a->std_given = true;
    st = !strcmp(name, "--scale") ? qinfer_quant_options_set_image_scale(o, v)
                                  : qinfer_quant_options_set_image_std(o, v);
  } else if (!strcmp(name, "--layout")) {
    if (!strcmp(value, "auto")) st = qinfer_quant_options_set_image_layout(o, QINFER_IMAGE_LAYOUT_AUTO);
    else if (!strcmp(value, "nchw")) st = qinfer_quant_options_set_image_layout(o, QINFER_IMAGE_LAYOUT_NCHW);
    else if (!strcmp(value, "nhwc")) st = qinfer_quant_options_set_image_layout(o, QINFER_IMAGE_LAYOUT_NHWC);
    else return fail(err, errlen, "--layout needs auto, nchw or nhwc, not '%s'", value);
  } else if (!strcmp(name, "--preset")) {
    if (qinfer_quant_options_set_image_preset(o, value) != QINFER_OK)
      return fail(err, errlen, "--preset needs imagenet, facenet, arcface, adaface or none, not '%s'", value);
  }
  if (st != QINFER_OK) return fail(err, errlen, "%s: %s", name, qinfer_quant_options_last_error(o));
  return 1;
}

int qi_cli_image_arg(qi_cli_image_args *a, int argc, char **argv, int *i, char *err, size_t errlen) {
  static const char *const names[] = {"--size", "--resize", "--crop-fraction", "--mean", "--std",
                                      "--scale", "--bgr",    "--rgb",           "--layout", "--preset"};
  const char *arg = argv[*i];
  for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
    size_t n = strlen(names[k]);
    if (strncmp(arg, names[k], n) != 0 || (arg[n] != '\0' && arg[n] != '=')) continue;
    int is_flag = !strcmp(names[k], "--bgr") || !strcmp(names[k], "--rgb");
    const char *value = NULL;
    if (arg[n] == '=') value = arg + n + 1;
    else if (!is_flag) {
      if (*i + 1 >= argc) return fail(err, errlen, "%s needs a value", names[k]);
      value = argv[++*i];
    }
    return set_option(a, names[k], value, err, errlen);
  }
  return 0;
}

int qi_cli_image_init(qi_cli_image_args *a, char *err, size_t errlen) {
  memset(a, 0, sizeof *a);
  if (qinfer_quant_options_create(&a->options) != QINFER_OK)
    return fail(err, errlen, "cannot create the image options: %s", qinfer_last_error());
  a->owned = true;
  return 0;
}

void qi_cli_image_free(qi_cli_image_args *a) {
  if (a->owned) qinfer_quant_options_destroy(a->options);
  memset(a, 0, sizeof *a);
}

int qi_cli_image_read(qi_cli_image_args *a, const char *path, const qinfer_tensor_info *info, qi_host_tensor *t,
                      char *err, size_t errlen) {
  memset(t, 0, sizeof *t);
  int64_t dims[4];
  /* the shape first (out NULL), then the values into a tensor of that shape */
  if (qinfer_quant_image_load(a->options, path, info->rank, info->dims, dims, NULL, 0) != QINFER_OK)
    return fail(err, errlen, "%s", qinfer_quant_options_last_error(a->options));
  qi_error e = {0};
  if (qi_host_tensor_alloc(t, QINFER_DTYPE_FLOAT, 4, dims, &e) != QINFER_OK) return fail(err, errlen, "%s", e.msg);
  if (qinfer_quant_image_load(a->options, path, info->rank, info->dims, dims, t->data, t->nbytes / sizeof(float)) !=
      QINFER_OK) {
    qi_host_tensor_free(t);
    return fail(err, errlen, "%s", qinfer_quant_options_last_error(a->options));
  }
  return 0;
}
