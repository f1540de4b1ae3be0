#include "engine/pipeline.h"

#include "engine/session.h"

enum { NEEDS_SHAPES = 1u << 0 };

typedef struct stage {
  const char *name;
  qi_stage stage;   /* the first stage this pass belongs to */
  unsigned flags;
  qi_status (*run)(qi_graph *g, const qi_pipeline_options *o, qi_error *err);
} stage;

static qi_status bind_shapes(qi_graph *g, const qi_pipeline_options *o, qi_error *err) {
  return qi_bind_input_shapes(g, o->shapes, err);
}
static qi_status infer_and_fold(qi_graph *g, const qi_pipeline_options *o, qi_error *err) {
  return qi_infer_and_fold(g, o->isa, err);
}
static qi_status remove_dead(qi_graph *g, const qi_pipeline_options *o, qi_error *err) {
  (void)o;
  return qi_remove_dead_nodes(g, err);
}
static qi_status fold_conv_affine(qi_graph *g, const qi_pipeline_options *o, qi_error *err) {
  (void)o;
  return qi_fold_conv_affine(g, err);
}
static qi_status fuse_qdq(qi_graph *g, const qi_pipeline_options *o, qi_error *err) {
  (void)o;
  return qi_fuse_qdq(g, err);
}
static qi_status fuse_w4a32(qi_graph *g, const qi_pipeline_options *o, qi_error *err) {
  (void)o;
  return qi_fuse_w4a32(g, err);
}
static qi_status fold_late(qi_graph *g, const qi_pipeline_options *o, qi_error *err) {
  return qi_fold_late(g, o->isa, err);
}
static qi_status fuse_attention(qi_graph *g, const qi_pipeline_options *o, qi_error *err) {
  return o->fuse_activations ? qi_fuse_attention(g, err) : QINFER_OK;
}
static qi_status fuse_activations(qi_graph *g, const qi_pipeline_options *o, qi_error *err) {
  return o->fuse_activations ? qi_fuse_activations(g, err) : QINFER_OK;
}

/* In order. A pass flagged NEEDS_SHAPES is skipped when shapes are not bound. */
static const stage stages[] = {
    {"bind input shapes", QI_STAGE_FLOAT_FOLDS, NEEDS_SHAPES, bind_shapes},
    {"infer shapes and fold constants", QI_STAGE_FLOAT_FOLDS, NEEDS_SHAPES, infer_and_fold},
    {"remove dead nodes", QI_STAGE_FLOAT_FOLDS, 0, remove_dead},
    {"fold affine ops into convolutions", QI_STAGE_FLOAT_FOLDS, 0, fold_conv_affine},
    {"remove dead nodes", QI_STAGE_FLOAT_FOLDS, 0, remove_dead},
    {"fuse QDQ patterns", QI_STAGE_ALL, NEEDS_SHAPES, fuse_qdq},
    {"run int4 weights on the W4A32 kernels", QI_STAGE_ALL, NEEDS_SHAPES, fuse_w4a32},
    {"fold late constants", QI_STAGE_ALL, NEEDS_SHAPES, fold_late},
    {"remove dead nodes", QI_STAGE_ALL, 0, remove_dead},
    {"fuse attention", QI_STAGE_ALL, NEEDS_SHAPES, fuse_attention},
    {"fuse activations", QI_STAGE_ALL, NEEDS_SHAPES, fuse_activations},
    {"remove dead nodes", QI_STAGE_ALL, 0, remove_dead},
};

qi_status qi_run_pipeline(qi_graph *g, qi_stage last, const qi_pipeline_options *o, qi_error *err) {
  const qi_pipeline_options none = {0};
  if (!o) o = &none;
  for (size_t i = 0; i < sizeof stages / sizeof stages[0]; i++) {
    const stage *s = &stages[i];
    if (s->stage > last) break;
    if ((s->flags & NEEDS_SHAPES) && !o->bind_shapes) continue;
    QI_CHECK(s->run(g, o, err));
  }
  return QINFER_OK;
}
