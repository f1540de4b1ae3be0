/* Weight quantization of one tensor (engine/quant/weights.h: the groups, the parameters, the mse search). */
#include "engine/quant/weights.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/requant.h"

void qz_weight_qrange(const qz_weight_spec *spec, int32_t *qmin, int32_t *qmax) {
  if (spec->bits == 8) *qmin = -127, *qmax = 127;
  else if (spec->asymmetric) *qmin = 0, *qmax = 15;
  else *qmin = -7, *qmax = 7; /* not -8: with a clipped scale, -8 would keep negative tails that positive ones lose */
}

float qz_round_f16(float s) {
  if (!(s > 0.f) || !isfinite(s)) return s;
  int e;
  const double m = frexp(s, &e); /* s = m 2^e, m in [0.5, 1): 11 significant bits, to nearest even */
  return (float)ldexp(nearbyint(m * 2048.0) / 2048.0, e);
}

bool qz_f16_bits(float s, uint16_t *bits) {
  if (!(s > 0.f) || !isfinite(s)) return false;
  int e;
  const double m = frexp(s, &e), mant = (m * 2.0 - 1.0) * 1024.0; /* s = (1 + mant / 1024) 2^(e - 1) */
  if (e - 1 < -14 || e - 1 > 15 || mant != floor(mant)) return false;
  *bits = (uint16_t)((e - 1 + 15) << 10 | (int)mant);
  return true;
}

/* Scale and zero point of candidate ratio r for a group with extremes lo <= 0 <= hi; false when all zero. */
static bool candidate(const qz_weight_spec *spec, double lo, double hi, double r, float *scale, int32_t *zp) {
  *zp = 0;
  if (!spec->asymmetric) {
    const double amax = fmax(-lo, hi);
    *scale = (float)(amax * r) / (spec->bits == 8 ? 127.f : 7.f);
    if (spec->f16_scale) *scale = qz_round_f16(*scale);
    return *scale > 0.f && isfinite(*scale);
  }
  const double l = lo * r, h = hi * r;
  *scale = (float)(h - l) / 15.f;
  if (spec->f16_scale) *scale = qz_round_f16(*scale);
  if (!(*scale > 0.f) || !isfinite(*scale)) return false;
  const double z = nearbyint(-l / (double)*scale);
  *zp = (int32_t)(z < 0 ? 0 : (z > 15 ? 15 : z));
  return true;
}

static double squared_error(const float *v, const double *imp, int64_t n, float scale, int32_t zp, int32_t qmin,
                            int32_t qmax) {
  double e = 0;
  for (int64_t i = 0; i < n; i++) {
    const int32_t q = qi_quantize_f32(v[i], scale, zp, qmin, qmax);
    const double d = (double)v[i] - (double)((float)(q - zp) * scale);
    e += imp ? imp[i] * d * d : d * d;
  }
  return e;
}

void qz_weight_group_params(const float *v, const double *imp, int64_t n, const qz_weight_spec *spec, float *scale,
                            int32_t *zp) {
  double lo = 0, hi = 0;
  for (int64_t i = 0; i < n; i++) {
    lo = v[i] < lo ? v[i] : lo;
    hi = v[i] > hi ? v[i] : hi;
  }
  *scale = 1.f, *zp = 0;
  if (!candidate(spec, lo, hi, 1.0, scale, zp)) {
    *scale = 1.f, *zp = 0;
    return;
  }
  if (!spec->mse) return;
  int32_t qmin, qmax;
  qz_weight_qrange(spec, &qmin, &qmax);
  double best = squared_error(v, imp, n, *scale, *zp, qmin, qmax);
  for (int i = 1; i < QZ_MSE_CANDIDATES; i++) {
    float s;
    int32_t z;
    if (!candidate(spec, lo, hi, (double)(QZ_MSE_STEPS - i) / QZ_MSE_STEPS, &s, &z)) continue;
    const double e = squared_error(v, imp, n, s, z, qmin, qmax);
    if (e < best) best = e, *scale = s, *zp = z;
  }
}

/* The [outer, A, inner] view of dims around axis (per tensor: A = numel). */
static void view(int rank, const int64_t *dims, int axis, int64_t *outer, int64_t *a, int64_t *inner) {
  *outer = 1, *a = 1, *inner = 1;
  for (int d = 0; d < rank; d++) {
    if (axis < 0 || d == axis) *a *= dims[d];
    else if (d < axis) *outer *= dims[d];
    else *inner *= dims[d];
  }
}

/* The group of element (o, j, i) of the view. */
static int64_t group_of(const qz_weight_spec *s, int64_t nb, int64_t inner, int64_t o, int64_t j, int64_t i) {
  if (s->axis < 0) return 0;
  if (s->block <= 0) return j;
  return (o * nb + j / s->block) * inner + i;
}

void qz_weight_q_free(qz_weight_q *w) {
  free(w->q);
  free(w->group_scale);
  free(w->group_zp);
  free(w->scale);
  free(w->zp);
  free(w->deq);
  memset(w, 0, sizeof *w);
}

