#!/usr/bin/python3
"""A qinfer that lies, for tests/parity/run_parity.py: runs $PARITY_REAL_QINFER with its own arguments, then
spoils one tensor it wrote, as $PARITY_BREAK = TENSOR:MODE:WHERE says:
  MODE   scale: a float tensor x 1.001 | step: an integer tensor + 2 (clipped to its type) | fail: exit 1 without running
  WHERE  outputs: the file in --output-dir | tensors: the file --all-tensors lists in tensors.tsv
so that bench/parity.py has to notice."""
import os
import re
import subprocess
import sys

import numpy as np


def option(argv, name):
    for i, v in enumerate(argv):
        if v == name and i + 1 < len(argv):
            return argv[i + 1]
        if v.startswith(name + '='):
            return v[len(name) + 1:]
    return None


def main():
    argv = sys.argv[1:]
    tensor, mode, where = os.environ['PARITY_BREAK'].split(':')
    if mode == 'fail':
        print('broken_qinfer: failing on purpose', file=sys.stderr)
        return 1
    rc = subprocess.call([os.environ['PARITY_REAL_QINFER']] + argv)
    if rc != 0:
        return rc
    if where == 'outputs':
        path = os.path.join(option(argv, '--output-dir'), re.sub(r'[^A-Za-z0-9._-]', '_', tensor) + '.npy')
    else:
        folder = option(argv, '--all-tensors')
        if folder is None:
            return 0
        with open(os.path.join(folder, 'tensors.tsv')) as f:
            files = {line.split('\t')[0]: line.split('\t')[1] for line in f}
        path = os.path.join(folder, files[tensor])
    t = np.load(path)
    t = (t * np.float32(1.001)).astype(t.dtype) if mode == 'scale' else np.minimum(t.astype(np.int64) + 2, np.iinfo(t.dtype).max).astype(t.dtype)
    np.save(path, t)
    return 0


if __name__ == '__main__':
    sys.exit(main())
