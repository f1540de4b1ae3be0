/* qinfer quantize MODEL -o OUT.onnx --calib DIR [options]: static post-training quantization to a QDQ model.
 * The quantizer is the library's (include/qinfer_quant.h, engine/quant/): this file turns the options into its
 * options object, draws the progress bar and prints the report. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qinfer_quant.h"
#include "tools/cli.h"
#include "tools/cli_image.h"

enum { MAX_EXCLUDE = 256 };

/* A value of an option that names a data type. */
typedef struct dtype_choice {
  const char *name;
  qinfer_dtype dtype;
} dtype_choice;

/* --activations: one row per activation type the quantizer writes ("float": weight-only). */
static const dtype_choice ACTIVATION_TYPES[] = {
    {"uint8", QINFER_DTYPE_UINT8},
    {"int8", QINFER_DTYPE_INT8},
    {"int16", QINFER_DTYPE_INT16},
    {"uint16", QINFER_DTYPE_UINT16},
    {"float", QINFER_DTYPE_FLOAT},
};
/* --weights: int8 (per channel or per tensor), int4 (symmetric) or uint4 (asymmetric, with zero points). */
static const dtype_choice WEIGHT_TYPES[] = {
    {"int8", QINFER_DTYPE_INT8},
    {"int4", QINFER_DTYPE_INT4},
    {"uint4", QINFER_DTYPE_UINT4},
};

/* The value v of a dtype option (r: qi_cli_option's result, < 0 when the value is missing) into *dtype; else a
 * usage error listing the table's names. */
static int parse_choice(const dtype_choice *table, size_t n, const char *option, int r, const char *v,
                        qinfer_dtype *dtype) {
  char names[160] = "";
  size_t used = 0;
  for (size_t i = 0; i < n; i++) {
    if (r > 0 && !strcmp(table[i].name, v)) {
      *dtype = table[i].dtype;
      return QI_EXIT_OK;
    }
    used += (size_t)snprintf(names + used, used < sizeof names ? sizeof names - used : 0, "%s%s",
                             i ? (i + 1 == n ? " or " : ", ") : "", table[i].name);
  }
  return qi_cli_usage_error("quantize", "%s must be %s%s%s%s", option, names, r > 0 ? ", not '" : "", r > 0 ? v : "",
                            r > 0 ? "'" : "");
}
#define PARSE_CHOICE(table, option, r, v, dtype) parse_choice(table, sizeof table / sizeof table[0], option, r, v, dtype)

typedef struct quant_args {
  const char *model, *output, *calib;
  qinfer_quant_options *o;
  qi_cli_image_args image;
  int n_exclude;
  bool force; /* --force: -o may name the input model */
  bool allow_miss; /* --allow-miss: a missed --target-sqnr still exits 0 */
  bool dynamic;    /* --dynamic: DynamicQuantizeLinear before each linear layer, no calibration */
  int64_t max_samples, threads, max_float;
  double target_sqnr; /* 0: no mixed-precision search */
  qinfer_dtype act_dtype, weight_dtype;
} quant_args;

