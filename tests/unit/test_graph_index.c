/* The graph index (engine/ir/graph_index.h) against the scans it replaces: on random graphs edited the way the
 * QDQ pass edits them (nodes added and killed, tensors added, inputs rewired and reported), every query answered
 * with the index on equals the same query answered by scanning (the index off): name lookups, each tensor's
 * readers, the sole reader, order positions. */
#include <stdlib.h>
#include <string.h>

#include "engine/ir/graph_index.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

static unsigned rng_state = 12345u;
static int rnd(int n) {
  rng_state = rng_state * 1103515245u + 12345u;
  return (int)((rng_state >> 8) % (unsigned)n);
}

/* The readers of t as a sorted list, once from the iterator. */
static int readers_of(const qi_graph *g, int t, int *out) {
  qi_reader_iter it;
  int n = 0;
  for (int r = qi_readers_first(g, t, &it); r >= 0; r = qi_readers_next(g, &it)) out[n++] = r;
  for (int i = 1; i < n; i++) /* insertion sort: short lists */
    for (int j = i; j > 0 && out[j - 1] > out[j]; j--) {
      const int s = out[j];
      out[j] = out[j - 1], out[j - 1] = s;
    }
  return n;
}

/* Every query, index on against index off (the index is rebuilt, never reused, by toggling it). */
static void compare_queries(qi_graph *g, struct qi_graph_index *kept) {
  int *a = malloc(sizeof(int) * ((size_t)g->n_nodes + 1)), *b = malloc(sizeof(int) * ((size_t)g->n_nodes + 1));
  int bad = 0;
  for (int t = 0; t < g->n_tensors; t++) {
    g->index = kept;
    const int na = readers_of(g, t, a), sa = qi_graph_sole_reader(g, t);
    const int fa = qi_graph_find_tensor(g, g->tensors[t].name);
    g->index = NULL;
    const int nb = readers_of(g, t, b), sb = qi_graph_sole_reader(g, t);
    const int fb = qi_graph_find_tensor(g, g->tensors[t].name);
    bad += na != nb || memcmp(a, b, sizeof(int) * (size_t)na) != 0 || sa != sb || fa != fb;
  }
  for (int i = 0; i < g->n_nodes; i++) {
    g->index = kept;
    const int pa = qi_graph_order_position(g, i);
    g->index = NULL;
    bad += pa != qi_graph_order_position(g, i);
  }
  g->index = kept;
  CHECK(qi_graph_find_tensor(g, "no such tensor") == -1);
  CHECK_MSG(bad == 0, "%d answers differ between the index and the scans", bad);
  free(a), free(b);
}

static void test_random_edits(void) {
  for (int round = 0; round < 20; round++) {
    qi_graph *g = qi_graph_new();
    char name[32];
    const int n_tensors = 40 + rnd(200);
    for (int t = 0; t < n_tensors; t++) {
      snprintf(name, sizeof name, "t%d", t);
      qi_graph_add_tensor(g, name);
    }
    g->outputs = malloc(sizeof(int)), g->outputs[0] = rnd(n_tensors), g->n_outputs = 1;
    const int n_nodes = 20 + rnd(150);
    for (int i = 0; i < n_nodes; i++) {
      int ins[4], out = rnd(n_tensors);
      const int k = 1 + rnd(4);
      for (int j = 0; j < k; j++) ins[j] = rnd(5) == 0 ? -1 : rnd(n_tensors);
      qi_graph_add_node(g, "Op", "", ins, k, &out, 1);
    }
    g->order = malloc(sizeof(int) * (size_t)n_nodes);
    for (int i = 0; i < n_nodes; i++) /* any order will do: the index copies it */
      if (rnd(4)) g->order[g->n_order++] = i;
    CHECK(qi_graph_index_begin(g, NULL) == QINFER_OK);
    struct qi_graph_index *x = g->index;
    for (int edit = 0; edit < 300 && g->index == x; edit++) {
      const int kind = rnd(4);
      if (kind == 0) { /* kill a node */
        g->nodes[rnd(g->n_nodes)].dead = true;
      } else if (kind == 1) { /* add a tensor (sometimes a duplicate name: the first one stays found) */
        snprintf(name, sizeof name, "t%d", rnd(3) ? g->n_tensors : rnd(g->n_tensors));
        qi_graph_add_tensor(g, name);
      } else if (kind == 2) { /* add a node reading existing tensors */
        int ins[3] = {rnd(g->n_tensors), rnd(g->n_tensors), rnd(g->n_tensors)}, out = rnd(g->n_tensors);
        qi_graph_add_node(g, "Fused", "", ins, 1 + rnd(3), &out, 1);
      } else { /* rewire one input of a live node, reported */
        qi_node *n = &g->nodes[rnd(g->n_nodes)];
        if (n->dead || n->n_inputs == 0) continue;
        const int t = rnd(g->n_tensors);
        n->inputs[rnd(n->n_inputs)] = t;
        qi_graph_index_note_reader(g, t, n->index);
      }
    }
    CHECK(g->index == x); /* no allocation failed */
    compare_queries(g, x);
    qi_graph_free(g); /* frees the index too (leak checked by the Sanitize build) */
  }
}

int main(void) {
  test_random_edits();
  return TEST_SUMMARY();
}
