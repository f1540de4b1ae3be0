"""A stand-in for the onnxruntime Python module (which Debian 12 lacks) with the few calls qinfer.parity makes,
answered by the real ONNX Runtime: onnxruntime-node through tests/zoo/ort_run.js. Only on the tests' sys.path.
Needs $QINFER_TEST_NODE (node) and $QINFER_CACHE (the cache holding npm/node_modules/onnxruntime-node)."""

import os
import subprocess
import tempfile

import numpy as np

_RUNNER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "zoo", "ort_run.js")


class SessionOptions:
    intra_op_num_threads = 1


class _Arg:
    def __init__(self, name):
        self.name = name


class InferenceSession:
    def __init__(self, path, sess_options=None, providers=None):
        import onnx
        self._path = path
        self._threads = max(getattr(sess_options, "intra_op_num_threads", 1), 1)
        self._outputs = [o.name for o in onnx.load(path, load_external_data=False).graph.output]

    def get_outputs(self):
        return [_Arg(n) for n in self._outputs]

    def run(self, names, feeds):
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [os.environ["QINFER_TEST_NODE"], _RUNNER, self._path, "--output-dir", tmp, "--threads",
                   str(self._threads), "--cache", os.environ["QINFER_CACHE"]]
            for i, (name, value) in enumerate(feeds.items()):
                f = os.path.join(tmp, "in%d.npy" % i)
                np.save(f, value)
                cmd += ["--input", "%s=%s" % (name, f)]
            subprocess.run(cmd, check=True, capture_output=True)
            return [np.load(os.path.join(tmp, n + ".npy")) for n in (names or self._outputs)]
