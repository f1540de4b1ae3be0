#include "engine/quant/compare_metrics.h"

#include <math.h>
#include <string.h>

#include "engine/quant/io/tensor_stats.h"

void qi_cmp_add(qi_cmp_acc *acc, double r, double t) {
  acc->n++;
  if (isnan(r) || isnan(t)) {
    acc->n_nan++;
    return;
  }
  if (r == t) acc->n_equal++;
  /* Equal infinities differ by nothing (inf - inf would be NaN). */
  const double d = r == t ? 0.0 : r - t, ad = fabs(d);
  acc->sum_rr += r * r;
  acc->sum_tt += t * t;
  acc->sum_rt += r * t;
  acc->sum_dd += d * d;
  acc->sum_abs += ad;
  if (ad > acc->max_abs) acc->max_abs = ad;
}

void qi_cmp_finish(const qi_cmp_acc *acc, qi_cmp_metrics *m) {
  memset(m, 0, sizeof *m);
  m->n = acc->n;
  m->equal_share = acc->n ? (double)acc->n_equal / (double)acc->n : 1.0;
  if (acc->n_nan) {
    m->cosine = m->max_abs = m->mean_abs = m->sqnr_db = NAN;
    return;
  }
  m->max_abs = acc->max_abs;
  m->mean_abs = acc->n ? acc->sum_abs / (double)acc->n : 0.0;
  if (acc->sum_rr == 0.0 && acc->sum_tt == 0.0)
    m->cosine = 1.0;
  else if (acc->sum_rr == 0.0 || acc->sum_tt == 0.0)
    m->cosine = 0.0;
  else
    m->cosine = acc->sum_rt / sqrt(acc->sum_rr * acc->sum_tt);
  if (acc->sum_dd == 0.0)
    m->sqnr_db = INFINITY;
  else if (acc->sum_rr == 0.0)
    m->sqnr_db = -INFINITY;
  else
    m->sqnr_db = 10.0 * log10(acc->sum_rr / acc->sum_dd);
}

double qi_cmp_dequant_at(const qi_cmp_quant *q, const void *data, int64_t i) {
  const int64_t c = q->n_params > 1 ? (i / q->inner) % q->n_params : 0;
  const double zp = q->zero_point ? q->zero_point[c] : 0.0;
  return (qi_element_as_double(q->dtype, data, i) - zp) * (double)q->scale[c];
}

void qi_cmp_buffers(qinfer_dtype ref_dtype, const void *ref, const qi_cmp_quant *ref_quant, qinfer_dtype test_dtype,
                    const void *test, const qi_cmp_quant *test_quant, int64_t count, qi_cmp_metrics *m) {
  qi_cmp_acc acc = {0};
  for (int64_t i = 0; i < count; i++) {
    const double r = ref_quant ? qi_cmp_dequant_at(ref_quant, ref, i) : qi_element_as_double(ref_dtype, ref, i);
    const double t = test_quant ? qi_cmp_dequant_at(test_quant, test, i) : qi_element_as_double(test_dtype, test, i);
    qi_cmp_add(&acc, r, t);
  }
  qi_cmp_finish(&acc, m);
}

int qi_cmp_sqnr_order(double a, double b) {
  if (isnan(a) || isnan(b)) return isnan(a) && isnan(b) ? 0 : isnan(a) ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
