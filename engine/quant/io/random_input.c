#include "engine/quant/io/random_input.h"

#include <string.h>

/* splitmix64: small, fast and good enough for test data. */
static uint64_t next_u64(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* Uniform in [-1, 1) with 24 bits of resolution, exact in float. */
static float next_unit(uint64_t *state) {
  return (float)(next_u64(state) >> 40) * (2.0f / 16777216.0f) - 1.0f;
}

/* IEEE half from a float in [-1, 1) (no overflow, subnormals flushed to zero, truncating rounding). */
static uint16_t to_half(float f) {
  uint32_t x;
  memcpy(&x, &f, sizeof x);
  uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
  int32_t exp = (int32_t)((x >> 23) & 0xff) - 127 + 15;
  if (exp <= 0) return sign;
  return (uint16_t)(sign | (uint16_t)(exp << 10) | (uint16_t)((x >> 13) & 0x3ff));
}

void qi_fill_random(qi_host_tensor *t, uint64_t seed) {
  int64_t n = qi_host_tensor_numel(t);
  uint64_t state = seed;
  switch (t->dtype) {
    case QINFER_DTYPE_FLOAT:
      for (int64_t i = 0; i < n; i++) ((float *)t->data)[i] = next_unit(&state);
      break;
    case QINFER_DTYPE_DOUBLE:
      for (int64_t i = 0; i < n; i++) ((double *)t->data)[i] = next_unit(&state);
      break;
    case QINFER_DTYPE_FLOAT16:
      for (int64_t i = 0; i < n; i++) ((uint16_t *)t->data)[i] = to_half(next_unit(&state));
      break;
    case QINFER_DTYPE_INT8:
    case QINFER_DTYPE_UINT8:
      for (int64_t i = 0; i < n; i++) ((uint8_t *)t->data)[i] = (uint8_t)(next_u64(&state) >> 56);
      break;
    default:
      if (t->nbytes) memset(t->data, 0, t->nbytes);
  }
}

qi_status qi_random_input(qi_host_tensor *t, const qinfer_tensor_info *info, uint64_t seed, size_t index,
                          qi_error *err) {
  const qi_status st = qi_host_tensor_alloc(t, info->dtype, info->rank, info->dims, err);
  if (st == QINFER_OK) qi_fill_random(t, seed * 0x9e3779b97f4a7c15ull + index);
  return st;
}
