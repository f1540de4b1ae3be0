/**
 * @file qinfer_quant.h
 * @brief Public C API of qinfer's quantizer and model comparison (needs qinfer.h; part of libqinfer unless it was
 *        built with QINFER_WITH_QUANTIZER=OFF, docs/architecture.md "Build options").
 *
 * Quantizing (static post-training INT8, docs/quantization.md):
 *   qinfer_quant_options_create                          -> qinfer_quant_options*
 *   qinfer_quant_options_set_* (method, samples, ...)
 *   qinfer_quantize(model, options, "out.onnx", &report) -> a QDQ ONNX model on disk
 *   qinfer_quant_options_destroy
 * The FP32 model runs over the calibration samples (a folder of .npy / image files, or a callback that fills the
 * input tensors), every quantized tensor gets a range from the chosen method, and the model is written with
 * QuantizeLinear / DequantizeLinear around each quantized op, int8 weights and int32 biases. qinfer runs it with
 * integer kernels; ONNX Runtime runs it too.
 *
 * Comparing two models (FP32 against INT8, or any two with the same inputs):
 *   qinfer_compare_create(ref_session, test_session, flags) -> qinfer_compare*
 *   qinfer_compare_set_input / qinfer_compare_set_random_inputs
 *   qinfer_compare_run
 *   qinfer_compare_output / qinfer_compare_layer     (SQNR, cosine, max and mean |ref - test| per tensor)
 *   qinfer_compare_destroy
 *
 * Ownership:
 *   - Options copy every string and array they are given; callbacks and their user pointers are kept as given and
 *     must stay valid while qinfer_quantize runs.
 *   - A comparison borrows its two sessions (destroy it first); input buffers set with qinfer_compare_set_input
 *     belong to the caller and must stay valid until qinfer_compare_run returns; rows and their strings belong
 *     to the comparison and stay valid until its next run or its destroy.
 *
 * Threads: an options object may be used by one thread at a time (qinfer_quantize only reads it); distinct
 * calls may run in parallel. A comparison is used by one thread at a time.
 *
 * Errors: every call returns a qinfer_status. Setter failures are described by qinfer_quant_options_last_error,
 * comparison failures by qinfer_compare_last_error, and qinfer_quantize / qinfer_compare_create failures by
 * qinfer_last_error() (thread-local), like qinfer_session_create's.
 */
#ifndef QINFER_QUANT_H
#define QINFER_QUANT_H

#include <stddef.h>
#include <stdint.h>

#include "qinfer.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Quantizer options ---- */

/** How a calibrated tensor's range is chosen from the values seen over the samples. */
typedef enum qinfer_quant_method {
  QINFER_QUANT_MINMAX = 0,     /**< smallest and largest value (default) */
  QINFER_QUANT_PERCENTILE = 1, /**< the range keeping the set percentile of values on each side */
  QINFER_QUANT_ENTROPY = 2,    /**< the range with the least KL divergence, clipping no more than percentile
                                    and expecting no more error than minmax (docs/quantization.md) */
  QINFER_QUANT_MSE = 3,        /**< the range with the least expected squared error, both ends searched on the
                                    histogram, exact zeros left out */
} qinfer_quant_method;

/** How a weight scale is chosen (per output channel, block or tensor). */
typedef enum qinfer_quant_weight_method {
  QINFER_QUANT_WEIGHT_MINMAX = 0, /**< from max |w| (default) */
  QINFER_QUANT_WEIGHT_MSE = 1,    /**< the clipping of max |w| (ratio 1 down to 0.5 in 1/64 steps) with the least
                                   *   squared quantization error: what makes 4-bit weights work; with calibrated
                                   *   activations each weight's error is weighted by E[x^2] of its input */
  QINFER_QUANT_WEIGHT_GPTQ = 2,   /**< mse scales, and each layer's rounding errors compensated on the weights
                                   *   not yet rounded for its calibrated inputs (GPTQ; static activations only,
                                   *   not with a target SQNR; docs/quantization.md) */
} qinfer_quant_weight_method;

