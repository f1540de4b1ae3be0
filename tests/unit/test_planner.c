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

int main(void) {
  test_boundary_steps();
  test_chain_reuses();
  test_random();
  test_graph_plan();
  return TEST_SUMMARY();
}
