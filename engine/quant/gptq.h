/* GPTQ-style weight quantization with error compensation (Frantar et al. 2022, "GPTQ: Accurate Post-Training
 * Quantization for Generative Pre-trained Transformers"; docs/quantization.md, "GPTQ").
 *
 * For a layer y = W x with W [M, K] (one row per output) and H = E[x x^T] [K, K] over the calibration inputs (Conv:
 * the im2col columns, K = C x kh x kw; Gemm / MatMul: the rows of A), every row w is rounded one k at a time in K
 * order; the rounding error of k is spread over the k not yet rounded so that the row's output error
 * (w - q) H (w - q)^T stays least given the values already fixed:
 *
 *   H' = H + lambda I,  lambda = 0.01 mean(diag H)        (a k whose input is always 0: H_kk = 1, w_k = 0)
 *   U  = the upper Cholesky factor of H'^-1               (H'^-1 = U^T U)
 *   for k = 0 .. K-1:   q_k = Q(w_k),  e = (w_k - deq(q_k)) / U_kk,  w_j -= e U_kj for j > k
 *
 * Scales: per block of B consecutive k (the file's block, block-wise) each row's block scale is chosen when its
 * first k is reached, from the row's error-updated values of the block, by the activation-weighted mse search
 * (engine/quant/weights.h) with a_k = H_kk (undamped: E[x_k^2]) or minmax; per output channel from the original row
 * before the first k. Q is QuantizeLinear's rounding of (float)w_k (engine/quant/weights.h's q, half to even).
 *
 * Computation, all in double: U from H' without forming H'^-1: with P the order-reversing permutation, the lower
 * Cholesky factor L of P H' P gives H' = R R^T with R = P L P upper, so U = R^-1 = P L^-1 P; L^-1 is a forward
 * substitution 16 columns at a time, in place, and P M P reverses the K x K array in place. Memory: the K x K
 * matrix (overwritten: H' -> L -> L^-1 -> U; 170 MB at ResNet-50's K = 4608) and the rows in double (M x K).
 * Work: K^3 / 3 multiply-adds for the factor and the inverse, M K^2 / 2 for the rounding (the updates of a
 * block's 32 k to the rest applied at once, as the paper's lazy batches). */
#ifndef QI_QUANT_GPTQ_H
#define QI_QUANT_GPTQ_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/ir/ir.h"
#include "engine/quant/weights.h"

enum { QZ_GPTQ_BATCH = 32 }; /* k per lazy update when the weights are per output channel */

/* H' -> U in place (the layout above): h [k, k] row-major, symmetric positive definite. false when it is not (a
 * non-positive pivot). */
bool qz_gptq_inverse_factor(double *h, int64_t k);

/* Quantizes the weight x (rank 2, dims) of a layer with outputs along out_axis (0: rows [M, K], Conv flat / Gemm
 * transB; 1: columns [K, M], MatMul / Gemm) by spec (axis and block as qz_weight_quantize takes them for that
 * layout), with error compensation against h (K x K, E[x x^T]; not changed). out as qz_weight_quantize fills it. */
qi_status qz_gptq_quantize(const float *x, const int64_t *dims, int out_axis, const qz_weight_spec *spec,
                           const double *h, qz_weight_q *out, qi_error *err);

#endif /* QI_QUANT_GPTQ_H */