/** How an image is brought to the model input's height and width. */
typedef enum qinfer_image_resize {
  QINFER_IMAGE_RESIZE_STRETCH = 0,      /**< straight to H x W (default) */
  QINFER_IMAGE_RESIZE_SHORTER_CROP = 1, /**< scale the shorter side, then the centered H x W (torchvision) */
} qinfer_image_resize;

/** Tensor layout of an image input. */
typedef enum qinfer_image_layout {
  QINFER_IMAGE_LAYOUT_AUTO = 0, /**< from the model input: the dimension of size 3 (default) */
  QINFER_IMAGE_LAYOUT_NCHW = 1,
  QINFER_IMAGE_LAYOUT_NHWC = 2,
} qinfer_image_layout;

/** Largest image height or width the decoders and the preprocessing accept. */
#define QINFER_IMAGE_MAX_SIDE 16384

typedef struct qinfer_quant_options qinfer_quant_options;
/** The calibration sample being filled, handed to a qinfer_quant_sample_fn. */
typedef struct qinfer_quant_sample qinfer_quant_sample;

/** Fills calibration sample `index` (0 <= index < the count given with the callback): calls
 *  qinfer_quant_sample_set_input once for every model input, then returns QINFER_OK. Any other status stops the
 *  quantization with that status. Samples may differ in shape where the model's input dims are symbolic (see
 *  qinfer_quant_sample_set_input). The callback is called once per sample first (to learn and check the shapes),
 *  then once per sample and calibration pass (one pass, two for the histogram methods), grouped by shape, and for
 *  samples 0 .. 3 again when a target SQNR is set: it must give the same data for the same index every time. */
typedef qinfer_status (*qinfer_quant_sample_fn)(void *user, size_t index, qinfer_quant_sample *sample);

/** Progress of a stage ("calibrating (min/max)", "calibrating (histograms)"): called after each of `total`
 *  steps with done = 1 .. total. */
typedef void (*qinfer_quant_progress_fn)(void *user, const char *stage, size_t done, size_t total);

/** One line of human-readable news (the image preprocessing applied to image samples; the target-SQNR search
 *  reports each round and each node it keeps in float), without a line break. */
typedef void (*qinfer_quant_message_fn)(void *user, const char *line);

/** Creates options with the defaults: minmax, bias correction of 4-bit weights, per-channel weights, uint8 activations, range
 *  trimming on, every sample, threads 0 (one per online CPU), no samples (one of the two sample setters is
 *  required), no image preprocessing chosen (image samples are refused until a preset, "none" included, a mean, a
 *  std or a scale is set; then the values not set are raw 0..255 RGB at the model input's size). */
qinfer_status qinfer_quant_options_create(qinfer_quant_options **out_options);
void qinfer_quant_options_destroy(qinfer_quant_options *options);
/** Message of the last failed setter call on options. Never NULL. */
const char *qinfer_quant_options_last_error(const qinfer_quant_options *options);

/** Range method (default QINFER_QUANT_MINMAX). */
qinfer_status qinfer_quant_options_set_method(qinfer_quant_options *options, qinfer_quant_method method);
/** Share of values (in %, in (50, 100]) the percentile method keeps inside the range (default 99.99). */
qinfer_status qinfer_quant_options_set_percentile(qinfer_quant_options *options, double percentile);
/** Weights: one scale per output channel (1, default) or one per weight tensor (0). Symmetric int8 either way. */
qinfer_status qinfer_quant_options_set_per_channel(qinfer_quant_options *options, int per_channel);
/** Activation type: QINFER_DTYPE_UINT8 (default) or QINFER_DTYPE_INT8, asymmetric either way; QINFER_DTYPE_INT16
 *  (symmetric, zero point 0) or QINFER_DTYPE_UINT16 (asymmetric) for W8A16 models; or QINFER_DTYPE_FLOAT:
 *  weight-only quantization (W8A32 / W4A32: DequantizeLinear of the weights feeding float Conv / Gemm / MatMul, no
 *  activation quantized, no calibration: samples are then not needed, and ignored). */
