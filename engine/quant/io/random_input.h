/* Deterministic filler for inputs the user did not supply. */
#ifndef QI_QUANT_RANDOM_INPUT_H
#define QI_QUANT_RANDOM_INPUT_H

#include <stdint.h>

#include "engine/quant/io/host_tensor.h"

/* Fills t from a generator seeded with seed: floating types uniform in [-1, 1); int8 / uint8 uniform over
 * their range (typical quantized image inputs); every other integer type and bool 0, which is a safe index,
 * length or mask value. */
void qi_fill_random(qi_host_tensor *t, uint64_t seed);
/* Allocates t for model input number `index` (info: its dtype and concrete shape) and fills it as above from a
 * seed derived from seed and index: the inputs `qinfer run --seed` and qinfer_compare_set_random_inputs make. */
qi_status qi_random_input(qi_host_tensor *t, const qinfer_tensor_info *info, uint64_t seed, size_t index,
                          qi_error *err);

#endif /* QI_QUANT_RANDOM_INPUT_H */
