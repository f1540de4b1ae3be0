/* Peak probe for AVX-512 VNNI vpdpbusd on zmm (bench/peak.h, body in bench/peak-loop.h). */
#include <immintrin.h>

#include "bench/peak.h"

#define QB_PROBE_NAME qb_probe_dpbusd_zmm
#define QB_VEC __m512i
#define QB_SPLAT(v) _mm512_set1_epi32(v)
#define QB_STEP(acc, w) _mm512_dpbusd_epi32(acc, w, w)
#define QB_ADD(a, b) _mm512_add_epi32(a, b)
#define QB_LANE0(v) _mm512_cvtsi512_si32(v)
#define QB_OPS_PER_STEP 128 /* 64 u8 x s8 products, 64 adds */
#include "bench/peak-loop.h"
