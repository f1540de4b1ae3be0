/* Tester of the qu8 average pooling ukernels (kernels/qu8-avgpool) against naive oracles written here: int64
 * sum of (x - x_zp) over the in-bounds taps in the tensor's own type (uint8, or int8 with no sign flip), the
 * divisor counted tap by tap (in-bounds taps; the taps inside the padded input; or the whole window), the
 * scale composed as x_scale / (y_scale * count), then q = clamp(round_half_even((float)acc * scale) + y_zp,
 * qmin, qmax) (tests/unit/requant_oracle.h); a window with no in-bounds tap gives y_zp. Exact match required, on
 * every kernel of the family's list (qi_qu8_avgpool_config_list) this CPU can run, the others reported as
 * skipped: global pooling CHW and channels-last (lengths around the vector widths, every channel count
 * 1..33), 2-D windows (every padding, stride, dilation, kernel size, overhanging ceil_mode windows, planes smaller
 * than the window) and the N-d kernel (1-3 spatial dims, 1..70 channels). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_list.h"
#include "kernels/qu8-avgpool/qu8-avgpool.h"
#include "requant_oracle.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

static uint32_t rnd(uint32_t *s) {
  *s = *s * 1664525u + 1013904223u;
  return *s >> 8;
}

/* Quantization of one test: in the tensor's own type, plus the kernel parameters in the uint8 domain. */
typedef struct quant {
  int is_s8;
  int32_t x_zp, y_zp, qmin, qmax;
  float x_scale, y_scale;
} quant;

static quant pick_quant(uint32_t *seed) {
  quant q;
  q.is_s8 = (int)(rnd(seed) & 1);
  const int32_t lo = q.is_s8 ? -128 : 0, hi = lo + 255;
  const int32_t zps[] = {lo, hi, lo + 128, lo + 3, lo + (int32_t)(rnd(seed) % 256)};
  const float xs[] = {0.02f, 1.0f / 255.0f, 0.5f, 1e-3f, 3.7f}, ys[] = {0.02f, 0.013f, 1e-3f, 0.9f, 1.0f / 64.0f};
  q.x_zp = zps[rnd(seed) % 5];
  q.y_zp = zps[rnd(seed) % 5];
  q.x_scale = xs[rnd(seed) % 5];
  q.y_scale = ys[rnd(seed) % 5];
  q.qmin = lo, q.qmax = hi;
  if (rnd(seed) % 4 == 0) q.qmin = q.y_zp; /* a fused Relu */
  return q;
}

/* The kernel parameters through the config's initialiser, narrowed to the test's clamp. */
static qi_qu8_avgpool_params kparams(const qi_qu8_avgpool_config *cfg, const quant *q) {
  qi_qu8_avgpool_params p = cfg->init_params(cfg->x_domain, q->x_scale, q->x_zp, q->y_scale, q->y_zp, q->is_s8);
  const int32_t shift = q->is_s8 ? 128 : 0;
  p.qmin = q->qmin + shift, p.qmax = q->qmax + shift;
  return p;
}

static int64_t val(const quant *q, uint8_t raw) { return q->is_s8 ? (int64_t)(int8_t)raw : (int64_t)raw; }

/* The rule, written out: oracle's requantization of a window sum over `count` taps. */
static int32_t oracle_q(const quant *q, int64_t acc, int64_t count) {
  if (count == 0) return q->y_zp;
  return oracle_requant((int32_t)acc, q->x_scale / (q->y_scale * (float)count), q->y_zp, q->qmin, q->qmax);
}

static int32_t got_q(const quant *q, uint8_t raw) { return (int32_t)val(q, raw); }

static void fill(uint8_t *x, size_t n, uint32_t *seed) {
  const uint32_t mode = rnd(seed) % 4;
  for (size_t i = 0; i < n; i++)
    x[i] = mode == 0 ? 255 : mode == 1 ? (uint8_t)(rnd(seed) % 2 ? 0 : 255) : (uint8_t)rnd(seed);
}

static long long n_outputs;

/* Global pooling of n_out outputs of `count` values each: CHW rows (value i of output o at o * count + i) or,
 * with nwc, channels last (at i * n_out + o). */
