/* CPU feature detection and the ISA path a session runs on.
 *
 * qi_isa_detect() reads the CPU once into a bit mask. A session's path is the best one the CPU has, or a
 * lower one forced through options or QINFER_ISA=scalar|avx2|avxvnni|avx512vnni|neon|neondot|neoni8mm.
 * Kernel families keep a config table per path (kernels/<family>/config.c) and pick from it by qi_isa.
 */
#ifndef QI_ISA_H
#define QI_ISA_H

#include <stdbool.h>
#include <stdint.h>

#include "qinfer.h"

enum {
  QI_CPU_AVX2 = 1u << 0,       /* AVX2 + FMA */
  QI_CPU_AVXVNNI = 1u << 1,
  QI_CPU_AVX512 = 1u << 2,     /* AVX-512 F, BW, DQ, VL */
  QI_CPU_AVX512VNNI = 1u << 3,
  QI_CPU_NEON = 1u << 4,
  QI_CPU_NEONDOT = 1u << 5,
  QI_CPU_NEONI8MM = 1u << 6,
};

/* Features of this CPU (cached after the first call). */
uint32_t qi_cpu_features(void);
/* Whether the CPU can run the given path. QINFER_ISA_SCALAR is always available. */
bool qi_isa_available(qinfer_isa isa);
/* Best path for this CPU. */
qinfer_isa qi_isa_best(void);
/* Path named by QINFER_ISA in the environment, QINFER_ISA_AUTO when unset; -1 for an unknown name. */
int qi_isa_from_env(void);
/* Parses "scalar", "avx2", ...; -1 when unknown. */
int qi_isa_parse(const char *name);
const char *qi_isa_name(qinfer_isa isa);

#endif /* QI_ISA_H */
