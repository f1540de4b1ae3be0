/* JPEG decoding (ITU T.81, JFIF) into 8-bit RGB: baseline / extended sequential Huffman (SOF0, SOF1) and
 * progressive (SOF2), 8-bit samples, 1 or 3 components, integral sampling factors, restart intervals.
 * Lossless, hierarchical and arithmetic-coded files, 12-bit samples and CMYK are refused.
 *
 * All scans are entropy-decoded into per-component coefficient arrays first (one path for sequential and
 * progressive files); at EOI every block is dequantized with the table its component had at its first scan
 * and inverse-transformed, then chroma is upsampled and converted to RGB one output row at a time.
 *
 * Where libjpeg (and so PIL) has a default, we follow it: "fancy" (triangular) upsampling for 2x ratios,
 * the JFIF YCbCr -> RGB conversion in 16-bit fixed point with its rounding, and the color space guessed as
 * libjpeg guesses it (JFIF -> YCbCr, else the Adobe transform flag, else component ids 'R','G','B' -> RGB).
 * The IDCT is a separable floating-point one rounded to nearest, so pixels can differ from libjpeg's
 * integer IDCT (JDCT_ISLOW) by a unit or two; tests/image measures it. Corrupt entropy data (a bad code,
 * a run past the block, data that ends before the scan does, a wrong restart marker) is an error. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/quant/image/image.h"

/* zigzag[k] = natural (row-major) index of the k-th coefficient in zigzag order */
static const uint8_t zigzag[64] = {0,  1,  8,  16, 9,  2,  3,  10, 17, 24, 32, 25, 18, 11, 4,  5,
                                   12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6,  7,  14, 21, 28,
                                   35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
                                   58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63};

/* ---- Huffman tables ----
 * DHT gives the number of codes of each length 1..16 and the symbols in code order; codes are canonical:
 * consecutive within a length, and each length starts at (previous length's next code) << 1. A lookup by
 * the next FAST_BITS bits (MSB first) resolves short codes at once; longer ones are matched length by length
 * (a code of length L is valid when code - first[L] < count[L]). */
#define FAST_BITS 9

typedef struct jhuff {
  uint16_t fast[1 << FAST_BITS]; /* (length << 8) | symbol, 0 for longer codes */
  int first[17], offset[17], count[17];
  uint8_t symbol[256];
  int defined;
} jhuff;

static int jhuff_build(jhuff *h, const uint8_t counts[16], const uint8_t *symbols) {
  memset(h, 0, sizeof *h);
  int code = 0, k = 0;
  for (int len = 1; len <= 16; len++) {
    h->first[len] = code;
    h->offset[len] = k;
    h->count[len] = counts[len - 1];
    for (int j = 0; j < counts[len - 1]; j++, code++, k++) {
      if (code >= 1 << len) return -1; /* more codes than fit in len bits */
      h->symbol[k] = symbols[k];
      if (len <= FAST_BITS)
        for (int f = code << (FAST_BITS - len); f < (code + 1) << (FAST_BITS - len); f++)
          h->fast[f] = (uint16_t)(len << 8 | symbols[k]);
    }
    code <<= 1;
  }
  h->defined = 1;
  return 0;
}

typedef struct jcomp {
  int id, h, v, tq;
  int dc, ac;            /* table numbers in the current scan */
  int dw, dh;            /* size in samples: ceil(width * h / hmax) x ceil(height * v / vmax) */
  int bw, bh;            /* stored blocks per row / column (whole MCUs) */
  int16_t *coef;         /* bw * bh blocks of 64, natural order */
  uint16_t q[64];        /* quantization table latched at the component's first scan */
  int in_scan;           /* has been in a scan (q is set) */
  int pred;              /* DC predictor */
  uint8_t *plane;        /* bw * 8 x bh * 8 samples after the IDCT */
} jcomp;