static void test_global(const qi_qu8_avgpool_config *cfg, bool nwc, size_t n_out, size_t count, uint32_t seed) {
  const quant q = pick_quant(&seed);
  const qi_qu8_avgpool_params p = kparams(cfg, &q);
  const char *name = nwc ? cfg->name_gavgpool_nwc : cfg->name_gavgpool;
  uint8_t *x = malloc(n_out * count), *y = malloc(n_out + 8);
  fill(x, n_out * count, &seed);
  memset(y, 0xA5, n_out + 8);
  if (nwc) cfg->gavgpool_nwc(count, n_out, x, y, &p);
  else cfg->gavgpool(n_out, count, x, y, &p);
  int ok = 1;
  for (size_t o = 0; o < n_out && ok; o++) {
    int64_t acc = 0;
    for (size_t i = 0; i < count; i++) acc += val(&q, x[nwc ? i * n_out + o : o * count + i]) - q.x_zp;
    const int32_t want = oracle_q(&q, acc, (int64_t)count), got = got_q(&q, y[o]);
    if (got != want) {
      fprintf(stderr, "%s: %s %zu outputs of %zu values, x_zp %d y_zp %d q [%d, %d] scales %g / %g: output %zu acc %lld = %d, want %d\n",
              name, q.is_s8 ? "int8" : "uint8", n_out, count, q.x_zp, q.y_zp, q.qmin, q.qmax, (double)q.x_scale,
              (double)q.y_scale, o, (long long)acc, got, want);
      ok = 0;
    }
  }
  for (size_t i = n_out; i < n_out + 8; i++) ok = ok && y[i] == 0xA5;
  CHECK_MSG(ok, "%s: %zu outputs of %zu values", name, n_out, count);
  n_outputs += (long long)n_out;
  free(x), free(y);
}

/* N-d window geometry of a test (dims 1..3). */
typedef struct geom {
  size_t dims, in[3], out[3], k[3], s[3], d[3], pb[3], pe[3];
} geom;

static size_t gsize(const geom *g, const size_t *ext) {
  size_t n = 1;
  for (size_t a = 0; a < g->dims; a++) n *= ext[a];
  return n;
}

/* Oracle for one output point o of one channel (x: [in pixels][channels]). */
static int32_t oracle_window(const geom *g, const quant *q, int cip, const uint8_t *x, size_t channels, size_t c,
                             const size_t *o) {
  size_t k[3] = {0, 0, 0};
  int64_t acc = 0, valid = 0, padded = 0, window = 0;
  do {
    bool in_bounds = true, in_padded = true;
    size_t off = 0;
    for (size_t a = 0; a < g->dims; a++) {
      const long long i = (long long)(o[a] * g->s[a] + k[a] * g->d[a]) - (long long)g->pb[a];
      in_bounds = in_bounds && i >= 0 && i < (long long)g->in[a];
      in_padded = in_padded && i >= -(long long)g->pb[a] && i < (long long)(g->in[a] + g->pe[a]);
      off = off * g->in[a] + (size_t)(i < 0 ? 0 : i);
    }
    if (in_bounds) acc += val(q, x[off * channels + c]) - q->x_zp, valid++;
    padded += in_padded;
    window++;
  } while (qi_windownd_step(g->dims, g->k, k));
  return oracle_q(q, acc, valid == 0 ? 0 : cip == 2 ? window : cip == 1 ? padded : valid);
}

/* Runs the 2-D kernel (dims <= 2, channels 1) or the N-d kernel and compares every output. */
static void test_window(const qi_qu8_avgpool_config *cfg, int use_nd, const geom *g, int cip, size_t channels,
                        uint32_t seed) {
  const quant q = pick_quant(&seed);
  const qi_qu8_avgpool_params p = kparams(cfg, &q);
  const size_t n_in = gsize(g, g->in) * channels, n_out = gsize(g, g->out) * channels;
  uint8_t *x = malloc(n_in), *y = malloc(n_out + 8);
  fill(x, n_in, &seed);
  memset(y, 0xA5, n_out + 8);
  const char *name = use_nd ? cfg->name_avgpool_nd : cfg->name_avgpool2d;
  if (use_nd) {
    qi_windownd w = {.dims = g->dims};
    for (size_t a = 0; a < g->dims; a++) {
      w.in[a] = g->in[a], w.out[a] = g->out[a], w.kernel[a] = g->k[a], w.stride[a] = g->s[a];
      w.dilation[a] = g->d[a], w.pad_begin[a] = g->pb[a], w.pad_end[a] = g->pe[a];
    }
    cfg->avgpool_nd(&w, (qi_qu8_avgpool_divisor)cip, channels, x, y, &p);
  } else {
    const size_t h = g->dims == 2; /* index of the width axis */
    const qi_window2d w = {h ? g->in[0] : 1, g->in[h], h ? g->out[0] : 1, g->out[h], h ? g->k[0] : 1, g->k[h],
                           h ? g->s[0] : 1,  g->s[h],  h ? g->d[0] : 1,   g->d[h],   h ? g->pb[0] : 0, g->pb[h],
                           h ? g->pe[0] : 0, g->pe[h]};
    cfg->avgpool2d(&w, (qi_qu8_avgpool_divisor)cip, x, y, &p);
  }
  int ok = 1;
  size_t o[3] = {0, 0, 0};
  for (size_t i = 0; i < n_out / channels && ok; i++, qi_windownd_step(g->dims, g->out, o))
    for (size_t c = 0; c < channels && ok; c++) {
      const int32_t want = oracle_window(g, &q, cip, x, channels, c, o), got = got_q(&q, y[i * channels + c]);
      if (got != want) {
        fprintf(stderr,
                "%s: %s %zu-d in %zux%zux%zu out %zux%zux%zu kernel %zux%zux%zu stride %zu,%zu,%zu dil %zu,%zu,%zu "
                "pads %zu,%zu,%zu / %zu,%zu,%zu divisor %d channels %zu x_zp %d y_zp %d scales %g / %g: output %zu "
                "channel %zu = %d, want %d\n",
                name, q.is_s8 ? "int8" : "uint8", g->dims, g->in[0], g->in[1], g->in[2], g->out[0], g->out[1],
                g->out[2], g->k[0], g->k[1], g->k[2], g->s[0], g->s[1], g->s[2], g->d[0], g->d[1], g->d[2], g->pb[0],
                g->pb[1], g->pb[2], g->pe[0], g->pe[1], g->pe[2], cip, channels, q.x_zp, q.y_zp,
                (double)q.x_scale, (double)q.y_scale, i, c, got, want);
        ok = 0;
      }
    }
  for (size_t i = n_out; i < n_out + 8; i++) ok = ok && y[i] == 0xA5;
  CHECK(ok);
  n_outputs += (long long)n_out;
  free(x), free(y);
}

