/* The arena planner (engine/planner.h) against its contract, checked by brute force over every pair:
 * buffers live at a common step never share a byte (intervals are closed: [0, 1] and [1, 2] are both live at
 * step 1), offsets are 64-byte aligned, every buffer fits in the arena, and buffers that are never live together
 * do share memory (the point of planning). Then the session's plan of a small graph: a chain reuses slots, a
 * node's scratch never overlaps its own inputs or outputs, graph outputs and kept intermediates stay apart. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/planner.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

static size_t aligned(size_t x) { return (x + QI_ARENA_ALIGN - 1) / QI_ARENA_ALIGN * QI_ARENA_ALIGN; }

/* 0 when the placement keeps the contract, else the number of violations (printed). */
static int violations(const qi_plan_buffer *b, int n, size_t arena) {
  int bad = 0;
  for (int i = 0; i < n; i++) {
    if (b[i].offset < 0 || b[i].offset % QI_ARENA_ALIGN || (size_t)b[i].offset + b[i].size > arena) {
      fprintf(stderr, "buffer %d: offset %lld size %zu arena %zu\n", i, (long long)b[i].offset, b[i].size, arena);
      bad++;
    }
    for (int j = i + 1; j < n; j++) {
      const bool live = b[i].first <= b[j].last && b[j].first <= b[i].last;
      const bool overlap = b[i].size && b[j].size && b[i].offset < b[j].offset + (int64_t)b[j].size &&
                           b[j].offset < b[i].offset + (int64_t)b[i].size;
      if (live && overlap) {
        fprintf(stderr, "buffers %d [%d,%d] and %d [%d,%d] are live together and overlap\n", i, b[i].first,
                b[i].last, j, b[j].first, b[j].last);
        bad++;
      }
    }
  }
  return bad;
}

static void test_boundary_steps(void) {
  /* closed intervals: sharing one step is sharing a lifetime */
  qi_plan_buffer b[2] = {{0, 1, 100, -1}, {1, 2, 100, -1}};
  size_t arena = 0;
  CHECK(qi_plan_place(b, 2, &arena, NULL) == QINFER_OK);
  CHECK(violations(b, 2, arena) == 0);
  CHECK(arena == 2 * aligned(100));
  /* disjoint lifetimes share the slot */
  qi_plan_buffer c[2] = {{0, 1, 100, -1}, {2, 3, 100, -1}};
  CHECK(qi_plan_place(c, 2, &arena, NULL) == QINFER_OK);
  CHECK(c[0].offset == c[1].offset && arena == aligned(100));
  /* zero buffers, and zero-size buffers */
  CHECK(qi_plan_place(NULL, 0, &arena, NULL) == QINFER_OK && arena == 0);
  qi_plan_buffer z[2] = {{0, 5, 0, -1}, {0, 5, 64, -1}};
  CHECK(qi_plan_place(z, 2, &arena, NULL) == QINFER_OK && violations(z, 2, arena) == 0 && arena == 64);
}

/* A chain x0 -> x1 -> ... where each buffer lives from its producer to its reader: two slots suffice. */
static void test_chain_reuses(void) {
  enum { N = 20 };
  qi_plan_buffer b[N];
  for (int i = 0; i < N; i++) b[i] = (qi_plan_buffer){i, i + 1, 4096, -1};
  size_t arena = 0;
  CHECK(qi_plan_place(b, N, &arena, NULL) == QINFER_OK);
  CHECK(violations(b, N, arena) == 0);
  CHECK_MSG(arena == 2 * 4096, "a chain of equal buffers needs two slots, got %zu bytes", arena);
}

static uint32_t rng = 12345;
static uint32_t next(void) { return rng = rng * 1664525u + 1013904223u; }

