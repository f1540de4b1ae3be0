/* Quantization of one constant weight tensor: int8 or 4-bit, per tensor, per output channel or block-wise, the
 * scale of each group from max |w| or by the squared-error search (docs/quantization.md, "Weights").
 *
 * Groups. The tensor is seen as [outer, A, inner] around the layout's axis (A = dims[axis]); every element belongs
 * to one group, which has one scale (and zero point):
 *   per tensor  (axis -1)             one group;
 *   per channel (block 0)             group a, for each index a along the axis;
 *   blocked     (block B, axis)       group (o, a / B, i): B consecutive values along the axis (the last block may
 *                                     be shorter), for each other index (a Conv weight is quantized as its 2-D view
 *                                     [Cout, Cin/g * kh * kw], blocked along axis 1: flat_conv).
 * The scale tensor written has ONNX's form for DequantizeLinear: a scalar, [A] (attribute axis), or the weight's
 * shape with ceil(A / B) along the axis (attributes axis and block_size).
 *
 * A group's parameters, for values v (qmax = 127 or 7):
 *   symmetric   int8 q in [-127, 127], int4 q in [-7, 7], zero point 0:  s(r) = (float)(max|v| * r) / qmax
 *               (-8 left out: under a clipped scale it kept negative tails the positive ones lost, a bias that
 *               cost ResNet-18 W4A32 block-32 mse 3.9 dB of output SQNR: 9.2 against 13.1 dB)
 *   asymmetric  (4-bit only) uint4 q in [0, 15]: lo = min(v, 0) * r, hi = max(v, 0) * r (in double),
 *               s(r) = (float)(hi - lo) / 15, zp = clamp(round_half_even(-lo / s), 0, 15) (in double)
 *   (products in double, exact for these r; the division in float: r = 1 gives the int8 quantizer's old
 *   max|w| / 127f); with f16_scale, s(r) is then rounded to the nearest float16 value (the zero point from it)
 *   q = qi_quantize_f32(v, s, zp, qmin, qmax) (the runtime's QuantizeLinear: one float division, half to even)
 *   minmax: r = 1.  mse: r = (64 - i) / 64 for i = 0 .. 32 (1.0 down to 0.5), the r with the least
 *   sum over v of a_v (v - (float)(q - zp) * s)^2 (in double), the first (largest r) on ties; a_v = 1, or with
 *   importance (activation-weighted): a_v = E[x_k^2] of the input value v multiplies (k: v's index along K), so
 *   the search minimises the expected output error of the group, E[(sum_k (w_k - q(w_k)) x_k)^2], without its
 *   cross terms.
 * All-zero groups get scale 1 (and zero point 0). */
#ifndef QI_QUANT_WEIGHTS_H
#define QI_QUANT_WEIGHTS_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/ir/ir.h"

enum { QZ_MSE_STEPS = 64, QZ_MSE_CANDIDATES = 33 }; /* r = (64 - i) / 64, i = 0 .. 32 */

typedef struct qz_weight_spec {
  int bits;        /* 8 or 4 */
  bool asymmetric; /* 4-bit only: uint4 with zero points */
  bool mse;        /* search the clipping ratio */
  int axis;        /* -1: per tensor */
  int64_t block;   /* 0: one group per index along axis; else block length along axis */
  bool f16_scale;   /* each scale rounded to the nearest float16 value (to nearest even) after the division, so
                     * that it can be written as float16 (4-bit blocks: one scale per 32 weights was a fifth of
                     * MobileNetV2's W4 file) */
  const double *importance; /* NULL, or one weight a_v >= 0 per element of the tensor as quantized (element order
                             * of the view given to qz_weight_quantize) for the mse search */
  bool flat_conv;  /* a Conv weight [M, C/g, kh, kw] quantized as [M, C/g * kh * kw] in blocks along axis 1 (32
                    * consecutive im2col k a scale), written 2-D -> DequantizeLinear -> Reshape (engine/quant/rewrite.c) */
} qz_weight_spec;

/* The quantized tensor and its DequantizeLinear parameters (malloc'ed; qz_weight_q_free). */
typedef struct qz_weight_q {
  int8_t *q;               /* one value per element (int8 -127..127, int4 -7..7, uint4 0..15) */
  int64_t numel;
  int64_t n_groups;
  float *group_scale;      /* per group */
  int32_t *group_zp;       /* per group (0 when symmetric) */
  int scale_rank;          /* of the scale / zero-point tensor */
  int64_t scale_dims[QI_MAX_RANK];
  int64_t scale_numel;
  float *scale;            /* the scale tensor, ONNX layout */
  int32_t *zp;             /* the zero-point tensor, same layout (asymmetric only, else NULL) */
  float *deq;              /* the dequantized weight, element order: (float)(q - zp) * scale as DequantizeLinear */
} qz_weight_q;

/* The float16 value nearest to s (11 significant bits, ties to even; outside float16's normal range the same
 * rounding of the significand, which qz_f16_bits then refuses). */
float qz_round_f16(float s);
/* The float16 bits of s when s > 0 is exactly a normal float16 value, else false. */
bool qz_f16_bits(float s, uint16_t *bits);
/* The integer range of spec's type: int8 [-127, 127], int4 [-7, 7], uint4 [0, 15]. */
void qz_weight_qrange(const qz_weight_spec *spec, int32_t *qmin, int32_t *qmax);
/* The DequantizeLinear parameters of a group of n values (gather them first): scale and zero point. imp: NULL or
 * the n values' importance (the mse search's a_v, gathered like v). */
void qz_weight_group_params(const float *v, const double *imp, int64_t n, const qz_weight_spec *spec, float *scale,
                            int32_t *zp);
/* Quantizes the float tensor x (rank, dims) by spec. QINFER_ERR_OUT_OF_MEMORY or QINFER_ERR_INVALID_ARGUMENT (an
 * axis out of range) in err. */
qi_status qz_weight_quantize(const float *x, int rank, const int64_t *dims, const qz_weight_spec *spec,
                             qz_weight_q *out, qi_error *err);
void qz_weight_q_free(qz_weight_q *w);
/* Two 4-bit values per byte, low nibble first (ONNX int4 / uint4): n values -> ceil(n / 2) bytes at out. */
void qz_pack_nibbles(const int8_t *v, int64_t n, uint8_t *out);

#endif /* QI_QUANT_WEIGHTS_H */
