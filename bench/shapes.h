/* The layer shapes the benchmarks run at: cache-resident sizes, then real layers of the zoo's MobileNetV2,
 * ResNet-50 and ViT-Ti/16 at 112x112 (models/make_zoo.py). */
#ifndef QI_BENCH_SHAPES_H
#define QI_BENCH_SHAPES_H

#include <stddef.h>
#include <stdio.h>

#include "kernels/f32-im2col/window2d.h"
#include "kernels/f32-im2col/windownd.h"

/* C[M, N] = W[M, K] * B[K, N]: a convolution per image has M = output channels, N = output pixels, K = input
 * channels x kernel taps (3x3 convolutions as their im2col GEMM); a MatMul / Gemm with constant weights has
 * M = tokens, N = output features, K = input features. */
typedef struct qb_gemm_shape {
  size_t m, n, k;
} qb_gemm_shape;

static const qb_gemm_shape qb_gemm_shapes[] = {
    {16, 128, 64},    /* cache-resident: 40 KiB in all (L1 + L2) */
    {64, 256, 256},   /* cache-resident: 384 KiB (L2) */
    {32, 12544, 27},  /* MobileNetV2 first conv, 3x3 s2 3->32 on 224x224 (112x112 outputs) */
    {144, 3136, 24},  /* MobileNetV2 1x1 expansion 24->144 on 56x56 */
    {24, 3136, 144},  /* MobileNetV2 1x1 projection 144->24 on 56x56 */
    {384, 196, 64},   /* MobileNetV2 1x1 expansion 64->384 on 14x14 */
    {960, 49, 160},   /* MobileNetV2 1x1 expansion 160->960 on 7x7 */
    {256, 3136, 64},  /* ResNet-50 conv2_x 1x1 64->256 on 56x56 */
    {64, 3136, 576},  /* ResNet-50 conv2_x 3x3 64->64 on 56x56 (im2col GEMM) */
    {256, 196, 1024}, /* ResNet-50 conv4_x 1x1 1024->256 on 14x14 */
    {512, 49, 4608},  /* ResNet-50 conv5_x 3x3 512->512 on 7x7 (im2col GEMM) */
};

/* The same products in the xw orientation (MatMul / Gemm with constant right operand): ViT-Ti/16 at 112x112,
 * 50 tokens, width 192, MLP 768, 3 heads. */
static const qb_gemm_shape qb_gemm_xw_shapes[] = {
    {16, 128, 64},  /* cache-resident */
    {64, 256, 256}, /* cache-resident */
    {50, 576, 192}, /* ViT qkv projection 192 -> 3 x 192 */
    {50, 192, 192}, /* ViT attention output projection */
    {50, 768, 192}, /* ViT MLP fc1 */
    {50, 192, 768}, /* ViT MLP fc2 */
    {50, 50, 64},   /* ViT one head's Q K^T (50 x 64 by 64 x 50) */
    {49, 192, 768}, /* ViT patch embedding, 16x16x3 patches (768) -> 192 on 7x7 patches */
};

/* ViT-B/16's linear layers at 224x224 (197 tokens, width 768, MLP 3072): the xw shapes of the W4A32 family
 * (bench/f32-gemm-qb4w.c), which bench/f32-gemm.c also runs for the FP32 kernels they are compared with. */
static const qb_gemm_shape qb_gemm_vitb_shapes[] = {
    {197, 768, 768},  /* attention output projection */
    {197, 2304, 768}, /* qkv projection 768 -> 3 x 768 */
    {197, 3072, 768}, /* MLP fc1 */
    {197, 768, 3072}, /* MLP fc2 */
};

/* A depthwise (or pooling) layer: C planes of h x w, a k x k window with stride s and padding (k - 1) / 2. */
typedef struct qb_plane_shape {
  size_t c, h, w, k, s;
} qb_plane_shape;

