/* Peak probes for the Armv8.6 int8 matrix multiply (i8mm) on q registers (bench/peak.h, body in
 * bench/peak-loop.h): smmla (s8 x s8) and usmmla (u8 x s8), each a 2x8 by 8x2 product into 2x2 int32. */
#include <arm_neon.h>

#include "bench/peak.h"

#define QB_PROBE_NAME qb_probe_smmla_q
#define QB_VEC int32x4_t
#define QB_SPLAT(v) vdupq_n_s32(v)
#define QB_STEP(acc, w) vmmlaq_s32(acc, vreinterpretq_s8_s32(w), vreinterpretq_s8_s32(w))
#define QB_ADD(a, b) vaddq_s32(a, b)
#define QB_LANE0(v) vgetq_lane_s32(v, 0)
#define QB_OPS_PER_STEP 64 /* 32 s8 x s8 products, 32 adds */
#include "bench/peak-loop.h"
#undef QB_PROBE_NAME
#undef QB_STEP

#define QB_PROBE_NAME qb_probe_usmmla_q
#define QB_STEP(acc, w) vusmmlaq_s32(acc, vreinterpretq_u8_s32(w), vreinterpretq_s8_s32(w))
#include "bench/peak-loop.h"