void qi_cmd_quantize_usage(void) {
  printf("usage: qinfer quantize MODEL -o OUT.onnx --calib DIR [options]\n"
         "       qinfer quantize MODEL -o OUT.onnx --activations float [--weights int4 ...]\n"
         "       qinfer quantize MODEL -o OUT.onnx --dynamic [--per-tensor] [--weight-method M]\n"
         "\n"
         "Static post-training quantization: runs MODEL (FP32) over the calibration samples in DIR, picks a range\n"
         "for every quantized tensor and writes a QDQ ONNX model (int8 or 4-bit weights, QuantizeLinear/\n"
         "DequantizeLinear around each quantized op) that qinfer runs with integer kernels and ONNX Runtime can run\n"
         "too. With --activations float only the weights are quantized (W8A32 / W4A32): no samples needed.\n"
         "With --dynamic the linear layers quantize their input at run time (ONNX Runtime's quantize_dynamic):\n"
         "no samples needed.\n"
         "\n"
         "calibration samples (DIR):\n"
         "  one file per sample: .npy tensors (a leading batch dim of 1 may be left out) or .png/.jpg images;\n"
         "  a model with several inputs takes DIR/<input name>/ folders with the same number of files each;\n"
         "  samples may differ in shape where the model's dims are symbolic (each shape is calibrated in a\n"
         "  session of its own and the ranges merged); images keep their size in a symbolic H or W unless resized\n"
         "\n"
         "options:\n"
         "  -o, --output FILE       where to write the quantized model (required; not MODEL itself)\n"
         "  --force                 let --output replace MODEL (the same file, also through a link)\n"
         "  --calib DIR             calibration samples (required, except with --activations float or --dynamic)\n"
         "  --method M              minmax (default) | percentile | entropy | mse (the range with the least expected\n"
         "                          squared error on the histogram)\n"
         "  --percentile P          share of values the percentile method keeps in range (default 99.99)\n"
         "  --per-channel           one weight scale per output channel (default)\n"
         "  --per-tensor            one weight scale per weight tensor\n"
         "  --activations T         uint8 (default) or int8 activations, asymmetric either way; int16 (symmetric,\n"
         "                          W8A16) or uint16; float: weight-only (DequantizeLinear of the weights feeding\n"
         "                          float ops; --calib not needed)\n"
         "  --dynamic               dynamic quantization: every Conv / Gemm / MatMul with constant weights reads its\n"
         "                          input through DynamicQuantizeLinear (uint8, range of each run) and runs as\n"
         "                          ConvInteger / MatMulInteger on int8 weights; the rest stays float (--calib\n"
         "                          not needed; not with --activations other than uint8 or --target-sqnr). With\n"
         "                          --weights int4 / uint4: each Gemm / MatMul becomes com.microsoft MatMulNBits\n"
         "                          at accuracy_level 4 (input to int8 per row and block at run time), blocks of\n"
         "                          --block-size (32 when 0); Convs stay float\n"
         "  --weights T             int8 (default), int4 (symmetric) or uint4 (asymmetric, zero points): weights of\n"
         "                          Conv / Gemm / MatMul; 4-bit ones are written at opset 21, two per byte\n"
         "  --block-size N          4-bit weights: 0 (default) one scale per output channel, or 16, 32, 64, 128\n"
         "                          values along K per scale (Conv: of Cin/group x kh x kw, im2col order)\n"
         "  --weight-method M       minmax (default): scale from max |w|; mse: the clipping of max |w| (1 down to\n"
         "                          0.5 in 1/64 steps) with the least squared error, per channel or block,\n"
         "                          each weight's error weighted by E[x^2] of its input when calibrated; gptq:\n"
         "                          mse scales, rounding errors compensated layer by layer (GPTQ; calibrated)\n"
         "  --exclude NAME[,NAME]   keep these nodes (node or output tensor names) in float; repeatable\n"
         "  --max-samples N         use at most N samples\n"
         "  --target-sqnr DB        mixed precision: while the output SQNR against FP32 (the worst over the first\n"
         "                          4 samples) is below DB, raise the nodes with the lowest isolated SQNR (as\n"
         "                          'qinfer compare --per-layer' measures it) one step (int8 weights, 16-bit\n"
         "                          output, float), 1, 2, 4, ... at a time, up to --max-float N nodes in float\n"
         "                          (default 16); the model is written either way, but a missed target exits 3\n"
         "  --min-low-bit-macs P    with --target-sqnr: keep at least P %% of the Conv / Gemm / MatMul MACs on\n"
         "                          8-bit or narrower weights and activations (skip promotions that would not)\n"
         "  --allow-miss            exit 0 when --target-sqnr is not reached\n"
         "  --no-trim               keep each calibrated range whole (by default a range is cut where the\n"
         "                          elementwise ops reading it are constant, e.g. below -3 before a HardSwish)\n"
         "  --bias-correction       correct each Conv / Gemm bias by the mean output error of its quantized\n"
         "                          weights on the calibration samples for int8 weights too (default: 4-bit only)\n"
         "  --no-bias-correction    keep every bias as it is, 4-bit weights included\n"
         "  --threads N             threads for the calibration runs (default 0: one per CPU)\n"
         "%s",
         qi_cli_image_usage);
}

/* A setter's failure (the CLI checks values first: only out of memory is left). */
static int set_failed(const quant_args *a, qinfer_status st) {
  return qi_cli_api_error("options", st, qinfer_quant_options_last_error(a->o));
}