qinfer_status qinfer_quant_options_set_activation_type(qinfer_quant_options *options, qinfer_dtype dtype);
/** Dynamic quantization (1; default 0): what ONNX Runtime's quantize_dynamic writes. Every Conv / Gemm / MatMul
 *  with a constant float weight that is not excluded reads its input through DynamicQuantizeLinear (uint8, scale
 *  and zero point computed from each run's values) and becomes ConvInteger / MatMulInteger on int8 weights
 *  (symmetric, per channel or per tensor, minmax or mse) -> Cast -> Mul by x_scale * w_scale [-> Add bias]; every
 *  other op stays float. No calibration: samples are not needed, and ignored. Goes only with uint8 activations
 *  (the default) and int8 weights, and not with a target SQNR (QINFER_ERR_INVALID_ARGUMENT from qinfer_quantize). */
qinfer_status qinfer_quant_options_set_dynamic(qinfer_quant_options *options, int dynamic);
/** Weight type of Conv / Gemm / MatMul: QINFER_DTYPE_INT8 (default; symmetric, per channel or per tensor),
 *  QINFER_DTYPE_INT4 (symmetric, -7..7) or QINFER_DTYPE_UINT4 (asymmetric 0..15 with a zero point per channel or
 *  block); 4-bit weights are per output channel or per block (set_block_size), written two per byte with
 *  DequantizeLinear at opset 21 (the model's opset is raised: docs/quantization.md, "The written opset"). */
qinfer_status qinfer_quant_options_set_weight_type(qinfer_quant_options *options, qinfer_dtype dtype);
/** 4-bit weights: 0 (default) one scale per output channel, or 16, 32, 64 or 128: one per block of that many
 *  values along K (MatMul B [K, N] along axis 0; Gemm B along K by transB; Conv W [Cout, Cin, kh, kw] along the
 *  input channels, each block of channels with its kh x kw taps sharing one scale). The last block of a K that is
 *  not a multiple is shorter (as ONNX allows). Other values: QINFER_ERR_INVALID_ARGUMENT. */
qinfer_status qinfer_quant_options_set_block_size(qinfer_quant_options *options, int block_size);
/** How weight scales are chosen (default QINFER_QUANT_WEIGHT_MINMAX), for int8 and 4-bit weights. */
qinfer_status qinfer_quant_options_set_weight_method(qinfer_quant_options *options, qinfer_quant_weight_method method);
/** Keeps a node in float: name is a node name or the name of one of its output tensors (copied). May be called
 *  any number of times. A name that is neither, in the model as loaded, fails qinfer_quantize with
 *  QINFER_ERR_INVALID_ARGUMENT and the 3 closest names. */
qinfer_status qinfer_quant_options_add_exclude(qinfer_quant_options *options, const char *name);
/** Mixed precision: while the output SQNR against the FP32 model (the worst over samples 0 .. 3, or all when there
 *  are fewer) is below target_db, promotes the nodes with the lowest isolated SQNR (QINFER_COMPARE_ISOLATED's
 *  measure, each node's worst over those samples) one step, 1, 2, 4, ... at a time: under 4-bit weights
 *  (set_weight_type) a node's weights to int8 first, then (under 8-bit activations) one of its tensors to 16 bits
 *  (of its 8-bit inputs and output, the one whose rounding loses most), then the node to float, up to max_float
 *  float nodes beyond the exclusions given; once the target is reached, the last round's promotions that are not
 *  needed are taken back (docs/quantization.md, "Mixed precision"). target_db in (0, 200], or 0 to switch the
 *  search off (default); max_float >= 0 (the CLI's default is 16). */
qinfer_status qinfer_quant_options_set_target_sqnr(qinfer_quant_options *options, double target_db, int max_float);
/** Target-SQNR search: a promotion (16-bit activation, float node) that would leave fewer than percent % of the
 *  Conv / Gemm / MatMul MACs on weights and activations of 8 bits or fewer is skipped (the next node is tried);
 *  percent in [0, 100], 0 (default): no constraint. */
