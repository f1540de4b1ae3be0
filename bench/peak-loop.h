/* The body of every peak probe (bench/peak.h), instantiated once per instruction mix by the peak-<isa>.c files:
 *
 *   #define QB_PROBE_NAME      the function, double QB_PROBE_NAME(size_t iters)
 *   #define QB_VEC             the vector type
 *   #define QB_SPLAT(v)        a vector of v (an int) in every lane
 *   #define QB_STEP(acc, w)    acc after one probed instruction (or pair) with the operand w = QB_SPLAT(seed)
 *   #define QB_ADD(a, b)       a + b, to fold the accumulators into one that is stored (so none is dead)
 *   #define QB_LANE0(v)        v's first lane as a number
 *   #define QB_OPS_PER_STEP    operations of one QB_STEP
 *
 * Ten independent accumulators hide the latency of each instruction on current x86 cores (a 4-cycle FMA on
 * 2 ports needs 8 in flight; with twelve, GCC spilled the integer ones to the stack). Start values and the
 * operand come from qb_probe_seed, which the compiler cannot see, so that no step is folded away. */
extern volatile double qb_probe_sink;
extern volatile int qb_probe_seed;

double QB_PROBE_NAME(size_t iters) {
  const int seed = qb_probe_seed;
  const QB_VEC w = QB_SPLAT(seed);
#define QB_INIT_ACC(i) QB_VEC acc##i = QB_SPLAT(seed + (i));
  QB_X10(QB_INIT_ACC)
  for (size_t it = 0; it < iters; it++) {
#define QB_STEP_ACC(i) acc##i = QB_STEP(acc##i, w);
    QB_X10(QB_STEP_ACC)
  }
  QB_VEC sum = QB_SPLAT(0);
#define QB_SUM_ACC(i) sum = QB_ADD(sum, acc##i);
  QB_X10(QB_SUM_ACC)
  qb_probe_sink = (double)QB_LANE0(sum);
  return (double)iters * 10 * QB_OPS_PER_STEP;
#undef QB_INIT_ACC
#undef QB_STEP_ACC
#undef QB_SUM_ACC
}
