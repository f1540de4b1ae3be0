/* Metric values as `qinfer compare` prints them in its tables and CSV files. */
#ifndef QI_TOOLS_COMPARE_FORMAT_H
#define QI_TOOLS_COMPARE_FORMAT_H

#include <stdio.h>

/* Formats a metric for tables and CSV: "inf", "-inf", "nan" or printf's %.*g with digits. */
const char *qi_cmp_fmt(double v, int digits, char *buf, int size);

/* Writes field to f as one CSV field: quoted (quotes doubled) when it holds a comma, quote or line break. */
void qi_cmp_csv_field(FILE *f, const char *field);

#endif /* QI_TOOLS_COMPARE_FORMAT_H */
