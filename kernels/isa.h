/* CPU feature detection and the ISA paths kernels are written for (internal: kernels never see include/).
 *
 * qi_cpu_features() reads the CPU once into a bit mask. A session runs on one path: the best one the CPU has
 * (qi_isa_best), or a lower one forced through options or QINFER_ISA=scalar|avx2|...; the engine maps the public
 * qi_isa (which has an "auto" value) onto qi_isa (engine/isa_map.h), so kernels know no "auto".
 * Kernel families keep a config table per path (kernels/<family>/config.c) and pick from it with
 * QI_ISA_CONFIG_PICK: a path without kernels of its own uses the next lower one of its family (qi_isa_fallback).
 */
#ifndef QI_ISA_H
#define QI_ISA_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum qi_isa {
  QI_ISA_SCALAR,
  QI_ISA_AVX2,
  QI_ISA_AVXVNNI,
  QI_ISA_AVX512VNNI,
  QI_ISA_NEON,
  QI_ISA_NEONDOT,
  QI_ISA_NEONI8MM,
  QI_ISA_COUNT
} qi_isa;

enum {
  QI_CPU_AVX2 = 1u << 0,       /* AVX2 + FMA */
  QI_CPU_AVXVNNI = 1u << 1,
  QI_CPU_AVX512 = 1u << 2,     /* AVX-512 F, BW, DQ, VL */
  QI_CPU_AVX512VNNI = 1u << 3,
  QI_CPU_NEON = 1u << 4,
  QI_CPU_NEONDOT = 1u << 5,
  QI_CPU_NEONI8MM = 1u << 6,
  QI_CPU_FEATURE_COUNT = 7,
};

/* Features of this CPU (cached after the first call). */
uint32_t qi_cpu_features(void);
/* The QI_CPU_* bits of `features` this CPU lacks (0: it can run code that needs them). */
static inline uint32_t qi_cpu_missing(uint32_t features) { return features & ~qi_cpu_features(); }
/* "avx2", "avx512vnni", ... for one QI_CPU_* bit; "unknown" otherwise. */
const char *qi_cpu_feature_name(uint32_t bit);

/* The QI_CPU_* bits a path needs: its own and those of the lower paths it falls back to (avx512vnni: avx2,
 * avx512, avx512vnni; neoni8mm: neon, neondot, neoni8mm). 0 for scalar and for values outside the enum. */
uint32_t qi_isa_features(qi_isa isa);
/* Whether the CPU can run the given path (every bit of qi_isa_features). QI_ISA_SCALAR always can. */
bool qi_isa_available(qi_isa isa);
/* Best path for this CPU. */
qi_isa qi_isa_best(void);
/* Parses "scalar", "avx2", ..., "neoni8mm"; -1 when unknown. */
int qi_isa_parse(const char *name);
const char *qi_isa_name(qi_isa isa);
/* The next lower path of the same family, where a path without kernels of its own looks next:
 * avx512vnni -> avxvnni -> avx2 -> scalar, neoni8mm -> neondot -> neon -> scalar; scalar for every other path. */
qi_isa qi_isa_fallback(qi_isa isa);

/* Picks the config of a kernel family for `isa`, a qi_isa variable that receives the index. `configs` is the
 * family's table of config pointers indexed by qi_isa ([QI_ISA_COUNT], kernels/<family>/config.c), NULL where a
 * path has no kernels of its own: such a path falls back along its family (qi_isa_fallback) to QI_ISA_SCALAR,
 * whose entry every table fills, passing over entries whose `features` the requested path does not guarantee
 * (an AVX-512 VNNI CPU need not have AVX-VNNI: Ice Lake); a value outside the table goes to scalar. Then
 * configs[isa] is the config. */
#define QI_ISA_CONFIG_PICK(configs, isa)                                                                        \
  do {                                                                                                            \
    if ((size_t)(isa) >= sizeof(configs) / sizeof((configs)[0])) (isa) = QI_ISA_SCALAR;                          \
    const uint32_t qi_pick_has_ = qi_isa_features(isa);                                                          \
    while ((isa) != QI_ISA_SCALAR && (!(configs)[(isa)] || ((configs)[(isa)]->features & ~qi_pick_has_)))       \
      (isa) = qi_isa_fallback(isa);                                                                               \
  } while (0)

/* The two functions of every family's config.c, from its static `configs` table (above) and its `list` of every
 * config: `const <prefix>_config *<prefix>_config_get(qi_isa)` and
 * `const <prefix>_config *const *<prefix>_config_list(size_t *count)`. */
#define QI_ISA_CONFIG_GETTERS(prefix)                                                                           \
  const prefix##_config *prefix##_config_get(qi_isa isa) {                                                       \
    QI_ISA_CONFIG_PICK(configs, isa);                                                                            \
    return configs[isa];                                                                                         \
  }                                                                                                              \
  QI_ISA_CONFIG_LIST(prefix)

/* The same for a family that is an array of ops (f32 vunary, vbinary: one config per op and path): `configs` is
 * indexed [op][qi_isa] and `list` holds every (op, kernel) entry, so the getter also takes the op:
 * `const <prefix>_config *<prefix>_config_get(op_type op, qi_isa)`. */
#define QI_ISA_OP_CONFIG_GETTERS(prefix, op_type)                                                               \
  const prefix##_config *prefix##_config_get(op_type op, qi_isa isa) {                                           \
    assert((size_t)op < sizeof configs / sizeof configs[0]);                                                     \
    QI_ISA_CONFIG_PICK(configs[op], isa);                                                                        \
    return configs[op][isa];                                                                                     \
  }                                                                                                              \
  QI_ISA_CONFIG_LIST(prefix)

#define QI_ISA_CONFIG_LIST(prefix)                                                                              \
  const prefix##_config *const *prefix##_config_list(size_t *count) {                                            \
    *count = sizeof list / sizeof list[0];                                                                       \
    return list;                                                                                                 \
  }

#endif /* QI_ISA_H */