typedef struct jdec {
  const uint8_t *data;
  size_t size, pos;
  char *err;
  size_t errlen;
  uint16_t qt[4][64];
  int qt_defined[4];
  jhuff dc[4], ac[4];
  int have_frame, progressive, width, height, ncomp, hmax, vmax, mcux, mcuy;
  jcomp comp[3];
  int restart_interval, saw_jfif, saw_adobe, adobe_transform;
  /* current scan */
  int ns, scomp[4], ss, se, ah, al, eobrun;
  /* entropy-coded data reader: bits left-aligned in buf; after a marker or the end of the data it feeds
   * zero bytes and counts them in pad, so reading past the data shows as cnt < pad */
  size_t bpos;
  uint64_t buf;
  int cnt, pad, marker_hit;
} jdec;

#define FAIL(...) qi_image_fail(d->err, d->errlen, __VA_ARGS__)

static int be16(const uint8_t *p) { return p[0] << 8 | p[1]; }

static int16_t clamp16(int v) { return (int16_t)(v < -32768 ? -32768 : v > 32767 ? 32767 : v); }

/* ---- entropy-coded data ---- */

static void refill(jdec *d) {
  while (d->cnt <= 56) {
    unsigned b = 0;
    int real = 0;
    if (!d->marker_hit && d->bpos < d->size) {
      b = d->data[d->bpos];
      if (b != 0xFF) {
        d->bpos++;
        real = 1;
      } else if (d->bpos + 1 < d->size && d->data[d->bpos + 1] == 0) { /* stuffed 0xFF 0x00 */
        d->bpos += 2;
        real = 1;
      } else {
        d->marker_hit = 1;
      }
    }
    if (!real) {
      b = 0;
      d->pad += 8;
    }
    d->buf |= (uint64_t)b << (56 - d->cnt);
    d->cnt += 8;
  }
}

static int getbits(jdec *d, int n) { /* 0 <= n <= 16 */
  if (n == 0) return 0;
  if (d->cnt < n) refill(d);
  int v = (int)(d->buf >> (64 - n));
  d->buf <<= n;
  d->cnt -= n;
  return v;
}

/* A coefficient of category s from its s extra bits: the upper half of the range is positive. */
static int extend(int v, int s) { return s && v < 1 << (s - 1) ? v - (1 << s) + 1 : v; }

static int decode(jdec *d, const jhuff *h) {
  if (d->cnt < 16) refill(d);
  unsigned e = h->fast[d->buf >> (64 - FAST_BITS)];
  if (e) {
    d->buf <<= e >> 8;
    d->cnt -= (int)(e >> 8);
    return (int)(e & 255);
  }
  int code = 0;
  for (int len = 1; len <= 16; len++) {
    code = code << 1 | (int)((d->buf >> (64 - len)) & 1);
    if ((unsigned)(code - h->first[len]) < (unsigned)h->count[len]) {
      d->buf <<= len;
      d->cnt -= len;
      return h->symbol[h->offset[len] + code - h->first[len]];
    }
  }
  return -1;
}

/* ---- block decoders, one per scan kind ---- */

static int dc_first(jdec *d, jcomp *c, int16_t *blk) {
  int s = decode(d, &d->dc[c->dc]);
  if (s < 0 || s > 11) return FAIL("corrupt data: bad DC code");
  int p = c->pred + extend(getbits(d, s), s);
  c->pred = p < -65536 ? -65536 : p > 65536 ? 65536 : p;
  blk[0] = clamp16(c->pred * (1 << d->al));
  return 0;
}

static int block_sequential(jdec *d, jcomp *c, int16_t *blk) {
  if (dc_first(d, c, blk)) return -1;
  for (int k = 1; k < 64; k++) {
    int rs = decode(d, &d->ac[c->ac]);
    if (rs < 0) return FAIL("corrupt data: bad AC code");
    int r = rs >> 4, s = rs & 15;
    if (s) {
      k += r;
      if (k > 63) return FAIL("corrupt data: AC run past the end of a block");
      blk[zigzag[k]] = (int16_t)extend(getbits(d, s), s);
    } else if (r == 15) {
      k += 15; /* ZRL: sixteen zeros */
    } else {
      break; /* EOB */
    }
  }
  return 0;
}

