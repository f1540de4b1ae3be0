#!/usr/bin/env python3
"""Tests of `qinfer compare --html` (tests/compare_html.cmake registers one ctest case per --case).

The models are tests/compare/models.py's FP32 model and its hand-made QDQ version, with the tensor `relu` renamed
to a hostile name (markup, an ampersand, both quotes) in both models, the QuantizeLinear of it given a hostile node
name, and REF's file name holding '<', '&' and a quote.

  page    the report of `compare --html --profile --per-layer --csv`: well formed (html.parser: every element
          opened is closed, in order), nothing from elsewhere (no script, no src / href / url(), no http(s)://),
          the hostile names shown as text and never as markup; one chart mark per CSV row in the graph's execution
          order, quantized and float tensors marked apart as the CSV's TEST tensors say, one isolated-view mark per
          row the CSV gives an isolated SQNR; the table in the CSV's order (worst isolated SQNR first) with both
          views' values; the scale and zero point shown for a tensor are the ones the test put in the model; the
          REF histogram counts every element of its tensor and matches numpy's histogram of the FP32 tensor
          (numpy's float64 forward pass) over the same bins; the command line, version and ISA present; error
          paths: --profile without --html and a bad --html-hist are usage errors (exit 2), an unwritable --html
          path fails before the models run (exit 1) and leaves no file.
  render  the same page in one headless Chromium run (--dump-dom and --screenshot) of a copy with a script added:
          the boxes of the SVG charts show which are visible with the log-scale box off and on (linear or log
          histograms); the script then adds a style that shows both kinds of histogram, the state the screenshot
          holds: each chart's region must hold several colours and its data colours (tools/compare_html.h).
          Skipped (exit 77) when no chromium was given.
"""
import argparse
import csv
import html
import html.parser
import json
import math
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'compare'))
import models  # noqa: E402

HOSTILE = 'relu</td><script>alert("x")</script>&amp;\'<b>'
HOSTILE_NODE = 'q<i>"&\'node'
REF_FILE = 'fp32 <&\'>.onnx'
FAILURES = []

# tools/compare_html.h's data colours
QUANT, FLOAT, ISOLATED = (0xd6, 0x27, 0x28), (0x1f, 0x77, 0xb4), (0x2c, 0xa0, 0x2c)
REF_HIST, TEST_HIST = (0x6b, 0xae, 0xd6), (0xe6, 0x55, 0x0d)
REF_MS, TEST_MS = (0x94, 0x67, 0xbd), (0xff, 0x7f, 0x0e)


def check(cond, msg):
    if not cond:
        FAILURES.append(msg)
        print('FAIL: ' + msg)
    else:
        print('ok   ' + msg)
    return cond


def rename(model, old, new):
    for n in model.graph.node:
        n.input[:] = [new if t == old else t for t in n.input]
        n.output[:] = [new if t == old else t for t in n.output]


def save_models(workdir):
    x = models.make_input()
    fp32, qdq, params = models.make_pair(x)
    for m in (fp32, qdq):
        rename(m, 'relu', HOSTILE)
    for n in qdq.graph.node:
        if n.op_type == 'QuantizeLinear' and n.input[0] == HOSTILE:
            n.name = HOSTILE_NODE
    onnx.save(fp32, os.path.join(workdir, REF_FILE))
    onnx.save(qdq, os.path.join(workdir, 'qdq.onnx'))
    np.save(os.path.join(workdir, 'x.npy'), x)
    return x, params


def run(args, *cmd):
    p = subprocess.run([args.qinfer, 'compare', *cmd], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60,
                       cwd=args.workdir)
    return p.returncode, p.stdout.decode('utf-8', 'replace')


def make_report(args):
    rc, out = run(args, REF_FILE, 'qdq.onnx', '--input', 'x=x.npy', '--html', 'report.html', '--profile',
                  '--html-hist', '3', '--per-layer', '--csv', 'rows.csv')
    if not check(rc == 0 and os.path.isfile(os.path.join(args.workdir, 'report.html')),
                 'qinfer compare --html exits 0 and writes the page (exit %d)' % rc):
        print(out)
        return None
    with open(os.path.join(args.workdir, 'report.html'), encoding='utf-8') as f:
        page = f.read()
    with open(os.path.join(args.workdir, 'rows.csv'), newline='', encoding='utf-8') as f:
        rows = list(csv.DictReader(f))
    return page, rows


