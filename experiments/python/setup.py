"""import genre: the package and the C library it calls (libgenre.so, built by
make; GENRE_LIB names it). make python installs both with Debian's setuptools."""
import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))


class build_with_library(build_py):
    """Copies libgenre.so into the package beside its modules."""

    def run(self):
        super().run()
        lib = os.environ.get("GENRE_LIB") or os.path.join(HERE, "..", "..", "build", "libgenre.so")
        if not os.path.isfile(lib):
            raise SystemExit(f"{lib}: not built (make python builds it)")
        target = os.path.join(self.build_lib, "genre")
        os.makedirs(target, exist_ok=True)
        shutil.copy2(lib, os.path.join(target, "libgenre.so"))


setup(
    name="genre",
    version="0.9",
    description="Music genre classification: librosa-faithful features, ANN/CNN/baselines, honest experiments",
    packages=["genre"],
    python_requires=">=3.9",
    cmdclass={"build_py": build_with_library},
    zip_safe=False,
)