static int dc_refine(jdec *d, jcomp *c, int16_t *blk) {
  (void)c;
  if (getbits(d, 1)) blk[0] = (int16_t)(blk[0] | (1 << d->al));
  return 0;
}

/* First scan of an AC band: like sequential AC, plus EOB runs (EOBn: the next 2^n + extra blocks end here). */
static int ac_first(jdec *d, jcomp *c, int16_t *blk) {
  if (d->eobrun > 0) {
    d->eobrun--;
    return 0;
  }
  for (int k = d->ss; k <= d->se; k++) {
    int rs = decode(d, &d->ac[c->ac]);
    if (rs < 0) return FAIL("corrupt data: bad AC code");
    int r = rs >> 4, s = rs & 15;
    if (s) {
      k += r;
      if (k > d->se) return FAIL("corrupt data: AC run past the end of the band");
      blk[zigzag[k]] = clamp16(extend(getbits(d, s), s) * (1 << d->al));
    } else if (r == 15) {
      k += 15;
    } else {
      d->eobrun = (1 << r) - 1 + getbits(d, r);
      break;
    }
  }
  return 0;
}

/* A correction bit for a coefficient that is already nonzero: adds one more bit of magnitude. */
static void refine_one(jdec *d, int16_t *co) {
  int p1 = 1 << d->al;
  if (getbits(d, 1) && (*co & p1) == 0) *co = clamp16(*co + (*co >= 0 ? p1 : -p1));
}

/* Refinement scan of an AC band (T.81 G.1.2.3): each symbol gives a run r of still-zero coefficients to skip
 * and, when s = 1, a new coefficient of magnitude 2^Al placed after them; every already-nonzero coefficient
 * passed on the way (and, after an EOB, every one to the end of the band) reads one correction bit. */
static int ac_refine(jdec *d, jcomp *c, int16_t *blk) {
  int k = d->ss;
  if (d->eobrun == 0) {
    for (; k <= d->se; k++) {
      int rs = decode(d, &d->ac[c->ac]);
      if (rs < 0) return FAIL("corrupt data: bad AC code");
      int r = rs >> 4, s = rs & 15, value = 0;
      if (s) {
        if (s != 1) return FAIL("corrupt data: bad AC refinement");
        value = getbits(d, 1) ? 1 << d->al : -(1 << d->al);
      } else if (r != 15) {
        d->eobrun = (1 << r) + getbits(d, r);
        break; /* the rest of this band is refined below */
      }
      for (; k <= d->se; k++) {
        int16_t *co = &blk[zigzag[k]];
        if (*co) {
          refine_one(d, co);
        } else if (r-- == 0) {
          if (value) *co = (int16_t)value;
          break;
        }
      }
    }
  }
  if (d->eobrun > 0) {
    for (; k <= d->se; k++)
      if (blk[zigzag[k]]) refine_one(d, &blk[zigzag[k]]);
    d->eobrun--;
  }
  return 0;
}

/* ---- scans ---- */

typedef int (*block_fn)(jdec *, jcomp *, int16_t *);

static void reset_reader(jdec *d, size_t pos) {
  d->bpos = pos;
  d->buf = 0;
  d->cnt = d->pad = d->marker_hit = 0;
}

static size_t find_marker(const jdec *d, size_t p) {
  while (p + 1 < d->size && !(d->data[p] == 0xFF && d->data[p + 1] != 0 && d->data[p + 1] != 0xFF)) p++;
  return p;
}

static int restart(jdec *d, int n) {
  size_t p = find_marker(d, d->bpos);
  if (p + 1 >= d->size || d->data[p + 1] != 0xD0 + n) return FAIL("corrupt data: expected restart marker %d", n);
  reset_reader(d, p + 2);
  d->eobrun = 0;
  for (int i = 0; i < d->ns; i++) d->comp[d->scomp[i]].pred = 0;
  return 0;
}

