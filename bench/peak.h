/* The peak probe: how many operations per second one core sustains for each instruction mix the kernels use,
 * measured at start-up by register-resident loops (no memory traffic), so that a benchmark can report its
 * share of the peak (peak_pct).
 *
 *   mix              loop body (10 independent accumulators)           ops per instruction
 *   fma_ymm          vfmadd ymm                                        16 (8 multiplies + 8 adds)
 *   fma_zmm          vfmadd zmm                                        32
 *   maddwd_ymm       vpmaddwd ymm + vpaddd ymm (the AVX2 int8 path)    32 (16 int16 MACs) per pair
 *   dpbusd_ymm       vpdpbusd ymm (AVX-VNNI)                           64 (32 u8 x s8 MACs)
 *   dpbusd_zmm       vpdpbusd zmm (AVX-512 VNNI)                       128
 *   fmla_q           fmla q (NEON, 4 x f32)                            8 (4 multiplies + 4 adds)
 *   smlal_q          smlal (NEON: 4 int16 products into int32; the     8 (4 int16 MACs)
 *                    plain NEON int8 path)
 *   sdot_q           sdot q (Armv8.2 dot product)                      32 (16 s8 x s8 MACs)
 *   smmla_q          smmla q (Armv8.6 i8mm: 2x8 by 8x2 into 2x2)       64 (32 s8 x s8 MACs)
 *   usmmla_q         usmmla q (i8mm, u8 x s8)                          64
 *
 * A mix the CPU lacks is not probed (its peak is 0 and benchmarks of it report no peak_pct). */
#ifndef QI_BENCH_PEAK_H
#define QI_BENCH_PEAK_H

#include <stddef.h>
#include <stdint.h>

typedef enum qb_peak {
  QB_PEAK_FMA_YMM,
  QB_PEAK_FMA_ZMM,
  QB_PEAK_MADDWD_YMM,
  QB_PEAK_DPBUSD_YMM,
  QB_PEAK_DPBUSD_ZMM,
  QB_PEAK_FMLA_Q,
  QB_PEAK_SMLAL_Q,
  QB_PEAK_SDOT_Q,
  QB_PEAK_SMMLA_Q,
  QB_PEAK_USMMLA_Q,
  QB_PEAK_COUNT
} qb_peak;

/* Runs every probe this CPU can run and prints the results (and the probes skipped) into the context. */
void qb_peak_measure(void);
/* Operations per second of a mix; 0 when it was not measured. */
double qb_peak_ops(qb_peak mix);
/* The mix a kernel of a float family (FMA) or an 8-bit family (integer dot products) needing `features` is
 * measured against: its widest vectors. Scalar and AVX2 kernels share the ymm mixes; on Arm every f32 kernel is
 * measured against fmla q, and an int8 kernel against its path's instruction (smmla, sdot, else smlal). */
qb_peak qb_peak_f32(uint32_t features);
qb_peak qb_peak_int8(uint32_t features);

/* The probes' loop bodies (bench/peak-loop.h): one statement per accumulator. */
#define QB_X10(S) S(0) S(1) S(2) S(3) S(4) S(5) S(6) S(7) S(8) S(9)

/* The probes, one ISA per file (peak-<isa>.c): each runs `iters` loop trips and returns the operations done. */
double qb_probe_fma_ymm(size_t iters);
double qb_probe_maddwd_ymm(size_t iters);
double qb_probe_fma_zmm(size_t iters);
double qb_probe_dpbusd_ymm(size_t iters);
double qb_probe_dpbusd_zmm(size_t iters);
double qb_probe_fmla_q(size_t iters);
double qb_probe_smlal_q(size_t iters);
double qb_probe_sdot_q(size_t iters);
double qb_probe_smmla_q(size_t iters);
double qb_probe_usmmla_q(size_t iters);

#endif /* QI_BENCH_PEAK_H */
