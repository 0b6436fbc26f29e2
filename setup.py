"""Build hook: ship the top-level templates/ and models/ inside the package.

An editable install reads them from the repository; a wheel or `pip install .`
carries a copy under promptcraft/_bundled/ so the CLI works from any directory.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithBundledData(build_py):
    def run(self) -> None:
        # A module moved out of the package must not ship from an earlier build's leftovers.
        shutil.rmtree(Path(self.build_lib) / "promptcraft", ignore_errors=True)
        super().run()
        root = Path(__file__).resolve().parent
        for name in ("templates", "models"):
            src = root / name
            if src.is_dir():
                dst = Path(self.build_lib) / "promptcraft" / "_bundled" / name
                shutil.copytree(src, dst, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildWithBundledData})
