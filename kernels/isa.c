#include "kernels/isa.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
static uint64_t read_xcr0(void) {
  uint32_t eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return ((uint64_t)edx << 32) | eax;
}
static uint32_t detect(void) {
  uint32_t a, b, c, d, f = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  const bool osxsave = (c >> 27) & 1, fma = (c >> 12) & 1;
  if (!osxsave) return 0;
  const uint64_t xcr0 = read_xcr0();
  const bool ymm_ok = (xcr0 & 0x6) == 0x6, zmm_ok = (xcr0 & 0xe6) == 0xe6;
  if (__get_cpuid_max(0, NULL) < 7) return 0;
  __cpuid_count(7, 0, a, b, c, d);
  const bool avx2 = (b >> 5) & 1;
  const bool avx512f = (b >> 16) & 1, avx512dq = (b >> 17) & 1, avx512bw = (b >> 30) & 1,
             avx512vl = (b >> 31) & 1, avx512vnni = (c >> 11) & 1;
  if (ymm_ok && avx2 && fma) f |= QI_CPU_AVX2;
  if (zmm_ok && avx512f && avx512dq && avx512bw && avx512vl) f |= QI_CPU_AVX512;
  if ((f & QI_CPU_AVX512) && avx512vnni) f |= QI_CPU_AVX512VNNI;
  __cpuid_count(7, 1, a, b, c, d);
  if ((f & QI_CPU_AVX2) && ((a >> 4) & 1)) f |= QI_CPU_AVXVNNI;
  return f;
}
#elif defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)
#endif
#ifndef HWCAP2_I8MM
#define HWCAP2_I8MM (1 << 13)
#endif
static uint32_t detect(void) {
  uint32_t f = QI_CPU_NEON;
  if (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) f |= QI_CPU_NEONDOT;
  if (getauxval(AT_HWCAP2) & HWCAP2_I8MM) f |= QI_CPU_NEONI8MM;
  return f;
}
#elif defined(__arm__) && defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_NEON
#define HWCAP_NEON (1 << 12)
#endif
#ifndef HWCAP_VFPv4
#define HWCAP_VFPv4 (1 << 16)
#endif
/* 32-bit "neon" kernels are built with -mfpu=neon-vfpv4 (vfma.f32): Cortex-A7/A15/A53 and later, not A8/A9. */
static uint32_t detect(void) {
  const unsigned long need = HWCAP_NEON | HWCAP_VFPv4;
  return (getauxval(AT_HWCAP) & need) == need ? QI_CPU_NEON : 0;
}
#else
static uint32_t detect(void) { return 0; }
#endif /* CPU family */

uint32_t qi_cpu_features(void) {
  static int done;
  static uint32_t features;
  if (!__atomic_load_n(&done, __ATOMIC_ACQUIRE)) {
    features = detect();
    __atomic_store_n(&done, 1, __ATOMIC_RELEASE);
  }
  return features;
}

static const char *const feature_names[QI_CPU_FEATURE_COUNT] = {"avx2", "avxvnni", "avx512", "avx512vnni",
                                                                  "neon", "neondot", "neoni8mm"};

const char *qi_cpu_feature_name(uint32_t bit) {
  for (unsigned i = 0; i < QI_CPU_FEATURE_COUNT; i++)
    if (bit == 1u << i) return feature_names[i];
  return "unknown";
}

uint32_t qi_isa_features(qi_isa isa) {
  switch (isa) {
    case QI_ISA_AVX2: return QI_CPU_AVX2;
    case QI_ISA_AVXVNNI: return QI_CPU_AVX2 | QI_CPU_AVXVNNI;
    case QI_ISA_AVX512VNNI: return QI_CPU_AVX2 | QI_CPU_AVX512 | QI_CPU_AVX512VNNI;
    case QI_ISA_NEON: return QI_CPU_NEON;
    case QI_ISA_NEONDOT: return QI_CPU_NEON | QI_CPU_NEONDOT;
    case QI_ISA_NEONI8MM: return QI_CPU_NEON | QI_CPU_NEONDOT | QI_CPU_NEONI8MM;
    default: return 0;
  }
}

bool qi_isa_available(qi_isa isa) {
  return (size_t)isa < QI_ISA_COUNT && qi_cpu_missing(qi_isa_features(isa)) == 0;
}

qi_isa qi_isa_best(void) {
  static const qi_isa order[] = {QI_ISA_AVX512VNNI, QI_ISA_AVXVNNI, QI_ISA_AVX2,
                                 QI_ISA_NEONI8MM,   QI_ISA_NEONDOT, QI_ISA_NEON};
  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
    if (qi_isa_available(order[i])) return order[i];
  return QI_ISA_SCALAR;
}

qi_isa qi_isa_fallback(qi_isa isa) {
  switch (isa) {
    case QI_ISA_AVX512VNNI: return QI_ISA_AVXVNNI;
    case QI_ISA_AVXVNNI: return QI_ISA_AVX2;
    case QI_ISA_NEONI8MM: return QI_ISA_NEONDOT;
    case QI_ISA_NEONDOT: return QI_ISA_NEON;
    default: return QI_ISA_SCALAR;
  }
}

static const char *const isa_names[QI_ISA_COUNT] = {
    [QI_ISA_SCALAR] = "scalar", [QI_ISA_AVX2] = "avx2",         [QI_ISA_AVXVNNI] = "avxvnni",
    [QI_ISA_AVX512VNNI] = "avx512vnni", [QI_ISA_NEON] = "neon", [QI_ISA_NEONDOT] = "neondot",
    [QI_ISA_NEONI8MM] = "neoni8mm"};

int qi_isa_parse(const char *name) {
  for (int i = 0; i < QI_ISA_COUNT; i++)
    if (strcmp(name, isa_names[i]) == 0) return i;
  return -1;
}

const char *qi_isa_name(qi_isa isa) { return (size_t)isa < QI_ISA_COUNT ? isa_names[isa] : "unknown"; }
