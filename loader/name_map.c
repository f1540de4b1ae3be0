/* Linear probing with a load factor of at most 1/2; FNV-1a hashes. */
#include "loader/name_map.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static uint64_t hash_bytes(const char *p, size_t len) {
  uint64_t h = 14695981039346656037ull;
  for (size_t i = 0; i < len; i++) {
    h ^= (unsigned char)p[i];
    h *= 1099511628211ull;
  }
  return h;
}

void qi_name_map_init(qi_name_map *m) { memset(m, 0, sizeof *m); }

void qi_name_map_free(qi_name_map *m) {
  free(m->slots);
  memset(m, 0, sizeof *m);
}

/* Slot holding key, or the empty slot where it would go. cap must be non-zero. */
static qi_name_slot *find_slot(qi_name_slot *slots, size_t cap, const char *key, size_t len, uint64_t h) {
  size_t i = (size_t)h & (cap - 1);
  for (;;) {
    qi_name_slot *s = &slots[i];
    if (!s->key || (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0)) return s;
    i = (i + 1) & (cap - 1);
  }
}

int qi_name_map_get(const qi_name_map *m, const char *key, size_t len) {
  if (m->cap == 0) return -1;
  const qi_name_slot *s = find_slot(m->slots, m->cap, key, len, hash_bytes(key, len));
  return s->key ? s->value : -1;
}

static bool grow(qi_name_map *m) {
  size_t cap = m->cap ? m->cap * 2 : 64;
  if (cap < m->cap || cap > SIZE_MAX / sizeof(qi_name_slot)) return false;
  qi_name_slot *slots = calloc(cap, sizeof *slots);
  if (!slots) return false;
  for (size_t i = 0; i < m->cap; i++)
    if (m->slots[i].key) *find_slot(slots, cap, m->slots[i].key, m->slots[i].len, m->slots[i].hash) = m->slots[i];
  free(m->slots);
  m->slots = slots;
  m->cap = cap;
  return true;
}

bool qi_name_map_put(qi_name_map *m, const char *key, size_t len, int value) {
  assert(key && value >= 0);
  if ((m->count + 1) * 2 > m->cap && !grow(m)) return false;
  uint64_t h = hash_bytes(key, len);
  qi_name_slot *s = find_slot(m->slots, m->cap, key, len, h);
  assert(!s->key && "key already present");
  s->key = key;
  s->len = len;
  s->hash = h;
  s->value = value;
  m->count++;
  return true;
}
