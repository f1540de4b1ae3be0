#!/usr/bin/env python3
"""Tests of engine/quant/image (PNG / JPEG decoding, preprocessing) through tests/image/image_tool.c.

  image_tests.py --dir DIR --tool IMAGE_TOOL corpus|png|jpeg|preprocess|malformed

corpus      writes the test images into DIR/corpus (nothing binary is committed): PNGs saved by PIL in every
            mode it writes, PNGs made here (zlib + struct) for every color type x bit depth x interlace, with
            every filter type, several IDAT chunks and stored / fixed / dynamic DEFLATE blocks; JPEGs saved by
            PIL (qualities 50/90/100, 4:4:4 / 4:2:2 / 4:2:0, gray, progressive, optimized tables) and JPEGs
            made by the small encoder below for what PIL cannot write (restart intervals, non-interleaved
            scans, 4:4:0, 4:1:1, 2x2/2x1/1x1 mixes, Adobe RGB, progressive with restarts).
png         every PNG must decode to exactly the expected pixels (PIL's decoding, or the samples written).
jpeg        every JPEG is compared with PIL (libjpeg-turbo, ISLOW IDCT, fancy upsampling): max / mean |diff|
            must stay within JPEG_MAX_DIFF / JPEG_MEAN_DIFF.
preprocess  the float tensors must match a numpy implementation of the documented resize / normalize /
            layout convention (and PyTorch's bilinear interpolate when torch is installed); bad options and
            shape mismatches must fail with their messages.
malformed   every truncation of small valid files, seeded random corruptions (in process) and absurd
            dimensions must give a clean error.
"""
import argparse
import glob
import heapq
import io
import json
import math
import os
import re
import struct
import subprocess
import sys
import zlib

import numpy as np
from PIL import Image

# Measured against PIL 9.4 / libjpeg-turbo 2.1 on this corpus (docs/cli.md): max 3, mean 0.036 over all
# samples (0.055 in the worst file), 97.0% of samples identical. Upsampling and color conversion match
# libjpeg's; the rest is the IDCT: ours rounds the exact transform where ISLOW's 13-bit fixed point is off
# by one now and then, and one unit of Cb / Cr moves B / R by up to 2 after the 1.772 / 1.402 factors.
# (With plain sample replication instead of fancy upsampling the max is 98 and the mean 5.)
JPEG_MAX_DIFF = 3
JPEG_MEAN_DIFF = 0.06  # per file
JPEG_MEAN_ALL = 0.045  # over every sample of the corpus
JPEG_IDENTICAL = 0.95  # share of samples equal to PIL's


