/* A small SVG writer (no dependencies): a file opened with its canvas size, then lines, rectangles, circles and
 * text in user units (pixels, y downwards), closed with svg_close; or an inline <svg> in a page (qi_svg_begin,
 * qi_svg_end). Text is escaped for XML. */
#ifndef QI_TOOLS_SVG_WRITER_H
#define QI_TOOLS_SVG_WRITER_H

#include <stdbool.h>
#include <stdio.h>

typedef struct qi_svg {
  FILE *f;
} qi_svg;

/* Text anchors. */
typedef enum qi_svg_anchor { QI_SVG_START, QI_SVG_MIDDLE, QI_SVG_END } qi_svg_anchor;

/* Creates path with a white width x height canvas. False when the file cannot be written (errno set). */
bool qi_svg_open(qi_svg *s, const char *path, double width, double height);
/* Starts an <svg> element inside a document already open on f (an HTML page): no XML declaration, no canvas
 * rectangle; cls: its class attribute (NULL: none). End it with qi_svg_end, which leaves f open. */
void qi_svg_begin(qi_svg *s, FILE *f, double width, double height, const char *cls);
void qi_svg_end(qi_svg *s);
void qi_svg_line(qi_svg *s, double x1, double y1, double x2, double y2, const char *stroke, double stroke_width);
void qi_svg_rect(qi_svg *s, double x, double y, double w, double h, const char *stroke, const char *fill);
/* A circle of class cls (NULL: none), so that a reader can find the marks of one kind. */
void qi_svg_circle(qi_svg *s, double cx, double cy, double r, const char *fill, const char *cls);
/* A polyline: begin, one call per point, end. */
void qi_svg_polyline_begin(qi_svg *s, const char *stroke, double stroke_width);
void qi_svg_point(qi_svg *s, double x, double y);
void qi_svg_polyline_end(qi_svg *s);
/* Text at (x, y) (the baseline), size in px; rotate: degrees about (x, y), 0 for none. */
void qi_svg_text(qi_svg *s, double x, double y, double size, qi_svg_anchor anchor, double rotate, const char *text);
/* Writes text to f with &, <, >, both quotes as entities and control bytes as '?': safe in XML and HTML text
 * and in quoted attribute values. */
void qi_svg_escape(FILE *f, const char *text);
/* Ends the document and closes the file. False when a write failed. */
bool qi_svg_close(qi_svg *s);

#endif /* QI_TOOLS_SVG_WRITER_H */
