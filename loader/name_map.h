/* Open-addressing hash map from byte strings (names) to non-negative ints, for name lookups while loading
 * models with thousands of tensors. Keys are borrowed: they must stay valid and unchanged while in the map. */
#ifndef QI_LOADER_NAME_MAP_H
#define QI_LOADER_NAME_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct qi_name_slot {
  const char *key; /* NULL: empty slot */
  size_t len;
  uint64_t hash;
  int value;
} qi_name_slot;

typedef struct qi_name_map {
  qi_name_slot *slots;
  size_t cap; /* power of two, or 0 */
  size_t count;
} qi_name_map;

void qi_name_map_init(qi_name_map *m);
void qi_name_map_free(qi_name_map *m);
/* Value stored for key[0, len), or -1. */
int qi_name_map_get(const qi_name_map *m, const char *key, size_t len);
/* Inserts key[0, len) -> value (>= 0); the key must not be present. Returns false when out of memory. */
bool qi_name_map_put(qi_name_map *m, const char *key, size_t len, int value);

#endif /* QI_LOADER_NAME_MAP_H */
