#include "engine/quant/image/inflate.h"

#include <string.h>

/* ---- LSB-first bit reader: bits enter at the top of a 64-bit buffer as whole bytes ---- */

typedef struct bitreader {
  const uint8_t *src;
  size_t len, pos;
  uint64_t buf; /* next bit is bit 0 */
  int cnt;      /* valid bits in buf */
} bitreader;

static void refill(bitreader *b) {
  while (b->cnt <= 56 && b->pos < b->len) {
    b->buf |= (uint64_t)b->src[b->pos++] << b->cnt;
    b->cnt += 8;
  }
}

/* n <= 32 bits; false when the input ends first. */
static int getbits(bitreader *b, int n, uint32_t *v) {
  if (b->cnt < n) refill(b);
  if (b->cnt < n) return 0;
  *v = (uint32_t)(b->buf & ((1ull << n) - 1));
  b->buf >>= n;
  b->cnt -= n;
  return 1;
}

/* ---- Canonical Huffman codes ----
 * DEFLATE gives only code lengths; codes of one length are consecutive integers in symbol order, and each
 * length's first code is (last code of the previous length + 1) << 1. Codes are sent most significant bit
 * first inside the LSB-first stream, so a table indexed by the next FAST_BITS stream bits holds each short
 * code bit-reversed, repeated for every value of the bits after it. Longer codes are decoded bit by bit
 * against the per-length counts: code - first_code_of_length < count means it is that length's symbol. */

#define FAST_BITS 9
#define MAX_BITS 15

typedef struct huffman {
  uint16_t fast[1 << FAST_BITS]; /* (length << 9) | symbol, 0 for a longer (or absent) code */
  uint16_t count[MAX_BITS + 1];  /* codes of each length */
  uint16_t symbol[288];          /* symbols in code order */
} huffman;

/* allow_single: a set with one code of length 1 (a lone distance code) may be incomplete. Empty sets are
 * allowed; decoding from one fails. */
static const char *build(huffman *h, const uint8_t *lens, int n, int allow_single) {
  uint16_t offs[MAX_BITS + 2];
  memset(h->count, 0, sizeof h->count);
  memset(h->fast, 0, sizeof h->fast);
  for (int i = 0; i < n; i++) h->count[lens[i]]++;
  h->count[0] = 0;
  int left = 1, used = 0, max = 0;
  for (int len = 1; len <= MAX_BITS; len++) {
    left = (left << 1) - h->count[len];
    if (left < 0) return "over-subscribed Huffman code";
    used += h->count[len];
    if (h->count[len]) max = len;
  }
  if (left > 0 && used > 0 && !(allow_single && used == 1 && max == 1)) return "incomplete Huffman code";
  offs[1] = 0;
  for (int len = 1; len <= MAX_BITS; len++) offs[len + 1] = (uint16_t)(offs[len] + h->count[len]);
  for (int i = 0; i < n; i++)
    if (lens[i]) h->symbol[offs[lens[i]]++] = (uint16_t)i;
  /* offs[len] now ends length len's run; walk the codes again to fill the fast table */
  int code = 0, k = 0;
  for (int len = 1; len <= FAST_BITS; len++) {
    for (int j = 0; j < h->count[len]; j++, code++, k++) {
      int rev = 0;
      for (int b = 0; b < len; b++) rev |= ((code >> b) & 1) << (len - 1 - b);
      for (int f = rev; f < (1 << FAST_BITS); f += 1 << len) h->fast[f] = (uint16_t)((len << 9) | h->symbol[k]);
    }
    code <<= 1;
  }
  return NULL;
}

/* Returns the next symbol, or -1 (truncated input) / -2 (a code not in the set). */
static int decode(bitreader *b, const huffman *h) {
  if (b->cnt < MAX_BITS) refill(b);
  unsigned e = h->fast[b->buf & ((1u << FAST_BITS) - 1)];
  if (e) {
    int len = (int)(e >> 9);
    if (len > b->cnt) return -1;
    b->buf >>= len;
    b->cnt -= len;
    return (int)(e & 511);
  }
  int code = 0, first = 0, index = 0;
  for (int len = 1; len <= MAX_BITS; len++) {
    if (len > b->cnt) return -1;
    code |= (int)((b->buf >> (len - 1)) & 1);
    int count = h->count[len];
    if (code - first < count) {
      b->buf >>= len;
      b->cnt -= len;
      return h->symbol[index + code - first];
    }
    index += count;
    first = (first + count) << 1;
    code <<= 1;
  }
  return -2;
}