static void test_random(void) {
  for (int round = 0; round < 300; round++) {
    const int n = 1 + (int)(next() % 60), steps = 1 + (int)(next() % 40);
    qi_plan_buffer *b = malloc(sizeof *b * (size_t)n);
    size_t sum = 0, peak = 0;
    for (int i = 0; i < n; i++) {
      const int first = (int)(next() % (uint32_t)steps), len = (int)(next() % 6);
      b[i] = (qi_plan_buffer){first, first + len, (size_t)(next() % 5000), -1};
      sum += aligned(b[i].size);
    }
    for (int s = 0; s < steps + 6; s++) { /* the bytes live at step s bound the arena from below */
      size_t live = 0;
      for (int i = 0; i < n; i++)
        if (b[i].first <= s && s <= b[i].last) live += aligned(b[i].size);
      if (live > peak) peak = live;
    }
    size_t arena = 0;
    CHECK(qi_plan_place(b, n, &arena, NULL) == QINFER_OK);
    CHECK_MSG(violations(b, n, arena) == 0, "round %d", round);
    CHECK_MSG(peak <= arena && arena <= sum, "round %d: arena %zu outside [%zu, %zu]", round, arena, peak, sum);
    free(b);
  }
}

/* The planner before its step index (a scan of every placed buffer per buffer), kept as the reference: the index
 * must find the same conflicts, so the same offsets. */
typedef struct ref_slot {
  qi_plan_buffer *buf;
  size_t size;
} ref_slot;

static int ref_by_size_desc(const void *a, const void *b) {
  const ref_slot *x = a, *y = b;
  if (x->size != y->size) return x->size < y->size ? 1 : -1;
  return x->buf->first - y->buf->first;
}

static int ref_by_offset(const void *a, const void *b) {
  const ref_slot *const *x = a, *const *y = b;
  return (*x)->buf->offset < (*y)->buf->offset ? -1 : (*x)->buf->offset > (*y)->buf->offset;
}

static size_t reference_place(qi_plan_buffer *bufs, int n) {
  ref_slot *slots = malloc(sizeof(ref_slot) * ((size_t)n + 1));
  const ref_slot **placed = malloc(sizeof(ref_slot *) * ((size_t)n + 1));
  for (int i = 0; i < n; i++) slots[i] = (ref_slot){&bufs[i], aligned(bufs[i].size)};
  qsort(slots, (size_t)n, sizeof(ref_slot), ref_by_size_desc);
  size_t total = 0;
  for (int i = 0; i < n; i++) {
    int np = 0;
    for (int j = 0; j < i; j++)
      if (slots[j].buf->first <= slots[i].buf->last && slots[i].buf->first <= slots[j].buf->last) placed[np++] = &slots[j];
    qsort(placed, (size_t)np, sizeof(ref_slot *), ref_by_offset);
    size_t offset = 0;
    for (int j = 0; j < np; j++) {
      if ((size_t)placed[j]->buf->offset >= offset + slots[i].size) break;
      const size_t end = (size_t)placed[j]->buf->offset + placed[j]->size;
      if (end > offset) offset = end;
    }
    slots[i].buf->offset = (int64_t)offset;
    if (offset + slots[i].size > total) total = offset + slots[i].size;
  }
  free(slots), free(placed);
  return total;
}

/* Random sets, many sizes repeated (ties in size and in offset), some long-lived buffers: same offsets as the
 * reference. */
static void test_same_as_reference(void) {
  for (int round = 0; round < 200; round++) {
    const int n = 1 + (int)(next() % 400), steps = 1 + (int)(next() % 200);
    qi_plan_buffer *b = malloc(sizeof *b * (size_t)n), *r = malloc(sizeof *r * (size_t)n);
    for (int i = 0; i < n; i++) {
      const int first = (int)(next() % (uint32_t)steps) - 3, len = next() % 8 ? (int)(next() % 5) : (int)(next() % 100);
      b[i] = (qi_plan_buffer){first, first + len, (size_t)(next() % 8) * 100 + (next() % 4 ? 0 : next() % 64), -1};
    }
    memcpy(r, b, sizeof *b * (size_t)n);
    size_t arena = 0;
    CHECK(qi_plan_place(b, n, &arena, NULL) == QINFER_OK);
    const size_t ref = reference_place(r, n);
    int diff = 0;
    for (int i = 0; i < n; i++) diff += b[i].offset != r[i].offset;
    CHECK_MSG(diff == 0 && arena == ref, "round %d: %d offsets differ, arena %zu vs %zu", round, diff, arena, ref);
    free(b), free(r);
  }
}

/* A complexity guard, not a timing: a 200,000-step chain (each output read by the next step, a scratch buffer
 * per step) costs the planner O(n log n) index visits; the scan it replaced made ~n^2 / 2 = 8e10 comparisons. */
