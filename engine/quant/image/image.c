#include "engine/quant/image/image.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "engine/ir/file_open.h"

int qi_image_fail(char *err, size_t errlen, const char *fmt, ...) {
  if (err && errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return -1;
}

int qi_image_check_size(uint64_t width, uint64_t height, char *err, size_t errlen) {
  if (width == 0 || height == 0)
    return qi_image_fail(err, errlen, "empty image (%llux%llu)", (unsigned long long)width, (unsigned long long)height);
  if (width > QI_IMAGE_MAX_SIDE || height > QI_IMAGE_MAX_SIDE || width * height > QI_IMAGE_MAX_PIXELS)
    return qi_image_fail(err, errlen, "image too large (%llux%llu; the limits are %d per side and %d pixels)",
                         (unsigned long long)width, (unsigned long long)height, QI_IMAGE_MAX_SIDE, QI_IMAGE_MAX_PIXELS);
  return 0;
}

int qi_image_has_image_extension(const char *path) {
  static const char *const exts[] = {".png", ".jpg", ".jpeg"};
  size_t n = strlen(path);
  for (size_t k = 0; k < sizeof exts / sizeof exts[0]; k++) {
    size_t m = strlen(exts[k]);
    if (n > m && strncasecmp(path + n - m, exts[k], m) == 0) return 1;
  }
  return 0;
}

void qi_image_free(qi_image *img) {
  free(img->rgb);
  memset(img, 0, sizeof *img);
}

int qi_image_decode(const void *data, size_t size, qi_image *img, char *err, size_t errlen) {
  const uint8_t *p = data;
  memset(img, 0, sizeof *img);
  char msg[400] = "";
  int rc;
  const char *format;
  if (size >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0) {
    format = "PNG";
    rc = qi_png_decode(p, size, img, msg, sizeof msg);
  } else if (size >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF) {
    format = "JPEG";
    rc = qi_jpeg_decode(p, size, img, msg, sizeof msg);
  } else {
    return qi_image_fail(err, errlen, "not a PNG or JPEG file");
  }
  if (rc) {
    qi_image_free(img);
    return qi_image_fail(err, errlen, "%s: %s", format, msg);
  }
  return 0;
}

int qi_image_load(const char *path, qi_image *img, char *err, size_t errlen) {
  memset(img, 0, sizeof *img);
  struct stat st;
  qi_error oerr = {0};
  int fd = qi_open_regular(path, 0, &st, &oerr); /* a FIFO or device is refused, not waited on */
  FILE *f = fd < 0 ? NULL : fdopen(fd, "rb");
  if (fd < 0) return qi_image_fail(err, errlen, "%s", oerr.msg);
  if (!f) {
    const int saved = errno;
    close(fd);
    return qi_image_fail(err, errlen, "cannot read '%s': %s", path, strerror(saved));
  }
  uint8_t *buf = NULL;
  size_t size = 0, cap = 0;
  int rc = 0;
  for (;;) {
    if (size == cap) {
      /* files beyond the largest sensible encoding of a maximal image are refused */
      if (cap >= ((size_t)1 << 31)) {
        rc = qi_image_fail(err, errlen, "%s: file too large", path);
        break;
      }
      size_t ncap = cap ? cap * 2 : 1 << 16;
      uint8_t *nb = realloc(buf, ncap);
      if (!nb) {
        rc = qi_image_fail(err, errlen, "%s: out of memory", path);
        break;
      }
      buf = nb;
      cap = ncap;
    }
    size_t n = fread(buf + size, 1, cap - size, f);
    size += n;
    if (n == 0) {
      if (ferror(f)) rc = qi_image_fail(err, errlen, "cannot read '%s': %s", path, strerror(errno));
      break;
    }
  }
  fclose(f);
  if (rc == 0) {
    char msg[400] = "";
    rc = qi_image_decode(buf, size, img, msg, sizeof msg);
    if (rc) qi_image_fail(err, errlen, "%s: %s", path, msg);
  }
  free(buf);
  return rc;
}
