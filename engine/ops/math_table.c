#include "engine/ops/math_ops.h"

#define QI_MATH_ENTRY(name, flags) {#name, "", qi_math_##name##_infer, NULL, qi_math_##name##_run, NULL, flags},

const qi_op qi_ops_math[] = {
    QI_MATH_BINARY_OPS(QI_MATH_ENTRY)
    QI_MATH_COMPARE_OPS(QI_MATH_ENTRY)
    QI_MATH_SELECT_OPS(QI_MATH_ENTRY)
    QI_MATH_UNARY_OPS(QI_MATH_ENTRY)
    {0},
};
