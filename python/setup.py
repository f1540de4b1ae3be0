"""Copies libqinfer.so into the package at build time (pyproject.toml holds the metadata).

The library comes from $QINFER_LIBRARY, else from the repository's build tree (../build-release/libqinfer.so,
../build/libqinfer.so). Nothing is compiled here: build the CMake target qinfer_shared first
(tools/install-python.sh does both)."""

import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = os.path.dirname(os.path.abspath(__file__))


def find_library():
    env = os.environ.get("QINFER_LIBRARY")
    if env:
        if not os.path.isfile(env):
            raise SystemExit("qinfer setup.py: QINFER_LIBRARY=%s is no file" % env)
        return env
    tried = []
    for build in ("build-release", "build"):
        path = os.path.join(os.path.dirname(HERE), build, "libqinfer.so")
        if os.path.isfile(path):
            return path
        tried.append(path)
    raise SystemExit("qinfer setup.py: no libqinfer.so (tried %s): build the target first (cmake --build "
                     "build-release --target qinfer_shared), set QINFER_LIBRARY, or run tools/install-python.sh"
                     % ", ".join(tried))


class BuildPyWithLibrary(build_py):
    def run(self):
        super().run()
        src = os.path.realpath(find_library())
        dst = os.path.join(self.build_lib, "qinfer", "libqinfer.so.0")
        shutil.copyfile(src, dst)
        os.chmod(dst, 0o755)


class BinaryDistribution(Distribution):
    """The wheel carries a native library: tag it for this platform, not as pure Python."""

    def has_ext_modules(self):
        return True


setup(cmdclass={"build_py": BuildPyWithLibrary}, distclass=BinaryDistribution)
