#include "engine/planner.h"

#include <limits.h>
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

/* The placed buffers, indexed by first step: a segment tree over the steps in which each node holds the largest
 * `last` among the placed buffers whose first step lies in its range (INT_MIN when none), and each leaf lists its
 * buffers. The placed buffers live together with [a, b] are those with first <= b and last >= a: a walk of the
 * tree that skips subtrees starting after b or ending before a finds them in O((k + 1) log steps). */
typedef struct step_index {
  int *keys, n_keys; /* the distinct first steps, ascending: leaf i is keys[i] */
  int leaves;        /* a power of two >= n_keys */
  int *max_last;     /* 2 * leaves nodes, the root at 1 */
  int *head, *next;  /* per leaf: its first slot (-1: none); per slot: the next slot of its leaf */
} step_index;

static int by_int(const void *a, const void *b) {
  const int x = *(const int *)a, y = *(const int *)b;
  return x < y ? -1 : x > y;
}

/* The number of keys <= step. */
static int keys_upto(const step_index *x, int step) {
  int lo = 0, hi = x->n_keys;
  while (lo < hi) {
    const int mid = lo + (hi - lo) / 2;
    if (x->keys[mid] <= step) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

static bool index_init(step_index *x, const qi_plan_buffer *bufs, int n) {
  x->keys = malloc(sizeof(int) * ((size_t)n + 1));
  x->next = malloc(sizeof(int) * ((size_t)n + 1));
  if (!x->keys || !x->next) return false;
  for (int i = 0; i < n; i++) x->keys[i] = bufs[i].first;
  qsort(x->keys, (size_t)n, sizeof(int), by_int);
  x->n_keys = 0;
  for (int i = 0; i < n; i++)
    if (i == 0 || x->keys[i] != x->keys[i - 1]) x->keys[x->n_keys++] = x->keys[i];
  x->leaves = 1;
  while (x->leaves < x->n_keys) x->leaves *= 2;
  x->max_last = malloc(sizeof(int) * 2 * (size_t)x->leaves);
  x->head = malloc(sizeof(int) * (size_t)x->leaves);
  if (!x->max_last || !x->head) return false;
  for (int i = 0; i < 2 * x->leaves; i++) x->max_last[i] = INT_MIN;
  for (int i = 0; i < x->leaves; i++) x->head[i] = -1;
  return true;
}

static void index_free(step_index *x) { free(x->keys), free(x->max_last), free(x->head), free(x->next); }

static void index_add(step_index *x, const slot *slots, int i) {
  const int leaf = keys_upto(x, slots[i].buf->first) - 1, last = slots[i].buf->last;
  x->next[i] = x->head[leaf];
  x->head[leaf] = i;
  for (int v = leaf + x->leaves; v >= 1 && x->max_last[v] < last; v /= 2) x->max_last[v] = last;
}

/* Appends to placed[] every indexed slot whose interval meets [a, b]; returns the new count. */
static int index_query(const step_index *x, const slot *slots, int a, int b, const slot **placed, int np,
                       uint64_t *work) {
  struct node {
    int v, lo, hi;
  } stack[2 * 32 + 2]; /* depth first, so at most one pending sibling per level */
  int top = 0;
  const int last_leaf = keys_upto(x, b) - 1; /* the leaves with first <= b */
  stack[top++] = (struct node){1, 0, x->leaves - 1};
  while (top) {
    const struct node e = stack[--top];
    (*work)++;
    if (e.lo > last_leaf || x->max_last[e.v] < a) continue;
    if (e.lo == e.hi) {
      for (int j = x->head[e.lo]; j >= 0; j = x->next[j], (*work)++)
        if (slots[j].buf->last >= a) placed[np++] = &slots[j];
      continue;
    }
    const int mid = e.lo + (e.hi - e.lo) / 2;
    stack[top++] = (struct node){2 * e.v + 1, mid + 1, e.hi};
    stack[top++] = (struct node){2 * e.v, e.lo, mid};
  }
  return np;
}

qi_status qi_plan_place(qi_plan_buffer *bufs, int n, size_t *arena_bytes, qi_error *err) {
  return qi_plan_place_counted(bufs, n, arena_bytes, NULL, err);
}

qi_status qi_plan_place_counted(qi_plan_buffer *bufs, int n, size_t *arena_bytes, uint64_t *work, qi_error *err) {
  uint64_t unused = 0;
  if (!work) work = &unused;
  *work = 0;
  slot *slots = malloc(sizeof(slot) * ((size_t)n + 1));
  const slot **placed = malloc(sizeof(slot *) * ((size_t)n + 1));
  step_index index = {0};
  if (!slots || !placed || !index_init(&index, bufs, n)) {
    free(slots), free(placed), index_free(&index);
    return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory while planning");
  }
  for (int i = 0; i < n; i++) {
    if (bufs[i].size > SIZE_MAX - QI_ARENA_ALIGN) {
      free(slots), free(placed), index_free(&index);
      return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "a buffer of %zu bytes cannot be planned", bufs[i].size);
    }
    slots[i] = (slot){&bufs[i], (bufs[i].size + QI_ARENA_ALIGN - 1) & ~(size_t)(QI_ARENA_ALIGN - 1)};
  }
  qsort(slots, (size_t)n, sizeof(slot), by_size_desc);
  size_t total = 0;
  for (int i = 0; i < n; i++) {
    /* the placed buffers live together with this one, by offset (equal offsets in any order: the gap search
     * below gives the same answer for every order among them) */
    const int np = index_query(&index, slots, slots[i].buf->first, slots[i].buf->last, placed, 0, work);
    qsort(placed, (size_t)np, sizeof(slot *), by_offset);
    size_t offset = 0;
    for (int j = 0; j < np; j++) {
      if ((size_t)placed[j]->buf->offset >= offset + slots[i].size) break; /* fits in the gap before it */
      size_t end = (size_t)placed[j]->buf->offset + placed[j]->size;
      if (end > offset) offset = end;
    }
    slots[i].buf->offset = (int64_t)offset;
    if (offset + slots[i].size > total) total = offset + slots[i].size;
    index_add(&index, slots, i);
  }
  free(slots), free(placed), index_free(&index);
  *arena_bytes = total;
  return QINFER_OK;
}

/* keep_all: every tensor lives to the end, so all of them are live together and none can share; the greedy
 * placement would compare each with every one placed before (quadratic). Tensors are laid end to end instead, and
 * the scratch buffers, one step each and so never live together, share one region after them. owner[i] >= 0:
 * bufs[i] is a tensor. */
static qi_status place_keep_all(qi_plan_buffer *bufs, const int *owner, int n, size_t *arena_bytes, qi_error *err) {
  size_t end = 0, scratch = 0;
  for (int i = 0; i < n; i++) {
    if (bufs[i].size > SIZE_MAX / 2 - QI_ARENA_ALIGN - end)
      return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "the tensors kept (keep intermediates) exceed the address space");
    const size_t size = (bufs[i].size + QI_ARENA_ALIGN - 1) & ~(size_t)(QI_ARENA_ALIGN - 1);
    if (owner[i] < 0) {
      if (size > scratch) scratch = size;
      continue;
    }
    bufs[i].offset = (int64_t)end;
    end += size;
  }
  for (int i = 0; i < n; i++)
    if (owner[i] < 0) bufs[i].offset = (int64_t)end;
  *arena_bytes = end + scratch;
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
    if (!qi_dtype_known(x->dtype) || !qi_shape_numel(x->rank, x->dims, &numel) ||
        (uint64_t)numel > SIZE_MAX / 4 / (es ? es : 1)) {
      status = qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "tensor '%s' is too large or has no size", x->name);
      goto done;
    }
    x->nbytes = qi_dtype_bytes(x->dtype, (size_t)numel); /* 4-bit: QuantizeLinear's output, two per byte */
    owner[nb] = t;
    bufs[nb++] = (qi_plan_buffer){first[t], last[t], x->nbytes, -1};
  }
  for (int s = 0; s < g->n_order; s++) {
    const int node = g->order[s];
    if (!rt[node].scratch_bytes) continue;
    owner[nb] = -1 - node;
    bufs[nb++] = (qi_plan_buffer){s, s, rt[node].scratch_bytes, -1};
  }
  status = keep_all ? place_keep_all(bufs, owner, nb, arena_bytes, err) : qi_plan_place(bufs, nb, arena_bytes, err);
  if (status != QINFER_OK) goto done;
  for (int i = 0; i < nb; i++) {
    if (owner[i] >= 0) tensor_offset[owner[i]] = bufs[i].offset;
    else scratch_offset[-1 - owner[i]] = bufs[i].offset;
  }
done:
  free(bufs), free(owner), free(first), free(last);
  return status;
}
