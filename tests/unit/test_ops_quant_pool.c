/* QLinearGlobalAveragePool / QLinearAveragePool (com.microsoft) against a naive oracle written here: int64 sums
 * of (x - x_zp) in the tensor's own type, the divisor counted tap by tap, scale x_scale / (y_scale * count), then
 * clamp(round_half_even((float)acc * scale) + y_zp) to the type's range. Exact match, uint8 and int8, channels
 * first and last, 1-3 spatial dims, kernels / strides / pads / auto_pad / ceil_mode / count_include_pad (the
 * whole window, as ONNX Runtime's QLinearAveragePool, also for ceil_mode windows past the padding),
 * constant and run-time quantization parameters, identical results at 1, 2 and 3 threads, and the error paths
 * (bad scales and zero points through quant_common, shapes, attributes). */
#include "engine/threadpool.h"
#include "nn_harness.h"

TEST_MAIN_GLOBALS;

static qi_threadpool *pools[3];
static long long n_outputs;

static uint32_t rnd(uint32_t *s) {
  *s = *s * 1664525u + 1013904223u;
  return *s >> 8;
}

typedef struct qcase {
  int global, is_s8, channels_last, rank; /* rank 3..5 */
  int64_t dims[5];                        /* N, C, spatial... (logical; stored NHWC when channels_last) */
  int64_t kernel[3], stride[3], pb[3], pe[3];
  const char *auto_pad; /* NULL: explicit pads */
  int ceil_mode, count_include_pad;
  int32_t x_zp, y_zp; /* own type */
  float x_scale, y_scale;
  int const_params, no_zero_points;
} qcase;

static int64_t val(int is_s8, uint8_t raw) { return is_s8 ? (int64_t)(int8_t)raw : (int64_t)raw; }

static int32_t oracle_q(const qcase *c, int64_t acc, int64_t count) {
  if (count == 0) return c->y_zp;
  const int32_t lo = c->is_s8 ? -128 : 0, hi = lo + 255;
  const float scale = c->x_scale / (c->y_scale * (float)count);
  float v = (float)acc * scale;
  v = v < (float)(lo - c->y_zp) ? (float)(lo - c->y_zp) : v;
  v = v > (float)(hi - c->y_zp) ? (float)(hi - c->y_zp) : v;
  return (int32_t)rintf(v) + c->y_zp;
}

/* Resolves the window (auto_pad, ceil_mode) per ONNX / ONNX Runtime; returns the output spatial sizes. */
static void resolve(qcase *c, int64_t *out) {
  const int sp = c->rank - 2;
  for (int a = 0; a < sp; a++) {
    const int64_t in = c->dims[2 + a], k = c->kernel[a], s = c->stride[a];
    if (c->global) {
      out[a] = 1;
      continue;
    }
    if (c->auto_pad && strcmp(c->auto_pad, "VALID") == 0) {
      c->pb[a] = c->pe[a] = 0;
      out[a] = in < k ? 0 : (in - k) / s + 1;
    } else if (c->auto_pad) {
      out[a] = (in + s - 1) / s;
      int64_t total = (out[a] - 1) * s + k - in;
      total = total < 0 ? 0 : total;
      const int upper = strcmp(c->auto_pad, "SAME_UPPER") == 0;
      c->pb[a] = upper ? total / 2 : total - total / 2;
      c->pe[a] = total - c->pb[a];
    } else {
      const int64_t span = in + c->pb[a] + c->pe[a] - k;
      out[a] = span < 0 ? 0 : (c->ceil_mode ? (span + s - 1) / s : span / s) + 1;
      if (c->ceil_mode && (out[a] - 1) * s >= in + c->pb[a]) out[a]--;
    }
  }
}

/* Element offset of (n, ch, spatial point p) in a tensor of the case's layout with spatial sizes sp_dims. */
static size_t offset(const qcase *c, const int64_t *sp_dims, int64_t n, int64_t ch, const int64_t *p) {
  const int sp = c->rank - 2;
  int64_t pix = 0, pixels = 1;
  for (int a = 0; a < sp; a++) pix = pix * sp_dims[a] + p[a], pixels *= sp_dims[a];
  const int64_t C = c->dims[1];
  return (size_t)(c->channels_last ? (n * pixels + pix) * C + ch : (n * C + ch) * pixels + pix);
}

static bool step(int n, const int64_t *ext, int64_t *v) {
  for (int a = n; a-- > 0;) {
    if (++v[a] < ext[a]) return true;
    v[a] = 0;
  }
  return false;
}