static int16_t *block_at(jcomp *c, int bx, int by) { return c->coef + ((size_t)by * (size_t)c->bw + (size_t)bx) * 64; }

static int decode_scan(jdec *d) {
  block_fn fn;
  if (!d->progressive) fn = block_sequential;
  else if (d->ss == 0) fn = d->ah ? dc_refine : dc_first;
  else fn = d->ah ? ac_refine : ac_first;
  reset_reader(d, d->pos);
  d->eobrun = 0;
  for (int i = 0; i < d->ns; i++) d->comp[d->scomp[i]].pred = 0;
  jcomp *c0 = &d->comp[d->scomp[0]];
  /* a one-component scan covers that component's blocks in raster order, one block per MCU; otherwise each
   * MCU holds h x v blocks of every component in the scan */
  int bw = (c0->dw + 7) / 8, bh = (c0->dh + 7) / 8;
  size_t total = d->ns == 1 ? (size_t)bw * (size_t)bh : (size_t)d->mcux * (size_t)d->mcuy;
  int rst = 0;
  for (size_t m = 0; m < total; m++) {
    if (d->restart_interval && m && m % (size_t)d->restart_interval == 0) {
      if (restart(d, rst)) return -1;
      rst = (rst + 1) & 7;
    }
    if (d->ns == 1) {
      if (fn(d, c0, block_at(c0, (int)(m % (size_t)bw), (int)(m / (size_t)bw)))) return -1;
    } else {
      int mx = (int)(m % (size_t)d->mcux), my = (int)(m / (size_t)d->mcux);
      for (int i = 0; i < d->ns; i++) {
        jcomp *c = &d->comp[d->scomp[i]];
        for (int by = 0; by < c->v; by++)
          for (int bx = 0; bx < c->h; bx++)
            if (fn(d, c, block_at(c, mx * c->h + bx, my * c->v + by))) return -1;
      }
    }
    if (d->cnt < d->pad) return FAIL("truncated or corrupt entropy-coded data");
  }
  d->pos = d->bpos; /* the marker search skips what is left of the segment */
  return 0;
}

/* ---- marker segments ---- */

static int read_frame(jdec *d, const uint8_t *s, int len, int marker) {
  if (d->have_frame) return FAIL("more than one frame header");
  if (len < 6) return FAIL("short SOF segment");
  if (s[0] != 8) return FAIL("%d-bit samples are not supported", s[0]);
  d->height = be16(s + 1);
  d->width = be16(s + 3);
  d->ncomp = s[5];
  d->progressive = marker == 0xC2;
  if (d->height == 0) return FAIL("height 0 (DNL marker) is not supported");
  if (qi_image_check_size((uint64_t)d->width, (uint64_t)d->height, d->err, d->errlen)) return -1;
  if (d->ncomp != 1 && d->ncomp != 3) return FAIL("%d components are not supported (only gray and YCbCr/RGB)", d->ncomp);
  if (len != 6 + 3 * d->ncomp) return FAIL("bad SOF segment length");
  /* the component with the largest sampling factors needs >= 1 bit per block in some scan: refuse sizes the
   * file cannot hold before allocating for them */
  uint64_t blocks = (uint64_t)((d->width + 7) / 8) * (uint64_t)((d->height + 7) / 8);
  if (blocks > (uint64_t)d->size * 8) return FAIL("file too short for %dx%d pixels", d->width, d->height);
  d->hmax = d->vmax = 1;
  for (int i = 0; i < d->ncomp; i++) {
    jcomp *c = &d->comp[i];
    c->id = s[6 + 3 * i];
    c->h = s[7 + 3 * i] >> 4;
    c->v = s[7 + 3 * i] & 15;
    c->tq = s[8 + 3 * i];
    if (c->h < 1 || c->h > 4 || c->v < 1 || c->v > 4) return FAIL("bad sampling factors %dx%d", c->h, c->v);
    if (c->tq > 3) return FAIL("bad quantization table number %d", c->tq);
    for (int j = 0; j < i; j++)
      if (d->comp[j].id == c->id) return FAIL("duplicate component id %d", c->id);
    if (d->ncomp == 1) c->h = c->v = 1; /* a lone component is never interleaved */
    if (c->h > d->hmax) d->hmax = c->h;
    if (c->v > d->vmax) d->vmax = c->v;
  }
  d->mcux = (d->width + 8 * d->hmax - 1) / (8 * d->hmax);
  d->mcuy = (d->height + 8 * d->vmax - 1) / (8 * d->vmax);
  for (int i = 0; i < d->ncomp; i++) {
    jcomp *c = &d->comp[i];
    if (d->hmax % c->h || d->vmax % c->v) return FAIL("unsupported sampling factors (non-integral ratio)");
    c->dw = (d->width * c->h + d->hmax - 1) / d->hmax;
    c->dh = (d->height * c->v + d->vmax - 1) / d->vmax;
    c->bw = d->mcux * c->h;
    c->bh = d->mcuy * c->v;
    c->coef = calloc((size_t)c->bw * (size_t)c->bh * 64, sizeof *c->coef);
    if (!c->coef) return FAIL("out of memory");
  }
  d->have_frame = 1;
  return 0;
}

