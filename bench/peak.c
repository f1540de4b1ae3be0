/* Runs the peak probes of bench/peak.h and keeps their results. */
#include "bench/peak.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bench/qbench.h"
#include "kernels/isa.h"

static double peak_ops[QB_PEAK_COUNT];

typedef struct probe {
  const char *name, *what;
  uint32_t features; /* QI_CPU_* bits it needs */
  double (*run)(size_t iters);
} probe;

/* This thread's CPU time, as Google Benchmark's rates use: time the scheduler gave another process on a shared
 * machine does not count. */
static double seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Best of 20 timed runs of about a millisecond after a warm-up run (which also brings the core to its clock). */
static double measure(double (*run)(size_t)) {
  const size_t iters = (size_t)1 << 19;
  run(4 * iters);
  double best = 0;
  for (int r = 0; r < 20; r++) {
    const double t0 = seconds();
    const double ops = run(iters);
    const double rate = ops / (seconds() - t0);
    if (rate > best) best = rate;
  }
  return best;
}

#if defined(__x86_64__) || defined(__i386__)
/* amx_int8 in /proc/cpuinfo's flags: AMX tiles this kernel lets user space use (there is no AMX probe yet). */
static bool cpuinfo_has(const char *flag) {
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f) return false;
  char line[8192];
  bool found = false;
  const size_t len = strlen(flag);
  while (!found && fgets(line, sizeof line, f)) {
    if (strncmp(line, "flags", 5) != 0) continue;
    for (const char *p = strstr(line, flag); p && !found; p = strstr(p + 1, flag))
      found = (p[-1] == ' ' || p[-1] == '\t') && (p[len] == ' ' || p[len] == '\n' || p[len] == '\0');
  }
  fclose(f);
  return found;
}
#endif /* x86 */

void qb_peak_measure(void) {
  static const probe probes[QB_PEAK_COUNT] = {
#if defined(__x86_64__) || defined(__i386__)
      [QB_PEAK_FMA_YMM] = {"fma_ymm", "vfmadd ymm", QI_CPU_AVX2, qb_probe_fma_ymm},
      [QB_PEAK_FMA_ZMM] = {"fma_zmm", "vfmadd zmm", QI_CPU_AVX512, qb_probe_fma_zmm},
      [QB_PEAK_MADDWD_YMM] = {"maddwd_ymm", "vpmaddwd + vpaddd ymm", QI_CPU_AVX2, qb_probe_maddwd_ymm},
      [QB_PEAK_DPBUSD_YMM] = {"dpbusd_ymm", "vpdpbusd ymm (AVX-VNNI)", QI_CPU_AVX2 | QI_CPU_AVXVNNI,
                              qb_probe_dpbusd_ymm},
      [QB_PEAK_DPBUSD_ZMM] = {"dpbusd_zmm", "vpdpbusd zmm (AVX-512 VNNI)", QI_CPU_AVX512 | QI_CPU_AVX512VNNI,
                              qb_probe_dpbusd_zmm},
#endif /* x86 */
#if defined(__aarch64__) || defined(__ARM_NEON)
      [QB_PEAK_FMLA_Q] = {"fmla_q", "fmla q", QI_CPU_NEON, qb_probe_fmla_q},
      [QB_PEAK_SMLAL_Q] = {"smlal_q", "smlal int16 -> int32", QI_CPU_NEON, qb_probe_smlal_q},
#endif /* NEON */
#if defined(__aarch64__)
      [QB_PEAK_SDOT_Q] = {"sdot_q", "sdot q (dot product)", QI_CPU_NEON | QI_CPU_NEONDOT, qb_probe_sdot_q},
      [QB_PEAK_SMMLA_Q] = {"smmla_q", "smmla q (i8mm)", QI_CPU_NEON | QI_CPU_NEONDOT | QI_CPU_NEONI8MM,
                           qb_probe_smmla_q},
      [QB_PEAK_USMMLA_Q] = {"usmmla_q", "usmmla q (i8mm)", QI_CPU_NEON | QI_CPU_NEONDOT | QI_CPU_NEONI8MM,
                            qb_probe_usmmla_q},
#endif /* aarch64 */
  };
  char key[64], value[160];
  for (int i = 0; i < QB_PEAK_COUNT; i++) {
    const probe *p = &probes[i];
    if (!p->run) continue;
    snprintf(key, sizeof key, "peak.%s", p->name);
    if (qi_cpu_missing(p->features)) {
      snprintf(value, sizeof value, "skipped (CPU lacks %s)", p->what);
    } else {
      peak_ops[i] = measure(p->run);
      snprintf(value, sizeof value, "%.1f GOPS (%s, one core, register-resident)", peak_ops[i] * 1e-9, p->what);
    }
    qb_context(key, value);
  }
#if defined(__x86_64__) || defined(__i386__)
  qb_context("peak.amx_int8", cpuinfo_has("amx_int8") ? "not probed (amx_int8 present; no AMX kernels or probe yet)"
                                                        : "skipped (no amx_int8 in /proc/cpuinfo)");
#endif /* x86 */
}

double qb_peak_ops(qb_peak mix) { return (unsigned)mix < QB_PEAK_COUNT ? peak_ops[mix] : 0; }

qb_peak qb_peak_f32(uint32_t features) {
#if defined(__aarch64__) || defined(__arm__)
  (void)features;
  return QB_PEAK_FMLA_Q;
#else
  return features & QI_CPU_AVX512 ? QB_PEAK_FMA_ZMM : QB_PEAK_FMA_YMM;
#endif
}

qb_peak qb_peak_int8(uint32_t features) {
#if defined(__aarch64__) || defined(__arm__)
  if (features & QI_CPU_NEONI8MM) return QB_PEAK_SMMLA_Q;
  if (features & QI_CPU_NEONDOT) return QB_PEAK_SDOT_Q;
  return QB_PEAK_SMLAL_Q;
#else
  if (features & QI_CPU_AVX512VNNI) return QB_PEAK_DPBUSD_ZMM;
  if (features & QI_CPU_AVXVNNI) return QB_PEAK_DPBUSD_YMM;
  return QB_PEAK_MADDWD_YMM;
#endif
}