static void oracle(const qcase *c, const uint8_t *x, const int64_t *out_sp, int32_t *want) {
  const int sp = c->rank - 2;
  int64_t kern[3];
  for (int a = 0; a < sp; a++) kern[a] = c->global ? c->dims[2 + a] : c->kernel[a];
  for (int64_t n = 0; n < c->dims[0]; n++)
    for (int64_t ch = 0; ch < c->dims[1]; ch++) {
      int64_t o[3] = {0, 0, 0};
      do {
        int64_t k[3] = {0, 0, 0}, acc = 0, valid = 0, window = 0;
        do {
          int64_t i[3];
          bool in_b = true;
          for (int a = 0; a < sp; a++) {
            const int64_t s = c->global ? 1 : c->stride[a], pb = c->global ? 0 : c->pb[a];
            i[a] = o[a] * s + k[a] - pb;
            in_b = in_b && i[a] >= 0 && i[a] < c->dims[2 + a];
          }
          if (in_b) acc += val(c->is_s8, x[offset(c, c->dims + 2, n, ch, i)]) - c->x_zp, valid++;
          window++;
        } while (step(sp, kern, k));
        want[offset(c, out_sp, n, ch, o)] = oracle_q(c, acc, valid ? (c->count_include_pad ? window : valid) : 0);
      } while (step(sp, out_sp, o));
    }
}

/* Builds the node; scales / zero points constant or graph inputs. */
static int build(qi_graph *g, const qcase *c, const uint8_t *x, const float *scales, const uint8_t *zps) {
  const int dt = c->is_s8 ? QINFER_DTYPE_INT8 : QINFER_DTYPE_UINT8, sp = c->rank - 2;
  int64_t xd[5];
  xd[0] = c->dims[0];
  for (int a = 0; a < sp; a++) xd[(c->channels_last ? 1 : 2) + a] = c->dims[2 + a];
  xd[c->channels_last ? c->rank - 1 : 1] = c->dims[1];
  int in[5];
  in[0] = nn_tensor(g, "x", dt, c->rank, xd, x, 0);
  in[1] = nn_tensor(g, "x_scale", QINFER_DTYPE_FLOAT, 0, NULL, &scales[0], c->const_params);
  in[2] = c->no_zero_points ? -1 : nn_tensor(g, "x_zp", dt, 0, NULL, &zps[0], c->const_params);
  in[3] = nn_tensor(g, "y_scale", QINFER_DTYPE_FLOAT, 0, NULL, &scales[1], c->const_params);
  in[4] = c->no_zero_points ? -1 : nn_tensor(g, "y_zp", dt, 0, NULL, &zps[1], c->const_params);
  const int out = nn_output(g, "y");
  const int node = qi_graph_add_node(g, c->global ? "QLinearGlobalAveragePool" : "QLinearAveragePool",
                                     "com.microsoft", in, c->no_zero_points ? 4 : 5, &out, 1); /* x_zp absent: -1 */
  if (c->channels_last || (c->rank & 1)) nn_attr_int(g, node, "channels_last", c->channels_last);
  if (!c->global) {
    nn_attr_ints(g, node, "kernel_shape", sp, c->kernel);
    nn_attr_ints(g, node, "strides", sp, c->stride);
    if (c->auto_pad) {
      nn_attr_string(g, node, "auto_pad", c->auto_pad);
    } else {
      int64_t pads[6];
      for (int a = 0; a < sp; a++) pads[a] = c->pb[a], pads[sp + a] = c->pe[a];
      nn_attr_ints(g, node, "pads", 2 * sp, pads);
    }
    nn_attr_int(g, node, "ceil_mode", c->ceil_mode);
    nn_attr_int(g, node, "count_include_pad", c->count_include_pad);
  }
  return node;
}

