/* CPU feature detection and the ISA path a session runs on.
 *
 * qi_cpu_features() reads the CPU once into a bit mask. A session's path is the best one the CPU has, or a
 * lower one forced through options or QINFER_ISA=scalar|avx2|avxvnni|avx512vnni|neon|neondot|neoni8mm.
 * Kernel families keep a config table per path (kernels/<family>/config.c) and pick from it with
 * QI_ISA_CONFIG_PICK: a path without kernels of its own uses the next lower one of its family (qi_isa_fallback).
 */
#ifndef QI_ISA_H
#define QI_ISA_H

#include <stdbool.h>
#include <stddef.h>
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
/* The next lower path of the same family, where a path without kernels of its own looks next:
 * avx512vnni -> avxvnni -> avx2 -> scalar, neoni8mm -> neondot -> neon -> scalar; scalar for every other path. */
qinfer_isa qi_isa_fallback(qinfer_isa isa);

/* Picks the entry of a kernel family's config table (an array indexed by qinfer_isa, kernels/<family>/config.c)
 * for `isa`, a qinfer_isa variable that receives the index: QINFER_ISA_AUTO becomes qi_isa_best(); a path past
 * the table, or whose entry leaves the function pointer member `kernel` NULL, falls back along its family
 * (qi_isa_fallback) to QINFER_ISA_SCALAR, whose entry every table fills. Then &configs[isa] is the config. */
#define QI_ISA_CONFIG_PICK(configs, isa, kernel)                                                                   \
  do {                                                                                                              \
    if ((isa) == QINFER_ISA_AUTO) (isa) = qi_isa_best();                                                            \
    if ((size_t)(isa) >= sizeof(configs) / sizeof((configs)[0])) (isa) = QINFER_ISA_SCALAR;                        \
    while ((isa) != QINFER_ISA_SCALAR && !(configs)[(isa)].kernel) (isa) = qi_isa_fallback(isa);                   \
  } while (0)

#endif /* QI_ISA_H */