static int parse_args(int argc, char **argv, quant_args *a) {
  a->max_samples = 0;
  a->max_float = 16;
  a->image.options = a->o;
  qinfer_quant_options *o = a->o;
  qinfer_status st = QINFER_OK;
  for (int i = 0; i < argc && st == QINFER_OK; i++) {
    const char *v = NULL;
    int r;
    char perr[256];
    if ((r = qi_cli_option(argc, argv, &i, "--output", &v)) != 0 || (r = qi_cli_option(argc, argv, &i, "-o", &v)) != 0) {
      if (r < 0) return qi_cli_usage_error("quantize", "--output needs a file");
      a->output = v;
    } else if ((r = qi_cli_option(argc, argv, &i, "--calib", &v)) != 0) {
      if (r < 0) return qi_cli_usage_error("quantize", "--calib needs a folder");
      a->calib = v;
    } else if ((r = qi_cli_option(argc, argv, &i, "--method", &v)) != 0) {
      if (r < 0) return qi_cli_usage_error("quantize", "--method needs a value");
      if (!strcmp(v, "minmax")) st = qinfer_quant_options_set_method(o, QINFER_QUANT_MINMAX);
      else if (!strcmp(v, "percentile")) st = qinfer_quant_options_set_method(o, QINFER_QUANT_PERCENTILE);
      else if (!strcmp(v, "entropy")) st = qinfer_quant_options_set_method(o, QINFER_QUANT_ENTROPY);
      else if (!strcmp(v, "mse")) st = qinfer_quant_options_set_method(o, QINFER_QUANT_MSE);
      else return qi_cli_usage_error("quantize", "unknown method '%s' (minmax, percentile, entropy, mse)", v);
    } else if ((r = qi_cli_option(argc, argv, &i, "--percentile", &v)) != 0) {
      char *end;
      const double p = r > 0 ? strtod(v, &end) : 0;
      if (r < 0 || *end || !(p > 50.0 && p <= 100.0))
        return qi_cli_usage_error("quantize", "--percentile needs a number in (50, 100]");
      st = qinfer_quant_options_set_percentile(o, p);
    } else if (!strcmp(argv[i], "--per-channel")) {
      st = qinfer_quant_options_set_per_channel(o, 1);
    } else if ((r = qi_cli_option(argc, argv, &i, "--target-sqnr", &v)) != 0) {
      char *end;
      a->target_sqnr = r > 0 ? strtod(v, &end) : -1;
      if (r < 0 || *end || !(a->target_sqnr > 0 && a->target_sqnr <= 200))
        return qi_cli_usage_error("quantize", "--target-sqnr needs a number of dB in (0, 200]");
    } else if ((r = qi_cli_option(argc, argv, &i, "--max-float", &v)) != 0) {
      if (r < 0 || !qi_cli_parse_int64(v, 0, MAX_EXCLUDE / 2, &a->max_float))
        return qi_cli_usage_error("quantize", "--max-float needs a number of nodes in 0..%d", MAX_EXCLUDE / 2);
    } else if ((r = qi_cli_option(argc, argv, &i, "--min-low-bit-macs", &v)) != 0) {
      char *end;
      const double pct = r > 0 ? strtod(v, &end) : -1;
      if (r < 0 || *end || !(pct >= 0 && pct <= 100))
        return qi_cli_usage_error("quantize", "--min-low-bit-macs needs a percentage in [0, 100]");
      st = qinfer_quant_options_set_min_low_bit_macs(o, pct);
    } else if (!strcmp(argv[i], "--allow-miss")) {
      a->allow_miss = true;
    } else if (!strcmp(argv[i], "--force")) {
      a->force = true;
    } else if (!strcmp(argv[i], "--bias-correction")) {
      st = qinfer_quant_options_set_bias_correction(o, 1);
    } else if (!strcmp(argv[i], "--no-bias-correction")) {
      st = qinfer_quant_options_set_bias_correction(o, 0);
    } else if (!strcmp(argv[i], "--no-trim")) {
      st = qinfer_quant_options_set_trim(o, 0);
    } else if (!strcmp(argv[i], "--dynamic")) {
      a->dynamic = true;
      st = qinfer_quant_options_set_dynamic(o, 1);
    } else if (!strcmp(argv[i], "--per-tensor")) {
      st = qinfer_quant_options_set_per_channel(o, 0);
    } else if ((r = qi_cli_option(argc, argv, &i, "--activations", &v)) != 0) {
      const int rc = PARSE_CHOICE(ACTIVATION_TYPES, "--activations", r, v, &a->act_dtype);
      if (rc != QI_EXIT_OK) return rc;
      st = qinfer_quant_options_set_activation_type(o, a->act_dtype);
    } else if ((r = qi_cli_option(argc, argv, &i, "--weights", &v)) != 0) {
      const int rc = PARSE_CHOICE(WEIGHT_TYPES, "--weights", r, v, &a->weight_dtype);
      if (rc != QI_EXIT_OK) return rc;
      st = qinfer_quant_options_set_weight_type(o, a->weight_dtype);
    } else if ((r = qi_cli_option(argc, argv, &i, "--block-size", &v)) != 0) {
      int64_t bs = -1;
      if (r < 0 || !qi_cli_parse_int64(v, 0, 128, &bs) || (bs != 0 && bs != 16 && bs != 32 && bs != 64 && bs != 128))
        return qi_cli_usage_error("quantize", "--block-size must be 0 (per output channel), 16, 32, 64 or 128%s%s%s",
                                  r > 0 ? ", not '" : "", r > 0 ? v : "", r > 0 ? "'" : "");
      st = qinfer_quant_options_set_block_size(o, (int)bs);
    } else if ((r = qi_cli_option(argc, argv, &i, "--weight-method", &v)) != 0) {
      if (r < 0) return qi_cli_usage_error("quantize", "--weight-method needs minmax, mse or gptq");
      if (!strcmp(v, "minmax")) st = qinfer_quant_options_set_weight_method(o, QINFER_QUANT_WEIGHT_MINMAX);
      else if (!strcmp(v, "mse")) st = qinfer_quant_options_set_weight_method(o, QINFER_QUANT_WEIGHT_MSE);
      else if (!strcmp(v, "gptq")) st = qinfer_quant_options_set_weight_method(o, QINFER_QUANT_WEIGHT_GPTQ);
      else return qi_cli_usage_error("quantize", "unknown weight method '%s' (minmax, mse, gptq)", v);
    } else if ((r = qi_cli_option(argc, argv, &i, "--exclude", &v)) != 0) {
      if (r < 0) return qi_cli_usage_error("quantize", "--exclude needs node names");
      char *list = (char *)v; /* argv strings are writable */
      for (char *tok = strtok(list, ","); tok && st == QINFER_OK; tok = strtok(NULL, ",")) {
        if (a->n_exclude == MAX_EXCLUDE)
          return qi_cli_usage_error("quantize", "more than %d --exclude names", MAX_EXCLUDE);
        a->n_exclude++;
        st = qinfer_quant_options_add_exclude(o, tok);
      }
    } else if ((r = qi_cli_option(argc, argv, &i, "--max-samples", &v)) != 0) {
      if (r < 0 || !qi_cli_parse_int64(v, 1, INT32_MAX, &a->max_samples))
        return qi_cli_usage_error("quantize", "--max-samples needs a positive number");
      st = qinfer_quant_options_set_max_samples(o, (size_t)a->max_samples);
    } else if ((r = qi_cli_option(argc, argv, &i, "--threads", &v)) != 0) {
      if (r < 0 || !qi_cli_parse_int64(v, 0, 1024, &a->threads))
        return qi_cli_usage_error("quantize", "--threads needs a number in 0..1024");
      st = qinfer_quant_options_set_threads(o, (int)a->threads);
    } else if ((r = qi_cli_image_arg(&a->image, argc, argv, &i, perr, sizeof perr)) != 0) {
      if (r < 0) return qi_cli_usage_error("quantize", "%s", perr);
    } else {
      const int rc = qi_cli_model_arg("quantize", argv[i], &a->model);
      if (rc != QI_EXIT_OK) return rc;
    }
  }
  if (st == QINFER_OK && a->target_sqnr > 0)
    st = qinfer_quant_options_set_target_sqnr(o, a->target_sqnr, (int)a->max_float);
  if (st != QINFER_OK) return set_failed(a, st);
  if (!a->model) return qi_cli_usage_error("quantize", "no model given");
  if (!a->output) return qi_cli_usage_error("quantize", "no output file given (-o OUT.onnx)");
  const bool weight_only = a->act_dtype == QINFER_DTYPE_FLOAT || a->dynamic;
  if (!a->calib && !weight_only) return qi_cli_usage_error("quantize", "no calibration folder given (--calib DIR)");
  if (a->calib && (st = qinfer_quant_options_set_sample_folder(o, a->calib)) != QINFER_OK) return set_failed(a, st);
  /* The same file by device and inode, whatever the spelling ("./m.onnx", a symbolic or hard link). */
  struct stat in, out;
  if (!a->force && stat(a->model, &in) == 0 && stat(a->output, &out) == 0 && in.st_dev == out.st_dev &&
      in.st_ino == out.st_ino)
    return qi_cli_usage_error("quantize", "the output '%s' is the input model '%s'; refusing to replace it (--force to "
                                          "overwrite)", a->output, a->model);
  return QI_EXIT_OK;
}