static void run_case(qcase c, uint32_t seed) {
  int64_t out_sp[3];
  resolve(&c, out_sp);
  const int sp = c.rank - 2;
  int64_t xn = c.dims[0] * c.dims[1], yn = xn;
  for (int a = 0; a < sp; a++) {
    if (out_sp[a] < 1) return;
    xn *= c.dims[2 + a], yn *= out_sp[a];
  }
  uint8_t *x = malloc((size_t)xn);
  int32_t *want = malloc((size_t)yn * sizeof(int32_t));
  const uint32_t mode = rnd(&seed) % 5;
  for (int64_t i = 0; i < xn; i++) x[i] = mode == 0 ? 255 : (uint8_t)rnd(&seed);
  if (c.no_zero_points) c.x_zp = c.y_zp = 0;
  const float scales[2] = {c.x_scale, c.y_scale};
  const uint8_t zps[2] = {(uint8_t)c.x_zp, (uint8_t)c.y_zp};
  oracle(&c, x, out_sp, want);
  uint8_t *first = NULL;
  for (int p = 0; p < 3; p++) {
    qi_graph *g = qi_graph_new();
    const int node = build(g, &c, x, scales, zps);
    qi_error err = {0};
    const qi_status st = nn_run(g, node, pools[p], &err);
    CHECK_MSG(st == QINFER_OK, "%s", err.msg);
    if (st != QINFER_OK) {
      qi_graph_free(g);
      break;
    }
    const qi_tensor *yt = qi_node_out(g, &g->nodes[node], 0);
    CHECK(yt->dtype == (c.is_s8 ? QINFER_DTYPE_INT8 : QINFER_DTYPE_UINT8) && qi_tensor_numel(yt) == yn);
    for (int a = 0; a < sp; a++) CHECK(yt->dims[(c.channels_last ? 1 : 2) + a] == out_sp[a]);
    const uint8_t *y = yt->data;
    int64_t bad = 0, first_bad = -1;
    for (int64_t i = 0; i < yn; i++)
      if ((int32_t)val(c.is_s8, y[i]) != want[i]) bad++, first_bad = first_bad < 0 ? i : first_bad;
    CHECK_MSG(bad == 0,
              "%s %s rank %d dims %lldx%lldx%lldx%lld cl %d k %lld,%lld s %lld,%lld pads %lld,%lld/%lld,%lld auto_pad %s "
              "ceil %d cip %d x_zp %d y_zp %d scales %g/%g const %d threads %d: %lld of %lld differ, first at %lld "
              "(got %d want %d)",
              g->nodes[node].op_type, c.is_s8 ? "int8" : "uint8", c.rank, (long long)c.dims[0], (long long)c.dims[1],
              (long long)c.dims[2], (long long)(c.rank > 3 ? c.dims[3] : 1), c.channels_last, (long long)c.kernel[0],
              (long long)c.kernel[1], (long long)c.stride[0], (long long)c.stride[1], (long long)c.pb[0],
              (long long)c.pb[1], (long long)c.pe[0], (long long)c.pe[1], c.auto_pad ? c.auto_pad : "-", c.ceil_mode,
              c.count_include_pad, c.x_zp, c.y_zp, (double)c.x_scale, (double)c.y_scale, c.const_params, p + 1,
              (long long)bad, (long long)yn, (long long)first_bad,
              first_bad >= 0 ? (int)val(c.is_s8, y[first_bad]) : 0, first_bad >= 0 ? want[first_bad] : 0);
    if (!first) {
      first = malloc((size_t)yn);
      memcpy(first, y, (size_t)yn);
    } else {
      CHECK_MSG(memcmp(first, y, (size_t)yn) == 0, "results differ between thread counts");
    }
    qi_graph_free(g);
  }
  n_outputs += yn;
  free(first), free(x), free(want);
}

static void pick_quant(qcase *c, uint32_t *seed) {
  const int32_t lo = c->is_s8 ? -128 : 0;
  const int32_t zps[] = {lo, lo + 255, lo + 128, lo + 7, lo + (int32_t)(rnd(seed) % 256)};
  const float xs[] = {0.02f, 1.0f / 255.0f, 0.5f, 3e-3f}, ys[] = {0.02f, 0.011f, 0.25f, 1.0f / 128.0f};
  c->x_zp = zps[rnd(seed) % 5];
  c->y_zp = zps[rnd(seed) % 5];
  c->x_scale = xs[rnd(seed) % 4];
  c->y_scale = ys[rnd(seed) % 4];
  c->const_params = rnd(seed) % 4 != 0;
}

static void global_cases(void) {
  uint32_t seed = 99;
  const int64_t shapes[][5] = {{1, 3, 7, 1, 1}, {2, 5, 7, 9, 1}, {1, 1280, 7, 7, 1}, {2, 17, 3, 4, 5}, {1, 4, 1, 1, 1},
                               {3, 33, 56, 56, 1}, {1, 7, 300, 1, 1}, {1, 64, 1, 1, 1}};
  const int ranks[] = {3, 4, 4, 5, 4, 4, 3, 4};
  for (size_t i = 0; i < sizeof ranks / sizeof ranks[0]; i++)
    for (int is_s8 = 0; is_s8 <= 1; is_s8++)
      for (int cl = 0; cl <= 1; cl++) {
        qcase c = {.global = 1, .is_s8 = is_s8, .channels_last = cl, .rank = ranks[i]};
        memcpy(c.dims, shapes[i], sizeof c.dims);
        pick_quant(&c, &seed);
        c.no_zero_points = i == 4 && cl == 0;
        run_case(c, rnd(&seed));
      }
}

