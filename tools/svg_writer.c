#include "tools/svg_writer.h"

bool qi_svg_open(qi_svg *s, const char *path, double width, double height) {
  s->f = fopen(path, "w");
  if (!s->f) return false;
  fprintf(s->f,
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" viewBox=\"0 0 %g %g\" "
          "font-family=\"sans-serif\">\n",
          width, height, width, height);
  qi_svg_rect(s, 0, 0, width, height, "none", "white");
  return true;
}

void qi_svg_begin(qi_svg *s, FILE *f, double width, double height, const char *cls) {
  s->f = f;
  fprintf(f, "<svg width=\"%g\" height=\"%g\" viewBox=\"0 0 %g %g\" font-family=\"sans-serif\"", width, height, width,
          height);
  if (cls) fprintf(f, " class=\"%s\"", cls);
  fputs(">\n", f);
}

void qi_svg_end(qi_svg *s) { fputs("</svg>\n", s->f); }

void qi_svg_line(qi_svg *s, double x1, double y1, double x2, double y2, const char *stroke, double stroke_width) {
  fprintf(s->f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\" stroke-width=\"%g\"/>\n", x1, y1,
          x2, y2, stroke, stroke_width);
}

void qi_svg_rect(qi_svg *s, double x, double y, double w, double h, const char *stroke, const char *fill) {
  fprintf(s->f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" stroke=\"%s\" fill=\"%s\"/>\n", x, y, w, h,
          stroke, fill);
}

void qi_svg_circle(qi_svg *s, double cx, double cy, double r, const char *fill, const char *cls) {
  fprintf(s->f, "<circle%s%s%s cx=\"%.2f\" cy=\"%.2f\" r=\"%g\" fill=\"%s\"/>\n", cls ? " class=\"" : "",
          cls ? cls : "", cls ? "\"" : "", cx, cy, r, fill);
}

void qi_svg_polyline_begin(qi_svg *s, const char *stroke, double stroke_width) {
  fprintf(s->f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%g\" points=\"", stroke, stroke_width);
}

void qi_svg_point(qi_svg *s, double x, double y) { fprintf(s->f, "%.2f,%.2f ", x, y); }

void qi_svg_polyline_end(qi_svg *s) { fputs("\"/>\n", s->f); }

/* control bytes (not allowed in XML 1.0) as '?' */
void qi_svg_escape(FILE *f, const char *text) {
  for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
    switch (*p) {
      case '&': fputs("&amp;", f); break;
      case '<': fputs("&lt;", f); break;
      case '>': fputs("&gt;", f); break;
      case '"': fputs("&quot;", f); break;
      case '\'': fputs("&#39;", f); break;
      default: fputc(*p < 0x20 ? '?' : *p, f);
    }
  }
}

void qi_svg_text(qi_svg *s, double x, double y, double size, qi_svg_anchor anchor, double rotate, const char *text) {
  static const char *const anchors[] = {"start", "middle", "end"};
  fprintf(s->f, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"%g\" text-anchor=\"%s\"", x, y, size, anchors[anchor]);
  if (rotate != 0) fprintf(s->f, " transform=\"rotate(%g %.2f %.2f)\"", rotate, x, y);
  fputc('>', s->f);
  qi_svg_escape(s->f, text);
  fputs("</text>\n", s->f);
}

bool qi_svg_close(qi_svg *s) {
  fputs("</svg>\n", s->f);
  const bool ok = !ferror(s->f);
  return fclose(s->f) == 0 && ok;
}
