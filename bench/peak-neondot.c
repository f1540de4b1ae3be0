/* Peak probe for the Armv8.2 dot product, sdot on q registers (bench/peak.h, body in bench/peak-loop.h). */
#include <arm_neon.h>

#include "bench/peak.h"

#define QB_PROBE_NAME qb_probe_sdot_q
#define QB_VEC int32x4_t
#define QB_SPLAT(v) vdupq_n_s32(v)
#define QB_STEP(acc, w) vdotq_s32(acc, vreinterpretq_s8_s32(w), vreinterpretq_s8_s32(w))
#define QB_ADD(a, b) vaddq_s32(a, b)
#define QB_LANE0(v) vgetq_lane_s32(v, 0)
#define QB_OPS_PER_STEP 32 /* 16 s8 x s8 products, 16 adds */
#include "bench/peak-loop.h"
