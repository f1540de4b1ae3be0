/* PNG decoding (ISO/IEC 15948) into 8-bit RGB: see image.h for the sample conversions. */
#include <stdlib.h>
#include <string.h>

#include "engine/quant/image/image.h"
#include "engine/quant/image/inflate.h"

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

static void crc_table(uint32_t t[256]) {
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t c = n;
    for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
    t[n] = c;
  }
}

static uint32_t crc32(const uint32_t t[256], const uint8_t *p, size_t n) {
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < n; i++) c = t[(c ^ p[i]) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

typedef struct png {
  uint32_t width, height;
  int depth, color, interlace, channels;
  uint8_t palette[256 * 3];
  int n_palette;
  uint8_t *rgb;
} png;

/* Adam7: origin and step of each pass; one pass covering everything when not interlaced. */
static const uint8_t adam7[7][4] = {{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4},
                                    {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}};
static const uint8_t single_pass[1][4] = {{0, 0, 1, 1}};

static void pass_size(const png *g, const uint8_t p[4], uint32_t *pw, uint32_t *ph) {
  *pw = g->width > p[0] ? (g->width - p[0] + p[2] - 1) / p[2] : 0;
  *ph = g->height > p[1] ? (g->height - p[1] + p[3] - 1) / p[3] : 0;
}

static size_t row_bytes(const png *g, uint32_t w) { return ((size_t)w * (size_t)(g->channels * g->depth) + 7) / 8; }

static int paeth(int a, int b, int c) {
  int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* Undoes the filter of row (n bytes after the filter byte f) given the previous unfiltered row (NULL for the
 * first row of a pass); bpp is the byte distance to the corresponding byte of the pixel on the left. */
static int unfilter(uint8_t *row, const uint8_t *prev, size_t n, size_t bpp, int f) {
  switch (f) {
    case 0: break;
    case 1:
      for (size_t i = bpp; i < n; i++) row[i] = (uint8_t)(row[i] + row[i - bpp]);
      break;
    case 2:
      for (size_t i = 0; prev && i < n; i++) row[i] = (uint8_t)(row[i] + prev[i]);
      break;
    case 3:
      for (size_t i = 0; i < n; i++) {
        int left = i >= bpp ? row[i - bpp] : 0, up = prev ? prev[i] : 0;
        row[i] = (uint8_t)(row[i] + ((left + up) >> 1));
      }
      break;
    case 4:
      for (size_t i = 0; i < n; i++) {
        int a = i >= bpp ? row[i - bpp] : 0, b = prev ? prev[i] : 0, c = prev && i >= bpp ? prev[i - bpp] : 0;
        row[i] = (uint8_t)(row[i] + paeth(a, b, c));
      }
      break;
    default: return -1;
  }
  return 0;
}

/* Writes the w pixels of one unfiltered row to the image, pixel i at column x0 + i * dx of row y. */
static int emit_row(png *g, const uint8_t *row, uint32_t w, uint32_t y, uint32_t x0, uint32_t dx, char *err,
                    size_t errlen) {
  uint8_t *out = g->rgb + ((size_t)y * g->width + x0) * 3;
  size_t step = (size_t)dx * 3;
  int d = g->depth;
  if (d < 8) { /* packed gray or palette indices, first pixel in the high bits */
    int mask = (1 << d) - 1, scale = 255 / mask;
    for (uint32_t i = 0; i < w; i++, out += step) {
      size_t bit = (size_t)i * (size_t)d;
      int v = (row[bit >> 3] >> (8 - d - (int)(bit & 7))) & mask;
      if (g->color == 3) {
        if (v >= g->n_palette) return qi_image_fail(err, errlen, "palette index %d out of range (%d entries)", v, g->n_palette);
        memcpy(out, g->palette + 3 * v, 3);
      } else {
        out[0] = out[1] = out[2] = (uint8_t)(v * scale);
      }
    }
    return 0;
  }
  size_t bytes = (size_t)d / 8, pixel = bytes * (size_t)g->channels; /* 16-bit: row[...] is the high byte */
  for (uint32_t i = 0; i < w; i++, out += step, row += pixel) {
    if (g->color == 3) {
      if (row[0] >= g->n_palette)
        return qi_image_fail(err, errlen, "palette index %d out of range (%d entries)", row[0], g->n_palette);
      memcpy(out, g->palette + 3 * row[0], 3);
    } else if (g->color == 0 || g->color == 4) {
      out[0] = out[1] = out[2] = row[0];
    } else {
      out[0] = row[0];
      out[1] = row[bytes];
      out[2] = row[2 * bytes];
    }
  }
  return 0;
}

static int check_header(png *g, const uint8_t *p, char *err, size_t errlen) {
  g->width = be32(p);
  g->height = be32(p + 4);
  g->depth = p[8];
  g->color = p[9];
  g->interlace = p[12];
  if (qi_image_check_size(g->width, g->height, err, errlen)) return -1;
  static const int channels[7] = {1, 0, 3, 1, 2, 0, 4};
  int d = g->depth, ok;
  switch (g->color) {
    case 0: ok = d == 1 || d == 2 || d == 4 || d == 8 || d == 16; break;
    case 3: ok = d == 1 || d == 2 || d == 4 || d == 8; break;
    case 2: case 4: case 6: ok = d == 8 || d == 16; break;
    default: return qi_image_fail(err, errlen, "invalid color type %d", g->color);
  }
  if (!ok) return qi_image_fail(err, errlen, "invalid bit depth %d for color type %d", d, g->color);
  if (p[10] != 0 || p[11] != 0) return qi_image_fail(err, errlen, "unknown compression or filter method");
  if (g->interlace > 1) return qi_image_fail(err, errlen, "unknown interlace method %d", g->interlace);
  g->channels = channels[g->color];
  return 0;
}

static int decode_pixels(png *g, const uint8_t *idat, size_t idat_len, char *err, size_t errlen) {
  const uint8_t(*passes)[4] = g->interlace ? adam7 : single_pass;
  int n_passes = g->interlace ? 7 : 1;
  uint64_t raw_size = 0;
  for (int p = 0; p < n_passes; p++) {
    uint32_t pw, ph;
    pass_size(g, passes[p], &pw, &ph);
    if (pw && ph) raw_size += (uint64_t)ph * (1 + row_bytes(g, pw));
  }
  /* DEFLATE expands at most 1032:1 (a 258-byte match in two 1-bit codes): refuse dimensions the data cannot
   * fill before allocating for them */
  if (raw_size > (uint64_t)idat_len * 1032 + 64)
    return qi_image_fail(err, errlen, "image data too short for %ux%u pixels", g->width, g->height);
  uint8_t *raw = malloc((size_t)raw_size);
  g->rgb = malloc((size_t)g->width * g->height * 3);
  if (!raw || !g->rgb) {
    free(raw);
    return qi_image_fail(err, errlen, "out of memory for %ux%u pixels", g->width, g->height);
  }
  size_t got;
  const char *e = qi_zlib_decode(idat, idat_len, raw, (size_t)raw_size, &got);
  int rc = 0;
  if (e) rc = qi_image_fail(err, errlen, "image data: %s", e);
  else if (got != raw_size)
    rc = qi_image_fail(err, errlen, "image data: %zu bytes decompressed, %llu expected", got, (unsigned long long)raw_size);
  size_t bpp = (size_t)(g->channels * g->depth + 7) / 8, off = 0;
  for (int p = 0; p < n_passes && rc == 0; p++) {
    uint32_t pw, ph;
    pass_size(g, passes[p], &pw, &ph);
    if (!pw || !ph) continue;
    size_t n = row_bytes(g, pw);
    const uint8_t *prev = NULL;
    for (uint32_t r = 0; r < ph && rc == 0; r++, off += n + 1) {
      uint8_t *row = raw + off + 1;
      if (unfilter(row, prev, n, bpp, raw[off])) {
        rc = qi_image_fail(err, errlen, "invalid filter type %d", raw[off]);
        break;
      }
      rc = emit_row(g, row, pw, passes[p][1] + r * passes[p][3], passes[p][0], passes[p][2], err, errlen);
      prev = row;
    }
  }
  free(raw);
  return rc;
}

int qi_png_decode(const uint8_t *data, size_t size, qi_image *img, char *err, size_t errlen) {
  memset(img, 0, sizeof *img);
  if (size < 8 || memcmp(data, "\x89PNG\r\n\x1a\n", 8) != 0) return qi_image_fail(err, errlen, "not a PNG file");
  uint32_t crcs[256];
  crc_table(crcs);
  png g;
  memset(&g, 0, sizeof g);
  /* first walk: check every chunk and its CRC, read IHDR and PLTE, add up the IDAT lengths */
  size_t pos = 8, idat_len = 0;
  int have_header = 0, have_end = 0, have_palette = 0;
  while (!have_end) {
    if (size - pos < 12) return qi_image_fail(err, errlen, "truncated file (no IEND chunk)");
    uint32_t len = be32(data + pos);
    const uint8_t *type = data + pos + 4, *body = data + pos + 8;
    if (len > 0x7fffffffu || size - pos - 12 < len) return qi_image_fail(err, errlen, "truncated chunk");
    char name[5] = {0};
    for (int i = 0; i < 4; i++) {
      uint8_t c = type[i];
      if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return qi_image_fail(err, errlen, "invalid chunk type");
      name[i] = (char)c;
    }
    if (crc32(crcs, type, (size_t)len + 4) != be32(body + len))
      return qi_image_fail(err, errlen, "CRC mismatch in chunk %s", name);
    if (!have_header && strcmp(name, "IHDR") != 0) return qi_image_fail(err, errlen, "first chunk is not IHDR");
    if (!strcmp(name, "IHDR")) {
      if (have_header) return qi_image_fail(err, errlen, "second IHDR chunk");
      if (len != 13) return qi_image_fail(err, errlen, "IHDR chunk of %u bytes", len);
      if (check_header(&g, body, err, errlen)) return -1;
      have_header = 1;
    } else if (!strcmp(name, "PLTE")) {
      if (have_palette) return qi_image_fail(err, errlen, "second PLTE chunk");
      if (len % 3 || len == 0 || len > 768) return qi_image_fail(err, errlen, "PLTE chunk of %u bytes", len);
      memcpy(g.palette, body, len);
      g.n_palette = (int)(len / 3);
      have_palette = 1;
    } else if (!strcmp(name, "IDAT")) {
      idat_len += len;
    } else if (!strcmp(name, "IEND")) {
      have_end = 1;
    } else if (name[0] >= 'A' && name[0] <= 'Z') {
      return qi_image_fail(err, errlen, "unknown critical chunk %s", name);
    }
    pos += (size_t)len + 12;
  }
  if (idat_len == 0) return qi_image_fail(err, errlen, "no image data (IDAT)");
  if (g.color == 3 && !have_palette) return qi_image_fail(err, errlen, "palette image without PLTE");
  /* second walk: gather the IDAT payloads (the stream may be split anywhere) */
  uint8_t *idat = malloc(idat_len);
  if (!idat) return qi_image_fail(err, errlen, "out of memory");
  size_t n = 0;
  for (pos = 8; n < idat_len;) {
    uint32_t len = be32(data + pos);
    if (!memcmp(data + pos + 4, "IDAT", 4)) {
      memcpy(idat + n, data + pos + 8, len);
      n += len;
    }
    pos += (size_t)len + 12;
  }
  int rc = decode_pixels(&g, idat, idat_len, err, errlen);
  free(idat);
  if (rc) {
    free(g.rgb);
    return -1;
  }
  img->width = (int)g.width;
  img->height = (int)g.height;
  img->rgb = g.rgb;
  return 0;
}