qinfer_status qinfer_quant_options_set_min_low_bit_macs(qinfer_quant_options *options, double percent);
/** Uses at most max_samples samples (0, the default: every one). */
qinfer_status qinfer_quant_options_set_max_samples(qinfer_quant_options *options, size_t max_samples);
/** Threads of the calibration runs (0, the default: one per online CPU). Results do not depend on it. */
qinfer_status qinfer_quant_options_set_threads(qinfer_quant_options *options, int threads);
/** Range trimming (1, default): a range is cut where the elementwise ops reading the tensor are constant (below
 *  -3 before a HardSwish, ...); 0 keeps each calibrated range whole. */
qinfer_status qinfer_quant_options_set_trim(qinfer_quant_options *options, int trim);
/** Bias correction: with calibrated activations, each Conv's and Gemm's bias becomes b' = b - (W_q - W) E[x], the
 *  mean output error of its quantized weights taken off with the calibration samples' per-channel input means.
 *  Default (not called): 4-bit weights only; 1: int8 weights too; 0: never. */
qinfer_status qinfer_quant_options_set_bias_correction(qinfer_quant_options *options, int correct);

/** Samples from a folder (the path is copied): one file per sample, .npy (the model input's dtype; a leading batch
 *  dimension of 1 may be left out) or .png / .jpg / .jpeg (through the image preprocessing below), taken in name
 *  order. A model with several inputs takes folder/<input name>/ sub-folders (the name as written, or with every
 *  byte outside [A-Za-z0-9._-] replaced by '_'), each with the same number of files. Samples may differ in shape
 *  where the model's input dims are symbolic (as with a callback). Replaces a callback. */
qinfer_status qinfer_quant_options_set_sample_folder(qinfer_quant_options *options, const char *folder);
/** Samples from a callback: count samples, each filled by fn (see qinfer_quant_sample_fn). Replaces a folder. */
qinfer_status qinfer_quant_options_set_sample_callback(qinfer_quant_options *options, size_t count,
                                                       qinfer_quant_sample_fn fn, void *user);
/** Progress reports (NULL: none). */
qinfer_status qinfer_quant_options_set_progress_callback(qinfer_quant_options *options, qinfer_quant_progress_fn fn,
                                                         void *user);
/** News lines (NULL: none). */
qinfer_status qinfer_quant_options_set_message_callback(qinfer_quant_options *options, qinfer_quant_message_fn fn,
                                                        void *user);

/* Image preprocessing, for image files among the folder's samples (docs/cli.md, "Image inputs and
 * preprocessing"), which are refused unless a preset (set_image_preset, "none" included), a mean, a std or a scale
 * was set: bilinear resize with half-pixel centers, then (pixel - mean[c]) / std[c] on 0..255 values, c
 * counting channels in the order the model gets them. A value set explicitly wins over a preset's, whichever
 * was set first. */

/** Resize target (1 .. QINFER_IMAGE_MAX_SIDE each); 0, 0 (default): the model input's fixed height and width. */
qinfer_status qinfer_quant_options_set_image_size(qinfer_quant_options *options, int height, int width);
/** Resize mode (default QINFER_IMAGE_RESIZE_STRETCH). */
qinfer_status qinfer_quant_options_set_image_resize(qinfer_quant_options *options, qinfer_image_resize resize);
/** Shorter-crop: the crop's share of the resized shorter side, in (0, 1] (default 1; imagenet 0.875). */
qinfer_status qinfer_quant_options_set_image_crop_fraction(qinfer_quant_options *options, double fraction);
/** Subtracted from the 0..255 pixel values, per channel (default 0). */
qinfer_status qinfer_quant_options_set_image_mean(qinfer_quant_options *options, const double mean[3]);
/** Divisor after the mean, per channel, > 0 (default 1). */
qinfer_status qinfer_quant_options_set_image_std(qinfer_quant_options *options, const double std[3]);
/** Multiplier after the mean instead of a divisor, per channel, > 0: the same as std = 1 / scale. */
qinfer_status qinfer_quant_options_set_image_scale(qinfer_quant_options *options, const double scale[3]);
/** Channel order the model expects: 0 RGB (default), 1 BGR. */
qinfer_status qinfer_quant_options_set_image_bgr(qinfer_quant_options *options, int bgr);
/** Tensor layout (default QINFER_IMAGE_LAYOUT_AUTO). */
qinfer_status qinfer_quant_options_set_image_layout(qinfer_quant_options *options, qinfer_image_layout layout);
/** A named recipe: "imagenet" (224, shorter-crop 0.875, ImageNet mean / std), "facenet" (160, (x - 127.5) / 128),
 *  "arcface" (112, (x - 127.5) / 127.5), "adaface" (the same in BGR), or "none": raw 0..255 pixels on purpose (sets
 *  nothing; marks the preprocessing as chosen). */
