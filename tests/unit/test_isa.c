/* ISA paths (kernels/isa.c): name parsing, the fallback chain of each family, QI_ISA_CONFIG_PICK on a table
 * made here (automatic path, paths past the table or without a kernel), and every kernel family's config
 * getter on every path, out-of-range values included. */
#include <string.h>

#include "kernels/f32-dwconv/f32-dwconv.h"
#include "kernels/f32-gemm/f32-gemm.h"
#include "kernels/isa.h"
#include "kernels/qu8-avgpool/qu8-avgpool.h"
#include "kernels/qu8-dwconv/qu8-dwconv.h"
#include "kernels/qu8-gemm/qu8-gemm.h"
#include "kernels/qu8-lut/qu8-lut.h"
#include "kernels/qu8-quantize/qu8-quantize.h"
#include "kernels/qu8-vadd/qu8-vadd.h"
#include "kernels/qu8-vmul/qu8-vmul.h"
#include "kernels/s8-maxpool/s8-maxpool.h"
#include "kernels/u8-maxpool/u8-maxpool.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

static const qi_isa all_paths[] = {QI_ISA_SCALAR,     QI_ISA_AVX2, QI_ISA_AVXVNNI,
                                       QI_ISA_AVX512VNNI, QI_ISA_NEON, QI_ISA_NEONDOT,
                                       QI_ISA_NEONI8MM};
#define N_PATHS (sizeof all_paths / sizeof all_paths[0])

static void dummy_kernel(void) {}

typedef struct fake_config {
  void (*kernel)(void);
  int id;
} fake_config;

static int is_neon(qi_isa isa) { return isa >= QI_ISA_NEON; }

static int fake_pick(qi_isa isa) {
  /* scalar, avx2 and neondot have kernels; the table stops before neoni8mm */
  static const fake_config configs[QI_ISA_NEONDOT + 1] = {
      [QI_ISA_SCALAR] = {dummy_kernel, 1},
      [QI_ISA_AVX2] = {dummy_kernel, 2},
      [QI_ISA_AVXVNNI] = {NULL, 3}, /* an entry without its kernel counts as empty */
      [QI_ISA_NEONDOT] = {dummy_kernel, 6},
  };
  QI_ISA_CONFIG_PICK(configs, isa, kernel);
  return configs[isa].id;
}

/* Every getter on every path (AUTO and two invalid values too) returns an entry with kernels; AUTO is the best
 * path's entry, invalid values the scalar one, and a path never gets the entry of another architecture's
 * family (the tables fill entries for their own architecture only). */
#define CHECK_FAMILY(get, kernel)                                                                                \
  do {                                                                                                            \
    const qi_isa probes[] = {QI_ISA_COUNT,       QI_ISA_SCALAR, QI_ISA_AVX2,    QI_ISA_AVXVNNI, \
                                 QI_ISA_AVX512VNNI, QI_ISA_NEON,   QI_ISA_NEONDOT, QI_ISA_NEONI8MM, \
                                 (qi_isa)(QI_ISA_NEONI8MM + 1), (qi_isa)-1};                          \
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++)                                                \
      CHECK_MSG(get(probes[i]) != NULL && get(probes[i])->kernel != NULL, "%s(%d): no kernel", #get,            \
                (int)probes[i]);                                                                                 \
    CHECK(get((qi_isa)-1) == get(QI_ISA_SCALAR) && get((qi_isa)99) == get(QI_ISA_SCALAR));         \
    for (size_t i = 1; i < N_PATHS; i++) {                                                                        \
      const qi_isa other[] = {QI_ISA_AVX2, QI_ISA_AVXVNNI, QI_ISA_AVX512VNNI, QI_ISA_NEON,     \
                                  QI_ISA_NEONDOT, QI_ISA_NEONI8MM};                                        \
      for (size_t j = 0; j < sizeof other / sizeof other[0]; j++)                                                 \
        if (is_neon(all_paths[i]) != is_neon(other[j]))                                                           \
          CHECK_MSG(get(all_paths[i]) != get(other[j]) || get(other[j]) == get(QI_ISA_SCALAR),               \
                    "%s: %s gets the %s entry", #get, qi_isa_name(all_paths[i]), qi_isa_name(other[j]));         \
    }                                                                                                             \
  } while (0)

int main(void) {
  /* names */
  for (size_t i = 0; i < N_PATHS; i++)
    CHECK_MSG(qi_isa_parse(qi_isa_name(all_paths[i])) == (int)all_paths[i], "%s", qi_isa_name(all_paths[i]));
  CHECK(qi_isa_parse("sse9") == -1 && strcmp(qi_isa_name((qi_isa)99), "unknown") == 0);
  CHECK(qi_isa_available(QI_ISA_SCALAR) && qi_isa_available(qi_isa_best()));

  /* the chains */
  CHECK(qi_isa_fallback(QI_ISA_AVX512VNNI) == QI_ISA_AVXVNNI);
  CHECK(qi_isa_fallback(QI_ISA_AVXVNNI) == QI_ISA_AVX2);
  CHECK(qi_isa_fallback(QI_ISA_AVX2) == QI_ISA_SCALAR);
  CHECK(qi_isa_fallback(QI_ISA_NEONI8MM) == QI_ISA_NEONDOT);
  CHECK(qi_isa_fallback(QI_ISA_NEONDOT) == QI_ISA_NEON);
  CHECK(qi_isa_fallback(QI_ISA_NEON) == QI_ISA_SCALAR);
  CHECK(qi_isa_fallback(QI_ISA_SCALAR) == QI_ISA_SCALAR);
  CHECK(qi_isa_fallback(QI_ISA_COUNT) == QI_ISA_SCALAR);

  /* the walk on a table made here */
  CHECK(fake_pick(QI_ISA_SCALAR) == 1);
  CHECK(fake_pick(QI_ISA_AVX2) == 2);
  CHECK(fake_pick(QI_ISA_AVXVNNI) == 2);
  CHECK(fake_pick(QI_ISA_AVX512VNNI) == 2);
  CHECK(fake_pick(QI_ISA_NEON) == 1);
  CHECK(fake_pick(QI_ISA_NEONDOT) == 6);
  CHECK(fake_pick(QI_ISA_NEONI8MM) == 1); /* past the table: scalar, not its family's neondot */
  CHECK(fake_pick((qi_isa)-1) == 1);
  CHECK(fake_pick((qi_isa)42) == 1);

  /* every kernel family */
  CHECK_FAMILY(qi_f32_gemm_config_get, ukernel);
  CHECK_FAMILY(qi_f32_dwconv_config_get, ukernel_any);
  CHECK_FAMILY(qi_qu8_gemm_config_get, ukernel);
  CHECK_FAMILY(qi_qu8_dwconv_config_get, ukernel_any);
  CHECK_FAMILY(qi_qu8_avgpool_config_get, gavgpool);
  CHECK_FAMILY(qi_qu8_lut_config_get, lut);
  CHECK_FAMILY(qi_qu8_quantize_config_get, quantize);
  CHECK_FAMILY(qi_qu8_vadd_config_get, vadd);
  CHECK_FAMILY(qi_qu8_vmul_config_get, vmul);
  CHECK_FAMILY(qi_u8_maxpool_config_get, ukernel_2d);
  CHECK_FAMILY(qi_s8_maxpool_config_get, ukernel_2d);
  return TEST_SUMMARY();
}