static int read_huffman(jdec *d, const uint8_t *s, int len) {
  while (len > 0) {
    if (len < 17) return FAIL("short DHT segment");
    int tc = s[0] >> 4, th = s[0] & 15, n = 0;
    if (tc > 1 || th > 3) return FAIL("bad Huffman table class or number");
    for (int i = 0; i < 16; i++) n += s[1 + i];
    if (n > 256 || 17 + n > len) return FAIL("bad DHT segment");
    if (jhuff_build(tc ? &d->ac[th] : &d->dc[th], s + 1, s + 17)) return FAIL("bad Huffman table");
    s += 17 + n;
    len -= 17 + n;
  }
  return 0;
}

static int read_quant(jdec *d, const uint8_t *s, int len) {
  while (len > 0) {
    int pq = s[0] >> 4, tq = s[0] & 15, n = pq ? 129 : 65;
    if (pq > 1 || tq > 3) return FAIL("bad quantization table precision or number");
    if (len < n) return FAIL("short DQT segment");
    for (int k = 0; k < 64; k++) d->qt[tq][zigzag[k]] = (uint16_t)(pq ? be16(s + 1 + 2 * k) : s[1 + k]);
    d->qt_defined[tq] = 1;
    s += n;
    len -= n;
  }
  return 0;
}

