/* The structural index of a graph while a pass edits it (graph_index.h).
 *
 * Names: open addressing (linear probing) over tensor indices, at most half full, keyed by an FNV-1a hash of the
 * name; the first tensor of a name wins, as the scan it replaces would find it. Readers: one singly linked list
 * of entries per tensor (entry_node / entry_next in one pool, head[t] the newest), each live reader listed once
 * when the index was built and every later reader added with it; dead or rewired readers are filtered when the
 * list is read. Positions: pos[node] from g->order. */
#include "engine/ir/graph_index.h"

#include <stdlib.h>
#include <string.h>

struct qi_graph_index {
  int *slots; /* tensor index or -1; cap_slots a power of two */
  size_t cap_slots, n_names;
  int *head; /* per tensor: its newest entry, -1 none */
  int cap_head;
  int *entry_node, *entry_next;
  int n_entries, cap_entries;
  int *pos; /* per node: its order position, -1 none */
  int cap_pos;
};

static size_t name_hash(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return (size_t)h;
}

static bool grow_ints(int **a, int *cap, int need, int fill) {
  if (need <= *cap) return true;
  int n = *cap ? *cap : 64;
  while (n < need) n *= 2;
  int *p = realloc(*a, sizeof(int) * (size_t)n);
  if (!p) return false;
  for (int i = *cap; i < n; i++) p[i] = fill;
  *a = p;
  *cap = n;
  return true;
}

/* Inserts tensor t's name unless a tensor of that name is already there. */
static bool insert_name(const qi_graph *g, struct qi_graph_index *x, int t) {
  if (2 * (x->n_names + 1) > x->cap_slots) {
    size_t cap = x->cap_slots ? 2 * x->cap_slots : 1024;
    int *slots = malloc(sizeof(int) * cap), *old = x->slots;
    if (!slots) return false;
    for (size_t i = 0; i < cap; i++) slots[i] = -1;
    for (size_t i = 0; i < x->cap_slots; i++) {
      if (old[i] < 0) continue;
      size_t h = name_hash(g->tensors[old[i]].name) & (cap - 1);
      while (slots[h] >= 0) h = (h + 1) & (cap - 1);
      slots[h] = old[i];
    }
    free(old);
    x->slots = slots;
    x->cap_slots = cap;
  }
  size_t h = name_hash(g->tensors[t].name) & (x->cap_slots - 1);
  for (; x->slots[h] >= 0; h = (h + 1) & (x->cap_slots - 1))
    if (strcmp(g->tensors[x->slots[h]].name, g->tensors[t].name) == 0) return true;
  x->slots[h] = t;
  x->n_names++;
  return true;
}

static bool push_reader(struct qi_graph_index *x, int t, int node) {
  if (!grow_ints(&x->head, &x->cap_head, t + 1, -1)) return false;
  if (x->n_entries == x->cap_entries) { /* entry_node and entry_next share one capacity */
    const int cap = x->cap_entries ? 2 * x->cap_entries : 1024;
    int *nodes = realloc(x->entry_node, sizeof(int) * (size_t)cap);
    if (nodes) x->entry_node = nodes;
    int *next = nodes ? realloc(x->entry_next, sizeof(int) * (size_t)cap) : NULL;
    if (!next) return false;
    x->entry_next = next;
    x->cap_entries = cap;
  }
  x->entry_node[x->n_entries] = node;
  x->entry_next[x->n_entries] = x->head[t];
  x->head[t] = x->n_entries++;
  return true;
}

static bool reads(const qi_node *n, int t) {
  for (int k = 0; k < n->n_inputs; k++)
    if (n->inputs[k] == t) return true;
  return false;
}

/* Lists node as a reader of each of its inputs, once per tensor. */
static bool push_node(struct qi_graph_index *x, const qi_node *n, int node) {
  for (int k = 0; k < n->n_inputs; k++) {
    const int t = n->inputs[k];
    bool seen = t < 0;
    for (int j = 0; j < k && !seen; j++) seen = n->inputs[j] == t;
    if (!seen && !push_reader(x, t, node)) return false;
  }
  return true;
}

