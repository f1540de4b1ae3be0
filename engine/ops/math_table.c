/* The math op family: one row per op of the lists in math_ops.h, with its flags (engine/op.h). */
#include "engine/ops/math_ops.h"

const qi_op qi_ops_math[] = {
    /* arithmetic (math_binary.c): Add / Sub / Mul / Div / Pow / Max / Min of two inputs are evaluable one value at a
     * time (lookup tables); Add and Mul have QLinearAdd / QLinearMul */
    QI_OP("Add", "", qi_math_Add_infer, NULL, qi_math_Add_run, NULL,
          QI_OPF_FUSE_ACT | QI_OPF_ELEMENTWISE | QI_OPF_QUANT_JOIN),
    QI_OP("Sub", "", qi_math_Sub_infer, NULL, qi_math_Sub_run, NULL, QI_OPF_FUSE_ACT | QI_OPF_ELEMENTWISE),
    QI_OP("Mul", "", qi_math_Mul_infer, NULL, qi_math_Mul_run, NULL,
          QI_OPF_FUSE_ACT | QI_OPF_ELEMENTWISE | QI_OPF_QUANT_JOIN),
    QI_OP("Div", "", qi_math_Div_infer, NULL, qi_math_Div_run, NULL, QI_OPF_FUSE_ACT | QI_OPF_ELEMENTWISE),
    QI_OP("Pow", "", qi_math_Pow_infer, NULL, qi_math_Pow_run, NULL, QI_OPF_ELEMENTWISE),
    QI_OP("Mod", "", qi_math_Mod_infer, NULL, qi_math_Mod_run, NULL, 0),
    QI_OP("PRelu", "", qi_math_PRelu_infer, NULL, qi_math_PRelu_run, NULL, 0),
    QI_OP("Max", "", qi_math_Max_infer, NULL, qi_math_Max_run, NULL, QI_OPF_ELEMENTWISE),
    QI_OP("Min", "", qi_math_Min_infer, NULL, qi_math_Min_run, NULL, QI_OPF_ELEMENTWISE),
    QI_OP("Sum", "", qi_math_Sum_infer, NULL, qi_math_Sum_run, NULL, 0),
    QI_OP("Mean", "", qi_math_Mean_infer, NULL, qi_math_Mean_run, NULL, 0),
    /* comparisons and logic (math_compare.c) */
    QI_OP("Equal", "", qi_math_Equal_infer, NULL, qi_math_Equal_run, NULL, 0),
    QI_OP("Less", "", qi_math_Less_infer, NULL, qi_math_Less_run, NULL, 0),
    QI_OP("Greater", "", qi_math_Greater_infer, NULL, qi_math_Greater_run, NULL, 0),
    QI_OP("LessOrEqual", "", qi_math_LessOrEqual_infer, NULL, qi_math_LessOrEqual_run, NULL, 0),
    QI_OP("GreaterOrEqual", "", qi_math_GreaterOrEqual_infer, NULL, qi_math_GreaterOrEqual_run, NULL, 0),
    QI_OP("And", "", qi_math_And_infer, NULL, qi_math_And_run, NULL, 0),
    QI_OP("Or", "", qi_math_Or_infer, NULL, qi_math_Or_run, NULL, 0),
    QI_OP("Xor", "", qi_math_Xor_infer, NULL, qi_math_Xor_run, NULL, 0),
    QI_OP("Not", "", qi_math_Not_infer, NULL, qi_math_Not_run, NULL, 0),
    QI_OP("IsNaN", "", qi_math_IsNaN_infer, NULL, qi_math_IsNaN_run, NULL, 0),
    QI_OP("IsInf", "", qi_math_IsInf_infer, NULL, qi_math_IsInf_run, NULL, 0),
    /* Where, Expand (math_select.c): Expand repeats input elements */
    QI_OP("Where", "", qi_math_Where_infer, NULL, qi_math_Where_run, NULL, 0),
    QI_OP("Expand", "", qi_math_Expand_infer, NULL, qi_math_Expand_run, NULL, QI_OPF_VALUE_PRESERVING),
    /* unary float functions (math_unary.c), all evaluable one value at a time */
    QI_OP("Abs", "", qi_math_Abs_infer, NULL, qi_math_Abs_run, NULL, QI_OPF_ELEMENTWISE),
    QI_OP("Neg", "", qi_math_Neg_infer, NULL, qi_math_Neg_run, NULL, QI_OPF_ELEMENTWISE),
    QI_OP("Sign", "", qi_math_Sign_infer, NULL, qi_math_Sign_run, NULL, QI_OPF_ELEMENTWISE),
    QI_OP("Sqrt", "", qi_math_Sqrt_infer, NULL, qi_math_Sqrt_run, NULL, QI_OPF_ELEMENTWISE),
    QI_OP("Exp", "", qi_math_Exp_infer, NULL, qi_math_Exp_run, NULL, QI_OPF_ELEMENTWISE),
    QI_OP("Log", "", qi_math_Log_infer, NULL, qi_math_Log_run, NULL, QI_OPF_ELEMENTWISE),
    QI_OP("Reciprocal", "", qi_math_Reciprocal_infer, NULL, qi_math_Reciprocal_run, NULL, QI_OPF_ELEMENTWISE),
    QI_OP("Floor", "", qi_math_Floor_infer, NULL, qi_math_Floor_run, NULL, QI_OPF_ELEMENTWISE),
    QI_OP("Ceil", "", qi_math_Ceil_infer, NULL, qi_math_Ceil_run, NULL, QI_OPF_ELEMENTWISE),
    QI_OP("Round", "", qi_math_Round_infer, NULL, qi_math_Round_run, NULL, QI_OPF_ELEMENTWISE),
    QI_OP("Relu", "", qi_math_Relu_infer, NULL, qi_math_Relu_run, NULL, QI_OPF_ELEMENTWISE),
    QI_OP("LeakyRelu", "", qi_math_LeakyRelu_infer, NULL, qi_math_LeakyRelu_run, NULL, QI_OPF_ELEMENTWISE),
    QI_OP("Clip", "", qi_math_Clip_infer, NULL, qi_math_Clip_run, NULL, QI_OPF_ELEMENTWISE),
    QI_OP("Sigmoid", "", qi_math_Sigmoid_infer, NULL, qi_math_Sigmoid_run, NULL, QI_OPF_ELEMENTWISE),
    QI_OP("HardSigmoid", "", qi_math_HardSigmoid_infer, NULL, qi_math_HardSigmoid_run, NULL, QI_OPF_ELEMENTWISE),
    QI_OP("HardSwish", "", qi_math_HardSwish_infer, NULL, qi_math_HardSwish_run, NULL, QI_OPF_ELEMENTWISE),
    QI_OP("Tanh", "", qi_math_Tanh_infer, NULL, qi_math_Tanh_run, NULL, QI_OPF_ELEMENTWISE),
    QI_OP("Erf", "", qi_math_Erf_infer, NULL, qi_math_Erf_run, NULL, QI_OPF_ELEMENTWISE),
    QI_OP("Gelu", "", qi_math_Gelu_infer, NULL, qi_math_Gelu_run, NULL, QI_OPF_ELEMENTWISE),
    QI_OP("Softplus", "", qi_math_Softplus_infer, NULL, qi_math_Softplus_run, NULL, QI_OPF_ELEMENTWISE),
    QI_OP("Softsign", "", qi_math_Softsign_infer, NULL, qi_math_Softsign_run, NULL, QI_OPF_ELEMENTWISE),
    QI_OP("Elu", "", qi_math_Elu_infer, NULL, qi_math_Elu_run, NULL, QI_OPF_ELEMENTWISE),
    QI_OP("Selu", "", qi_math_Selu_infer, NULL, qi_math_Selu_run, NULL, QI_OPF_ELEMENTWISE),
    QI_OP("Celu", "", qi_math_Celu_infer, NULL, qi_math_Celu_run, NULL, QI_OPF_ELEMENTWISE),
    QI_OP("ThresholdedRelu", "", qi_math_ThresholdedRelu_infer, NULL, qi_math_ThresholdedRelu_run, NULL,
          QI_OPF_ELEMENTWISE),
    QI_OP("Mish", "", qi_math_Mish_infer, NULL, qi_math_Mish_run, NULL, QI_OPF_ELEMENTWISE),
    QI_OP("Sin", "", qi_math_Sin_infer, NULL, qi_math_Sin_run, NULL, QI_OPF_ELEMENTWISE),
    QI_OP("Cos", "", qi_math_Cos_infer, NULL, qi_math_Cos_run, NULL, QI_OPF_ELEMENTWISE),
    QI_OP("Tan", "", qi_math_Tan_infer, NULL, qi_math_Tan_run, NULL, QI_OPF_ELEMENTWISE),
    {0},
};

/* a row for every op the lists declare */
#define QI_MATH_COUNT(name) +1
_Static_assert(sizeof qi_ops_math / sizeof qi_ops_math[0] ==
                   1 QI_MATH_BINARY_OPS(QI_MATH_COUNT) QI_MATH_COMPARE_OPS(QI_MATH_COUNT)
                       QI_MATH_SELECT_OPS(QI_MATH_COUNT) QI_MATH_UNARY_OPS(QI_MATH_COUNT),
               "qi_ops_math lacks a row for an op of math_ops.h");
