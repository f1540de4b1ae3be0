#include "engine/planner.h"

#include <stdlib.h>

typedef struct slot {
  qi_plan_buffer *buf;
  size_t size; /* aligned */
} slot;

static int by_size_desc(const void *a, const void *b) {
  const slot *x = a, *y = b;
  if (x->size != y->size) return x->size < y->size ? 1 : -1;
  return x->buf->first - y->buf->first;
}

static int by_offset(const void *a, const void *b) {
  const slot *const *x = a, *const *y = b;
  return (*x)->buf->offset < (*y)->buf->offset ? -1 : (*x)->buf->offset > (*y)->buf->offset;
}

static bool live_together(const qi_plan_buffer *a, const qi_plan_buffer *b) {
  return a->first <= b->last && b->first <= a->last;
}

qi_status qi_plan_place(qi_plan_buffer *bufs, int n, size_t *arena_bytes, qi_error *err) {
  slot *slots = malloc(sizeof(slot) * ((size_t)n + 1));
  const slot **placed = malloc(sizeof(slot *) * ((size_t)n + 1));
  if (!slots || !placed) {
    free(slots), free(placed);
    return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory while planning");
  }
  for (int i = 0; i < n; i++) {
    if (bufs[i].size > SIZE_MAX - QI_ARENA_ALIGN) {
      free(slots), free(placed);
      return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "a buffer of %zu bytes cannot be planned", bufs[i].size);
    }
    slots[i] = (slot){&bufs[i], (bufs[i].size + QI_ARENA_ALIGN - 1) & ~(size_t)(QI_ARENA_ALIGN - 1)};
  }
  qsort(slots, (size_t)n, sizeof(slot), by_size_desc);
  size_t total = 0;
  for (int i = 0; i < n; i++) {
    int np = 0;
    for (int j = 0; j < i; j++)
      if (live_together(slots[j].buf, slots[i].buf)) placed[np++] = &slots[j];
    qsort(placed, (size_t)np, sizeof(slot *), by_offset);
    size_t offset = 0;
    for (int j = 0; j < np; j++) {
      if ((size_t)placed[j]->buf->offset >= offset + slots[i].size) break; /* fits in the gap before it */
      size_t end = (size_t)placed[j]->buf->offset + placed[j]->size;
      if (end > offset) offset = end;
    }
    slots[i].buf->offset = (int64_t)offset;
    if (offset + slots[i].size > total) total = offset + slots[i].size;
  }
  free(slots), free(placed);
  *arena_bytes = total;
  return QINFER_OK;
}

static bool tensor_in_arena(const qi_tensor *t) { return !(t->flags & (QI_TF_CONST | QI_TF_INPUT)); }

qi_status qi_plan_arena(qi_graph *g, const qi_node_rt *rt, bool keep_all, int64_t *tensor_offset,
                        int64_t *scratch_offset, size_t *arena_bytes, qi_error *err) {
  const size_t cap = (size_t)g->n_tensors + (size_t)g->n_nodes + 1;
  qi_plan_buffer *bufs = malloc(sizeof(qi_plan_buffer) * cap);
  int *owner = malloc(sizeof(int) * cap); /* tensor index, or -1 - node index for a scratch buffer */
  int *first = malloc(sizeof(int) * ((size_t)g->n_tensors + 1)), *last = malloc(sizeof(int) * ((size_t)g->n_tensors + 1));
  qi_status status = QINFER_OK;
  if (!bufs || !owner || !first || !last) {
    status = qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory while planning");
    goto done;
  }
  for (int t = 0; t < g->n_tensors; t++) first[t] = last[t] = -1, tensor_offset[t] = -1;
  for (int i = 0; i < g->n_nodes; i++) scratch_offset[i] = -1;
  for (int s = 0; s < g->n_order; s++) {
    const qi_node *n = &g->nodes[g->order[s]];
    for (int k = 0; k < n->n_outputs; k++)
      if (n->outputs[k] >= 0 && first[n->outputs[k]] < 0) first[n->outputs[k]] = last[n->outputs[k]] = s;
    for (int k = 0; k < n->n_inputs; k++)
      if (n->inputs[k] >= 0) last[n->inputs[k]] = s;
  }
  for (int i = 0; i < g->n_outputs; i++) last[g->outputs[i]] = g->n_order;
  for (int t = 0; keep_all && t < g->n_tensors; t++)
    if (first[t] >= 0) last[t] = g->n_order;

  int nb = 0;
  for (int t = 0; t < g->n_tensors; t++) {
    qi_tensor *x = &g->tensors[t];
    if (first[t] < 0 || !tensor_in_arena(x)) continue;
    int64_t numel;
    size_t es = qi_dtype_size(x->dtype);
    if (es == 0 || !qi_shape_numel(x->rank, x->dims, &numel) || (uint64_t)numel > SIZE_MAX / 4 / es) {
      status = qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "tensor '%s' is too large or has no size", x->name);
      goto done;
    }
    x->nbytes = (size_t)numel * es;
    owner[nb] = t;
    bufs[nb++] = (qi_plan_buffer){first[t], last[t], x->nbytes, -1};
  }
  for (int s = 0; s < g->n_order; s++) {
    const int node = g->order[s];
    if (!rt[node].scratch_bytes) continue;
    owner[nb] = -1 - node;
    bufs[nb++] = (qi_plan_buffer){s, s, rt[node].scratch_bytes, -1};
  }
  if ((status = qi_plan_place(bufs, nb, arena_bytes, err)) != QINFER_OK) goto done;
  for (int i = 0; i < nb; i++) {
    if (owner[i] >= 0) tensor_offset[owner[i]] = bufs[i].offset;
    else scratch_offset[-1 - owner[i]] = bufs[i].offset;
  }
done:
  free(bufs), free(owner), free(first), free(last);
  return status;
}