static void test_long_chain_work(void) {
  enum { STEPS = 200000, N = 2 * STEPS };
  qi_plan_buffer *b = malloc(sizeof *b * N);
  for (int i = 0; i < STEPS; i++) {
    b[2 * i] = (qi_plan_buffer){i, i + 1, 4096, -1};
    b[2 * i + 1] = (qi_plan_buffer){i, i, 1000, -1};
  }
  size_t arena = 0;
  uint64_t work = 0;
  CHECK(qi_plan_place_counted(b, N, &arena, &work, NULL) == QINFER_OK);
  CHECK_MSG(arena == 2 * 4096 + aligned(1000), "arena %zu", arena);
  int bad = 0; /* neighbours only: nothing else is live together */
  for (int i = 0; i + 1 < STEPS; i++)
    bad += b[2 * i].offset == b[2 * i + 2].offset ||
           (b[2 * i + 1].offset < b[2 * i].offset + 4096 && b[2 * i].offset < b[2 * i + 1].offset + 1024);
  CHECK_MSG(bad == 0, "%d overlapping neighbours", bad);
  const uint64_t bound = (uint64_t)N * 8 * 20; /* 8 visits per level of a 2^19-leaf tree, generously */
  CHECK_MSG(work <= bound, "the planner visited %llu index entries for %d buffers (bound %llu)",
            (unsigned long long)work, N, (unsigned long long)bound);
  fprintf(stderr, "long chain: %d buffers, %llu index visits\n", N, (unsigned long long)work);
  free(b);
}

/* The session's plan of a small graph: in -> A -> t1 -> B -> t2 -> C -> out, with a constant weight. */
static void test_graph_plan(void) {
  qi_graph *g = qi_graph_new();
  const int64_t d[1] = {1000};
  int x = qi_graph_add_tensor(g, "x"), w = qi_graph_add_tensor(g, "w"), t1 = qi_graph_add_tensor(g, "t1"),
      t2 = qi_graph_add_tensor(g, "t2"), y = qi_graph_add_tensor(g, "y");
  int ids[5] = {x, w, t1, t2, y};
  for (int i = 0; i < 5; i++) qi_tensor_set_shape(&g->tensors[ids[i]], QINFER_DTYPE_FLOAT, 1, d);
  g->tensors[x].flags |= QI_TF_INPUT;
  g->tensors[w].flags |= QI_TF_CONST;
  g->inputs = malloc(sizeof(int)), g->inputs[0] = x, g->n_inputs = 1;
  g->outputs = malloc(sizeof(int)), g->outputs[0] = y, g->n_outputs = 1;
  const int a_in[2] = {x, w}, b_in[1] = {t1}, c_in[2] = {t2, t1};
  CHECK(qi_graph_add_node(g, "A", "", a_in, 2, &t1, 1) == 0);
  CHECK(qi_graph_add_node(g, "B", "", b_in, 1, &t2, 1) == 1);
  CHECK(qi_graph_add_node(g, "C", "", c_in, 2, &y, 1) == 2);
  CHECK(qi_graph_toposort(g, NULL) == QINFER_OK);
  qi_node_rt rt[3] = {{.scratch_bytes = 0}, {.scratch_bytes = 500}, {.scratch_bytes = 0}};
  int64_t toff[5], soff[3];
  for (int keep = 0; keep < 2; keep++) {
    size_t arena = 0;
    CHECK(qi_plan_arena(g, rt, keep, toff, soff, &arena, NULL) == QINFER_OK);
    CHECK(toff[x] == -1 && toff[w] == -1); /* inputs and constants live outside the arena */
    CHECK(soff[0] == -1 && soff[1] >= 0 && soff[2] == -1);
    /* t1 is read by C (step 2), so t1, t2 and y are distinct; B's scratch (step 1) is apart from B's input t1
     * and output t2 (it may share with y, which is made later) */
    const int64_t off[4] = {toff[t1], toff[t2], toff[y], soff[1]};
    const size_t size[4] = {4000, 4000, 4000, 500};
    const int pairs[5][2] = {{0, 1}, {0, 2}, {1, 2}, {3, 0}, {3, 1}};
    int bad = 0;
    for (int p = 0; p < 5; p++) {
      const int i = pairs[p][0], j = pairs[p][1];
      bad += off[i] < off[j] + (int64_t)size[j] && off[j] < off[i] + (int64_t)size[i];
    }
    CHECK_MSG(bad == 0, "keep %d: %d overlapping pairs", keep, bad);
    CHECK(arena >= 3 * aligned(4000));
  }
  qi_graph_free(g);
}

