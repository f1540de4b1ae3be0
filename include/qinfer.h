/**
 * @file qinfer.h
 * @brief Public C API of qinfer, a neural-network inference engine for ONNX models.
 *
 * Life cycle:
 *   qinfer_model_load_file(_ex) / qinfer_model_load_buffer  -> qinfer_model*
 *   qinfer_session_create(model, options)                    -> qinfer_session*
 *   qinfer_session_set_input / qinfer_session_run / qinfer_session_get_output
 *   qinfer_session_destroy, qinfer_model_destroy
 *
 * Ownership:
 *   - A model owns its file mapping (or, for load_buffer, borrows the caller's buffer, which must outlive
 *     the model and every session created from it). The model is decoded once, when it is loaded; every
 *     session starts from that decoded model, so creating another session parses nothing again. Weights are
 *     referenced in place; a session copies only initializers whose bytes are misaligned for their type, and
 *     frees the copies its kernels packed.
 *   - In-place weights: a model loaded with qinfer_model_load_file maps its file and its external data files,
 *     so while the model or any of its sessions lives those files must not be truncated or rewritten in place
 *     (replacing them with rename, or deleting them, is fine). A truncated file makes the next read of a lost
 *     page raise SIGBUS (in qinfer_session_create, or in qinfer_session_run); rewritten bytes silently change
 *     the weights. After qinfer_session_create a session still reads from the file the constants its kernels
 *     did not pack (elementwise operands, Gather tables, normalization parameters, ...; Conv, Gemm and MatMul
 *     weights are packed and not read again): docs/loader.md, "Files that change after the load".
 *     qinfer_model_load_file_ex with QINFER_LOAD_READ_INTO_MEMORY reads the files into memory the model owns
 *     instead: they may then change at any time after the call returns. For load_buffer the same holds for the
 *     caller's buffer: it must stay unchanged.
 *   - A session keeps a pointer to its model: destroy every session before its model.
 *   - Input buffers belong to the caller and must stay valid and unchanged until qinfer_session_run returns;
 *     qinfer_session_set_input does not copy them.
 *   - Output buffers returned by qinfer_session_get_output belong to the session; they stay valid until the
 *     next qinfer_session_run or qinfer_session_destroy.
 *   - Strings returned by any function belong to the object they were read from.
 *
 * Threads: a model may be shared by sessions in several threads; one session must be used by one thread at a
 * time. A breach is detected, not raced: qinfer_session_run, qinfer_session_set_input, qinfer_session_get_output
 * and qinfer_session_tensor called while another thread is inside one of them on the same session return
 * QINFER_ERR_INVALID_ARGUMENT at once and change nothing; the message ("session is already running on another
 * thread") is in the calling thread's qinfer_last_error(), not in qinfer_session_last_error(). Only single calls
 * are guarded: a set_input / run / get_output sequence shared by threads still needs the caller's own lock.
 * qinfer_session_run allocates no memory: everything is planned when the session is created.
 *
 * Errors: every call returns a qinfer_status. The human-readable message of the last failure is kept per
 * handle (qinfer_model_last_error, qinfer_session_last_error); failures before a handle exists are described
 * by qinfer_last_error(), which is thread-local.
 */
#ifndef QINFER_H
#define QINFER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QINFER_VERSION_MAJOR 0
#define QINFER_VERSION_MINOR 1
#define QINFER_VERSION_PATCH 0

/** Status codes returned by every API call. */
typedef enum qinfer_status {
  QINFER_OK = 0,
  QINFER_ERR_INVALID_ARGUMENT = 1, /**< a NULL pointer, bad index or bad option */
  QINFER_ERR_IO = 2,               /**< a file could not be opened, mapped or read */
  QINFER_ERR_INVALID_MODEL = 3,    /**< the model is malformed (bad protobuf, dangling names, cycles, ...) */
  QINFER_ERR_UNSUPPORTED = 4,      /**< an operator, attribute or data type qinfer does not implement */
  QINFER_ERR_SHAPE = 5,            /**< input shapes are wrong or shape inference failed */
  QINFER_ERR_OUT_OF_MEMORY = 6,    /**< an allocation failed or a size overflowed */
  QINFER_ERR_RUNTIME = 7,          /**< a run failed (for example an index out of range in Gather) */
  QINFER_ERR_QUANT_PARAMS = 8,     /**< bad quantization parameters (scale, zero point, axis) */
} qinfer_status;

