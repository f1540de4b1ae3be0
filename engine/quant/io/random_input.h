/* Deterministic filler for inputs the user did not supply. */
#ifndef QI_QUANT_RANDOM_INPUT_H
#define QI_QUANT_RANDOM_INPUT_H

#include <stdint.h>

#include "engine/quant/io/host_tensor.h"

/* Fills t from a generator seeded with seed: floating types uniform in [-1, 1); int8 / uint8 uniform over
 * their range (typical quantized image inputs); every other integer type and bool 0, which is a safe index,
 * length or mask value. */
void qi_fill_random(qi_host_tensor *t, uint64_t seed);

#endif /* QI_QUANT_RANDOM_INPUT_H */