static const qb_plane_shape qb_dwconv_shapes[] = {
    {8, 32, 32, 3, 1},    /* cache-resident */
    {32, 112, 112, 3, 1}, /* MobileNetV2 depthwise 3x3 on 112x112 */
    {96, 112, 112, 3, 2}, /* MobileNetV2 depthwise 3x3 s2 112 -> 56 */
    {144, 56, 56, 3, 1},  /* MobileNetV2 depthwise 3x3 on 56x56 */
    {192, 28, 28, 3, 1},  /* MobileNetV2 depthwise 3x3 on 28x28 */
    {384, 14, 14, 3, 1},  /* MobileNetV2 depthwise 3x3 on 14x14 */
    {960, 7, 7, 3, 1},    /* MobileNetV2 depthwise 3x3 on 7x7 */
    {8, 32, 32, 5, 1},    /* 5x5 (EfficientNet-style), cache-resident */
};

static const qb_plane_shape qb_pool_shapes[] = {
    {8, 32, 32, 3, 2},   /* cache-resident */
    {64, 112, 112, 3, 2}, /* ResNet-50 stem max pool 3x3 s2 112 -> 56 */
    {64, 28, 28, 3, 1},   /* 3x3 s1 pooling on 28x28 */
};

/* Global pooling inputs: c rows (planes) of h x w. */
static const qb_plane_shape qb_global_pool_shapes[] = {
    {64, 16, 16, 1, 1}, /* cache-resident */
    {1280, 7, 7, 1, 1}, /* MobileNetV2 global average pool */
    {2048, 7, 7, 1, 1}, /* ResNet-50 global average pool */
};

/* Convolutions through im2col: C input planes of h x w, k x k taps, stride s (K = C k k, N = output pixels). */
static const qb_plane_shape qb_im2col_shapes[] = {
    {8, 32, 32, 3, 1},    /* cache-resident */
    {3, 224, 224, 3, 2},  /* MobileNetV2 first conv (K 27, N 12544) */
    {64, 56, 56, 3, 1},   /* ResNet-50 conv2_x 3x3 (K 576, N 3136) */
    {512, 7, 7, 3, 1},    /* ResNet-50 conv5_x 3x3 (K 4608, N 49) */
};

/* Elementwise lengths: cache-resident, ViT's MLP activation (50 x 768), MobileNetV2's first activation
 * (32 x 112 x 112). */
static const size_t qb_vector_lengths[] = {1024, 38400, 401408};

/* The window of a plane shape: padding (k - 1) / 2 on every side, no dilation. */
static inline size_t qb_conv_out(size_t in, size_t k, size_t s) { return (in + 2 * ((k - 1) / 2) - k) / s + 1; }
static inline qi_window2d qb_window2d(const qb_plane_shape *p) {
  const size_t pad = (p->k - 1) / 2;
  const qi_window2d g = {p->h, p->w, qb_conv_out(p->h, p->k, p->s), qb_conv_out(p->w, p->k, p->s), p->k, p->k,
                         p->s, p->s, 1, 1, pad, pad, pad, pad};
  return g;
}
static inline qi_windownd qb_windownd(const qb_plane_shape *p) {
  const qi_window2d g2 = qb_window2d(p);
  qi_windownd g = {.dims = 2};
  for (size_t a = 0; a < 2; a++) {
    g.in[a] = a ? g2.in_w : g2.in_h;
    g.out[a] = a ? g2.out_w : g2.out_h;
    g.kernel[a] = p->k;
    g.stride[a] = p->s;
    g.dilation[a] = 1;
    g.pad_begin[a] = g.pad_end[a] = g2.pad_top;
  }
  return g;
}
/* "C:64/H:56/W:56/k:3/s:1" */
static inline void qb_plane_name(char *buf, size_t size, const qb_plane_shape *p) {
  snprintf(buf, size, "C:%zu/H:%zu/W:%zu/k:%zu/s:%zu", p->c, p->h, p->w, p->k, p->s);
}

#define QB_COUNT(a) (sizeof(a) / sizeof((a)[0]))

#endif /* QI_BENCH_SHAPES_H */
