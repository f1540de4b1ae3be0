/* ISA paths (kernels/isa.c) and their public mapping (engine/isa_map.c): name parsing, the features of each
 * path, the fallback chain of each family, QI_ISA_CONFIG_PICK on a table made here (paths without a kernel,
 * values outside the table), and every kernel family's getter and list on every path, out-of-range values
 * included (the families that are arrays of ops, f32 vunary and vbinary, for every op): the config a path gets
 * needs no CPU feature the path does not check, and is one of the family's listed kernels. */
#include <string.h>

#include "engine/isa_map.h"
#include "kernels/f32-dwconv/f32-dwconv.h"
#include "kernels/f32-gemm-qb4w/f32-gemm-qb4w.h"
#include "kernels/f32-gemm/f32-gemm.h"
#include "kernels/f32-im2col/f32-im2col.h"
#include "kernels/f32-layernorm/layernorm.h"
#include "kernels/f32-pool/f32-pool.h"
#include "kernels/f32-reduce/reduce.h"
#include "kernels/f32-softmax/softmax.h"
#include "kernels/f32-vbinary/vbinary.h"
#include "kernels/f32-vmulcaddc/vmulcaddc.h"
#include "kernels/f32-vunary/vunary.h"
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

static int is_neon(qi_isa isa) { return isa >= QI_ISA_NEON; }

static void dummy_kernel(void) {}

typedef struct fake_config {
  void (*kernel)(void);
  int id;
  uint32_t features;
} fake_config;

static int fake_pick(qi_isa isa) {
  /* scalar, avx2, avxvnni and neondot have kernels; the table stops before neoni8mm */
  static const fake_config scalar = {dummy_kernel, 1, 0}, avx2 = {dummy_kernel, 2, QI_CPU_AVX2},
                           avxvnni = {dummy_kernel, 3, QI_CPU_AVX2 | QI_CPU_AVXVNNI},
                           neondot = {dummy_kernel, 6, QI_CPU_NEON | QI_CPU_NEONDOT};
  static const fake_config *const configs[QI_ISA_NEONDOT + 1] = {
      [QI_ISA_SCALAR] = &scalar,
      [QI_ISA_AVX2] = &avx2,
      [QI_ISA_AVXVNNI] = &avxvnni,
      [QI_ISA_NEONDOT] = &neondot,
  };
  QI_ISA_CONFIG_PICK(configs, isa);
  return configs[isa]->id;
}

/* A getter GET(isa) on every path (and two invalid values) returns an entry with kernels; invalid values get the
 * scalar one, which needs nothing; a path never gets the entry of another architecture's family (the tables fill
 * entries for their own architecture only) nor one needing features the path does not have; each entry is in
 * the family's list. */