static void window_cases(void) {
  uint32_t seed = 2024;
  const int64_t ks[][2] = {{1, 1}, {2, 2}, {3, 3}, {3, 2}, {5, 5}, {7, 7}};
  const char *aps[] = {NULL, NULL, NULL, "SAME_UPPER", "SAME_LOWER", "VALID"};
  for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++)
    for (int64_t s = 1; s <= 3; s++)
      for (size_t ai = 0; ai < sizeof aps / sizeof aps[0]; ai++)
        for (int cip = 0; cip <= 1; cip++) {
          qcase c = {.rank = 4, .is_s8 = (int)(rnd(&seed) & 1), .channels_last = rnd(&seed) % 4 == 0,
                     .dims = {1 + (int64_t)(rnd(&seed) % 2), 1 + (int64_t)(rnd(&seed) % 5), 4 + (int64_t)(rnd(&seed) % 12),
                              4 + (int64_t)(rnd(&seed) % 12)},
                     .kernel = {ks[ki][0], ks[ki][1]}, .stride = {s, 1 + (s % 2)}, .auto_pad = aps[ai],
                     .ceil_mode = ai == 1, .count_include_pad = cip};
          if (!aps[ai] && ai > 0) { /* explicit pads below the kernel */
            c.pb[0] = (int64_t)(rnd(&seed) % (uint32_t)ks[ki][0]), c.pb[1] = (int64_t)(rnd(&seed) % (uint32_t)ks[ki][1]);
            c.pe[0] = (int64_t)(rnd(&seed) % (uint32_t)ks[ki][0]), c.pe[1] = (int64_t)(rnd(&seed) % (uint32_t)ks[ki][1]);
          }
          pick_quant(&c, &seed);
          run_case(c, rnd(&seed));
          /* the same as 1-D and 3-D */
          qcase d = c;
          d.rank = 3, d.kernel[0] = c.kernel[1], d.stride[0] = c.stride[1], d.pb[0] = c.pb[1], d.pe[0] = c.pe[1];
          run_case(d, rnd(&seed));
          if (ks[ki][0] <= 3) {
            qcase e = c;
            e.rank = 5, e.dims[4] = 3 + (int64_t)(rnd(&seed) % 4), e.kernel[2] = 2, e.stride[2] = 1, e.pb[2] = e.pe[2] = 1;
            run_case(e, rnd(&seed));
          }
        }
  /* real layers: Inception-style 3x3 s1 p1 over 35x35x64, NHWC 2x2 s2 */
  qcase r = {.rank = 4, .dims = {1, 64, 35, 35}, .kernel = {3, 3}, .stride = {1, 1}, .pb = {1, 1}, .pe = {1, 1},
             .count_include_pad = 0, .x_zp = 3, .y_zp = 5, .x_scale = 0.03f, .y_scale = 0.025f, .const_params = 1};
  run_case(r, 1);
  r.channels_last = 1, r.is_s8 = 1, r.x_zp = -3, r.y_zp = -128, r.kernel[0] = r.kernel[1] = 2, r.stride[0] = r.stride[1] = 2;
  r.pb[0] = r.pb[1] = r.pe[0] = r.pe[1] = 0;
  run_case(r, 2);
}

