/* The tensor / shape op family (layout, indexing, shape computation, Constant, Identity, Cast, Pad, Resize): one row
 * per op with its flags (engine/op.h); the code lives in tensor_<name>.c. The layout changes (Reshape ... SpaceToDepth)
 * keep every element; Slice, Gather, GatherElements and Tile select elements, some left out or repeated. */
#include "engine/ops/tensor_common.h"

const qi_op qi_ops_tensor[] = {
    QI_OP("Reshape", "", qi_tops_reshape_infer, NULL, qi_tops_reshape_run, NULL, QI_OPF_VALUE_PRESERVING),
    QI_OP("Flatten", "", qi_tops_flatten_infer, NULL, qi_tops_flatten_run, NULL, QI_OPF_VALUE_PRESERVING),
    QI_OP("Squeeze", "", qi_tops_squeeze_infer, NULL, qi_tops_squeeze_run, NULL, QI_OPF_VALUE_PRESERVING),
    QI_OP("Unsqueeze", "", qi_tops_unsqueeze_infer, NULL, qi_tops_unsqueeze_run, NULL, QI_OPF_VALUE_PRESERVING),
    QI_OP("Identity", "", qi_tops_identity_infer, NULL, qi_tops_identity_run, NULL,
          QI_OPF_VALUE_PRESERVING | QI_OPF_ELEMENTWISE),
    QI_OP("Dropout", "", qi_tops_dropout_infer, NULL, qi_tops_dropout_run, NULL, QI_OPF_VALUE_PRESERVING),
    QI_OP("Transpose", "", qi_tops_transpose_infer, NULL, qi_tops_transpose_run, NULL, QI_OPF_VALUE_PRESERVING),
    QI_OP("DepthToSpace", "", qi_tops_depth_to_space_infer, NULL, qi_tops_depth_to_space_run, NULL,
          QI_OPF_VALUE_PRESERVING),
    QI_OP("SpaceToDepth", "", qi_tops_space_to_depth_infer, NULL, qi_tops_space_to_depth_run, NULL,
          QI_OPF_VALUE_PRESERVING),
    QI_OP("Concat", "", qi_tops_concat_infer, NULL, qi_tops_concat_run, NULL, QI_OPF_QUANT_JOIN),
    QI_OP("Split", "", qi_tops_split_infer, NULL, qi_tops_split_run, NULL, 0),
    QI_OP("Slice", "", qi_tops_slice_infer, NULL, qi_tops_slice_run, NULL, QI_OPF_VALUE_PRESERVING),
    QI_OP("Gather", "", qi_tops_gather_infer, NULL, qi_tops_gather_run, NULL, QI_OPF_VALUE_PRESERVING),
    QI_OP("GatherElements", "", qi_tops_gather_elements_infer, NULL, qi_tops_gather_elements_run, NULL,
          QI_OPF_VALUE_PRESERVING),
    QI_OP("Shape", "", qi_tops_shape_infer, NULL, qi_tops_shape_run, NULL, 0),
    QI_OP("Size", "", qi_tops_size_infer, NULL, qi_tops_size_run, NULL, 0),
    QI_OP("Constant", "", qi_tops_constant_infer, NULL, qi_tops_constant_run, NULL, 0),
    QI_OP("ConstantOfShape", "", qi_tops_constant_of_shape_infer, NULL, qi_tops_constant_of_shape_run, NULL, 0),
    QI_OP("Range", "", qi_tops_range_infer, NULL, qi_tops_range_run, NULL, 0),
    QI_OP("NonZero", "", qi_tops_nonzero_infer, NULL, qi_tops_nonzero_run, NULL, 0),
    QI_OP("Cast", "", qi_tops_cast_infer, NULL, qi_tops_cast_run, NULL, 0),
    QI_OP("CastLike", "", qi_tops_cast_like_infer, NULL, qi_tops_cast_like_run, NULL, 0),
    QI_OP("Pad", "", qi_tops_pad_infer, qi_tops_pad_prepare, qi_tops_pad_run, qi_tops_pad_release, 0),
    QI_OP("Resize", "", qi_tops_resize_infer, qi_tops_resize_prepare, qi_tops_resize_run, qi_tops_resize_release, 0),
    QI_OP("Upsample", "", qi_tops_resize_infer, qi_tops_resize_prepare, qi_tops_resize_run, qi_tops_resize_release, 0),
    QI_OP("Tile", "", qi_tops_tile_infer, NULL, qi_tops_tile_run, NULL, QI_OPF_VALUE_PRESERVING),
    QI_OP("Trilu", "", qi_tops_trilu_infer, NULL, qi_tops_trilu_run, NULL, 0),
    {0},
};