/** Element types; the values are those of ONNX TensorProto.DataType. */
typedef enum qinfer_dtype {
  QINFER_DTYPE_UNDEFINED = 0,
  QINFER_DTYPE_FLOAT = 1,
  QINFER_DTYPE_UINT8 = 2,
  QINFER_DTYPE_INT8 = 3,
  QINFER_DTYPE_UINT16 = 4,
  QINFER_DTYPE_INT16 = 5,
  QINFER_DTYPE_INT32 = 6,
  QINFER_DTYPE_INT64 = 7,
  QINFER_DTYPE_STRING = 8,
  QINFER_DTYPE_BOOL = 9,
  QINFER_DTYPE_FLOAT16 = 10,
  QINFER_DTYPE_DOUBLE = 11,
  QINFER_DTYPE_UINT32 = 12,
  QINFER_DTYPE_UINT64 = 13,
  QINFER_DTYPE_UINT4 = 21, /**< 4-bit, two per byte (low nibble first): constants only (weights, zero points) */
  QINFER_DTYPE_INT4 = 22,  /**< 4-bit two's complement, two per byte (low nibble first): constants only */
} qinfer_dtype;

/** Instruction-set paths a session may be forced to (QINFER_ISA environment variable does the same). */
typedef enum qinfer_isa {
  QINFER_ISA_AUTO = 0, /**< the best path the CPU supports */
  QINFER_ISA_SCALAR = 1,
  QINFER_ISA_AVX2 = 2,
  QINFER_ISA_AVXVNNI = 3,
  QINFER_ISA_AVX512VNNI = 4,
  QINFER_ISA_NEON = 5,
  QINFER_ISA_NEONDOT = 6,
  QINFER_ISA_NEONI8MM = 7,
} qinfer_isa;

#define QINFER_MAX_RANK 8

typedef struct qinfer_model qinfer_model;
typedef struct qinfer_session qinfer_session;
typedef struct qinfer_session_options qinfer_session_options;

/** Description of one graph input or output. Dims are -1 where unknown; dim_names[i] is the symbolic name
 *  of dimension i or NULL. For a session, every dim is concrete. */
typedef struct qinfer_tensor_info {
  const char *name;
  qinfer_dtype dtype;
  int rank;
  int64_t dims[QINFER_MAX_RANK];
  const char *dim_names[QINFER_MAX_RANK];
} qinfer_tensor_info;

/** Version string, e.g. "0.1.0". */
const char *qinfer_version(void);
/** Name of a status code ("QINFER_ERR_SHAPE"). */
const char *qinfer_status_string(qinfer_status status);
/** Message of the last failure in this thread that had no handle to attach to. Never NULL. */
const char *qinfer_last_error(void);
/** Size in bytes of one element of dtype, 0 for unknown or variable-size types and for the 4-bit types (two
 *  elements per byte: a tensor of n of them holds (n + 1) / 2 bytes). */
size_t qinfer_dtype_size(qinfer_dtype dtype);
/** Name of a dtype ("float", "int64", ...). */
const char *qinfer_dtype_name(qinfer_dtype dtype);

/* ---- Models ---- */

/** Maps the ONNX file at path and checks the whole model (structure, names, types, external data).
 *  External data is resolved relative to the model's folder and must stay inside it. */
qinfer_status qinfer_model_load_file(const char *path, qinfer_model **out_model);

/** Flags for qinfer_model_load_file_ex (a bitwise OR). */
typedef enum qinfer_load_flags {
  QINFER_LOAD_DEFAULT = 0, /**< as qinfer_model_load_file: the file and external data are mapped */
  /** Read the model file and its external data files into memory the model owns (freed with it) instead of
   *  mapping them: the files may then be rewritten, truncated or deleted while the model and its sessions live,
   *  at the cost of keeping the whole model resident. */
  QINFER_LOAD_READ_INTO_MEMORY = 1u << 0,
} qinfer_load_flags;
/** qinfer_model_load_file with qinfer_load_flags. Unknown flag bits are QINFER_ERR_INVALID_ARGUMENT; a path that
 *  is not a regular file (a FIFO, a directory) or that cannot be read is QINFER_ERR_IO. */
qinfer_status qinfer_model_load_file_ex(const char *path, unsigned flags, qinfer_model **out_model);
/** Loads a model from a caller-owned buffer that must outlive the model. External data is refused
 *  unless base_dir names the folder it lives in (NULL: no external data allowed). */