/* ---- progress ---- */

static void progress(void *user, const char *what, size_t done, size_t total) {
  (void)user;
  if (!isatty(STDERR_FILENO)) {
    if (done == total) fprintf(stderr, "%s: %zu/%zu samples\n", what, done, total);
    return;
  }
  const int width = 30, filled = total ? (int)(done * (size_t)width / total) : width;
  fprintf(stderr, "\r%s [", what);
  for (int i = 0; i < width; i++) fputc(i < filled ? '#' : '.', stderr);
  fprintf(stderr, "] %zu/%zu", done, total);
  if (done == total) fputc('\n', stderr);
  fflush(stderr);
}

static void message(void *user, const char *line) {
  (void)user;
  fprintf(stderr, "%s\n", line);
}

/* ---- the work ---- */

static int quantize(const quant_args *a) {
  qinfer_model *model = NULL;
  qinfer_status st = qinfer_model_load_file(a->model, &model);
  if (st != QINFER_OK) return qi_cli_api_error(a->model, st, qinfer_last_error());
  qinfer_quant_options_set_progress_callback(a->o, progress, NULL);
  qinfer_quant_options_set_message_callback(a->o, message, NULL);
  qinfer_quant_report rep;
  st = qinfer_quantize(model, a->o, a->output, &rep);
  qinfer_model_destroy(model);
  if (st != QINFER_OK) return qi_cli_error("%s", qinfer_last_error());
  const char *wtype = qinfer_dtype_name(a->weight_dtype);
  if (a->dynamic && a->weight_dtype != QINFER_DTYPE_INT8) {
    printf("dynamic: %d nodes as MatMulNBits at accuracy_level 4 (their input to int8 per row and block at run time), "
           "%d weights %s (no calibration)\n", rep.quantized_nodes, rep.weights, wtype);
  } else if (a->dynamic) {
    printf("dynamic: %d nodes on DynamicQuantizeLinear (%d activations quantized per run, uint8), %d weights %s "
           "(no calibration)\n", rep.quantized_nodes, rep.activations, rep.weights, wtype);
  } else if (a->act_dtype == QINFER_DTYPE_FLOAT) {
    printf("weight-only: %d weights %s, activations float (no calibration)\n", rep.weights, wtype);
  } else {
    printf("calibrated on %zu sample%s in %zu shape%s\n", rep.samples, rep.samples == 1 ? "" : "s", rep.shapes,
           rep.shapes == 1 ? "" : "s");
    printf("quantized %d nodes: %d activations (QuantizeLinear/DequantizeLinear), %d weights %s, %d biases int32\n",
           rep.quantized_nodes, rep.activations, rep.weights, wtype, rep.biases);
  }
  if (a->target_sqnr > 0)
    printf("mixed precision: %d nodes kept in float, %d with int8 weights instead of 4-bit, %d activations in 16 bits, "
           "%.1f %% of MACs on 8 bits or fewer, output SQNR %.2f dB (target %.2f dB)\n",
           rep.float_nodes, rep.int8_weight_nodes, rep.int16_activations, rep.macs ? 100.0 * (double)rep.macs_low_bit / (double)rep.macs : 0.0,
           rep.output_sqnr_db, a->target_sqnr);
  else if (rep.float_nodes > 0)
    printf("mixed precision: %d nodes kept in float\n", rep.float_nodes);
  printf("weights: %.2f MB -> %.2f MB; file: %.2f MB -> %.2f MB (%.3fx)\n", rep.weight_bytes_fp32 / 1e6,
         rep.weight_bytes_int8 / 1e6, rep.model_bytes / 1e6, rep.output_bytes / 1e6,
         rep.model_bytes > 0 ? (double)rep.output_bytes / rep.model_bytes : 0.0);
  printf("wrote %s\n", a->output);
  if (a->target_sqnr > 0 && !(rep.output_sqnr_db >= a->target_sqnr)) {
    if (a->allow_miss) {
      printf("target SQNR %.2f dB missed (output SQNR %.2f dB); --allow-miss: exit 0\n", a->target_sqnr,
             rep.output_sqnr_db);
      return QI_EXIT_OK;
    }
    fprintf(stderr,
            "qinfer: error: target SQNR %.2f dB missed: the output SQNR is %.2f dB with %d nodes float (%s written "
            "anyway; raise --max-float, or --allow-miss to accept it)\n",
            a->target_sqnr, rep.output_sqnr_db, rep.float_nodes, a->output);
    return QI_EXIT_TARGET_MISSED;
  }
  return QI_EXIT_OK;
}

int qi_cmd_quantize(int argc, char **argv) {
  quant_args a = {.act_dtype = QINFER_DTYPE_UINT8, .weight_dtype = QINFER_DTYPE_INT8};
  qinfer_status st = qinfer_quant_options_create(&a.o);
  if (st != QINFER_OK) return qi_cli_api_error("options", st, qinfer_last_error());
  int rc = parse_args(argc, argv, &a);
  if (rc == QI_EXIT_OK) rc = quantize(&a);
  qinfer_quant_options_destroy(a.o);
  return rc;
}