# ---- page ----

VOID = {'meta', 'br', 'input', 'img', 'hr', 'link', 'wbr', 'col', 'area', 'base', 'source'}


class Tree(html.parser.HTMLParser):
    """Checks nesting and collects what the checks below read: elements with their attributes and text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.elements, self.text = [], [], [], []
        self.cur = None

    def handle_starttag(self, tag, attrs):
        el = {'tag': tag, 'attrs': dict(attrs), 'text': '', 'parents': [e['tag'] for e in self.stack],
              'classes': set(dict(attrs).get('class', '') .split())}
        self.elements.append(el)
        if tag not in VOID:
            self.stack.append(el)

    def handle_startendtag(self, tag, attrs):
        self.elements.append({'tag': tag, 'attrs': dict(attrs), 'text': '', 'classes':
                              set(dict(attrs).get('class', '').split()), 'parents': [e['tag'] for e in self.stack]})

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1]['tag'] != tag:
            self.errors.append('</%s> closes <%s>' % (tag, self.stack[-1]['tag'] if self.stack else 'nothing'))
            return
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)
        for e in self.stack:
            e['text'] += data


def parse(page):
    t = Tree()
    t.feed(page)
    t.close()
    return t


def cells(tr_el, tree):
    """The text of each cell of a table row element (its td / th in order)."""
    i = tree.elements.index(tr_el)
    out = []
    for e in tree.elements[i + 1:]:
        if e['tag'] == 'tr':
            break
        if e['tag'] in ('td', 'th'):
            out.append(e['text'])
    return out


def table_rows(tree, cls, with_header=False):
    """Rows (cell texts) of the table of class cls, header excluded (with_header: (header, rows))."""
    start = next(i for i, e in enumerate(tree.elements) if e['tag'] == 'table' and cls in e['classes'])
    end = next((i for i, e in enumerate(tree.elements) if i > start and e['tag'] == 'table'), len(tree.elements))
    trs = [e for e in tree.elements[start:end] if e['tag'] == 'tr']
    body = [cells(tr, tree) for tr in trs[1:]]
    return (cells(trs[0], tree), body) if with_header else body


def check_page(args):
    x, params = save_models(args.workdir)
    made = make_report(args)
    if not made:
        return
    page, rows = made
    tree = parse(page)
    check(not tree.errors and not tree.stack,
          'well formed: every element closed in order (%s; open at the end: %s)'
          % (tree.errors[:3], [e['tag'] for e in tree.stack]))
    check(page.lstrip().startswith('<!DOCTYPE html>'), 'starts with <!DOCTYPE html>')
    # nothing from elsewhere, no script
    check(not any(e['tag'] in ('script', 'link', 'img', 'iframe', 'object', 'embed') for e in tree.elements),
          'no script, link, img, iframe, object or embed element')
    check(not any(k in ('src', 'href') or k.startswith('on') for e in tree.elements for k in e['attrs']),
          'no src / href / on* attribute')
    check(not re.search(r'https?://|url\(|@import', page), 'no http(s):// address, url() or @import in the page')
    # hostile strings: shown as text, never markup
    text = ''.join(tree.text)
    check(HOSTILE in text, 'the hostile tensor name is shown as text')
    check(HOSTILE_NODE in text, 'the hostile node name is shown as text')
    check(REF_FILE in text, 'the hostile REF file name is shown as text')
    check(HOSTILE not in page and '<script' not in page and "<b>'" not in page and '<i>"' not in page,
          'the hostile names never appear unescaped in the page')
    # the command line, the version, the ISA
    check("qinfer compare 'fp32 <&'\\''>.onnx' qdq.onnx --input x=x.npy --html report.html" in text,
          'the command line is shown, shell-quoted')
    version = subprocess.run([args.qinfer, '--version'], stdout=subprocess.PIPE).stdout.decode().split()
    check(any(v in text for v in version if v[:1].isdigit()), "qinfer's version is shown (%s)" % version)
    check(re.search(r'REF (scalar|avx2|avx512vnni|avxvnni|neon\w*), TEST ', text) is not None, 'the ISA is shown')

    # chart marks: one per CSV row, in execution order, quantized vs float as TEST's dtype says
    svgs = [e for e in tree.elements if e['tag'] == 'svg']
    marks = [e for e in tree.elements if 'mark' in e['classes']]
    names = [e['text'].rsplit(' (', 1)[0] for e in marks]
    check(len(marks) == len(rows) and len(rows) >= 5, 'one chart mark per CSV row (%d marks, %d rows)'
          % (len(marks), len(rows)))
    by_name = {r['tensor']: r for r in rows}
    order = ['x', HOSTILE, 'add', 'gap', 'flat', 'y']  # the graph's order (models.py)
    check([n for n in names if n in order] == [n for n in order if n in by_name],
          "marks follow the graph's execution order: %s" % names)
    check(all(('quantized' in e['classes']) == (by_name[n]['test_tensor'] != n) for e, n in zip(marks, names)
              if n in by_name),
          'quantized tensors as circles, float ones as squares')
    check(any('quantized' in e['classes'] for e in marks) and any('float' in e['classes'] for e in marks),
          'both kinds of mark present (the QDQ tensors and the float output y)')
    # isolated view: one diamond per row the CSV gives an isolated SQNR
    isolated = [e for e in tree.elements if 'mark-isolated' in e['classes']]
    want_iso = [r['tensor'] for r in rows if r.get('isolated_sqnr_db')]
    check(len(want_iso) >= 5 and sorted(e['text'].split(': isolated')[0] for e in isolated) == sorted(want_iso),
          'one isolated mark per row with an isolated SQNR (%d marks, %d rows)' % (len(isolated), len(want_iso)))
    # table: the CSV's rows in the CSV's order (worst isolated SQNR first), the CSV's values
    header, layer_rows = table_rows(tree, 'layers', with_header=True)
    col = {h: i for i, h in enumerate(header)}
    check([r[col['tensor']].split('TEST: ')[0] for r in layer_rows] == [r['tensor'] for r in rows],
          'table rows are the CSV rows in its order: %s' % [r[2] for r in layer_rows])
    iso = [float(r[col['isolated dB']]) for r in layer_rows]
    check(iso == sorted(iso), 'table ranked by isolated SQNR, worst first: %s' % iso)

    def same(shown, want):
        return want in ('inf', 'nan', '-inf') and shown == want or abs(float(shown) - float(want)) <= 1e-3 * max(
            1, abs(float(want)))

    check(all(same(r[col['accumulated dB']], c['sqnr_db']) and same(r[col['isolated dB']], c['isolated_sqnr_db'])
              and same(r[col['isolated cosine']], c['isolated_cosine'])
              and same(r[col['isolated in-range dB']], c['isolated_in_range_sqnr_db'])
              for r, c in zip(layer_rows, rows)),
          'table SQNR values (accumulated and isolated) are the CSV values')
    number = re.compile(r'^[0-9.e+-]+$')
    check(all(len(r) == len(header) and (r[col['TEST op']] == '-' or number.match(r[col['TEST ms']])) and
              (r[col['REF op']] == 'input' or number.match(r[col['REF ms']])) for r in layer_rows),
          '--profile: REF ms and TEST ms are numbers where a node writes the tensor')
    check(any('latency-chart' in e['classes'] for e in svgs), '--profile: the node time chart is there')

    # histograms: 3 worst, linear and log
    lin = [e for e in svgs if 'hist-linear' in e['classes']]
    log = [e for e in svgs if 'hist-log' in e['classes']]
    check(len(lin) == 3 and len(log) == 3, '--html-hist 3: three linear and three log histograms')
    w = models.weights()
    ref_vals = {k if k != 'relu' else HOSTILE: v for k, v in models.fp32_numpy(w, x).items()}
    ref_vals['y'] = ref_vals['gemm']
    figs = [e for e in tree.elements if e['tag'] == 'figcaption']
    data = [e['attrs'] for e in tree.elements if 'hist-data' in e['classes'] and 'svg' in e['parents']]
    check(len(data) == 6, 'each histogram carries its counts (%d)' % len(data))
    for cap, d in zip(figs, data[::2]):
        name = re.sub(r'^#\d+ ', '', cap['text']).rsplit(' (', 1)[0]
        counts = [int(v) for v in d['data-ref-counts'].split()]
        lo, hi = (float(v) for v in d['data-range'].split())
        ref = ref_vals.get(name)
        if not check(ref is not None, 'histogram of %r: a tensor of the model' % name):
            continue
        check(sum(counts) == ref.size, 'histogram of %r counts every element (%d of %d)' % (name, sum(counts),
                                                                                           ref.size))
        want, _ = np.histogram(np.clip(ref.ravel(), lo, hi), bins=len(counts), range=(lo, hi))
        moved = int(np.abs(np.asarray(counts) - want).sum())
        check(moved <= 4, "histogram of %r matches numpy's of the FP32 tensor (%d elements in other bins)"
              % (name, moved))
        tcounts = [int(v) for v in d['data-test-counts'].split()]
        check(sum(tcounts) == ref.size, "histogram of %r: TEST's counts every element" % name)
    # the scale and zero point of the hostile tensor's QuantizeLinear, as the test made them
    s, z = params['relu']
    qrows = [r for r in (table_rows_after(tree, cap) for cap in figs) if r]
    shown = [q for q in qrows if HOSTILE_NODE in q[1][1]]
    if check(len(shown) == 1, "the hostile tensor's QuantizeLinear parameters are shown in its histogram's table"):
        test_row = shown[0][1]
        check(abs(float(test_row[2]) - float(s)) <= 1e-6 * float(s) and test_row[3].startswith('%d (uint8)' % z),
              'its scale %s and zero point %s are the model\'s (%g, %d)' % (test_row[2], test_row[3], s, z))
        check(shown[0][0][1].startswith('none'), 'REF (float) has no parameters for it')

    check_errors(args)


def table_rows_after(tree, el):
    """The (REF, TEST) rows of the qparams table following element el."""
    i = tree.elements.index(el)
    t = next((e for e in tree.elements[i:] if e['tag'] == 'table' and 'qparams' in e['classes']), None)
    if t is None:
        return None
    j = tree.elements.index(t)
    trs = []
    for e in tree.elements[j + 1:]:
        if e['tag'] == 'table':
            break
        if e['tag'] == 'tr':
            trs.append(cells(e, tree))
    return trs[1:3] if len(trs) >= 3 else None


def check_errors(args):
    rc, out = run(args, REF_FILE, 'qdq.onnx', '--profile')
    check(rc == 2 and '--profile needs --html' in out, '--profile without --html: usage error (%d)' % rc)
    rc, out = run(args, REF_FILE, 'qdq.onnx', '--html', 'r.html', '--html-hist', '-1')
    check(rc == 2 and '--html-hist' in out, '--html-hist -1: usage error (%d)' % rc)
    rc, out = run(args, REF_FILE, 'qdq.onnx', '--html')
    check(rc == 2 and '--html needs a file name' in out, '--html without a file: usage error (%d)' % rc)
    bad = os.path.join(args.workdir, 'no-such-dir', 'r.html')
    rc, out = run(args, REF_FILE, 'qdq.onnx', '--html', bad)
    check(rc == 1 and 'cannot write' in out and 'REF ' not in out and not os.path.exists(bad),
          'an unwritable --html path fails before the models run (%d)' % rc)
    rc, out = run(args, 'missing.onnx', 'qdq.onnx', '--html', 'gone.html')
    check(rc == 1 and not os.path.exists(os.path.join(args.workdir, 'gone.html')),
          'a failure after the page was opened leaves no file (%d)' % rc)


# ---- render ----

# Shows the log-scale histograms beside the linear ones, so that one screenshot holds every chart.
SHOW_BOTH = '.hists .hist-log{display:block}'

BOXES_JS = """<script>
function boxes() {
  return Array.from(document.querySelectorAll('svg.chart')).map(function (s) {
    var r = s.getBoundingClientRect();
    return {cls: s.getAttribute('class'), x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height};
  });
}
var box = document.getElementById('logscale'), out = {linear: boxes()};
box.checked = true;
out.log = boxes();
box.checked = false;
var both = document.createElement('style');
both.textContent = '""" + SHOW_BOTH + """';
document.head.appendChild(both);
out.both = boxes();
out.page_h = document.documentElement.scrollHeight;
document.body.setAttribute('data-boxes', JSON.stringify(out));
</script>"""


def chromium(args, *flags):
    cmd = [args.chromium, '--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--mute-audio',
           '--no-first-run', '--disable-extensions', '--disable-background-networking', '--disable-component-update',
           '--disable-sync', '--force-device-scale-factor=1',
           '--user-data-dir=' + os.path.join(args.workdir, 'chromium-profile'), *flags]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    return p.returncode, p.stdout.decode('utf-8', 'replace')


def near(px, color, tol=10):
    return all(abs(a - b) <= tol for a, b in zip(px, color))


def check_region(img, box, colors, what):
    x0, y0 = int(box['x']), int(box['y'])
    region = img.crop((x0, y0, x0 + int(box['w']), y0 + int(box['h'])))
    px = list(region.getdata())
    distinct = len(set(px))
    check(distinct >= 4, '%s: the chart region holds %d colours' % (what, distinct))
    for c in colors:
        n = sum(1 for p in px if near(p, c))
        check(n >= 20, '%s: data colour #%02x%02x%02x drawn (%d pixels)' % ((what,) + c + (n,)))


def check_render(args):
    if not args.chromium:
        print('SKIP: chromium not found (Debian package chromium; tools/install-deps.sh installs it)')
        sys.exit(77)
    from PIL import Image
    save_models(args.workdir)
    if not make_report(args):
        return
    page_path = os.path.join(args.workdir, 'report.html')
    with open(page_path, encoding='utf-8') as f:
        page = f.read()
    # One Chromium run: a copy of the page with a script added that reads every chart's box with the log-scale
    # box off, on, then with a style that shows both kinds of histogram (the state the screenshot shows).
    probe = os.path.join(args.workdir, 'probe.html')
    with open(probe, 'w', encoding='utf-8') as f:
        f.write(page.replace('</body>', BOXES_JS + '</body>'))
    width, height = 1280, 4000
    png = os.path.join(args.workdir, 'report.png')
    rc, dom = chromium(args, '--window-size=%d,%d' % (width, height), '--screenshot=' + png, '--dump-dom',
                       'file://' + probe)
    m = re.search(r'data-boxes="([^"]*)"', dom)
    if not check(rc == 0 and m and os.path.isfile(png),
                 "chromium renders the page to PNG and its DOM gives the charts' boxes (exit %d)" % rc):
        return
    layout = json.loads(html.unescape(m.group(1)))
    check(layout['page_h'] <= height, 'the page (%d px high) fits the screenshot' % layout['page_h'])

    def shown(boxes):
        return sorted(b['cls'] for b in boxes if b['w'] > 0 and b['h'] > 0)

    charts = ['chart latency-chart', 'chart sqnr-chart']
    check(shown(layout['linear']) == sorted(charts + ['chart hist hist-linear'] * 3),
          'the page shows the SQNR and node time charts and 3 linear histograms: %s' % shown(layout['linear']))
    check(shown(layout['log']) == sorted(charts + ['chart hist hist-log'] * 3),
          'the log-scale box checked, it shows the 3 log histograms instead: %s' % shown(layout['log']))
    img = Image.open(png).convert('RGB')
    visible = [b for b in layout['both'] if b['w'] > 0 and b['h'] > 0]
    check(len(visible) == 8, '8 charts to look at (SQNR, node times, 3 linear and 3 log histograms): %d'
          % len(visible))
    for b in visible:
        cls = b['cls']
        if not check(b['x'] + b['w'] <= img.size[0] and b['y'] + b['h'] <= img.size[1],
                     '%s: inside the screenshot' % cls):
            continue
        colors = ([QUANT, FLOAT, ISOLATED] if 'sqnr-chart' in cls else [REF_MS, TEST_MS] if 'latency-chart' in cls
                  else [REF_HIST, TEST_HIST])
        check_region(img, b, colors, cls)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--case', choices=('page', 'render'), required=True)
    ap.add_argument('--qinfer', required=True)
    ap.add_argument('--chromium', default='')
    ap.add_argument('--workdir', required=True)
    args = ap.parse_args()
    args.qinfer = os.path.abspath(args.qinfer)
    shutil.rmtree(args.workdir, ignore_errors=True)
    os.makedirs(args.workdir)
    (check_page if args.case == 'page' else check_render)(args)
    if FAILURES:
        print('%d check(s) failed' % len(FAILURES))
        sys.exit(1)
    print('all checks passed')


if __name__ == '__main__':
    main()