qinfer_status qinfer_model_load_buffer(const void *data, size_t size, const char *base_dir,
                                       qinfer_model **out_model);
void qinfer_model_destroy(qinfer_model *model);
const char *qinfer_model_last_error(const qinfer_model *model);

size_t qinfer_model_input_count(const qinfer_model *model);
size_t qinfer_model_output_count(const qinfer_model *model);
/** Fills *info for input (or output) index; strings stay owned by the model. */
qinfer_status qinfer_model_input_info(const qinfer_model *model, size_t index, qinfer_tensor_info *info);
qinfer_status qinfer_model_output_info(const qinfer_model *model, size_t index, qinfer_tensor_info *info);

/* ---- Session options ---- */

qinfer_status qinfer_session_options_create(qinfer_session_options **out_options);
void qinfer_session_options_destroy(qinfer_session_options *options);
/** Number of threads for a run (default 1; 0 means one per online CPU). */
qinfer_status qinfer_session_options_set_threads(qinfer_session_options *options, int threads);
/** Forces an ISA path; a path the CPU lacks is an error when the session is created. */
qinfer_status qinfer_session_options_set_isa(qinfer_session_options *options, qinfer_isa isa);
/** Fixes the shape of a graph input (binds its symbolic dims). The dims are copied. */
qinfer_status qinfer_session_options_set_input_shape(qinfer_session_options *options, const char *input_name,
                                                     const int64_t *dims, int rank);
/** Binds a symbolic dimension name (e.g. "batch") to a value for every input that uses it. */
qinfer_status qinfer_session_options_set_dim(qinfer_session_options *options, const char *dim_name,
                                             int64_t value);
/** Gives the value of input input_name (dtype, dims and data copied) for the session to use when the input
 *  decides shapes: when shape inference needs its value (a Reshape's shape, Slice's starts, Resize's sizes,
 *  Expand's shape, ConstantOfShape, Pad's pads, Squeeze's axes, ... computed from it), the session binds the
 *  input to this value as a constant and plans every shape with it. An input whose value decides no shape is
 *  still fed by qinfer_session_set_input, and this value goes unused. Creating a session of a model with such an
 *  input and no value for it fails with QINFER_ERR_UNSUPPORTED, naming the input and the op that needs it.
 *  qinfer_session_set_input on a bound input must give the same number of bytes: the same value changes
 *  nothing; another value makes the next qinfer_session_run plan the session again for it (that run allocates). */
qinfer_status qinfer_session_options_set_input_value(qinfer_session_options *options, const char *input_name,
                                                     qinfer_dtype dtype, const void *data, const int64_t *dims,
                                                     int rank);
/** Keeps every intermediate tensor readable after a run (per-layer comparison, calibration, debugging): each
 * tensor gets an arena slot of its own instead of sharing one with tensors whose lifetimes do not overlap, so
 * the arena grows to the sum of all activation sizes. Tensors removed by fusion (a Conv output feeding a fused
 * Relu, the float tensors of a fused quantized pattern) do not exist in the session. Default 0. */
qinfer_status qinfer_session_options_set_keep_intermediates(qinfer_session_options *options, int keep);
/** Turns per-node profiling on (enable != 0) or off (the default). With it on, every qinfer_session_run times each
 * node with the monotonic clock (two clock reads per node) into the records qinfer_session_profile returns; the
 * run still allocates nothing. Off, a run tests one flag and keeps no records. */
qinfer_status qinfer_session_options_set_profiling(qinfer_session_options *options, int enable);

/* ---- Sessions ---- */

/** Builds a session: binds shapes (unbound symbolic dims default to 1), infers shapes, folds constants,
 *  fuses, chooses kernels, packs weights and plans one arena. options may be NULL. */
qinfer_status qinfer_session_create(const qinfer_model *model, const qinfer_session_options *options,
                                    qinfer_session **out_session);
void qinfer_session_destroy(qinfer_session *session);
const char *qinfer_session_last_error(const qinfer_session *session);

size_t qinfer_session_input_count(const qinfer_session *session);
size_t qinfer_session_output_count(const qinfer_session *session);
qinfer_status qinfer_session_input_info(const qinfer_session *session, size_t index, qinfer_tensor_info *info);
qinfer_status qinfer_session_output_info(const qinfer_session *session, size_t index, qinfer_tensor_info *info);
/** Index of the input or output called name, or -1. */
int qinfer_session_input_index(const qinfer_session *session, const char *name);
int qinfer_session_output_index(const qinfer_session *session, const char *name);