#define CHECK_PATHS(family, kernel, GET)                                                                        \
  do {                                                                                                            \
    size_t count = 0;                                                                                             \
    const qi_##family##_config *const *list = qi_##family##_config_list(&count);                                   \
    const qi_##family##_config *scalar = GET(QI_ISA_SCALAR);                                                       \
    CHECK_MSG(scalar != NULL && scalar->features == 0, "%s: the scalar entry needs nothing", #family);           \
    const qi_isa probes[] = {QI_ISA_SCALAR, QI_ISA_AVX2,     QI_ISA_AVXVNNI,  QI_ISA_AVX512VNNI, QI_ISA_NEON,       \
                             QI_ISA_NEONDOT, QI_ISA_NEONI8MM, QI_ISA_COUNT, (qi_isa)-1};                           \
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {                                              \
      const qi_##family##_config *cfg = GET(probes[i]);                                                           \
      CHECK_MSG(cfg != NULL && cfg->kernel != NULL, "%s(%d): no kernel", #family, (int)probes[i]);               \
      if (!cfg) continue;                                                                                        \
      CHECK_MSG((cfg->features & ~qi_isa_features(probes[i])) == 0, "%s: path %s gets a kernel it cannot run",   \
                #family, qi_isa_name(probes[i]));                                                                \
      int listed = 0;                                                                                             \
      for (size_t j = 0; j < count; j++) listed |= list[j] == cfg;                                               \
      CHECK_MSG(listed, "%s: the %s entry is not listed", #family, qi_isa_name(probes[i]));                       \
    }                                                                                                             \
    CHECK(GET((qi_isa)-1) == scalar && GET((qi_isa)99) == scalar);                                                \
    for (size_t i = 0; i < QI_ISA_COUNT; i++)                                                                     \
      for (size_t j = 0; j < QI_ISA_COUNT; j++)                                                                   \
        if (is_neon((qi_isa)i) != is_neon((qi_isa)j))                                                             \
          CHECK_MSG(GET((qi_isa)i) != GET((qi_isa)j) || GET((qi_isa)j) == scalar, "%s: %s gets the %s entry",     \
                    #family, qi_isa_name((qi_isa)i), qi_isa_name((qi_isa)j));                                     \
  } while (0)

/* A family with one config per path: its list starts with the scalar entry. */
#define CHECK_FAMILY(family, kernel)                                                                            \
  do {                                                                                                            \
    CHECK_PATHS(family, kernel, qi_##family##_config_get);                                                       \
    size_t count = 0;                                                                                             \
    const qi_##family##_config *const *list = qi_##family##_config_list(&count);                                   \
    CHECK_MSG(count >= 1 && list[0] == qi_##family##_config_get(QI_ISA_SCALAR),                                  \
              "%s: the list starts with the scalar entry", #family);                                             \
  } while (0)

/* A family that is an array of ops (one config per op and path, getter (op, isa)): every op as above, and every
 * path gets an entry for that op; the list's first op_count entries are the scalar ones. */
#define CHECK_OP_FAMILY(family, op_type, op_count, kernel)                                                      \
  do {                                                                                                            \
    for (int op = 0; op < (op_count); op++) {                                                                    \
      CHECK_PATHS(family, kernel, OP_GET);                                                                        \
      for (int i = -1; i <= QI_ISA_COUNT; i++)                                                                    \
        CHECK_MSG(OP_GET((qi_isa)i)->kind == (op_type)op, "%s: op %d, path %d: the entry of another op", #family,  \
                  op, i);                                                                                         \
    }                                                                                                             \
    size_t count = 0;                                                                                             \
    const qi_##family##_config *const *list = qi_##family##_config_list(&count);                                   \
    CHECK_MSG(count >= (size_t)(op_count), "%s: %zu entries for %d ops", #family, count, (int)(op_count));       \
    for (size_t i = 0; i < count && i < (size_t)(op_count); i++)                                                  \
      CHECK_MSG(list[i]->features == 0 && list[i] == qi_##family##_config_get(list[i]->kind, QI_ISA_SCALAR),       \
                "%s: list entry %zu is not a scalar one", #family, i);                                            \
  } while (0)

static void test_public_map(void) {
  CHECK(qi_isa_from_public(QINFER_ISA_AUTO) == qi_isa_best());
  const qinfer_isa named[] = {QINFER_ISA_SCALAR, QINFER_ISA_AVX2,    QINFER_ISA_AVXVNNI, QINFER_ISA_AVX512VNNI,
                              QINFER_ISA_NEON,   QINFER_ISA_NEONDOT, QINFER_ISA_NEONI8MM};
  CHECK(sizeof named / sizeof named[0] == QI_ISA_COUNT);
  for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
    const qi_isa isa = qi_isa_from_public(named[i]);
    CHECK_MSG(isa < QI_ISA_COUNT && qi_isa_to_public(isa) == named[i], "public ISA %d", (int)named[i]);
    CHECK(qi_isa_public_valid(named[i]) && qi_isa_public_parse(qi_isa_name(isa)) == (int)named[i]);
  }
  CHECK(qi_isa_from_public(QINFER_ISA_SCALAR) == QI_ISA_SCALAR && qi_isa_from_public(QINFER_ISA_AVX2) == QI_ISA_AVX2);
  CHECK(qi_isa_from_public((qinfer_isa)99) == QI_ISA_COUNT && qi_isa_from_public((qinfer_isa)-1) == QI_ISA_COUNT);
  CHECK(qi_isa_public_valid(QINFER_ISA_AUTO) && !qi_isa_public_valid((qinfer_isa)(QINFER_ISA_NEONI8MM + 1)) &&
        !qi_isa_public_valid((qinfer_isa)-1));
  CHECK(qi_isa_to_public(QI_ISA_COUNT) == QINFER_ISA_AUTO);
  CHECK(qi_isa_public_parse("auto") == QINFER_ISA_AUTO && qi_isa_public_parse("sse9") == -1);
}

int main(void) {
  /* names and features */
  for (int i = 0; i < QI_ISA_COUNT; i++) {
    const qi_isa isa = (qi_isa)i;
    CHECK_MSG(qi_isa_parse(qi_isa_name(isa)) == i, "%s", qi_isa_name(isa));
    CHECK_MSG(qi_isa_available(isa) == (qi_cpu_missing(qi_isa_features(isa)) == 0), "%s", qi_isa_name(isa));
  }
  CHECK(qi_isa_parse("sse9") == -1 && qi_isa_parse("auto") == -1 && strcmp(qi_isa_name((qi_isa)99), "unknown") == 0);
  CHECK(qi_isa_available(QI_ISA_SCALAR) && qi_isa_available(qi_isa_best()) && !qi_isa_available(QI_ISA_COUNT));
  CHECK(qi_isa_features(QI_ISA_SCALAR) == 0 && qi_isa_features(QI_ISA_AVX2) == QI_CPU_AVX2);
  CHECK(strcmp(qi_cpu_feature_name(QI_CPU_AVX512VNNI), "avx512vnni") == 0);
  CHECK(strcmp(qi_cpu_feature_name(3), "unknown") == 0);

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
  CHECK(fake_pick(QI_ISA_AVXVNNI) == 3);
  CHECK(fake_pick(QI_ISA_AVX512VNNI) == 2); /* not the AVX-VNNI entry: AVX-512 VNNI does not imply it */
  CHECK(fake_pick(QI_ISA_NEON) == 1);
  CHECK(fake_pick(QI_ISA_NEONDOT) == 6);
  CHECK(fake_pick(QI_ISA_NEONI8MM) == 1); /* past the table: scalar, not its family's neondot */
  CHECK(fake_pick((qi_isa)-1) == 1);
  CHECK(fake_pick((qi_isa)42) == 1);

  test_public_map();

  /* every kernel family with per-path tables */
  CHECK_FAMILY(f32_gemm, ukernel);
  CHECK_FAMILY(f32_gemm_qb4w, ukernel);
  CHECK_FAMILY(f32_dwconv, ukernel_any);
  CHECK_FAMILY(f32_im2col, im2col);
  CHECK_FAMILY(f32_pool, maxpool2d);
  CHECK_FAMILY(f32_reduce, rsumexp);
  CHECK_FAMILY(f32_softmax, softmax);
  CHECK_FAMILY(f32_layernorm, layernorm);
  CHECK_FAMILY(f32_vmulcaddc, ukernel);
#define OP_GET(isa) qi_f32_vunary_config_get((qi_vunary_op)op, (isa))
  CHECK_OP_FAMILY(f32_vunary, qi_vunary_op, QI_VUNARY_COUNT, ukernel);
#undef OP_GET
#define OP_GET(isa) qi_f32_vbinary_config_get((qi_vbinary_op)op, (isa))
  CHECK_OP_FAMILY(f32_vbinary, qi_vbinary_op, QI_VBINARY_COUNT, op);
#undef OP_GET
  CHECK_FAMILY(qu8_gemm, ukernel);
  CHECK_FAMILY(qu8_dwconv, ukernel_any);
  CHECK_FAMILY(qu8_avgpool, gavgpool);
  CHECK_FAMILY(qu8_lut, lut);
  CHECK_FAMILY(qu8_quantize, quantize);
  CHECK_FAMILY(qu8_vadd, vadd);
  CHECK_FAMILY(qu8_vmul, vmul);
  CHECK_FAMILY(u8_maxpool, ukernel_2d);
  CHECK_FAMILY(s8_maxpool, ukernel_2d);
  return TEST_SUMMARY();
}