static int read_scan(jdec *d, const uint8_t *s, int len) {
  if (!d->have_frame) return FAIL("scan before the frame header");
  d->ns = len >= 1 ? s[0] : 0;
  if (d->ns < 1 || d->ns > d->ncomp || len != 4 + 2 * d->ns) return FAIL("bad SOS segment");
  int blocks = 0;
  for (int i = 0; i < d->ns; i++) {
    int id = s[1 + 2 * i], k = 0;
    while (k < d->ncomp && d->comp[k].id != id) k++;
    if (k == d->ncomp) return FAIL("scan names unknown component %d", id);
    for (int j = 0; j < i; j++)
      if (d->scomp[j] == k) return FAIL("component %d twice in a scan", id);
    d->scomp[i] = k;
    jcomp *c = &d->comp[k];
    c->dc = s[2 + 2 * i] >> 4;
    c->ac = s[2 + 2 * i] & 15;
    if (c->dc > 3 || c->ac > 3) return FAIL("bad Huffman table number");
    blocks += c->h * c->v;
  }
  if (d->ns > 1 && blocks > 10) return FAIL("too many blocks in an MCU");
  const uint8_t *t = s + 1 + 2 * d->ns;
  d->ss = t[0];
  d->se = t[1];
  d->ah = t[2] >> 4;
  d->al = t[2] & 15;
  if (!d->progressive) {
    d->ss = 0; /* sequential scans always carry whole blocks; libjpeg ignores other values too */
    d->se = 63;
    d->ah = d->al = 0;
  } else {
    if (d->ss > d->se || d->se > 63 || (d->ss == 0 && d->se != 0) || (d->ss > 0 && d->ns != 1))
      return FAIL("bad progressive scan band %d..%d", d->ss, d->se);
    if (d->al > 13 || (d->ah && d->ah != d->al + 1)) return FAIL("bad successive approximation %d/%d", d->ah, d->al);
  }
  for (int i = 0; i < d->ns; i++) {
    jcomp *c = &d->comp[d->scomp[i]];
    if (d->ss == 0 && !d->ah && !d->dc[c->dc].defined) return FAIL("DC Huffman table %d not defined", c->dc);
    if (d->se > 0 && !d->ac[c->ac].defined) return FAIL("AC Huffman table %d not defined", c->ac);
    if (!c->in_scan) {
      if (!d->qt_defined[c->tq]) return FAIL("quantization table %d not defined", c->tq);
      memcpy(c->q, d->qt[c->tq], sizeof c->q);
      c->in_scan = 1;
    }
  }
  return decode_scan(d);
}

/* ---- reconstruction ---- */

/* Separable 8x8 inverse DCT: f(x,y) = sum_u sum_v T[x][u] T[y][v] F(v,u), T[x][u] = C(u)/2 cos((2x+1)u pi/16)
 * with C(0) = 1/sqrt(2), C(u) = 1; rows first (skipping all-zero rows), then columns; + 128, rounded. */
typedef struct idct_table {
  float t[8][8]; /* t[x][u] */
} idct_table;

static void idct_block(const int16_t *coef, const uint16_t *q, const idct_table *tab, uint8_t *out, size_t stride) {
  float rows[64];
  for (int v = 0; v < 8; v++) {
    float f[8];
    int any = 0;
    for (int u = 0; u < 8; u++) any |= (f[u] = (float)coef[v * 8 + u] * (float)q[v * 8 + u]) != 0.0f;
    for (int x = 0; x < 8; x++) {
      float s = 0;
      for (int u = 0; any && u < 8; u++) s += tab->t[x][u] * f[u];
      rows[v * 8 + x] = s;
    }
  }
  for (int x = 0; x < 8; x++)
    for (int y = 0; y < 8; y++) {
      float s = 128.0f;
      for (int v = 0; v < 8; v++) s += tab->t[y][v] * rows[v * 8 + x];
      out[(size_t)y * stride + (size_t)x] = (uint8_t)(s <= 0.0f ? 0 : s >= 255.0f ? 255 : (int)(s + 0.5f));
    }
}

/* Row y of component c upsampled to the image width. 2x ratios use libjpeg's "fancy" triangle filter: each
 * output sample is 3/4 of the nearest input sample and 1/4 of the next nearest (in 2D, 9/16, 3/16, 3/16,
 * 1/16), edges replicated, with libjpeg's alternating rounding biases; libjpeg falls back to replication
 * for 2x-wide planes of at most 2 samples, and so do we. Other ratios replicate samples. */