qinfer_status qinfer_quant_options_set_image_preset(qinfer_quant_options *options, const char *preset);
/** One image file (PNG / JPEG) preprocessed with the options' image settings for a model input of rank `rank` and
 *  dims `model_dims` (negative = symbolic): `dims` gets the tensor's shape (rank 4, batch 1 unless fixed), and
 *  when `out` is not NULL the H x W x 3 floats are written to it (`capacity` floats; the caller owns it). Fails
 *  (the message on the options, qinfer_quant_options_last_error) when no preprocessing was chosen, the file cannot
 *  be read or decoded, the shape contradicts the model, or `capacity` is too small. */
qinfer_status qinfer_quant_image_load(qinfer_quant_options *options, const char *path, int rank,
                                      const int64_t *model_dims, int64_t dims[4], float *out, size_t capacity);

/* ---- Calibration samples from a callback ---- */

/** Number of model inputs a sample has to fill. */
size_t qinfer_quant_sample_input_count(const qinfer_quant_sample *sample);
/** Info of model input index as the model declares it (symbolic dims -1; strings owned by the model). */
qinfer_status qinfer_quant_sample_input_info(const qinfer_quant_sample *sample, size_t index,
                                             qinfer_tensor_info *info);
/** Gives model input index of this sample: dtype must be the input's; dims (rank of them) this sample's shape,
 *  which may leave out a leading batch dimension of 1. The nbytes bytes at data are copied before the call
 *  returns. The shape must have the input's rank and its fixed dims; its symbolic dims may differ from sample to
 *  sample (qinfer_quantize then calibrates each distinct shape in a session of its own and merges the ranges;
 *  docs/quantization.md, "Samples of several shapes"). On failure the message is kept for qinfer_quantize's
 *  error, and the callback should return the status. */
qinfer_status qinfer_quant_sample_set_input(qinfer_quant_sample *sample, size_t index, qinfer_dtype dtype,
                                            const int64_t *dims, int rank, const void *data, size_t nbytes);

/* ---- Quantizing ---- */

/** What a quantization did. */
typedef struct qinfer_quant_report {
  int quantized_nodes;  /**< nodes computed on quantized tensors */
  int activations;      /**< QuantizeLinear / DequantizeLinear pairs inserted */
  int weights;          /**< weight tensors stored as int8 (or 4-bit, with set_weight_type) */
  int biases;           /**< bias tensors stored as int32 */
  int float_nodes;      /**< nodes the target-SQNR search kept in float (beyond the exclusions given) */
  size_t samples;       /**< calibration samples used */
  size_t shapes;        /**< distinct input shapes among them (one calibration session each) */
  int64_t weight_bytes_fp32, weight_bytes_int8; /**< the quantized weights' size before and after (int8 or 4-bit
                                                  *   values, without their scales) */
  int64_t model_bytes;  /**< size of the FP32 model (its file, or the buffer it was loaded from) */
  int64_t output_bytes; /**< size of the file written */
  double output_sqnr_db; /**< target-SQNR search: the measured output SQNR of the model written (the worst over
                          *   the samples measured; below the target when missed, which is no error); otherwise NaN */
  int int8_weight_nodes; /**< target-SQNR search under 4-bit weights: nodes it gave int8 weights instead */
  int int16_activations; /**< target-SQNR search under 8-bit activations: activations it widened to 16 bits */
  int64_t macs;          /**< target-SQNR search: multiply-adds of the Conv / Gemm / MatMul nodes at the first
                          *   sample's shapes (0 without the search) */
  int64_t macs_low_bit;  /**< of those, the ones on weights and activations of 8 bits or fewer */
  int64_t mixed_weight_bytes; /**< target-SQNR search: those nodes' weights at the widths chosen (4-bit, int8, or
                               *   float 4 bytes; scales and zero points not counted) */
} qinfer_quant_report;