typedef struct span {
  int64_t offset, size;
} span;

static int by_span_offset(const void *a, const void *b) {
  const span *x = a, *y = b;
  return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* keep_all on a 20,000-node chain with a scratch buffer on most nodes: every tensor stays readable, so no two
 * tensors share a byte and no scratch buffer meets a tensor; nothing is spent beyond the tensors and the largest
 * scratch. (Placed greedily, each tensor was compared with every one before it: quadratic, 11 s of a 25,000-node
 * chain's session creation.) */
static void test_keep_all_chain(void) {
  enum { N = 20000 };
  qi_graph *g = qi_graph_new();
  int *t = malloc(sizeof(int) * (N + 1));
  char name[32];
  for (int i = 0; i <= N; i++) {
    snprintf(name, sizeof name, "t%d", i);
    t[i] = qi_graph_add_tensor(g, name);
    const int64_t d[1] = {1 + i % 37};
    qi_tensor_set_shape(&g->tensors[t[i]], QINFER_DTYPE_FLOAT, 1, d);
  }
  g->tensors[t[0]].flags |= QI_TF_INPUT;
  g->inputs = malloc(sizeof(int)), g->inputs[0] = t[0], g->n_inputs = 1;
  g->outputs = malloc(sizeof(int)), g->outputs[0] = t[N], g->n_outputs = 1;
  for (int i = 0; i < N; i++) {
    snprintf(name, sizeof name, "n%d", i);
    qi_graph_add_node(g, name, "", &t[i], 1, &t[i + 1], 1);
  }
  CHECK(qi_graph_toposort(g, NULL) == QINFER_OK);
  qi_node_rt *rt = calloc(N, sizeof *rt);
  int64_t *toff = malloc(sizeof(int64_t) * (N + 1)), *soff = malloc(sizeof(int64_t) * N);
  span *tensors = malloc(sizeof(span) * N);
  size_t max_scratch = 0, tensor_bytes = 0, arena = 0;
  for (int i = 0; i < N; i++) {
    rt[i].scratch_bytes = (size_t)(i % 5) * 100;
    if (aligned(rt[i].scratch_bytes) > max_scratch) max_scratch = aligned(rt[i].scratch_bytes);
  }
  CHECK(qi_plan_arena(g, rt, true, toff, soff, &arena, NULL) == QINFER_OK);
  int64_t tensors_end = 0, lowest_scratch = INT64_MAX;
  for (int i = 1; i <= N; i++) {
    const int64_t size = (1 + i % 37) * 4;
    tensors[i - 1] = (span){toff[t[i]], size};
    tensor_bytes += aligned((size_t)size);
    if (toff[t[i]] + size > tensors_end) tensors_end = toff[t[i]] + size;
  }
  qsort(tensors, N, sizeof *tensors, by_span_offset);
  int bad = tensors[0].offset < 0;
  for (int k = 0; k + 1 < N; k++) bad += tensors[k].offset + tensors[k].size > tensors[k + 1].offset;
  for (int i = 0; i < N; i++)
    if (rt[i].scratch_bytes && soff[i] < lowest_scratch) lowest_scratch = soff[i];
  CHECK_MSG(bad == 0, "%d tensors overlap the next one", bad);
  CHECK_MSG(lowest_scratch >= tensors_end, "a scratch buffer at %lld, tensors end at %lld", (long long)lowest_scratch,
            (long long)tensors_end);
  CHECK_MSG(arena == tensor_bytes + max_scratch, "arena %zu, tensors %zu + largest scratch %zu", arena, tensor_bytes,
            max_scratch);
  free(tensors), free(toff), free(soff), free(rt), free(t);
  qi_graph_free(g);
}

int main(void) {
  test_boundary_steps();
  test_chain_reuses();
  test_random();
  test_same_as_reference();
  test_long_chain_work();
  test_graph_plan();
  test_keep_all_chain();
  return TEST_SUMMARY();
}