/* Output size along one axis: floor, or (ceil_mode) ceil minus a last window starting in the end padding. */
static size_t out_size(size_t in, size_t k, size_t s, size_t d, size_t pb, size_t pe, int ceil_mode) {
  const size_t span = (k - 1) * d + 1, padded = in + pb + pe;
  if (padded < span) return 0;
  size_t out = (padded - span) / s + 1;
  if (ceil_mode && (padded - span) % s != 0) {
    out++;
    if ((out - 1) * s >= in + pb) out--;
  }
  return out;
}

static void test_windows(const qi_qu8_avgpool_config *cfg, int use_nd) {
  uint32_t seed = 777u + (uint32_t)use_nd;
  const size_t max_dims = use_nd ? 3 : 2;
  for (size_t dims = 1; dims <= max_dims; dims++) {
    const size_t ks[] = {1, 2, 3, 5, 7};
    for (size_t ki = 0; ki < 5; ki++)
      for (size_t s = 1; s <= 3; s++)
        for (size_t pad = 0; pad < ks[ki] && pad <= 3; pad++)
          for (int ceil_mode = 0; ceil_mode <= 1; ceil_mode++)
            for (int cip = 0; cip <= 2; cip++) {
              geom g = {.dims = dims};
              int valid = 1;
              for (size_t a = 0; a < dims; a++) {
                g.k[a] = a == dims - 1 ? ks[ki] : ks[(ki + a + 1) % 5];
                if (g.k[a] > 3 && dims == 3) g.k[a] = 3;
                g.s[a] = a == dims - 1 ? s : 1 + (s + a) % 2;
                g.d[a] = 1 + (rnd(&seed) % 4 == 0);
                g.pb[a] = pad < g.k[a] ? pad : g.k[a] - 1;
                g.pe[a] = rnd(&seed) % 3 == 0 && g.pb[a] > 0 ? g.pb[a] - 1 : g.pb[a];
                g.in[a] = dims == 3 ? 1 + rnd(&seed) % 6 : 1 + rnd(&seed) % (dims == 1 ? 40 : 17);
                g.out[a] = out_size(g.in[a], g.k[a], g.s[a], g.d[a], g.pb[a], g.pe[a], ceil_mode);
                valid = valid && g.out[a] > 0;
              }
              if (!valid) continue;
              const size_t chans[] = {1, 3, 64, 70};
              test_window(cfg, use_nd, &g, cip, use_nd ? chans[rnd(&seed) % 4] : 1, rnd(&seed));
            }
  }
  /* real shapes: 3x3 stride 1 pad 1 over a 28x28 plane, 7x7 over 7x7, 2x2 stride 2 */
  const geom real[] = {{2, {28, 28}, {28, 28}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}},
                       {2, {7, 7}, {1, 1}, {7, 7}, {1, 1}, {1, 1}, {0, 0}, {0, 0}},
                       {2, {35, 35}, {17, 17}, {3, 3}, {2, 2}, {1, 1}, {0, 0}, {0, 0}},
                       {2, {56, 57}, {28, 29}, {2, 2}, {2, 2}, {1, 1}, {0, 0}, {0, 1}}};
  /* widths around the vector width (16 outputs), both strides, ceil_mode overhangs, every divisor */
  const size_t widths[] = {15, 16, 17, 31, 32, 33, 47, 64, 65, 100};
  for (size_t wi = 0; wi < sizeof widths / sizeof widths[0]; wi++)
    for (size_t s = 1; s <= 2; s++)
      for (int ceil_mode = 0; ceil_mode <= 1; ceil_mode++)
        for (int cip = 0; cip <= 2; cip++) {
          geom g = {2, {5, widths[wi]}, {0, 0}, {3, 2 + s}, {s, s}, {1, 1 + (wi % 3 == 0)}, {1, 1}, {1, wi % 2}};
          for (size_t a = 0; a < 2; a++) g.out[a] = out_size(g.in[a], g.k[a], g.s[a], g.d[a], g.pb[a], g.pe[a], ceil_mode);
          test_window(cfg, use_nd, &g, cip, use_nd ? 5 : 1, rnd(&seed));
        }
  for (size_t i = 0; i < sizeof real / sizeof real[0]; i++)
    for (int cip = 0; cip <= 2; cip++) test_window(cfg, use_nd, &real[i], cip, use_nd ? 16 : 1, rnd(&seed));
}