/** Quantizes model with options and writes the QDQ model to out_path (atomically: a temporary file in the same
 *  folder, then renamed), at the model's opset when it is 13 or above, else at opset 13 with its ops converted
 *  (docs/quantization.md, "The written opset"). report (may be NULL) is filled on success. The model itself is not
 *  changed and may be used by other threads meanwhile. Fails with QINFER_ERR_UNSUPPORTED for a model below opset
 *  13 holding an op that has no opset-13 form (the message names the node), QINFER_ERR_INVALID_ARGUMENT for a
 *  model that is already quantized, without samples (unless weight-only or dynamic), options that do not go
 *  together (4-bit weights per tensor, a block size with int8 weights, a target SQNR with float activations or
 *  with dynamic quantization, dynamic quantization with activations other than uint8 or with 4-bit weights), with
 *  image samples but no preprocessing chosen, an exclusion
 *  that names no node or node output, with samples that do not fit the model (dtype) or that hold NaN or infinity
 *  (the message names the sample file, or the callback's sample index and input), QINFER_ERR_SHAPE for a sample
 *  whose rank or fixed dims are not the model input's (the message names the sample, its shape and the input's),
 *  QINFER_ERR_IO for an unreadable sample folder, a sample that is not a regular file, or an unwritable out_path,
 *  or the status a sample callback returned; the message is in qinfer_last_error(). */
qinfer_status qinfer_quantize(const qinfer_model *model, const qinfer_quant_options *options, const char *out_path,
                              qinfer_quant_report *report);

/* ---- Comparing two models ---- */

typedef struct qinfer_compare qinfer_compare;

/** Flags of qinfer_compare_create. */
enum {
  /** Also compare every tensor the two sessions share (keep_intermediates in both sessions' options makes every
   *  computed tensor readable): a float tensor of TEST with REF's float tensor of the same name and shape, and a
   *  TEST tensor written by a QuantizeLinear (constant scale and zero point), dequantized, with REF's tensor of
   *  the QuantizeLinear's input (or, when REF writes the same tensor by a QuantizeLinear too, REF's dequantized). */
  QINFER_COMPARE_PER_LAYER = 1u << 0,
  /** Also measure every quantized node of TEST in isolation (implies QINFER_COMPARE_PER_LAYER): after both runs,
   *  each node of TEST's session that reads or writes a quantized tensor (QLinearConv, QLinearMatMul, the 4-bit
   *  and 16-bit ops, fused integer elementwise ops, a QuantizeLinear) runs once more alone, on REF's float values
   *  of its inputs (quantized with that node's own input scale and zero point), and its output (dequantized) is
   *  measured against REF's float tensor: the error the node adds by itself, without what builds up upstream.
   *  Fills the isolated_* fields of the layer row of that tensor; layer rows are then ranked by isolated SQNR.
   *  TEST's intermediate tensors and outputs hold the isolated runs' values afterwards (read them before, or run
   *  again). */
  QINFER_COMPARE_ISOLATED = 1u << 1,
};

/** How an output (or a tensor) of REF matched TEST's. */
typedef enum qinfer_compare_match {
  QINFER_COMPARE_COMPARED = 0,    /**< same name and shape: the metrics are set */
  QINFER_COMPARE_ONLY_IN_REF = 1, /**< an output of REF that TEST does not have */
  QINFER_COMPARE_ONLY_IN_TEST = 2,
  QINFER_COMPARE_MISMATCH = 3,    /**< shapes differ, or dtypes (other than two floating-point ones) */
} qinfer_compare_match;