/** Points input index at a caller buffer of nbytes bytes, which must equal the input's planned size and
 *  dtype. The buffer is read during qinfer_session_run and is not copied. */
qinfer_status qinfer_session_set_input(qinfer_session *session, size_t index, const void *data, size_t nbytes);
/** Gives input index a new shape (dims copied), as TFLite's ResizeInputTensor: shapes are inferred again, what
 *  depends on them prepared again, and the arena planned again, while packed weights are kept (not packed
 *  again). Other inputs keep their shapes, except their dimensions that share a symbolic name with a dimension of
 *  this input (a "seq" of input_ids and attention_mask), which follow it. Inputs whose size is unchanged stay
 *  set; the resized ones (and any that followed) must be set again before the next run, which allocates nothing.
 *  Output buffers and sizes change: get them again after a run. The same shape does nothing. A shape that
 *  contradicts the model (rank, fixed dimensions, an op's constraints) fails (QINFER_ERR_SHAPE mostly) and leaves
 *  the session as it was, at its previous shapes. Allocates; not for an input bound to a value
 *  (qinfer_session_options_set_input_value). */
qinfer_status qinfer_session_resize_input(qinfer_session *session, size_t index, const int64_t *dims, int rank);
/** Runs the graph. Every input must have been set. Allocates nothing (except the re-plan after a new value for
 *  an input bound to its value, qinfer_session_options_set_input_value). */
qinfer_status qinfer_session_run(qinfer_session *session);
/** Returns the session-owned buffer of output index (valid until the next run or destroy). */
qinfer_status qinfer_session_get_output(const qinfer_session *session, size_t index, const void **data,
                                        size_t *nbytes);

/** Tensors readable through qinfer_session_tensor: the graph's inputs and outputs, and with keep_intermediates
 * every other tensor the session computes (constants excluded), in execution order of their producers. */
size_t qinfer_session_tensor_count(const qinfer_session *session);
/** Info and the session-owned data of readable tensor index (valid until the next run or destroy; contents are
 * the values of the last run, undefined before one). */
qinfer_status qinfer_session_tensor(const qinfer_session *session, size_t index, qinfer_tensor_info *info,
                                    const void **data, size_t *nbytes);
/** Index of the readable tensor called name, or -1. */
int qinfer_session_tensor_index(const qinfer_session *session, const char *name);

/** What profiling (qinfer_session_options_set_profiling) records for one node of the session's graph, the graph
 * after fusion: a fused pattern is one node (a QLinearConv for DequantizeLinear -> Conv -> QuantizeLinear, a Conv
 * with its Relu). Strings belong to the session. */
typedef struct qinfer_node_profile {
  const char *op_type; /**< "Conv", "QLinearConv", ... */
  const char *name;    /**< the node's name, "" when it has none */
  const char *kernel;  /**< the microkernel the node's op picked when the session was prepared (its function name,
                            "qi_f32_gemm_ukernel_4x8__scalar"), "-" when the op names none */
  int64_t macs;        /**< multiply-accumulates of one run (0 for ops that count none) */
  double last_ms;      /**< the node's time in the last run */
  double total_ms;     /**< summed over the runs since the session was created or the records reset */
  int64_t runs;        /**< runs summed in total_ms */
} qinfer_node_profile;

/** The per-node records of a profiling session, one per node in execution order (times measured back to back, so
 * they add up to the run's time). *records stays valid until the session is destroyed or planned again
 * (qinfer_session_resize_input, a new value for a bound input), which starts new records. Without profiling,
 * *records is NULL and *count 0. */
qinfer_status qinfer_session_profile(const qinfer_session *session, const qinfer_node_profile **records,
                                     size_t *count);
/** Sets the times and run counts of the records to 0 (after warm-up runs, for example). */
qinfer_status qinfer_session_profile_reset(qinfer_session *session);

/** Name of the ISA path the session's kernels were chosen for ("scalar", "avx2", ...). */
const char *qinfer_session_isa_name(const qinfer_session *session);
/** Size in bytes of the session's activation arena. */
size_t qinfer_session_arena_bytes(const qinfer_session *session);

#ifdef __cplusplus
}
#endif

#endif /* QINFER_H */
