/* The math op family (engine/ops/math_*.c), listed once here: each X(Name) entry declares qi_math_<Name>_infer
 * and qi_math_<Name>_run; math_table.c registers each with its flags (and checks it has a row for every entry). */
#ifndef QI_MATH_OPS_H
#define QI_MATH_OPS_H

#include "engine/broadcast.h"
#include "engine/op.h"
#include "kernels/f32-vunary/vunary.h"

/* Elementwise arithmetic with broadcasting (math_binary.c). */
#define QI_MATH_BINARY_OPS(X)  \
  X(Add)                       \
  X(Sub)                       \
  X(Mul)                       \
  X(Div)                       \
  X(Pow)                       \
  X(Mod)                       \
  X(PRelu)                     \
  X(Max)                       \
  X(Min)                       \
  X(Sum)                       \
  X(Mean)

/* Comparisons and logic with bool outputs (math_compare.c). */
#define QI_MATH_COMPARE_OPS(X) \
  X(Equal)                     \
  X(Less)                      \
  X(Greater)                   \
  X(LessOrEqual)               \
  X(GreaterOrEqual)            \
  X(And)                       \
  X(Or)                        \
  X(Xor)                       \
  X(Not)                       \
  X(IsNaN)                     \
  X(IsInf)

/* Where and Expand (math_select.c). */
#define QI_MATH_SELECT_OPS(X) \
  X(Where)                    \
  X(Expand)

/* Unary float ops (math_unary.c); Abs, Neg and Sign also take int32 / int64, Clip also int8 / uint8. */
#define QI_MATH_UNARY_OPS(X) \
  X(Abs)                     \
  X(Neg)                     \
  X(Sign)                    \
  X(Sqrt)                    \
  X(Exp)                     \
  X(Log)                     \
  X(Reciprocal)              \
  X(Floor)                   \
  X(Ceil)                    \
  X(Round)                   \
  X(Relu)                    \
  X(LeakyRelu)               \
  X(Clip)                    \
  X(Sigmoid)                 \
  X(HardSigmoid)             \
  X(HardSwish)               \
  X(Tanh)                    \
  X(Erf)                     \
  X(Gelu)                    \
  X(Softplus)                \
  X(Softsign)                \
  X(Elu)                     \
  X(Selu)                    \
  X(Celu)                    \
  X(ThresholdedRelu)         \
  X(Mish)                    \
  X(Sin)                     \
  X(Cos)                     \
  X(Tan)

#define QI_MATH_DECLARE(name)                                                             \
  qi_status qi_math_##name##_infer(qi_graph *g, qi_node *n, qi_error *err);               \
  qi_status qi_math_##name##_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err);
QI_MATH_BINARY_OPS(QI_MATH_DECLARE)
QI_MATH_COMPARE_OPS(QI_MATH_DECLARE)
QI_MATH_SELECT_OPS(QI_MATH_DECLARE)
QI_MATH_UNARY_OPS(QI_MATH_DECLARE)
#undef QI_MATH_DECLARE

/* Elements per parallel chunk: cheap elementwise ops, and ops that call exp/log/erf per element. */
#define QI_MATH_GRAIN_CHEAP 16384
#define QI_MATH_GRAIN_TRANSCENDENTAL 4096

static inline qi_threadpool *qi_math_pool(const qi_exec_ctx *ctx) { return ctx ? ctx->pool : NULL; }

/* Checks the node has between min_in and max_in inputs (present ones first, none missing among them) and
 * at least one output. */
qi_status qi_math_check_arity(qi_graph *g, const qi_node *n, int min_in, int max_in, qi_error *err);
/* Operand B of a two-input elementwise op before opset 7 (Add, Sub, Mul, Div, Pow; Equal, Less, Greater, And, Or,
 * Xor), which did not broadcast unless broadcast=1, and then matched B's shape against A's starting at `axis`
 * (default: A's last dimensions; [C] at axis 1 of [N, C, H, W] is per channel). *b is pointed at view, B seen as
 * its dims followed by ones, which numpy broadcasting applies the same way; INVALID_MODEL for a B that fits
 * neither rule. Call it for nodes of opset < 7 only. */
qi_status qi_math_legacy_broadcast(const qi_node *n, const qi_tensor *a, const qi_tensor **b, qi_tensor *view,
                                   qi_error *err);

typedef enum qi_math_binary_op {
  QI_MATH_ADD,
  QI_MATH_SUB,
  QI_MATH_MUL,
  QI_MATH_DIV,
  QI_MATH_POW,
  QI_MATH_MOD,
  QI_MATH_PRELU,
  QI_MATH_MAX,
  QI_MATH_MIN,
} qi_math_binary_op;

/* y = a op b over a two-input plan for int32 / int64 / int8 / uint8 operands, and Pow with an exponent type that differs
 * from the base type (math_binary_int.c). y may alias a. fmod selects C remainder for Mod (else the sign of
 * the divisor, as in Python). Integer division or remainder by zero fails with QINFER_ERR_RUNTIME. */
qi_status qi_math_binary_generic(qi_math_binary_op op, const qi_bcast *bc, int a_dtype, const void *a,
                                 int b_dtype, const void *b, void *y, bool fmod, qi_error *err);

/* The arithmetic of a binary node (Add, Sub, Mul, Div, Pow, Mod, PRelu, Max, Min; Sum is Add); false when n is not
 * one. With qi_math_unary_describe, what evaluates elementwise nodes outside a session (the QDQ pass's tables). */
bool qi_math_binary_describe(const qi_node *n, qi_math_binary_op *op);

/* The FP32 kernel and parameters of a float unary node (Relu, Sigmoid, HardSwish, Clip with constant bounds,
 * ...); false when n is not one. Used to evaluate such nodes outside a session (the QDQ pass's tables). */
bool qi_math_unary_describe(qi_graph *g, const qi_node *n, qi_vunary_op *op, qi_f32_unary_params *params);
/* The FP32 kernel and parameters of the unary function op_type (Sigmoid, Gelu, Clip, ...) with node n's attributes
 * (Clip's bounds from attributes min / max): the function a quantized lookup node names (QLinearLookup's
 * `function`). False when op_type is no unary function of this family. */
bool qi_math_unary_function(const qi_node *n, const char *op_type, qi_vunary_op *op, qi_f32_unary_params *params);

#endif /* QI_MATH_OPS_H */