static void upsample_row(const jdec *d, const jcomp *c, int y, int *sum, uint8_t *out) {
  int fx = d->hmax / c->h, fy = d->vmax / c->v, w = d->width, dw = c->dw;
  size_t stride = (size_t)c->bw * 8;
  const uint8_t *near = c->plane + (size_t)(y / fy) * stride;
  if (fy == 2 && (fx == 1 || (fx == 2 && dw > 2))) {
    int ny = y / 2, fary = y & 1 ? (ny + 1 < c->dh ? ny + 1 : ny) : (ny > 0 ? ny - 1 : 0);
    const uint8_t *far = c->plane + (size_t)fary * stride;
    if (fx == 1) {
      int bias = y & 1 ? 2 : 1;
      for (int x = 0; x < w; x++) out[x] = (uint8_t)((3 * near[x] + far[x] + bias) >> 2);
      return;
    }
    for (int i = 0; i < dw; i++) sum[i] = 3 * near[i] + far[i];
    for (int i = 0; i < dw; i++) {
      int left = sum[i > 0 ? i - 1 : 0], right = sum[i + 1 < dw ? i + 1 : i];
      out[2 * i] = (uint8_t)((3 * sum[i] + left + 8) >> 4);
      if (2 * i + 1 < w) out[2 * i + 1] = (uint8_t)((3 * sum[i] + right + 7) >> 4);
    }
    return;
  }
  if (fx == 2 && fy == 1 && dw > 2) {
    for (int i = 0; i < dw; i++) {
      int left = near[i > 0 ? i - 1 : 0], right = near[i + 1 < dw ? i + 1 : i];
      out[2 * i] = (uint8_t)((3 * near[i] + left + 1) >> 2);
      if (2 * i + 1 < w) out[2 * i + 1] = (uint8_t)((3 * near[i] + right + 2) >> 2);
    }
    return;
  }
  for (int x = 0; x < w; x++) out[x] = near[x / fx];
}

static uint8_t clamp255(int v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); }

static int reconstruct(jdec *d, qi_image *img) {
  for (int i = 0; i < d->ncomp; i++)
    if (!d->comp[i].in_scan) return FAIL("component %d has no scan", d->comp[i].id);
  idct_table tab;
  for (int x = 0; x < 8; x++)
    for (int u = 0; u < 8; u++)
      tab.t[x][u] = (float)((u ? 0.5 : 0.5 / sqrt(2.0)) * cos((2 * x + 1) * u * 3.14159265358979323846 / 16));
  for (int i = 0; i < d->ncomp; i++) {
    jcomp *c = &d->comp[i];
    size_t stride = (size_t)c->bw * 8;
    if (!(c->plane = malloc(stride * (size_t)c->bh * 8))) return FAIL("out of memory");
    for (int by = 0; by < (c->dh + 7) / 8; by++)
      for (int bx = 0; bx < (c->dw + 7) / 8; bx++)
        idct_block(block_at(c, bx, by), c->q, &tab, c->plane + (size_t)by * 8 * stride + (size_t)bx * 8, stride);
  }
  int w = d->width, h = d->height;
  img->rgb = malloc((size_t)w * (size_t)h * 3);
  uint8_t *rows = malloc((size_t)(w + 8) * 3);
  int *sum = malloc(sizeof(int) * (size_t)(w + 8));
  if (!img->rgb || !rows || !sum) {
    free(rows);
    free(sum);
    return FAIL("out of memory");
  }
  img->width = w;
  img->height = h;
  int rgb = d->ncomp == 3 && (d->saw_jfif ? 0
                              : d->saw_adobe ? d->adobe_transform == 0
                                             : d->comp[0].id == 'R' && d->comp[1].id == 'G' && d->comp[2].id == 'B');
  uint8_t *r0 = rows, *r1 = rows + w + 8, *r2 = rows + 2 * (w + 8);
  for (int y = 0; y < h; y++) {
    uint8_t *out = img->rgb + (size_t)y * (size_t)w * 3;
    upsample_row(d, &d->comp[0], y, sum, r0);
    if (d->ncomp == 1) {
      for (int x = 0; x < w; x++) out[3 * x] = out[3 * x + 1] = out[3 * x + 2] = r0[x];
      continue;
    }
    upsample_row(d, &d->comp[1], y, sum, r1);
    upsample_row(d, &d->comp[2], y, sum, r2);
    for (int x = 0; x < w; x++) {
      if (rgb) {
        out[3 * x] = r0[x];
        out[3 * x + 1] = r1[x];
        out[3 * x + 2] = r2[x];
        continue;
      }
      /* JFIF: R = Y + 1.402 Cr', G = Y - 0.34414 Cb' - 0.71414 Cr', B = Y + 1.772 Cb' (Cb' = Cb - 128), each
       * factor in 16-bit fixed point (round(f * 65536)) and each term rounded half up, as libjpeg does */
      int yy = r0[x], cb = r1[x] - 128, cr = r2[x] - 128;
      out[3 * x] = clamp255(yy + ((91881 * cr + 32768) >> 16));
      out[3 * x + 1] = clamp255(yy + ((-22554 * cb - 46802 * cr + 32768) >> 16));
      out[3 * x + 2] = clamp255(yy + ((116130 * cb + 32768) >> 16));
    }
  }
  free(rows);
  free(sum);
  return 0;
}

