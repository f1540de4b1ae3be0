/* Peak probe for AVX-512 FMA on zmm (bench/peak.h, body in bench/peak-loop.h). */
#include <immintrin.h>

#include "bench/peak.h"

#define QB_PROBE_NAME qb_probe_fma_zmm
#define QB_VEC __m512
#define QB_SPLAT(v) _mm512_set1_ps((float)(v))
#define QB_STEP(acc, w) _mm512_fmadd_ps(acc, _mm512_set1_ps(0.999999f), w)
#define QB_ADD(a, b) _mm512_add_ps(a, b)
#define QB_LANE0(v) _mm512_cvtss_f32(v)
#define QB_OPS_PER_STEP 32 /* 16 lanes x (multiply + add) */
#include "bench/peak-loop.h"