static void test_gavgpool(const qi_qu8_avgpool_config *cfg) {
  uint32_t seed = 4242;
  const size_t lengths[] = {1, 2, 3, 7, 8, 15, 16, 17, 31, 32, 33, 48, 49, 63, 64, 65, 100, 127, 128, 129, 196, 255, 256, 257, 1000, 3136, 12544, 70000};
  for (size_t li = 0; li < sizeof lengths / sizeof lengths[0]; li++)
    for (size_t rows = 1; rows <= 5; rows += 2) test_global(cfg, false, rows, lengths[li], rnd(&seed));
  test_global(cfg, false, 1280, 49, rnd(&seed));
}

static void test_gavgpool_nwc(const qi_qu8_avgpool_config *cfg) {
  uint32_t seed = 4243;
  /* every count up to 33 (each tail after none, one and two 16-channel NEON steps, and the AVX2 8- and
   * 32-channel steps), then larger ones */
  const size_t channels[] = {63, 64, 65, 96, 100, 129, 1280};
  const size_t pixels[] = {1, 2, 7, 49, 64, 196, 300, 1000};
  for (size_t c = 1; c <= 33; c++)
    for (size_t pi = 0; pi < sizeof pixels / sizeof pixels[0]; pi++) test_global(cfg, true, c, pixels[pi], rnd(&seed));
  for (size_t ci = 0; ci < sizeof channels / sizeof channels[0]; ci++)
    for (size_t pi = 0; pi < sizeof pixels / sizeof pixels[0]; pi++)
      test_global(cfg, true, channels[ci], pixels[pi], rnd(&seed));
  test_global(cfg, true, 3, 70000, rnd(&seed));
}

static void test_avgpool2d(const qi_qu8_avgpool_config *cfg) { test_windows(cfg, 0); }
static void test_avgpool_nd(const qi_qu8_avgpool_config *cfg) { test_windows(cfg, 1); }

/* Runs test on kernel fn of cfg unless an entry above had it; prints its name and outputs. */
static void test_kernel(kl_seen *seen, const qi_qu8_avgpool_config *cfg, uintptr_t fn, const char *name,
                        void (*test)(const qi_qu8_avgpool_config *)) {
  if (!kl_first(seen, fn, name)) return;
  const long long before = n_outputs;
  const int failed = qi_test_failed;
  test(cfg);
  printf("%s: %lld outputs %s\n", name, n_outputs - before, qi_test_failed == failed ? "ok" : "FAILED");
}

int main(void) {
  size_t count;
  const qi_qu8_avgpool_config *const *list = qi_qu8_avgpool_config_list(&count);
  kl_seen seen = {0};
  for (size_t i = 0; i < count; i++) {
    const qi_qu8_avgpool_config *cfg = list[i];
    const char *names[] = {cfg->name_gavgpool, cfg->name_gavgpool_nwc, cfg->name_avgpool2d, cfg->name_avgpool_nd};
    if (!kl_runnable_all(names, 4, cfg->features)) continue;
    test_kernel(&seen, cfg, (uintptr_t)cfg->gavgpool, cfg->name_gavgpool, test_gavgpool);
    test_kernel(&seen, cfg, (uintptr_t)cfg->gavgpool_nwc, cfg->name_gavgpool_nwc, test_gavgpool_nwc);
    test_kernel(&seen, cfg, (uintptr_t)cfg->avgpool2d, cfg->name_avgpool2d, test_avgpool2d);
    test_kernel(&seen, cfg, (uintptr_t)cfg->avgpool_nd, cfg->name_avgpool_nd, test_avgpool_nd);
  }
  return TEST_SUMMARY();
}