static void index_free(struct qi_graph_index *x) {
  if (!x) return;
  free(x->slots), free(x->head), free(x->entry_node), free(x->entry_next), free(x->pos);
  free(x);
}

void qi_graph_index_end(qi_graph *g) {
  index_free(g->index);
  g->index = NULL;
}

qi_status qi_graph_index_begin(qi_graph *g, qi_error *err) {
  qi_graph_index_end(g);
  struct qi_graph_index *x = calloc(1, sizeof *x);
  bool ok = x && grow_ints(&x->head, &x->cap_head, g->n_tensors + 1, -1) &&
            grow_ints(&x->pos, &x->cap_pos, g->n_nodes + 1, -1);
  for (int t = 0; ok && t < g->n_tensors; t++) ok = insert_name(g, x, t);
  for (int i = 0; ok && i < g->n_nodes; i++)
    if (!g->nodes[i].dead) ok = push_node(x, &g->nodes[i], i);
  if (!ok) {
    index_free(x);
    return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory indexing the graph");
  }
  for (int s = 0; s < g->n_order; s++) x->pos[g->order[s]] = s;
  g->index = x;
  return QINFER_OK;
}

void qi_graph_index_note_reader(qi_graph *g, int t, int node) {
  struct qi_graph_index *x = g->index;
  if (!x || t < 0) return;
  for (int e = t < x->cap_head ? x->head[t] : -1; e >= 0; e = x->entry_next[e])
    if (x->entry_node[e] == node) return;
  if (!push_reader(x, t, node)) qi_graph_index_end(g);
}

void qi_graph_index_added_tensor(qi_graph *g, int t) {
  struct qi_graph_index *x = g->index;
  if (x && (!grow_ints(&x->head, &x->cap_head, t + 1, -1) || !insert_name(g, x, t))) qi_graph_index_end(g);
}

void qi_graph_index_added_node(qi_graph *g, int node) {
  struct qi_graph_index *x = g->index;
  if (x && (!grow_ints(&x->pos, &x->cap_pos, node + 1, -1) || !push_node(x, &g->nodes[node], node)))
    qi_graph_index_end(g);
}

int qi_graph_index_find(const qi_graph *g, const char *name) {
  const struct qi_graph_index *x = g->index;
  if (!x) return -2;
  for (size_t h = name_hash(name) & (x->cap_slots - 1); x->slots[h] >= 0; h = (h + 1) & (x->cap_slots - 1))
    if (strcmp(g->tensors[x->slots[h]].name, name) == 0) return x->slots[h];
  return -1;
}

int qi_readers_first(const qi_graph *g, int t, qi_reader_iter *it) {
  it->t = t;
  it->at = g->index ? (t < g->index->cap_head ? g->index->head[t] : -1) : 0;
  return qi_readers_next(g, it);
}

int qi_readers_next(const qi_graph *g, qi_reader_iter *it) {
  const struct qi_graph_index *x = g->index;
  if (x) {
    while (it->at >= 0) {
      const int node = x->entry_node[it->at];
      it->at = x->entry_next[it->at];
      if (!g->nodes[node].dead && reads(&g->nodes[node], it->t)) return node;
    }
    return -1;
  }
  for (; it->at < g->n_nodes; it->at++)
    if (!g->nodes[it->at].dead && reads(&g->nodes[it->at], it->t)) return it->at++;
  return -1;
}

int qi_graph_sole_reader(const qi_graph *g, int t) {
  for (int i = 0; i < g->n_outputs; i++)
    if (g->outputs[i] == t) return -1;
  qi_reader_iter it;
  int found = -1;
  for (int r = qi_readers_first(g, t, &it); r >= 0; r = qi_readers_next(g, &it)) {
    if (found >= 0) return -1;
    int slots = 0;
    for (int k = 0; k < g->nodes[r].n_inputs; k++) slots += g->nodes[r].inputs[k] == t;
    if (slots != 1) return -1;
    found = r;
  }
  return found;
}

int qi_graph_order_position(const qi_graph *g, int node) {
  if (g->index) return node < g->index->cap_pos ? g->index->pos[node] : -1;
  for (int s = 0; s < g->n_order; s++)
    if (g->order[s] == node) return s;
  return -1;
}
