/* Memory planner: one arena for every activation and scratch buffer of a session.
 *
 * Each buffer lives over an interval of execution steps [first, last]: a node output from its producer's
 * step to its last reader's step (graph outputs to the end), a node's scratch during that node's step.
 * Buffers are placed largest first at the lowest 64-byte-aligned offset that does not overlap any placed
 * buffer whose interval intersects its own (greedy by size, as TFLite's arena planner does). Two buffers
 * whose intervals share a step (a.first <= b.last && b.first <= a.last) never share a byte. The placed buffers
 * are indexed by first step (a segment tree keeping the latest last step per range), so finding the k placed
 * buffers live together with one costs O((k + 1) log n), not a scan of all placed buffers: n log n in all
 * when few buffers are live at once. With keep_all (every tensor lives to the end) nothing can share, so the
 * tensors are laid end to end and the scratch buffers share one region after them: linear. */
#ifndef QI_PLANNER_H
#define QI_PLANNER_H

#include <stddef.h>
#include <stdint.h>

#include "engine/op.h"

#define QI_ARENA_ALIGN 64

typedef struct qi_plan_buffer {
  int first, last; /* execution steps, first <= last */
  size_t size;     /* bytes (rounded up to QI_ARENA_ALIGN when placed) */
  int64_t offset;  /* output: byte offset in the arena, a multiple of QI_ARENA_ALIGN */
} qi_plan_buffer;

/* Places n buffers (offsets set, in their original order) and returns the arena size they need. */
qi_status qi_plan_place(qi_plan_buffer *bufs, int n, size_t *arena_bytes, qi_error *err);

/* qi_plan_place, also counting in *work (when not NULL) the index nodes and candidate buffers it visited while
 * looking for the buffers live together with each one: the measure of its cost that tests bound. */
qi_status qi_plan_place_counted(qi_plan_buffer *bufs, int n, size_t *arena_bytes, uint64_t *work, qi_error *err);

/* The arena of a prepared session graph: every non-constant, non-input tensor (tensor_offset[t], -1 for the
 * others) and every node's scratch (scratch_offset[node], -1 when it has none). keep_all: no tensor shares its
 * slot (all stay readable after a run); the tensors lie end to end, then one region the scratch buffers share. */
qi_status qi_plan_arena(qi_graph *g, const qi_node_rt *rt, bool keep_all, int64_t *tensor_offset,
                        int64_t *scratch_offset, size_t *arena_bytes, qi_error *err);

#endif /* QI_PLANNER_H */