static int decode_all(jdec *d, qi_image *img) {
  if (d->size < 2 || d->data[0] != 0xFF || d->data[1] != 0xD8) return FAIL("not a JPEG file");
  d->pos = 2;
  for (;;) {
    size_t p = find_marker(d, d->pos);
    if (p + 1 >= d->size) return FAIL("truncated file (no EOI marker)");
    int m = d->data[p + 1];
    d->pos = p + 2;
    if (m == 0xD9) break; /* EOI */
    if (m == 0xD8) return FAIL("second SOI marker");
    if ((m >= 0xD0 && m <= 0xD7) || m == 0x01) continue; /* stray RSTn / TEM: no segment */
    if (d->size - d->pos < 2) return FAIL("truncated marker segment");
    int len = be16(d->data + d->pos);
    if (len < 2 || d->size - d->pos < (size_t)len) return FAIL("truncated marker segment");
    const uint8_t *s = d->data + d->pos + 2;
    len -= 2;
    d->pos += (size_t)len + 2;
    int rc = 0;
    if (m == 0xC0 || m == 0xC1 || m == 0xC2) {
      rc = read_frame(d, s, len, m);
    } else if ((m >= 0xC3 && m <= 0xCF) && m != 0xC4 && m != 0xC8 && m != 0xCC) {
      rc = FAIL("unsupported JPEG process (SOF%d: lossless, hierarchical or arithmetic-coded)", m - 0xC0);
    } else if (m == 0xC4) {
      rc = read_huffman(d, s, len);
    } else if (m == 0xCC) {
      rc = FAIL("arithmetic coding is not supported");
    } else if (m == 0xDB) {
      rc = read_quant(d, s, len);
    } else if (m == 0xDD) {
      if (len != 2) return FAIL("bad DRI segment");
      d->restart_interval = be16(s);
    } else if (m == 0xDA) {
      rc = read_scan(d, s, len);
    } else if (m == 0xDC) {
      rc = FAIL("DNL markers are not supported");
    } else if (m == 0xE0 && len >= 14 && !memcmp(s, "JFIF\0", 5)) {
      d->saw_jfif = 1;
    } else if (m == 0xEE && len >= 12 && !memcmp(s, "Adobe", 5)) {
      d->saw_adobe = 1;
      d->adobe_transform = s[11];
    } /* other APPn, COM, ...: skipped */
    if (rc) return -1;
  }
  if (!d->have_frame) return FAIL("no frame header (SOF)");
  return reconstruct(d, img);
}

int qi_jpeg_decode(const uint8_t *data, size_t size, qi_image *img, char *err, size_t errlen) {
  memset(img, 0, sizeof *img);
  jdec *d = calloc(1, sizeof *d);
  if (!d) return qi_image_fail(err, errlen, "out of memory");
  d->data = data;
  d->size = size;
  d->err = err;
  d->errlen = errlen;
  int rc = decode_all(d, img);
  for (int i = 0; i < 3; i++) {
    free(d->comp[i].coef);
    free(d->comp[i].plane);
  }
  free(d);
  if (rc) qi_image_free(img);
  return rc;
}
