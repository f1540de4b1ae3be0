#include "kernels/isa.h"

#include <stdlib.h>
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
static uint32_t detect(void) { return (getauxval(AT_HWCAP) & HWCAP_NEON) ? QI_CPU_NEON : 0; }
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

bool qi_isa_available(qinfer_isa isa) {
  const uint32_t f = qi_cpu_features();
  switch (isa) {
    case QINFER_ISA_AUTO:
    case QINFER_ISA_SCALAR: return true;
    case QINFER_ISA_AVX2: return f & QI_CPU_AVX2;
    case QINFER_ISA_AVXVNNI: return f & QI_CPU_AVXVNNI;
    case QINFER_ISA_AVX512VNNI: return f & QI_CPU_AVX512VNNI;
    case QINFER_ISA_NEON: return f & QI_CPU_NEON;
    case QINFER_ISA_NEONDOT: return f & QI_CPU_NEONDOT;
    case QINFER_ISA_NEONI8MM: return f & QI_CPU_NEONI8MM;
  }
  return false;
}

qinfer_isa qi_isa_best(void) {
  static const qinfer_isa order[] = {QINFER_ISA_AVX512VNNI, QINFER_ISA_AVXVNNI, QINFER_ISA_AVX2,
                                     QINFER_ISA_NEONI8MM, QINFER_ISA_NEONDOT, QINFER_ISA_NEON};
  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
    if (qi_isa_available(order[i])) return order[i];
  return QINFER_ISA_SCALAR;
}

qinfer_isa qi_isa_fallback(qinfer_isa isa) {
  switch (isa) {
    case QINFER_ISA_AVX512VNNI: return QINFER_ISA_AVXVNNI;
    case QINFER_ISA_AVXVNNI: return QINFER_ISA_AVX2;
    case QINFER_ISA_NEONI8MM: return QINFER_ISA_NEONDOT;
    case QINFER_ISA_NEONDOT: return QINFER_ISA_NEON;
    default: return QINFER_ISA_SCALAR;
  }
}

static const char *const isa_names[] = {"auto", "scalar", "avx2", "avxvnni", "avx512vnni", "neon", "neondot",
                                        "neoni8mm"};

int qi_isa_parse(const char *name) {
  for (int i = 0; i < (int)(sizeof isa_names / sizeof isa_names[0]); i++)
    if (strcmp(name, isa_names[i]) == 0) return i;
  return -1;
}

int qi_isa_from_env(void) {
  const char *v = getenv("QINFER_ISA");
  if (!v || !*v) return QINFER_ISA_AUTO;
  return qi_isa_parse(v);
}

const char *qi_isa_name(qinfer_isa isa) {
  if ((int)isa < 0 || (size_t)isa >= sizeof isa_names / sizeof isa_names[0]) return "unknown";
  return isa_names[isa];
}