qi_status qz_weight_quantize(const float *x, int rank, const int64_t *dims, const qz_weight_spec *spec,
                             qz_weight_q *out, qi_error *err) {
  memset(out, 0, sizeof *out);
  if (spec->axis >= rank || (spec->axis < 0 && spec->block > 0))
    return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "weight quantization axis %d of a rank-%d tensor", spec->axis,
                   rank);
  int64_t outer, a, inner;
  view(rank, dims, spec->axis, &outer, &a, &inner);
  const int64_t numel = outer * a * inner;
  const int64_t nb = spec->block > 0 ? (a + spec->block - 1) / spec->block : 1;
  const int64_t n_groups = spec->axis < 0 ? 1 : spec->block <= 0 ? a : outer * nb * inner;
  out->numel = numel;
  out->n_groups = n_groups;
  /* the scale tensor: scalar, [A], or dims with nb along the axis */
  if (spec->axis >= 0 && spec->block <= 0) {
    out->scale_rank = 1;
    out->scale_dims[0] = a;
  } else if (spec->axis >= 0) {
    out->scale_rank = rank;
    for (int d = 0; d < rank; d++) out->scale_dims[d] = d == spec->axis ? nb : dims[d];
  }
  out->scale_numel = 1;
  for (int d = 0; d < out->scale_rank; d++) out->scale_numel *= out->scale_dims[d];
  /* the elements of each group, in element order: a counting sort by group */
  int64_t *start = calloc((size_t)n_groups + 1, sizeof(int64_t));
  int64_t *members = malloc(sizeof(int64_t) * (size_t)(numel ? numel : 1));
  float *gathered = malloc(sizeof(float) * (size_t)(numel ? numel : 1));
  double *imp = spec->importance ? malloc(sizeof(double) * (size_t)(numel ? numel : 1)) : NULL;
  out->q = malloc((size_t)(numel ? numel : 1));
  out->group_scale = malloc(sizeof(float) * (size_t)(n_groups + 1)); /* + 1: a dim of 0 has no group */
  out->group_zp = malloc(sizeof(int32_t) * (size_t)(n_groups + 1));
  out->scale = malloc(sizeof(float) * (size_t)(out->scale_numel + 1));
  out->deq = malloc(sizeof(float) * (size_t)(numel ? numel : 1));
  if (spec->asymmetric) out->zp = malloc(sizeof(int32_t) * (size_t)(out->scale_numel + 1));
  if (!start || !members || !gathered || (spec->importance && !imp) || !out->q || !out->group_scale || !out->group_zp || !out->scale || !out->deq ||
      (spec->asymmetric && !out->zp)) {
    free(start), free(members), free(gathered), free(imp);
    qz_weight_q_free(out);
    return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory (quantizing a weight of %lld values)",
                   (long long)numel);
  }
  for (int64_t o = 0, e = 0; o < outer; o++)
    for (int64_t j = 0; j < a; j++)
      for (int64_t i = 0; i < inner; i++, e++) start[group_of(spec, nb, inner, o, j, i) + 1]++;
  for (int64_t g = 0; g < n_groups; g++) start[g + 1] += start[g];
  for (int64_t o = 0, e = 0; o < outer; o++)
    for (int64_t j = 0; j < a; j++)
      for (int64_t i = 0; i < inner; i++, e++) members[start[group_of(spec, nb, inner, o, j, i)]++] = e;
  for (int64_t g = n_groups; g > 0; g--) start[g] = start[g - 1]; /* back to the starts */
  start[0] = 0;
  int32_t qmin, qmax;
  qz_weight_qrange(spec, &qmin, &qmax);
  for (int64_t g = 0; g < n_groups; g++) {
    const int64_t n = start[g + 1] - start[g];
    for (int64_t m = 0; m < n; m++) gathered[m] = x[members[start[g] + m]];
    for (int64_t m = 0; imp && m < n; m++) imp[m] = spec->importance[members[start[g] + m]];
    qz_weight_group_params(gathered, imp, n, spec, &out->group_scale[g], &out->group_zp[g]);
    for (int64_t m = 0; m < n; m++) {
      const int64_t e = members[start[g] + m];
      out->q[e] = (int8_t)qi_quantize_f32(gathered[m], out->group_scale[g], out->group_zp[g], qmin, qmax);
      out->deq[e] = (float)(out->q[e] - out->group_zp[g]) * out->group_scale[g];
    }
  }
  /* the scale (and zero-point) tensor in ONNX's layout */
  if (spec->axis < 0 || spec->block <= 0) {
    for (int64_t g = 0; g < n_groups; g++) out->scale[g] = out->group_scale[g];
    for (int64_t g = 0; out->zp && g < n_groups; g++) out->zp[g] = out->group_zp[g];
  } else {
    for (int64_t o = 0, e = 0; o < outer; o++)
      for (int64_t b = 0; b < nb; b++)
        for (int64_t i = 0; i < inner; i++, e++) {
          const int64_t g = group_of(spec, nb, inner, o, b * spec->block, i);
          out->scale[e] = out->group_scale[g];
          if (out->zp) out->zp[e] = out->group_zp[g];
        }
  }
  free(start), free(members), free(gathered), free(imp);
  return QINFER_OK;
}

void qz_pack_nibbles(const int8_t *v, int64_t n, uint8_t *out) {
  for (int64_t i = 0; i < n; i += 2) {
    const uint8_t lo = (uint8_t)(v[i] & 15), hi = i + 1 < n ? (uint8_t)(v[i + 1] & 15) : 0;
    out[i / 2] = (uint8_t)(lo | hi << 4);
  }
}
