/* The tensor / shape op family: layout, indexing, shape computation, Constant, Identity, Cast, Pad, Resize.
 * Each entry: {op_type, domain, infer, prepare, run, release, flags}. */
#include "engine/ops/tensor_common.h"

#define OP(type, name) {type, "", qi_tops_##name##_infer, NULL, qi_tops_##name##_run, NULL, 0}
#define OP_PREPARED(type, name) \
  {type, "", qi_tops_##name##_infer, qi_tops_##name##_prepare, qi_tops_##name##_run, qi_tops_##name##_release, 0}

const qi_op qi_ops_tensor[] = {
    OP("Reshape", reshape),
    OP("Flatten", flatten),
    OP("Squeeze", squeeze),
    OP("Unsqueeze", unsqueeze),
    OP("Identity", identity),
    OP("Dropout", dropout),
    OP("Transpose", transpose),
    OP("DepthToSpace", depth_to_space),
    OP("SpaceToDepth", space_to_depth),
    OP("Concat", concat),
    OP("Split", split),
    OP("Slice", slice),
    OP("Gather", gather),
    OP("GatherElements", gather_elements),
    OP("Shape", shape),
    OP("Size", size),
    OP("Constant", constant),
    OP("ConstantOfShape", constant_of_shape),
    OP("Range", range),
    OP("NonZero", nonzero),
    OP("Cast", cast),
    OP("CastLike", cast_like),
    OP_PREPARED("Pad", pad),
    OP_PREPARED("Resize", resize),
    {"Upsample", "", qi_tops_resize_infer, qi_tops_resize_prepare, qi_tops_resize_run, qi_tops_resize_release, 0},
    OP("Tile", tile),
    OP("Trilu", trilu),
    {0},
};
