/* A structural index of a graph, kept current while a pass edits it: tensor names hashed, each tensor's reader
 * nodes, each node's position in the execution order. A pass that rewrites many small patterns (the QDQ fusion)
 * turns it on for its duration, so that finding a tensor by name, the sole reader of a tensor or a node's order
 * position costs O(1) (O(readers)) instead of a scan of the whole graph per pattern: linear passes, not
 * quadratic ones, on long graphs.
 *
 * While it is on (between qi_graph_index_begin and qi_graph_index_end), qi_graph_add_tensor and
 * qi_graph_add_node keep it current; a pass that points a node input at another tensor by hand reports it with
 * qi_graph_index_note_reader. Killing nodes (node->dead) needs no report: readers are filtered on the way out.
 * Without it, the same queries scan the graph (right for one-off callers). Tensors must not be renamed, removed
 * or reordered while it is on. */
#ifndef QI_GRAPH_INDEX_H
#define QI_GRAPH_INDEX_H

#include "engine/ir/ir.h"

/* Builds the index (after qi_graph_toposort: order positions come from g->order). */
qi_status qi_graph_index_begin(qi_graph *g, qi_error *err);
/* Drops it; the queries scan again. */
void qi_graph_index_end(qi_graph *g);

/* Node `node` now reads tensor t (an input slot was rewired to t). On out of memory the index is dropped: the
 * queries stay right, only slower. */
void qi_graph_index_note_reader(qi_graph *g, int t, int node);

/* The readers of tensor t, each live node that reads it once (in no particular order):
 *   qi_reader_iter it;
 *   for (int r = qi_readers_first(g, t, &it); r >= 0; r = qi_readers_next(g, &it)) ... */
typedef struct qi_reader_iter {
  int t;
  int at; /* index entry or, without an index, the next node to scan */
} qi_reader_iter;
int qi_readers_first(const qi_graph *g, int t, qi_reader_iter *it);
int qi_readers_next(const qi_graph *g, qi_reader_iter *it);

/* The one live node reading t through exactly one input slot, else -1 (none, several, or t is a graph output). */
int qi_graph_sole_reader(const qi_graph *g, int t);

/* The position of node `node` in g->order, -1 when it is not there (nodes added since the order was made). */
int qi_graph_order_position(const qi_graph *g, int node);

/* Hooks for graph.c: keep the index current as tensors and nodes are added; the name lookup. */
void qi_graph_index_added_tensor(qi_graph *g, int t);
void qi_graph_index_added_node(qi_graph *g, int node);
/* -2 when there is no index (the caller scans). */
int qi_graph_index_find(const qi_graph *g, const char *name);

#endif /* QI_GRAPH_INDEX_H */
