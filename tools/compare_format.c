#include "tools/compare_format.h"

#include <math.h>
#include <string.h>

const char *qi_cmp_fmt(double v, int digits, char *buf, int size) {
  if (isnan(v))
    snprintf(buf, (size_t)size, "nan");
  else if (isinf(v))
    snprintf(buf, (size_t)size, "%s", v > 0 ? "inf" : "-inf");
  else
    snprintf(buf, (size_t)size, "%.*g", digits, v);
  return buf;
}

void qi_cmp_csv_field(FILE *f, const char *field) {
  if (!strpbrk(field, ",\"\r\n")) {
    fputs(field, f);
    return;
  }
  fputc('"', f);
  for (const char *p = field; *p; p++) {
    if (*p == '"') fputc('"', f);
    fputc(*p, f);
  }
  fputc('"', f);
}