static const char *sym_error(int s) { return s == -1 ? "truncated DEFLATE stream" : "invalid Huffman code"; }

/* ---- Blocks ---- */

static const uint16_t len_base[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                      31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                      2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint16_t dist_base[30] = {1,   2,   3,   4,   5,   7,    9,    13,   17,   25,   33,   49,   65,    97,    129,
                                       193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
static const uint8_t dist_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

typedef struct inflater {
  bitreader in;
  uint8_t *dst;
  size_t cap, out;
  huffman lit, dist;
} inflater;

static const char *stored_block(inflater *z) {
  bitreader *b = &z->in;
  /* drop the bits up to the byte boundary, then give back the whole bytes still buffered */
  b->buf >>= b->cnt & 7;
  b->cnt &= ~7;
  b->pos -= (size_t)(b->cnt / 8);
  b->buf = 0;
  b->cnt = 0;
  if (b->len - b->pos < 4) return "truncated DEFLATE stream";
  const uint8_t *p = b->src + b->pos;
  unsigned len = p[0] | (unsigned)p[1] << 8, nlen = p[2] | (unsigned)p[3] << 8;
  if (len != (~nlen & 0xffff)) return "stored block length check failed";
  b->pos += 4;
  if (b->len - b->pos < len) return "truncated DEFLATE stream";
  if (z->cap - z->out < len) return "decompressed data larger than expected";
  memcpy(z->dst + z->out, b->src + b->pos, len);
  z->out += len;
  b->pos += len;
  return NULL;
}

static const char *codes(inflater *z) {
  bitreader *b = &z->in;
  for (;;) {
    int sym = decode(b, &z->lit);
    if (sym < 0) return sym_error(sym);
    if (sym < 256) {
      if (z->out >= z->cap) return "decompressed data larger than expected";
      z->dst[z->out++] = (uint8_t)sym;
      continue;
    }
    if (sym == 256) return NULL;
    sym -= 257;
    if (sym >= 29) return "invalid length symbol";
    uint32_t extra, dextra;
    if (!getbits(b, len_extra[sym], &extra)) return "truncated DEFLATE stream";
    size_t len = len_base[sym] + extra;
    int ds = decode(b, &z->dist);
    if (ds < 0) return sym_error(ds);
    if (ds >= 30) return "invalid distance symbol";
    if (!getbits(b, dist_extra[ds], &dextra)) return "truncated DEFLATE stream";
    size_t dist = dist_base[ds] + dextra;
    if (dist > z->out) return "distance too far back";
    if (z->cap - z->out < len) return "decompressed data larger than expected";
    uint8_t *d = z->dst + z->out;
    const uint8_t *s = d - dist;
    for (size_t i = 0; i < len; i++) d[i] = s[i]; /* byte by byte: the copy may overlap itself */
    z->out += len;
  }
}

static const char *fixed_block(inflater *z) {
  uint8_t lens[288];
  memset(lens, 8, 144);
  memset(lens + 144, 9, 112);
  memset(lens + 256, 7, 24);
  memset(lens + 280, 8, 8);
  const char *e = build(&z->lit, lens, 288, 0);
  memset(lens, 5, 32); /* 30 and 31 complete the code but are invalid */
  if (!e) e = build(&z->dist, lens, 32, 0);
  return e ? e : codes(z);
}

static const char *dynamic_block(inflater *z) {
  static const uint8_t order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
  bitreader *b = &z->in;
  uint32_t hlit, hdist, hclen, v;
  if (!getbits(b, 5, &hlit) || !getbits(b, 5, &hdist) || !getbits(b, 4, &hclen)) return "truncated DEFLATE stream";
  hlit += 257;
  hdist += 1;
  hclen += 4;
  if (hlit > 286 || hdist > 30) return "too many length or distance codes";
  uint8_t lens[286 + 30] = {0};
  for (uint32_t i = 0; i < hclen; i++) {
    if (!getbits(b, 3, &v)) return "truncated DEFLATE stream";
    lens[order[i]] = (uint8_t)v;
  }
  const char *e = build(&z->lit, lens, 19, 0);
  if (e) return e;
  memset(lens, 0, 19);
  /* code lengths: 0-15 literal, 16 repeats the previous 3-6 times, 17 / 18 give 3-10 / 11-138 zeros */
  for (uint32_t n = 0; n < hlit + hdist;) {
    int sym = decode(b, &z->lit);
    if (sym < 0) return sym_error(sym);
    if (sym < 16) {
      lens[n++] = (uint8_t)sym;
      continue;
    }
    uint8_t fill = 0;
    uint32_t rep;
    if (sym == 16) {
      if (n == 0) return "length repeat with no previous length";
      fill = lens[n - 1];
      if (!getbits(b, 2, &rep)) return "truncated DEFLATE stream";
      rep += 3;
    } else if (sym == 17) {
      if (!getbits(b, 3, &rep)) return "truncated DEFLATE stream";
      rep += 3;
    } else {
      if (!getbits(b, 7, &rep)) return "truncated DEFLATE stream";
      rep += 11;
    }
    if (n + rep > hlit + hdist) return "code length repeat past the end";
    memset(lens + n, fill, rep);
    n += rep;
  }
  if (lens[256] == 0) return "no end-of-block code";
  if ((e = build(&z->lit, lens, (int)hlit, 1)) || (e = build(&z->dist, lens + hlit, (int)hdist, 1))) return e;
  return codes(z);
}

const char *qi_inflate(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_cap, size_t *out_len,
                       size_t *in_used) {
  inflater z;
  memset(&z.in, 0, sizeof z.in);
  z.in.src = src;
  z.in.len = src_len;
  z.dst = dst;
  z.cap = dst_cap;
  z.out = 0;
  const char *e = NULL;
  uint32_t final = 0, type;
  while (!e && !final) {
    if (!getbits(&z.in, 1, &final) || !getbits(&z.in, 2, &type)) {
      e = "truncated DEFLATE stream";
      break;
    }
    if (type == 0) e = stored_block(&z);
    else if (type == 1) e = fixed_block(&z);
    else if (type == 2) e = dynamic_block(&z);
    else e = "invalid DEFLATE block type";
  }
  *out_len = z.out;
  if (in_used) *in_used = z.in.pos - (size_t)(z.in.cnt / 8);
  return e;
}

uint32_t qi_adler32(uint32_t adler, const uint8_t *p, size_t n) {
  uint32_t a = adler & 0xffff, b = adler >> 16;
  while (n) {
    size_t k = n < 5552 ? n : 5552; /* the most bytes before b can overflow 32 bits */
    n -= k;
    while (k--) {
      a += *p++;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return b << 16 | a;
}

const char *qi_zlib_decode(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_cap, size_t *out_len) {
  *out_len = 0;
  if (src_len < 2) return "truncated zlib header";
  unsigned cmf = src[0], flg = src[1];
  if ((cmf & 15) != 8 || (cmf >> 4) > 7) return "not a DEFLATE zlib stream";
  if ((cmf << 8 | flg) % 31 != 0) return "zlib header check failed";
  if (flg & 0x20) return "zlib preset dictionaries are not supported";
  size_t used;
  const char *e = qi_inflate(src + 2, src_len - 2, dst, dst_cap, out_len, &used);
  if (e) return e;
  const uint8_t *t = src + 2 + used;
  if (src_len - 2 - used < 4) return "truncated zlib stream (no Adler-32)";
  uint32_t want = (uint32_t)t[0] << 24 | (uint32_t)t[1] << 16 | (uint32_t)t[2] << 8 | t[3];
  if (qi_adler32(1, dst, *out_len) != want) return "zlib Adler-32 mismatch";
  return NULL;
}
