/* What every kernel family's config (kernels/<family>/config.c) is made of, beside its own kernel signatures.
 *
 * Names: a config holds each kernel pointer next to its name, and both come from the function's identifier:
 *
 *     .ukernel = QI_KERNEL(qi_qu8_qc8w_gemm_minmax_fp32_ukernel_4x8c4__avx2),
 *
 * sets the pointer member and the `const char *` member declared right after it (QI_KERNEL_PAIR asserts that
 * layout once per pair), so no kernel name is typed by hand. Prototypes come from one macro per family
 * signature (QI_QU8_GEMM_UKERNEL_DECL(fn); in kernels/qu8-gemm/qu8-gemm.h, ...), which also makes the pointer
 * type: typedef QI_QU8_GEMM_UKERNEL_DECL((*qi_qu8_gemm_minmax_ukernel_fn));
 *
 * Kernel lists: each family lists every config it has (all ISAs built into this binary, scalar first) with the
 * QI_CPU_* bits it needs (`features`); qi_<family>_config_list() returns it and the testers run every entry the
 * CPU can run, reporting the others as skipped (tests/unit/kernel_list.h).
 *
 * Activation domain (every integer family's config, `x_domain`): integer kernels that compute on activations
 * read their bytes as uint8 (x86 vpdpbusd / vpmaddwd after zero extension: int8 tensors are XORed with 0x80, zero
 * points + 128) or as int8 (an Arm sdot kernel: uint8 tensors XORed with 0x80, zero points - 128). The results
 * are those of the tensor's own values either way, since x - x_zero_point does not change. The families whose
 * parameters carry the XOR (depthwise conv, average pooling, mul, quantize) take the domain in their params
 * initialiser, which derives the XOR and the zero points from it; the gemm's packers take the XOR from it. A
 * kernel that reads each tensor in its own type (the add kernels, told the type by their params: their float
 * formula must see the tensor's values) or never interprets the bytes (the lookup table) is
 * QI_ACT_DOMAIN_NATIVE. u8-maxpool / s8-maxpool have no config field: the type is in the family's name.
 */
#ifndef QI_UKERNEL_H
#define QI_UKERNEL_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/isa.h"

#define QI_KERNEL(fn) fn, #fn
#define QI_KERNEL_PAIR(type, fn_member, name_member)                                                          \
  static_assert(offsetof(type, name_member) == offsetof(type, fn_member) + sizeof(((type *)0)->fn_member) &&  \
                    sizeof(((type *)0)->name_member) == sizeof(const char *),                                 \
                "QI_KERNEL(" #fn_member ") fills " #type "." #fn_member " and the name right after it")

typedef enum qi_act_domain {
  QI_ACT_DOMAIN_U8,     /* activations read as uint8 */
  QI_ACT_DOMAIN_S8,     /* activations read as int8 */
  QI_ACT_DOMAIN_NATIVE, /* each tensor read in its own type (uint8 or int8): no XOR */
} qi_act_domain;

/* The XOR that takes a tensor's bytes (int8 when is_int8, else uint8) into domain d. */
static inline uint8_t qi_act_domain_flip(qi_act_domain d, bool is_int8) {
  if (d == QI_ACT_DOMAIN_NATIVE) return 0;
  return (uint8_t)(is_int8 != (d == QI_ACT_DOMAIN_S8) ? 0x80 : 0);
}
/* A tensor value v (a zero point or a bound; of an int8 tensor when is_int8) as a value of domain d. */
static inline int32_t qi_act_domain_value(qi_act_domain d, int32_t v, bool is_int8) {
  if (d == QI_ACT_DOMAIN_NATIVE) return v;
  return v + (is_int8 ? 128 : 0) - (d == QI_ACT_DOMAIN_S8 ? 128 : 0);
}

#endif /* QI_UKERNEL_H */