/** One compared output or tensor. Strings belong to the comparison (valid until its next run or destroy). */
typedef struct qinfer_compare_row {
  qinfer_compare_match match;
  qinfer_tensor_info ref;  /**< REF's tensor (empty for ONLY_IN_TEST) */
  qinfer_tensor_info test; /**< TEST's tensor (empty for ONLY_IN_REF); a quantized tensor has its integer dtype */
  const char *op;          /**< REF's producer op type; "output" for output rows, "input", or "?" */
  int is_float;            /**< float values on both sides (after dequantization): SQNR, cosine and mean |d| */
  int64_t count;           /**< elements compared */
  double sqnr_db;          /**< 10 log10(sum ref^2 / sum (ref - test)^2): +inf when equal, NaN with a NaN */
  double cosine;           /**< sum ref test / sqrt(sum ref^2 sum test^2); 1 when both are all zero */
  double max_abs, mean_abs; /**< of |ref - test| */
  double equal_share;      /**< share of elements exactly equal (the metric of integer rows) */
  /* The isolated view (QINFER_COMPARE_ISOLATED): TEST's node writing this tensor, run alone on REF's inputs. */
  int has_isolated;        /**< 1 when the isolated_* fields are set, else 0 (and they are 0) */
  const char *node;        /**< that node's name in TEST's session (after fusion), or NULL */
  const char *node_op;     /**< its op type after fusion ("QLinearConv", ...), or NULL */
  double isolated_sqnr_db; /**< SQNR of its output against REF's tensor (the same formula as sqnr_db) */
  double isolated_cosine;
  double isolated_max_abs, isolated_mean_abs;
  double isolated_in_range_sqnr_db; /**< isolated SQNR against REF clamped to the range the quantized tensor can
                                     *   hold: without the clipping (equal to isolated_sqnr_db for a float tensor
                                     *   and where nothing clips); the target-SQNR search's measure for tensors
                                     *   whose range it cut on purpose (range trimming) */
} qinfer_compare_row;

/** Prepares the comparison of session test against session ref, which must take the same inputs (names, dtypes
 *  and shapes). The sessions are borrowed: destroy the comparison first. flags: 0, QINFER_COMPARE_PER_LAYER,
 *  QINFER_COMPARE_ISOLATED (both sessions need keep_intermediates), or both.
 *  The message of a failure is in qinfer_last_error(). */
qinfer_status qinfer_compare_create(qinfer_session *ref, qinfer_session *test, unsigned flags,
                                    qinfer_compare **out_compare);
void qinfer_compare_destroy(qinfer_compare *compare);
const char *qinfer_compare_last_error(const qinfer_compare *compare);

/** Points input index (REF's input order) of both sessions at a caller buffer (not copied, read during run). */
qinfer_status qinfer_compare_set_input(qinfer_compare *compare, size_t index, const void *data, size_t nbytes);
/** Fills every input not set with qinfer_compare_set_input with deterministic values from seed (the comparison
 *  owns them): floating-point inputs uniform in [-1, 1), int8 / uint8 uniform over their range, other types 0.
 *  The same values as `qinfer run --seed` gives. */
qinfer_status qinfer_compare_set_random_inputs(qinfer_compare *compare, uint64_t seed);
/** Whether input index was set by qinfer_compare_set_input (1) or is random (0). */
int qinfer_compare_input_is_set(const qinfer_compare *compare, size_t index);
/** Runs REF, then TEST, and compares them. Every input must have been set (or filled at random). */
qinfer_status qinfer_compare_run(qinfer_compare *compare);
/** Wall-clock time of the last run of each session, in milliseconds. */
qinfer_status qinfer_compare_run_ms(const qinfer_compare *compare, double *ref_ms, double *test_ms);

/** Output rows: REF's outputs in order, then TEST's outputs REF does not have (QINFER_COMPARE_ONLY_IN_TEST). */
size_t qinfer_compare_output_count(const qinfer_compare *compare);
qinfer_status qinfer_compare_output(const qinfer_compare *compare, size_t index, qinfer_compare_row *row);
/** Per-layer rows (QINFER_COMPARE_PER_LAYER), worst SQNR first: NaN first, then ascending, ties by name; with
 *  QINFER_COMPARE_ISOLATED, worst isolated SQNR first (the same order), rows without an isolated measure last. */
size_t qinfer_compare_layer_count(const qinfer_compare *compare);
qinfer_status qinfer_compare_layer(const qinfer_compare *compare, size_t index, qinfer_compare_row *row);

#ifdef __cplusplus
}
#endif

#endif /* QINFER_QUANT_H */
