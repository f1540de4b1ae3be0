/* Peak probes for NEON (bench/peak.h, body in bench/peak-loop.h): aarch64, and 32-bit Arm with NEON + VFPv4. */
#include <arm_neon.h>

#include "bench/peak.h"

volatile double qb_probe_sink;
volatile int qb_probe_seed = 3;

/* fmla q: acc += w * c, 4 lanes. The accumulator is the addend, so each step is one fmla with no move. */
#define QB_PROBE_NAME qb_probe_fmla_q
#define QB_VEC float32x4_t
#define QB_SPLAT(v) vdupq_n_f32((float)(v))
#define QB_STEP(acc, w) vfmaq_f32(acc, w, vdupq_n_f32(0.5f))
#define QB_ADD(a, b) vaddq_f32(a, b)
#define QB_LANE0(v) vgetq_lane_f32(v, 0)
#define QB_OPS_PER_STEP 8 /* 4 lanes x (multiply + add) */
#include "bench/peak-loop.h"
#undef QB_PROBE_NAME
#undef QB_VEC
#undef QB_SPLAT
#undef QB_STEP
#undef QB_ADD
#undef QB_LANE0
#undef QB_OPS_PER_STEP

/* smlal: acc (4 x int32) += the low 4 int16 lanes of w times themselves, widening: the multiply-accumulate of the
 * plain NEON int8 kernels (int8 widened to int16, then 16 x 16 -> 32-bit multiply-adds). */
#define QB_PROBE_NAME qb_probe_smlal_q
#define QB_VEC int32x4_t
#define QB_SPLAT(v) vdupq_n_s32(v)
#define QB_STEP(acc, w) vmlal_s16(acc, vget_low_s16(vreinterpretq_s16_s32(w)), vget_low_s16(vreinterpretq_s16_s32(w)))
#define QB_ADD(a, b) vaddq_s32(a, b)
#define QB_LANE0(v) vgetq_lane_s32(v, 0)
#define QB_OPS_PER_STEP 8 /* 4 int16 products, 4 adds */
#include "bench/peak-loop.h"