def natural_image(h, w, seed):
    """Smooth gradients, waves, hard edges and noise: enough structure for every DCT coefficient."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 128 + 90 * np.sin(x / 5.0 + seed) * np.cos(y / 7.0)
    g = 255 * (x + y) / max(h + w - 2, 1)
    b = np.where(((x // 6) + (y // 5)) % 2 == 0, 200.0, 40.0)
    img = np.stack([r, g, b], -1) + rng.normal(0, 10, (h, w, 3))
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


# ---------------------------------------------------------------------------------------------------------
# PNG writer for what PIL does not write: any color type / bit depth, Adam7, chosen filters, split IDATs.

ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def png_chunk(kind, data):
    return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff)


def pack_row(samples, depth):
    """One row of samples (ints) as PNG bytes: packed MSB first below 8 bits, big-endian at 16."""
    if depth == 16:
        return np.asarray(samples, '>u2').tobytes()
    if depth == 8:
        return np.asarray(samples, np.uint8).tobytes()
    per = 8 // depth
    out = bytearray((len(samples) + per - 1) // per)
    for i, v in enumerate(samples):
        out[i // per] |= int(v) << (8 - depth * (i % per + 1))
    return bytes(out)


def filter_row(raw, prev, bpp, kind):
    x = np.frombuffer(raw, np.uint8).astype(np.int32)
    b = np.frombuffer(prev, np.uint8).astype(np.int32) if prev is not None else np.zeros_like(x)
    a = np.concatenate([np.zeros(bpp, np.int32), x[:-bpp]])[:len(x)]
    c = np.concatenate([np.zeros(bpp, np.int32), b[:-bpp]])[:len(x)]
    if kind == 0:
        pred = np.zeros_like(x)
    elif kind == 1:
        pred = a
    elif kind == 2:
        pred = b
    elif kind == 3:
        pred = (a + b) // 2
    else:
        p = a + b - c
        pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
        pred = np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))
    return bytes([kind]) + ((x - pred) & 255).astype(np.uint8).tobytes()


def make_png(samples, depth, color, interlace, palette=None, level=6, strategy=zlib.Z_DEFAULT_STRATEGY,
             n_idat=1, extra=()):
    """samples: (h, w, channels) ints. Filters cycle 0..4 over the rows (shifted per pass)."""
    h, w, ch = samples.shape
    bpp = max(1, ch * depth // 8)
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    raw = bytearray()
    for p, (x0, y0, dx, dy) in enumerate(passes):
        sub = samples[y0::dy, x0::dx]
        if sub.shape[0] == 0 or sub.shape[1] == 0:
            continue
        prev = None
        for r in range(sub.shape[0]):
            row = pack_row(sub[r].reshape(-1), depth)
            raw += filter_row(row, prev, bpp, (r + p) % 5)
            prev = row
    comp = zlib.compressobj(level, zlib.DEFLATED, 15, 9, strategy)
    data = comp.compress(bytes(raw)) + comp.flush()
    cuts = sorted({0, len(data)} | {len(data) * k // n_idat for k in range(1, n_idat)})
    out = b'\x89PNG\r\n\x1a\n' + png_chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, depth, color, 0, 0, interlace))
    for kind, body in extra:
        out += png_chunk(kind, body)
    if palette is not None:
        out += png_chunk(b'PLTE', palette.astype(np.uint8).tobytes())
    for a, b in zip(cuts, cuts[1:]):
        out += png_chunk(b'IDAT', data[a:b])
    return out + png_chunk(b'IEND', b'')


def png_expected(samples, depth, color, palette=None):
    """The RGB image the decoder must produce (image.h: 16-bit -> high byte, low-depth gray scaled)."""
    s = samples.astype(np.int64)
    if color == 3:
        return palette[s[..., 0]].astype(np.uint8)
    if depth == 16:
        s = s >> 8
    elif depth < 8:
        s = s * 255 // ((1 << depth) - 1)
    if color in (0, 4):
        return np.repeat(s[..., :1], 3, -1).astype(np.uint8)
    return s[..., :3].astype(np.uint8)


# ---------------------------------------------------------------------------------------------------------
# A small JPEG encoder (sequential and progressive Huffman), for what PIL cannot write. Optimal Huffman
# tables per scan, limited to 16 bits the way T.81 Annex K.2 describes.

ZIGZAG = sorted(((i, j) for i in range(8) for j in range(8)),
                key=lambda t: (t[0] + t[1], t[0] if (t[0] + t[1]) % 2 else -t[0]))
ZIGZAG = np.array([i * 8 + j for i, j in ZIGZAG])
QT_LUMA = np.array([16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
                    14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
                    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99])
QT_CHROMA = np.full(64, 99)
QT_CHROMA[[0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 24, 25]] = [17, 18, 24, 47, 18, 21, 26, 66, 24, 26, 56, 47, 66]
DCT = np.array([[(math.sqrt(0.5) if u == 0 else 1.0) / 2 * math.cos((2 * x + 1) * u * math.pi / 16)
                 for x in range(8)] for u in range(8)])


def quant_table(base, quality):
    scale = 5000 // quality if quality < 50 else 200 - 2 * quality
    return np.clip((base * scale + 50) // 100, 1, 255)


def huffman_table(freq):
    """Code lengths from symbol counts, limited to 16 bits; returns (bits[16], symbols in code order)."""
    syms = sorted(freq)
    heap = [(freq[s], s, [s]) for s in syms] + [(0, 256, [256])]  # 256 reserves the all-ones code
    heapq.heapify(heap)
    length = {s: 0 for s in syms + [256]}
    if len(heap) == 1:
        length[256] = 1
    while len(heap) > 1:
        f1, k1, a = heapq.heappop(heap)
        f2, k2, b = heapq.heappop(heap)
        for s in a + b:
            length[s] += 1
        heapq.heappush(heap, (f1 + f2, min(k1, k2), a + b))
    bits = [0] * 40
    for s, n in length.items():
        bits[n] += 1
    for i in range(39, 16, -1):
        while bits[i] > 0:
            j = i - 2
            while bits[j] == 0:
                j -= 1
            bits[i] -= 2
            bits[i - 1] += 1
            bits[j + 1] += 2
            bits[j] -= 1
    i = 16
    while bits[i] == 0:
        i -= 1
    bits[i] -= 1  # drop the reserved code
    order = sorted(syms, key=lambda s: (length[s], s))
    return bits[1:17], order


def canonical_codes(bits, order):
    codes, code, k = {}, 0, 0
    for n in range(1, 17):
        for _ in range(bits[n - 1]):
            codes[order[k]] = (code, n)
            code += 1
            k += 1
        code <<= 1
    return codes


class BitWriter:
    def __init__(self):
        self.out, self.acc, self.n = bytearray(), 0, 0

    def put(self, value, n):
        self.acc = (self.acc << n) | (value & ((1 << n) - 1))
        self.n += n
        while self.n >= 8:
            byte = (self.acc >> (self.n - 8)) & 255
            self.out.append(byte)
            if byte == 0xFF:
                self.out.append(0)
            self.n -= 8
            self.acc &= (1 << self.n) - 1

    def flush(self):
        if self.n:
            self.put((1 << (8 - self.n)) - 1, 8 - self.n)


def category(v):
    return abs(int(v)).bit_length()


def magnitude_bits(v, s):
    return v if v >= 0 else v + (1 << s) - 1


class JpegEncoder:
    """comps: list of (id, h, v, table) with table 0 (luma) or 1 (chroma)."""

    def __init__(self, rgb, comps, quality=75, gray=False, transform=True):
        self.h, self.w = rgb.shape[:2]
        self.comps = comps
        self.hmax = max(c[1] for c in comps)
        self.vmax = max(c[2] for c in comps)
        self.mcux = -(-self.w // (8 * self.hmax))
        self.mcuy = -(-self.h // (8 * self.vmax))
        self.qt = [quant_table(QT_LUMA, quality), quant_table(QT_CHROMA, quality)]
        f = rgb.astype(np.float64)
        if gray:
            planes = [f[..., 0] * 0.299 + f[..., 1] * 0.587 + f[..., 2] * 0.114]
        elif transform:
            r, g, b = f[..., 0], f[..., 1], f[..., 2]
            planes = [0.299 * r + 0.587 * g + 0.114 * b, -0.168736 * r - 0.331264 * g + 0.5 * b + 128,
                      0.5 * r - 0.418688 * g - 0.081312 * b + 128]
        else:
            planes = [f[..., 0], f[..., 1], f[..., 2]]
        ph, pw = self.mcuy * 8 * self.vmax, self.mcux * 8 * self.hmax
        self.coef, self.dims = [], []
        for plane, (_, ch, cv, tab) in zip(planes, comps):
            p = np.pad(plane, ((0, ph - self.h), (0, pw - self.w)), mode='edge')
            fy, fx = self.vmax // cv, self.hmax // ch
            p = p.reshape(ph // fy, fy, pw // fx, fx).mean(axis=(1, 3)) - 128
            bh, bw = p.shape[0] // 8, p.shape[1] // 8
            blocks = p.reshape(bh, 8, bw, 8).transpose(0, 2, 1, 3)
            freq = np.einsum('ux,abxy,vy->abuv', DCT, blocks, DCT).reshape(bh, bw, 64)
            q = np.round(freq / self.qt[tab]).astype(np.int64)
            self.coef.append(q[:, :, ZIGZAG])
            self.dims.append((-(-self.w * ch // self.hmax), -(-self.h * cv // self.vmax)))

    def mcus(self, scomps):
        if len(scomps) == 1:
            c = scomps[0]
            dw, dh = self.dims[c]
            for by in range(-(-dh // 8)):
                for bx in range(-(-dw // 8)):
                    yield [(c, by, bx)]
        else:
            for my in range(self.mcuy):
                for mx in range(self.mcux):
                    yield [(c, my * self.comps[c][2] + y, mx * self.comps[c][1] + x) for c in scomps
                           for y in range(self.comps[c][2]) for x in range(self.comps[c][1])]

    def scan_events(self, scomps, kind, ss=0, se=63, al=0, restart=0):
        """('h', (class, table), symbol) / ('b', value, n) / ('rst', n) events of one scan."""
        ev, pred, eobrun, rst = [], {c: 0 for c in scomps}, [0], 0

        def flush_eob(c):
            if eobrun[0]:
                r = eobrun[0].bit_length() - 1
                ev.append(('h', (1, self.comps[c][3]), r << 4))
                if r:
                    ev.append(('b', eobrun[0] - (1 << r), r))
                eobrun[0] = 0

        def run_length(blk, c, first, last, eob_run):
            run = 0
            nz = [k for k in range(first, last + 1) if blk[k]]
            for k in range(first, (nz[-1] if nz else first - 1) + 1):
                if blk[k] == 0:
                    run += 1
                    continue
                if eob_run:
                    flush_eob(c)
                while run > 15:
                    ev.append(('h', (1, self.comps[c][3]), 0xF0))
                    run -= 16
                s = category(blk[k])
                ev.append(('h', (1, self.comps[c][3]), (run << 4) | s))
                ev.append(('b', magnitude_bits(int(blk[k]), s), s))
                run = 0
            if not nz or nz[-1] < last:
                if eob_run:
                    eobrun[0] += 1
                    if eobrun[0] == 0x7FFF:
                        flush_eob(c)
                else:
                    ev.append(('h', (1, self.comps[c][3]), 0))

        for m, mcu in enumerate(self.mcus(scomps)):
            if restart and m and m % restart == 0:
                flush_eob(scomps[0])
                ev.append(('rst', rst))
                rst = (rst + 1) % 8
                pred = {c: 0 for c in scomps}
            for c, by, bx in mcu:
                blk = self.coef[c][by, bx]
                if kind in ('seq', 'dc'):
                    v = int(blk[0]) >> al
                    diff, pred[c] = v - pred[c], v
                    s = category(diff)
                    ev.append(('h', (0, self.comps[c][3]), s))
                    if s:
                        ev.append(('b', magnitude_bits(diff, s), s))
                    if kind == 'seq':
                        run_length(blk, c, 1, 63, False)
                elif kind == 'dcr':
                    ev.append(('b', (int(blk[0]) >> al) & 1, 1))
                else:
                    run_length(blk, c, ss, se, True)
        if kind == 'ac':
            flush_eob(scomps[0])
        return ev

    def encode(self, scans, restart=0, progressive=False, jfif=True, adobe=None):
        """scans: list of (component indices, kind, ss, se, ah, al)."""
        seg = lambda m, body: bytes([0xFF, m]) + struct.pack('>H', len(body) + 2) + body
        out = b'\xff\xd8'
        if jfif:
            out += seg(0xE0, b'JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00')
        if adobe is not None:
            out += seg(0xEE, b'Adobe' + struct.pack('>HHHB', 100, 0, 0, adobe))
        for t in range(2):
            out += seg(0xDB, bytes([t]) + bytes(int(v) for v in self.qt[t][ZIGZAG]))
        sof = struct.pack('>BHHB', 8, self.h, self.w, len(self.comps))
        for cid, ch, cv, tab in self.comps:
            sof += bytes([cid, ch << 4 | cv, tab])
        out += seg(0xC2 if progressive else 0xC0, sof)
        if restart:
            out += seg(0xDD, struct.pack('>H', restart))
        for scomps, kind, ss, se, ah, al in scans:
            ev = self.scan_events(scomps, kind, ss, se, al, restart)
            freqs = {}
            for e in ev:
                if e[0] == 'h':
                    freqs.setdefault(e[1], {}).setdefault(e[2], 0)
                    freqs[e[1]][e[2]] += 1
            codes = {}
            for key in sorted(freqs):
                bits, order = huffman_table(freqs[key])
                codes[key] = canonical_codes(bits, order)
                out += seg(0xC4, bytes([key[0] << 4 | key[1]] + bits + order))
            sos = bytes([len(scomps)])
            for c in scomps:
                sos += bytes([self.comps[c][0], self.comps[c][3] << 4 | self.comps[c][3]])
            out += seg(0xDA, sos + bytes([ss, se, ah << 4 | al]))
            bw = BitWriter()
            for e in ev:
                if e[0] == 'h':
                    bw.put(*codes[e[1]][e[2]])
                elif e[0] == 'b':
                    bw.put(e[1], e[2])
                else:
                    bw.flush()
                    bw.out += bytes([0xFF, 0xD0 + e[1]])
            bw.flush()
            out += bytes(bw.out)
        return out + b'\xff\xd9'


def sequential_scans(n, interleaved=True):
    if interleaved:
        return [(list(range(n)), 'seq', 0, 63, 0, 0)]
    return [([c], 'seq', 0, 63, 0, 0) for c in range(n)]


def progressive_scans(n):
    """DC with successive approximation (Al 1, then the refinement bit), AC by spectral selection (Al 0)."""
    scans = [(list(range(n)), 'dc', 0, 0, 0, 1), ([0], 'ac', 1, 5, 0, 0), ([0], 'ac', 6, 63, 0, 0)]
    scans += [([c], 'ac', 1, 63, 0, 0) for c in range(1, n)]
    return scans + [(list(range(n)), 'dcr', 0, 0, 1, 0)]


# ---------------------------------------------------------------------------------------------------------
# corpus

def write(path, data):
    with open(path, 'wb') as f:
        f.write(data)


def make_corpus(d):
    os.makedirs(d, exist_ok=True)
    for old in glob.glob(os.path.join(d, '*')):
        os.remove(old)
    manifest = {}  # file -> how to check it
    rng = np.random.default_rng(1234)

    # PNGs saved by PIL, checked against PIL's own decoding
    base = natural_image(23, 37, 1)
    pil = Image.fromarray(base)
    pil_pngs = {
        'pil_rgb.png': (pil, {}), 'pil_rgb_stored.png': (pil, {'compress_level': 0}),
        'pil_rgb_fast.png': (pil, {'compress_level': 1}), 'pil_rgb_opt.png': (pil, {'optimize': True}),
        'pil_rgba.png': (pil.convert('RGBA'), {}), 'pil_l.png': (pil.convert('L'), {}),
        'pil_la.png': (pil.convert('LA'), {}), 'pil_1bit.png': (pil.convert('1'), {}),
        'pil_p256.png': (pil.convert('P', palette=Image.ADAPTIVE, colors=256), {}),
        'pil_p16.png': (pil.convert('P', palette=Image.ADAPTIVE, colors=16), {}),
        'pil_p4.png': (pil.convert('P', palette=Image.ADAPTIVE, colors=4), {}),
        'pil_p2.png': (pil.convert('P', palette=Image.ADAPTIVE, colors=2), {}),
        'pil_p_trns.png': (pil.convert('P', palette=Image.ADAPTIVE, colors=8), {'transparency': 3}),
        'pil_rgb_trns.png': (pil, {'transparency': (10, 20, 30)}),
        'pil_1x1.png': (Image.fromarray(base[:1, :1]), {}),
        'pil_big.png': (Image.fromarray(natural_image(150, 200, 7)), {}),
    }
    for name, (im, opts) in pil_pngs.items():
        im.save(os.path.join(d, name), **opts)
        manifest[name] = 'pil'
    g16 = rng.integers(0, 65536, (19, 11)).astype(np.uint16)
    Image.fromarray(g16, 'I;16').save(os.path.join(d, 'pil_gray16.png'))
    np.save(os.path.join(d, 'pil_gray16.png.expected.npy'), png_expected(g16[..., None], 16, 0))
    manifest['pil_gray16.png'] = 'expected'

    # PNGs written here: every color type and depth, both interlace methods, odd sizes
    combos = [(0, 1), (0, 2), (0, 4), (0, 8), (0, 16), (2, 8), (2, 16), (3, 1), (3, 2), (3, 4), (3, 8),
              (4, 8), (4, 16), (6, 8), (6, 16)]
    sizes = [(1, 1), (5, 3), (13, 17), (9, 33)]
    k = 0
    for color, depth in combos:
        for interlace in (0, 1):
            for h, w in sizes:
                ch = CHANNELS[color]
                top = (1 << depth) if color != 3 else min(1 << depth, 200)
                samples = rng.integers(0, top, (h, w, ch))
                palette = rng.integers(0, 256, (top, 3)) if color == 3 else None
                level = [0, 1, 6, 9][k % 4]
                strategy = [zlib.Z_DEFAULT_STRATEGY, zlib.Z_FIXED, zlib.Z_HUFFMAN_ONLY, zlib.Z_RLE][(k // 4) % 4]
                extra = [(b'tEXt', b'Comment\x00qinfer'), (b'gAMA', struct.pack('>I', 45455))] if k % 3 == 0 else []
                name = f'gen_c{color}_d{depth}_i{interlace}_{h}x{w}.png'
                write(os.path.join(d, name), make_png(samples, depth, color, interlace, palette, level, strategy,
                                                      n_idat=1 + k % 3, extra=extra))
                np.save(os.path.join(d, name + '.expected.npy'), png_expected(samples, depth, color, palette))
                manifest[name] = 'expected'
                k += 1

    # JPEGs saved by PIL
    for h, w in [(48, 64), (23, 37), (1, 1), (100, 17), (9, 130), (192, 256)]:
        im = Image.fromarray(natural_image(h, w, h + w))
        for q in (50, 90, 100):
            for ss in (0, 1, 2):
                name = f'pil_q{q}_s{ss}_{h}x{w}.jpg'
                im.save(os.path.join(d, name), quality=q, subsampling=ss)
                manifest[name] = 'jpeg'
        for ss in (0, 2):
            name = f'pil_prog_s{ss}_{h}x{w}.jpg'
            im.save(os.path.join(d, name), quality=85, subsampling=ss, progressive=True)
            manifest[name] = 'jpeg'
        name = f'pil_gray_{h}x{w}.jpg'
        im.convert('L').save(os.path.join(d, name), quality=80)
        manifest[name] = 'jpeg'
        name = f'pil_gray_prog_{h}x{w}.jpg'
        im.convert('L').save(os.path.join(d, name), quality=80, progressive=True)
        manifest[name] = 'jpeg'
        name = f'pil_opt_{h}x{w}.jpg'
        im.save(os.path.join(d, name), quality=70, optimize=True)
        manifest[name] = 'jpeg'

    # JPEGs from the encoder above
    img = natural_image(45, 61, 3)
    ycc = lambda yh, yv, ch=1, cv=1, ch2=None, cv2=None: [(1, yh, yv, 0), (2, ch, cv, 1),
                                                          (3, ch if ch2 is None else ch2, cv if cv2 is None else cv2, 1)]
    own = {
        'own_420_rst1.jpg': (ycc(2, 2), dict(restart=1)),
        'own_420_rst3.jpg': (ycc(2, 2), dict(restart=3)),
        'own_422_rst7.jpg': (ycc(2, 1), dict(restart=7)),
        'own_444_rst2.jpg': (ycc(1, 1), dict(restart=2)),
        'own_440.jpg': (ycc(1, 2), {}),
        'own_411.jpg': (ycc(4, 1), {}),
        'own_mixed.jpg': (ycc(2, 2, 2, 1, 1, 1), {}),
        'own_noninterleaved.jpg': (ycc(2, 2), dict(interleaved=False)),
        'own_noninterleaved_rst5.jpg': (ycc(2, 1), dict(interleaved=False, restart=5)),
        'own_prog.jpg': (ycc(2, 2), dict(progressive=True)),
        'own_prog_rst2.jpg': (ycc(2, 2), dict(progressive=True, restart=2)),
        'own_prog_444_rst1.jpg': (ycc(1, 1), dict(progressive=True, restart=1)),
        'own_gray_rst4.jpg': ([(1, 1, 1, 0)], dict(restart=4, gray=True)),
        'own_gray_prog_rst3.jpg': ([(1, 1, 1, 0)], dict(progressive=True, restart=3, gray=True)),
        'own_adobe_rgb.jpg': ([(1, 1, 1, 0), (2, 1, 1, 0), (3, 1, 1, 0)], dict(transform=False, adobe=0)),
        'own_ids_rgb.jpg': ([(82, 1, 1, 0), (71, 1, 1, 0), (66, 1, 1, 0)], dict(transform=False, jfif=False)),
        'own_tiny_420.jpg': (ycc(2, 2), dict(size=(3, 5))),
        'own_tiny_422.jpg': (ycc(2, 1), dict(size=(7, 4))),
    }
    for name, (comps, o) in own.items():
        src = img[:o['size'][0], :o['size'][1]] if 'size' in o else img
        enc = JpegEncoder(src, comps, quality=80, gray=o.get('gray', False), transform=o.get('transform', True))
        n = len(comps)
        scans = progressive_scans(n) if o.get('progressive') else sequential_scans(n, o.get('interleaved', True))
        write(os.path.join(d, name), enc.encode(scans, o.get('restart', 0), o.get('progressive', False),
                                                o.get('jfif', True), o.get('adobe')))
        manifest[name] = 'jpeg'

    with open(os.path.join(d, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=0, sort_keys=True)
    print(f'{len(manifest)} images in {d}')
    return 0


# ---------------------------------------------------------------------------------------------------------
# checks

def load_manifest(d):
    with open(os.path.join(d, 'manifest.json')) as f:
        return json.load(f)


def decode_all(tool, d, names, out=None):
    """Decodes d/NAME for each name into out (default DIR/decoded); returns out and {name: (ok|error, text)}."""
    out = out or os.path.join(os.path.dirname(d), 'decoded')
    os.makedirs(out, exist_ok=True)
    r = subprocess.run([tool, 'decode', out] + [os.path.join(d, n) for n in names], capture_output=True, text=True)
    if r.stderr:
        print(r.stderr)
    results = {}
    for line in r.stdout.splitlines():
        m = re.match(r'(ok|error) (\S+?):? (.*)', line)
        if m:
            results[m.group(2)] = (m.group(1), m.group(3))
    return out, results


def decode_corpus(tool, d, suffix):
    """Decodes the corpus files ending in suffix: (manifest, names, {name: pixels}, count of failed decodes)."""
    manifest = load_manifest(d)
    names = sorted(n for n in manifest if n.endswith(suffix))
    out, results = decode_all(tool, d, names)
    decoded, failures = {}, 0
    for n in names:
        status, msg = results.get(n, ('missing', ''))
        if status == 'ok':
            decoded[n] = np.load(os.path.join(out, n + '.npy'))
        else:
            print(f'FAIL {n}: {status} {msg}')
            failures += 1
    return manifest, names, decoded, failures


def check_png(tool, d):
    manifest, names, decoded, failures = decode_corpus(tool, d, '.png')
    for n, got in decoded.items():
        if manifest[n] == 'pil':
            want = np.asarray(Image.open(os.path.join(d, n)).convert('RGB'))
        else:
            want = np.load(os.path.join(d, n + '.expected.npy'))
        if got.shape != want.shape or not np.array_equal(got, want):
            diff = (np.abs(got.astype(int) - want.astype(int)).max() if got.shape == want.shape else 'shape')
            print(f'FAIL {n}: shape {got.shape} vs {want.shape}, max diff {diff}')
            failures += 1
        # the files written here must also match PIL where PIL reads them alike (all but 16-bit gray, which PIL
        # clips instead of keeping the high byte): a second oracle for the expected arrays
        if manifest[n] == 'expected' and 'c0_d16' not in n and 'gray16' not in n:
            if not np.array_equal(got, np.asarray(Image.open(os.path.join(d, n)).convert('RGB'))):
                print(f'FAIL {n}: differs from PIL')
                failures += 1
    print(f'{len(names)} PNG files, {len(names) - failures} exact' if not failures else f'{failures} PNG failures')
    return 1 if failures else 0


def check_jpeg(tool, d):
    _, names, decoded, failures = decode_corpus(tool, d, '.jpg')
    worst, total_diff, total_px, exact = 0, 0.0, 0, 0
    for n, got in decoded.items():
        got = got.astype(int)
        want = np.asarray(Image.open(os.path.join(d, n)).convert('RGB')).astype(int)
        if got.shape != want.shape:
            print(f'FAIL {n}: shape {got.shape}, PIL {want.shape}')
            failures += 1
            continue
        diff = np.abs(got - want)
        mx, mean = int(diff.max()), float(diff.mean())
        worst = max(worst, mx)
        total_diff += float(diff.sum())
        total_px += diff.size
        exact += int((diff == 0).sum())
        flag = 'FAIL ' if mx > JPEG_MAX_DIFF or mean > JPEG_MEAN_DIFF else ''
        if flag or os.environ.get('QI_IMAGE_VERBOSE'):
            print(f'{flag}{n}: max |diff| {mx}, mean {mean:.4f}')
        failures += bool(flag)
    mean_all, identical = total_diff / max(total_px, 1), exact / max(total_px, 1)
    print(f'{len(names)} JPEG files vs PIL: max |diff| {worst} (bound {JPEG_MAX_DIFF}), mean |diff| {mean_all:.5f} '
          f'(bound {JPEG_MEAN_ALL}; per file {JPEG_MEAN_DIFF}), {100.0 * identical:.3f}% of samples identical '
          f'(bound {100.0 * JPEG_IDENTICAL:.0f}%)')
    if mean_all > JPEG_MEAN_ALL or identical < JPEG_IDENTICAL:
        print('FAIL: the corpus as a whole is too far from PIL')
        failures += 1
    if failures:
        print(f'{failures} JPEG failures')
    return 1 if failures else 0


def resize_oracle(img, rh, rw):
    """Bilinear, half-pixel centers, clamped: the convention of engine/quant/image/preprocess.h, in float64."""
    h, w = img.shape[:2]

    def coords(n_in, n_out):
        s = np.maximum((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0)
        i0 = np.minimum(np.floor(s).astype(int), n_in - 1)
        i1 = np.minimum(i0 + 1, n_in - 1)
        return i0, i1, np.where(i0 >= n_in - 1, 0.0, s - i0)

    y0, y1, fy = coords(h, rh)
    x0, x1, fx = coords(w, rw)
    f = img.astype(np.float64)
    top = f[y0][:, x0] * (1 - fx)[None, :, None] + f[y0][:, x1] * fx[None, :, None]
    bot = f[y1][:, x0] * (1 - fx)[None, :, None] + f[y1][:, x1] * fx[None, :, None]
    return top * (1 - fy)[:, None, None] + bot * fy[:, None, None]


def preprocess_oracle(img, H, W, resize='stretch', crop=1.0, mean=(0, 0, 0), std=(1, 1, 1), bgr=False, nhwc=False):
    h, w = img.shape[:2]
    if resize == 'stretch':
        out = resize_oracle(img, H, W)
    else:
        s = max(H / h, W / w) / crop
        rh, rw = max(H, int(math.floor(h * s + 0.5))), max(W, int(math.floor(w * s + 0.5)))
        t, l = (rh - H) // 2, (rw - W) // 2
        out = resize_oracle(img, rh, rw)[t:t + H, l:l + W]
    if bgr:
        out = out[..., ::-1]
    out = (out - np.array(mean, np.float64)) / np.array(std, np.float64)
    return (out if nhwc else out.transpose(2, 0, 1))[None].astype(np.float32)


IMAGENET = dict(mean=(123.675, 116.28, 103.53), std=(58.395, 57.12, 57.375))


def check_preprocess(tool, d):
    work = os.path.join(os.path.dirname(d), 'pre')
    os.makedirs(work, exist_ok=True)
    land, port = os.path.join(work, 'land.png'), os.path.join(work, 'port.png')
    Image.fromarray(natural_image(48, 64, 11)).save(land)
    Image.fromarray(natural_image(90, 35, 12)).save(port)
    dot, line = os.path.join(work, 'dot.png'), os.path.join(work, 'line.png')
    Image.fromarray(natural_image(1, 1, 13)).save(dot)
    Image.fromarray(natural_image(1, 40, 14)).save(line)
    imgs = {land: natural_image(48, 64, 11), port: natural_image(90, 35, 12), dot: natural_image(1, 1, 13),
            line: natural_image(1, 40, 14)}
    cases = [  # file, model dims, options, oracle arguments
        (land, '1,3,-1,-1', ['--size', '20x16'], dict(H=20, W=16)),
        (land, '1,3,-1,-1', ['--size=100x150', '--mean', '10,20,30', '--std', '2,3,4'],
         dict(H=100, W=150, mean=(10, 20, 30), std=(2, 3, 4))),
        (land, '1,3,12,10', [], dict(H=12, W=10)),
        (land, '-1,3,-1,-1', ['--preset', 'imagenet'], dict(H=224, W=224, resize='crop', crop=0.875, **IMAGENET)),
        (port, '-1,3,224,224', ['--preset=imagenet'],
         dict(H=224, W=224, resize='crop', crop=0.875, **IMAGENET)),
        (port, '1,-1,-1,-1', ['--size', '30x40', '--resize', 'shorter-crop'], dict(H=30, W=40, resize='crop')),
        (land, '1,-1,-1,3', ['--preset', 'facenet'], dict(H=160, W=160, mean=(127.5,) * 3, std=(128,) * 3, nhwc=True)),
        (port, '1,3,112,112', ['--preset', 'arcface'], dict(H=112, W=112, mean=(127.5,) * 3, std=(127.5,) * 3)),
        (land, '1,3,112,112', ['--preset', 'adaface'],
         dict(H=112, W=112, mean=(127.5,) * 3, std=(127.5,) * 3, bgr=True)),
        (port, '1,3,-1,-1', ['--size', '7x5', '--bgr', '--scale', '0.00392156862745098', '--mean', '1,2,3'],
         dict(H=7, W=5, bgr=True, mean=(1, 2, 3), std=(255.0,) * 3)),
        (land, '1,-1,-1,-1', ['--size', '9', '--layout', 'nhwc', '--resize', 'shorter-crop', '--crop-fraction', '0.5'],
         dict(H=9, W=9, resize='crop', crop=0.5, nhwc=True)),
        (land, '1,3,112,112', ['--size', '112', '--preset', 'adaface', '--rgb', '--mean', '0'],
         dict(H=112, W=112, std=(127.5,) * 3)),
        (port, '1,3,-1,-1', ['--size', '90x35'], dict(H=90, W=35)),
        (dot, '1,3,-1,-1', ['--size', '5x7', '--mean', '100'], dict(H=5, W=7, mean=(100,) * 3)),
        (line, '1,3,-1,-1', ['--size', '3', '--resize', 'shorter-crop'], dict(H=3, W=3, resize='crop')),
        (line, '1,-1,-1,3', ['--size', '4x9'], dict(H=4, W=9, nhwc=True)),
    ]
    failures, torch_checked = 0, 0
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        torch = None
    for k, (f, dims, opts, want) in enumerate(cases):
        out = os.path.join(work, f'case{k}.npy')
        r = subprocess.run([tool, 'preprocess', out, f, dims] + opts, capture_output=True, text=True)
        if r.returncode != 0:
            print(f'FAIL case {k} {opts}: {r.stdout.strip()} {r.stderr.strip()}')
            failures += 1
            continue
        got = np.load(out)
        args = dict(want)
        ref = preprocess_oracle(imgs[f], args.pop('H'), args.pop('W'), **args)
        if got.shape != ref.shape or got.dtype != np.float32:
            print(f'FAIL case {k} {opts}: {got.dtype} {got.shape}, expected {ref.shape}')
            failures += 1
            continue
        err = np.abs(got.astype(np.float64) - ref.astype(np.float64))
        bad = err > 1e-5 + 1e-6 * np.abs(ref)
        print(f'case {k} {" ".join(opts) or "(model size)"}: {list(got.shape)}, max |diff| {err.max():.2e}')
        if bad.any():
            print(f'FAIL case {k}: {int(bad.sum())} values differ from the numpy oracle')
            failures += 1
        # PyTorch's interpolate(bilinear, align_corners=False, antialias=False) is the same convention
        if torch is not None and want.get('resize', 'stretch') == 'stretch':
            torch_checked += 1
            t = torch.from_numpy(imgs[f].astype(np.float64)).permute(2, 0, 1)[None]
            t = F.interpolate(t, size=(want['H'], want['W']), mode='bilinear', align_corners=False)
            t = t[0].permute(1, 2, 0).numpy()
            t = t[..., ::-1] if want.get('bgr') else t
            t = (t - np.array(want.get('mean', (0, 0, 0)))) / np.array(want.get('std', (1, 1, 1)))
            t = t if want.get('nhwc') else t.transpose(2, 0, 1)
            if np.abs(got[0] - t).max() > 1e-4:
                print(f'FAIL case {k}: differs from torch interpolate by {np.abs(got[0] - t).max():.2e}')
                failures += 1
    errors = [  # options that must be refused, and shape mismatches
        (['--size', '0'], '1,3,-1,-1', r'--size needs N or HxW'),
        (['--size', '20x'], '1,3,-1,-1', r'--size needs N or HxW'),
        (['--size', '99999'], '1,3,-1,-1', r'--size needs N or HxW'),
        (['--resize', 'squash'], '1,3,-1,-1', r'--resize needs stretch or shorter-crop'),
        (['--mean', '1,2'], '1,3,-1,-1', r'--mean needs A or A,B,C'),
        (['--mean', 'nan'], '1,3,-1,-1', r'--mean needs A or A,B,C'),
        (['--std', '0'], '1,3,-1,-1', r'--std needs positive'),
        (['--std', '1', '--scale', '2'], '1,3,-1,-1', r'--std and --scale'),
        (['--crop-fraction', '1.5'], '1,3,-1,-1', r'--crop-fraction needs a number in \(0, 1\]'),
        (['--layout', 'chw'], '1,3,-1,-1', r'--layout needs auto, nchw or nhwc'),
        (['--preset', 'resnet'], '1,3,-1,-1', r'--preset needs imagenet, facenet, arcface, adaface or none'),
        (['--bgr=1'], '1,3,-1,-1', r'--bgr takes no value'),
        (['--size'], '1,3,-1,-1', r'--size needs a value'),
        ([], '1,3,-1,-1', r"height and width are not fixed: give --size"),
        (['--size', '100'], '1,3,112,112', r'--size 100x100 does not match the model input.s 112x112'),
        (['--size', '8'], '1,4,8,8', r'no dimension of 3 channels'),
        (['--size', '8', '--layout', 'nhwc'], '1,3,8,8', r'layout nhwc needs 3 channels in dimension 3'),
        (['--size', '8'], '0,3,8,8', r'batch size 0'),
    ]
    for opts, dims, regex in errors:
        r = subprocess.run([tool, 'preprocess', os.path.join(work, 'bad.npy'), land, dims] + opts,
                           capture_output=True, text=True)
        if r.returncode != 1 or not re.search(regex, r.stdout):
            print(f'FAIL {opts} {dims}: expected /{regex}/, got rc {r.returncode}: {r.stdout.strip()} {r.stderr.strip()}')
            failures += 1
    r = subprocess.run([tool, 'preprocess', os.path.join(work, 'bad.npy'), os.path.join(work, 'nothere.png'),
                        '1,3,8,8'], capture_output=True, text=True)
    if r.returncode != 1 or 'cannot open' not in r.stdout:
        print(f'FAIL missing file: {r.stdout}')
        failures += 1
    print(f'{len(cases)} preprocessing cases ({torch_checked} also against torch interpolate), {len(errors) + 1} '
          'error cases: ' + ('FAILED' if failures else 'ok'))
    return 1 if failures else 0


def check_malformed(tool, d):
    work = os.path.join(os.path.dirname(d), 'bad')
    os.makedirs(work, exist_ok=True)
    failures = 0
    # in-process: every truncation must fail, random corruptions must not crash (ASan in the Sanitize build)
    img = natural_image(12, 16, 5)
    seeds = {
        'seed_rgb.png': make_png(img, 8, 2, 0, level=9, n_idat=2),
        'seed_pal_i.png': make_png(img[..., :1] % 7, 4, 3, 1, palette=np.arange(21).reshape(7, 3) * 12),
        'seed_rgba16_fixed.png': make_png(np.concatenate([img, img[..., :1]], -1).astype(np.int64) * 257, 16, 6, 1,
                                          strategy=zlib.Z_FIXED),
        'seed_gray2_stored.png': make_png(img[..., :1] % 4, 2, 0, 0, level=0),
        'seed_420_rst.jpg': JpegEncoder(img, [(1, 2, 2, 0), (2, 1, 1, 1), (3, 1, 1, 1)]).encode(
            sequential_scans(3), restart=2),
        'seed_prog_rst.jpg': JpegEncoder(img, [(1, 2, 1, 0), (2, 1, 1, 1), (3, 1, 1, 1)]).encode(
            progressive_scans(3), restart=1, progressive=True),
    }
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, 'JPEG', quality=90, progressive=True)  # with AC refinement scans
    seeds['seed_pil_prog.jpg'] = buf.getvalue()
    buf = io.BytesIO()
    Image.fromarray(img).convert('L').save(buf, 'JPEG', quality=60)
    seeds['seed_gray.jpg'] = buf.getvalue()
    for name, data in seeds.items():
        write(os.path.join(work, name), data)
    r = subprocess.run([tool, 'fuzz', '7', '400'] + [os.path.join(work, n) for n in seeds], capture_output=True,
                       text=True)
    print(r.stdout.strip())
    if r.returncode != 0 or 'fuzz ok' not in r.stdout:
        print(f'FAIL fuzz: rc {r.returncode} {r.stderr}')
        failures += 1

    # absurd or invalid headers: a clean error naming the problem
    def png_with(ihdr, body=b'\x78\x9c\x03\x00\x00\x00\x00\x01'):
        return (b'\x89PNG\r\n\x1a\n' + png_chunk(b'IHDR', ihdr) + png_chunk(b'IDAT', body) + png_chunk(b'IEND', b''))

    def jpeg_sof(h, w, n=3):
        sof = struct.pack('>BHHB', 8, h, w, n) + b''.join(bytes([i + 1, 0x11, 0]) for i in range(n))
        return b'\xff\xd8\xff\xc0' + struct.pack('>H', len(sof) + 2) + sof + b'\xff\xd9'

    ok_png = make_png(img, 8, 2, 0)
    bad = {
        'w0.png': (png_with(struct.pack('>IIBBBBB', 0, 10, 8, 2, 0, 0, 0)), r'empty image'),
        'huge_side.png': (png_with(struct.pack('>IIBBBBB', 100000, 10, 8, 2, 0, 0, 0)), r'image too large'),
        'huge_w31.png': (png_with(struct.pack('>IIBBBBB', 0x7fffffff, 0x7fffffff, 8, 6, 0, 0, 0)), r'image too large'),
        'huge_pixels.png': (png_with(struct.pack('>IIBBBBB', 16384, 16385, 8, 2, 0, 0, 0)), r'image too large'),
        'max_no_data.png': (png_with(struct.pack('>IIBBBBB', 16384, 16384, 16, 6, 0, 0, 0)), r'image data too short'),
        'bad_depth.png': (png_with(struct.pack('>IIBBBBB', 4, 4, 3, 2, 0, 0, 0)), r'invalid bit depth 3'),
        'bad_color.png': (png_with(struct.pack('>IIBBBBB', 4, 4, 8, 5, 0, 0, 0)), r'invalid color type 5'),
        'bad_interlace.png': (png_with(struct.pack('>IIBBBBB', 4, 4, 8, 2, 0, 0, 2)), r'unknown interlace'),
        'no_plte.png': (png_with(struct.pack('>IIBBBBB', 4, 4, 8, 3, 0, 0, 0)), r'palette image without PLTE'),
        'bad_crc.png': (ok_png[:45] + bytes([ok_png[45] ^ 1]) + ok_png[46:], r'CRC mismatch in chunk IDAT'),
        'short_data.png': (png_with(struct.pack('>IIBBBBB', 4, 4, 8, 2, 0, 0, 0)),
                           r'decompressed, 52 expected|image data'),
        'bad_filter.png': (png_with(struct.pack('>IIBBBBB', 2, 1, 8, 2, 0, 0, 0), zlib.compress(b'\x07' + bytes(6))),
                           r'invalid filter type 7'),
        'bad_index.png': (make_png(np.full((2, 2, 1), 5), 8, 3, 0, palette=np.zeros((3, 3))), r'palette index 5'),
        'huge.jpg': (jpeg_sof(65535, 65535), r'image too large'),
        'max_no_data.jpg': (jpeg_sof(16384, 16384), r'file too short for 16384x16384'),
        'w0.jpg': (jpeg_sof(10, 0), r'empty image'),
        'h0.jpg': (jpeg_sof(0, 10), r'DNL'),
        'cmyk.jpg': (jpeg_sof(8, 8, 4), r'4 components are not supported'),
        'no_scan.jpg': (jpeg_sof(8, 8), r'component 1 has no scan'),
        'lossless.jpg': (b'\xff\xd8\xff\xc3\x00\x0b\x08\x00\x08\x00\x08\x01\x01\x11\x00\xff\xd9', r'SOF3'),
        'arith.jpg': (b'\xff\xd8\xff\xc9\x00\x0b\x08\x00\x08\x00\x08\x01\x01\x11\x00\xff\xd9', r'SOF9'),
        'empty.jpg': (b'\xff\xd8\xff', r'no EOI|truncated'),
        'text.png': (b'hello, world', r'not a PNG or JPEG file'),
    }
    for name, (data, _) in bad.items():
        write(os.path.join(work, name), data)
    _, results = decode_all(tool, work, list(bad), os.path.join(work, 'decoded'))
    for name, (_, regex) in bad.items():
        status, msg = results.get(name, ('missing', ''))
        if status != 'error' or not re.search(regex, msg):
            print(f'FAIL {name}: expected an error /{regex}/, got {status}: {msg}')
            failures += 1
        else:
            print(f'{name}: {msg}')
    print(f'{len(bad)} invalid files: ' + ('FAILED' if failures else 'ok'))
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dir', required=True)
    ap.add_argument('--tool', required=True)
    ap.add_argument('what', choices=['corpus', 'png', 'jpeg', 'preprocess', 'malformed'])
    a = ap.parse_args()
    corpus = os.path.join(a.dir, 'corpus')
    if a.what == 'corpus':
        return make_corpus(corpus)
    return {'png': check_png, 'jpeg': check_jpeg, 'preprocess': check_preprocess,
            'malformed': check_malformed}[a.what](a.tool, corpus)


if __name__ == '__main__':
    sys.exit(main())
