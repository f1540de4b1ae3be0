/* Quantizing a model with the qinfer C API and measuring what it cost: static INT8 quantization of MODEL into
 * OUT (calibration samples from a callback that fills every input with deterministic pseudo-random values, or
 * from a folder of .npy / image files), then the FP32 and INT8 models compared on the same random inputs: SQNR
 * and cosine per output, and the worst tensor per layer.
 *
 *   cc example_quantize.c -Iinclude -Lbuild -lqinfer -lm -lpthread -o example_quantize
 *   ./example_quantize model.onnx model_int8.onnx [SAMPLE_FOLDER]
 */
#include <stdio.h>
#include <stdlib.h>

#include "qinfer.h"
#include "qinfer_quant.h"

enum { N_SAMPLES = 8 };

static int fail(const char *what, qinfer_status status, const char *message) {
  fprintf(stderr, "%s: %s: %s\n", what, qinfer_status_string(status), message);
  return 1;
}

/* xorshift32: the same values for the same sample every time the quantizer asks for it. */
static float next_value(uint32_t *state) {
  *state ^= *state << 13;
  *state ^= *state >> 17;
  *state ^= *state << 5;
  return (float)(*state >> 8) / 8388608.0f - 1.0f; /* [-1, 1) */
}

/* Fills calibration sample `index`: every input gets its declared shape (symbolic dims 1) and values in [-1, 1)
 * (float inputs; other types 0). The buffer is ours: the quantizer copies it before set_input returns. */
static qinfer_status fill_sample(void *user, size_t index, qinfer_quant_sample *sample) {
  (void)user;
  for (size_t i = 0; i < qinfer_quant_sample_input_count(sample); i++) {
    qinfer_tensor_info info;
    qinfer_status s = qinfer_quant_sample_input_info(sample, i, &info);
    if (s != QINFER_OK) return s;
    size_t count = 1;
    for (int d = 0; d < info.rank; d++) {
      if (info.dims[d] < 0) info.dims[d] = 1;
      count *= (size_t)info.dims[d];
    }
    const size_t nbytes = count * qinfer_dtype_size(info.dtype);
    unsigned char *data = calloc(nbytes + 1, 1);
    if (!data) return QINFER_ERR_OUT_OF_MEMORY;
    uint32_t state = 0x9e3779b9u ^ (uint32_t)(index * 7919 + i * 104729 + 1);
    if (info.dtype == QINFER_DTYPE_FLOAT)
      for (size_t k = 0; k < count; k++) ((float *)data)[k] = next_value(&state);
    s = qinfer_quant_sample_set_input(sample, i, info.dtype, info.dims, info.rank, data, nbytes);
    free(data);
    if (s != QINFER_OK) return s;
  }
  return QINFER_OK;
}

static void progress(void *user, const char *stage, size_t done, size_t total) {
  (void)user;
  if (done == total) printf("%s: %zu/%zu samples\n", stage, done, total);
}

static int quantize(const qinfer_model *model, const char *out_path, const char *folder) {
  qinfer_quant_options *options = NULL;
  qinfer_status s = qinfer_quant_options_create(&options);
  if (s != QINFER_OK) return fail("options", s, qinfer_last_error());
  /* Defaults: minmax ranges, per-channel int8 weights, uint8 activations. */
  if (folder) s = qinfer_quant_options_set_sample_folder(options, folder);
  else s = qinfer_quant_options_set_sample_callback(options, N_SAMPLES, fill_sample, NULL);
  if (s == QINFER_OK) s = qinfer_quant_options_set_progress_callback(options, progress, NULL);
  if (s != QINFER_OK) {
    fail("options", s, qinfer_quant_options_last_error(options));
    qinfer_quant_options_destroy(options);
    return 1;
  }
  qinfer_quant_report report;
  s = qinfer_quantize(model, options, out_path, &report);
  qinfer_quant_options_destroy(options);
  if (s != QINFER_OK) return fail("quantize", s, qinfer_last_error());
  printf("quantized %d nodes (%d activations, %d weights, %d biases) on %zu samples\n", report.quantized_nodes,
         report.activations, report.weights, report.biases, report.samples);
  printf("file: %lld -> %lld bytes\n", (long long)report.model_bytes, (long long)report.output_bytes);
  return 0;
}

/* A session that keeps every tensor readable, so that the comparison can go layer by layer. */
static qinfer_status open_session(const qinfer_model *model, qinfer_session **session) {
  qinfer_session_options *options = NULL;
  qinfer_status s = qinfer_session_options_create(&options);
  if (s == QINFER_OK) s = qinfer_session_options_set_keep_intermediates(options, 1);
  if (s == QINFER_OK) s = qinfer_session_create(model, options, session);
  qinfer_session_options_destroy(options);
  return s;
}

static int compare(const qinfer_model *fp32, const char *int8_path) {
  qinfer_model *int8 = NULL;
  qinfer_session *ref = NULL, *test = NULL;
  qinfer_compare *cmp = NULL;
  int rc = 0;
  qinfer_status s = qinfer_model_load_file(int8_path, &int8);
  if (s != QINFER_OK) return fail("load", s, qinfer_last_error());
  if ((s = open_session(fp32, &ref)) != QINFER_OK || (s = open_session(int8, &test)) != QINFER_OK ||
      (s = qinfer_compare_create(ref, test, QINFER_COMPARE_PER_LAYER, &cmp)) != QINFER_OK) {
    rc = fail("compare", s, qinfer_last_error());
  } else if ((s = qinfer_compare_set_random_inputs(cmp, 1)) != QINFER_OK ||
             (s = qinfer_compare_run(cmp)) != QINFER_OK) {
    rc = fail("compare", s, qinfer_compare_last_error(cmp));
  }
  for (size_t i = 0; rc == 0 && i < qinfer_compare_output_count(cmp); i++) {
    qinfer_compare_row row;
    qinfer_compare_output(cmp, i, &row);
    if (row.match == QINFER_COMPARE_COMPARED)
      printf("output %s: SQNR %.2f dB, cosine %.6f, max|d| %.4g\n", row.ref.name, row.sqnr_db, row.cosine,
             row.max_abs);
    else
      printf("output %s: not compared\n", row.ref.name ? row.ref.name : row.test.name);
  }
  qinfer_compare_row worst;
  if (rc == 0 && qinfer_compare_layer(cmp, 0, &worst) == QINFER_OK) /* rows come worst first */
    printf("%zu tensors compared, worst %s (%s): SQNR %.2f dB\n", qinfer_compare_layer_count(cmp), worst.ref.name,
           worst.op, worst.sqnr_db);
  /* The comparison borrows the sessions, and sessions point at their models: destroy in this order. */
  qinfer_compare_destroy(cmp);
  qinfer_session_destroy(test);
  qinfer_session_destroy(ref);
  qinfer_model_destroy(int8);
  return rc;
}

int main(int argc, char **argv) {
  if (argc != 3 && argc != 4) {
    fprintf(stderr, "usage: %s MODEL.onnx OUT.onnx [SAMPLE_FOLDER]\n", argv[0]);
    return 2;
  }
  qinfer_model *model = NULL;
  qinfer_status s = qinfer_model_load_file(argv[1], &model);
  if (s != QINFER_OK) return fail("load", s, qinfer_last_error());
  int rc = quantize(model, argv[2], argc == 4 ? argv[3] : NULL);
  if (rc == 0) rc = compare(model, argv[2]);
  qinfer_model_destroy(model);
  return rc;
}