/* Error paths: each must fail with the expected status and name the node. */
static void errors(void) {
  uint8_t xbuf[2 * 3 * 4 * 4] = {0};
  const int64_t x4[4] = {2, 3, 4, 4}, x2[2] = {3, 4}, k2[2] = {2, 2}, d2[2] = {2, 2}, two[1] = {2};
  const int64_t huge[4] = {1, 1, 3000, 3000}, k9[2] = {9, 9}; /* a plane over the int32 sum limit; a window over the input */
  const float nan = NAN, zero = 0.0f, neg = -1.0f, inf = INFINITY, ok_scale = 0.1f, pc_scale[2] = {0.1f, 0.2f};
  const uint8_t zp_u8 = 3;
  const int8_t zp_s8 = 3;
  enum { BAD_X_SCALE_NAN, BAD_Y_SCALE_ZERO, BAD_X_SCALE_NEG, BAD_Y_SCALE_INF, ZP_TYPE, PER_CHANNEL, RANK2, FLOAT_X,
         DILATIONS, CHANNELS_LAST_2, NO_KERNEL, THREE_INPUTS, RUNTIME_BAD_SCALE, HUGE_PLANE, BIG_KERNEL, N_CASES };
  for (int i = 0; i < N_CASES; i++)
    for (int global = 0; global <= 1; global++) {
      if (global && (i == DILATIONS || i == NO_KERNEL || i == BIG_KERNEL)) continue;
      if (!global && i == HUGE_PLANE) continue;
      qi_graph *g = qi_graph_new();
      const float xf[2 * 3 * 4 * 4] = {0};
      int in[5];
      in[0] = i == RANK2        ? nn_tensor(g, "x", QINFER_DTYPE_UINT8, 2, x2, xbuf, 0)
              : i == HUGE_PLANE ? nn_tensor(g, "x", QINFER_DTYPE_UINT8, 4, huge, xbuf, 0) /* fails before a read */
              : i == FLOAT_X ? nn_tensor(g, "x", QINFER_DTYPE_FLOAT, 4, x4, xf, 0)
                             : nn_tensor(g, "x", QINFER_DTYPE_UINT8, 4, x4, xbuf, 0);
      const float *xs = i == BAD_X_SCALE_NAN ? &nan : i == BAD_X_SCALE_NEG ? &neg : &ok_scale;
      const float *ys = i == BAD_Y_SCALE_ZERO ? &zero : i == BAD_Y_SCALE_INF ? &inf : &ok_scale;
      if (i == RUNTIME_BAD_SCALE) xs = &zero;
      in[1] = i == PER_CHANNEL ? nn_tensor(g, "x_scale", QINFER_DTYPE_FLOAT, 1, two, pc_scale, 1)
                               : nn_tensor(g, "x_scale", QINFER_DTYPE_FLOAT, 0, NULL, xs, i != RUNTIME_BAD_SCALE);
      in[2] = i == ZP_TYPE ? nn_tensor(g, "x_zp", QINFER_DTYPE_INT8, 0, NULL, &zp_s8, 1)
              : i == PER_CHANNEL ? nn_tensor(g, "x_zp", QINFER_DTYPE_UINT8, 1, two, xbuf, 1)
                                 : nn_tensor(g, "x_zp", QINFER_DTYPE_UINT8, 0, NULL, &zp_u8, 1);
      in[3] = nn_tensor(g, "y_scale", QINFER_DTYPE_FLOAT, 0, NULL, ys, 1);
      in[4] = nn_tensor(g, "y_zp", QINFER_DTYPE_UINT8, 0, NULL, &zp_u8, 1);
      const int out = nn_output(g, "y");
      const int node = qi_graph_add_node(g, global ? "QLinearGlobalAveragePool" : "QLinearAveragePool", "com.microsoft",
                                         in, i == THREE_INPUTS ? 3 : 5, &out, 1);
      nn_name(g, node, "bad_qpool");
      if (!global && i != NO_KERNEL) nn_attr_ints(g, node, "kernel_shape", 2, i == BIG_KERNEL ? k9 : k2);
      if (i == DILATIONS) nn_attr_ints(g, node, "dilations", 2, d2);
      if (i == CHANNELS_LAST_2) nn_attr_int(g, node, "channels_last", 2);
      qi_error err = {0};
      const qi_status st = nn_run(g, node, pools[0], &err);
      qi_status want = QINFER_ERR_QUANT_PARAMS; /* bad scales, zero point type, per-channel */
      if (i == RANK2 || i == BIG_KERNEL) want = QINFER_ERR_SHAPE;
      if (i == FLOAT_X || i == DILATIONS || i == HUGE_PLANE) want = QINFER_ERR_UNSUPPORTED;
      if (i == CHANNELS_LAST_2 || i == NO_KERNEL || i == THREE_INPUTS) want = QINFER_ERR_INVALID_MODEL;
      CHECK_MSG(st == want && strstr(err.msg, "bad_qpool"), "case %d global %d: got %s (%s), want %s", i, global,
                qinfer_status_string(st), err.msg, qinfer_status_string(want));
      qi_graph_free(g);
    }
}

int main(void) {
  pools[1] = qi_threadpool_create(2);
  pools[2] = qi_threadpool_create(3);
  CHECK(qi_op_find("com.microsoft", "QLinearGlobalAveragePool") != NULL);
  CHECK(qi_op_find("com.microsoft", "QLinearAveragePool") != NULL);
  CHECK(qi_op_find("", "QLinearAveragePool") == NULL);
  global_cases();
  window_cases();
  errors();
  printf("%lld outputs checked (each at 1, 2 and 3 threads)\n", n_outputs);
  qi_threadpool_destroy(pools[1]);
  qi_threadpool_destroy(pools[2]);
  return TEST_SUMMARY();
}
