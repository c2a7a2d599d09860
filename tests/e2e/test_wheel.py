"""The wheel carries everything a run needs and runs from any directory: built here, installed into a
fresh virtualenv, run from a temporary directory on its own shipped samples."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_installed_wheel_runs_from_anywhere(tmp_path):
    # Built from a copy: setuptools writes build/ and *.egg-info next to the sources it builds.
    src = tmp_path / "src"
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(".venv", ".git", "build", "*.egg-info", "__pycache__",
                                                              "tests", "benchmarks", "out", ".pytest_cache"))
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(src)],
                   check=True, timeout=600, capture_output=True)
    wheel = next(dist.glob("scrapeline-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"scrapeline/configs/default.yaml", "scrapeline/configs/environments/multiprocess.yaml",
            "scrapeline/configs/layouts/generic.yaml", "scrapeline/samples/000_8208ed624176e593.txt",
            "scrapeline/samples/000_8208ed624176e593.txt.meta.json", "scrapeline/pipeline/cli.py",
            "scrapeline/transforms/dedup/spill.py"} <= names
    assert {n.split("/")[0] for n in names if not n.startswith("scrapeline-")} == {"scrapeline"}  # one namespace

    # A fresh venv with only the wheel; its dependencies come from this interpreter's site-packages through a
    # path line (whose own .pth files, this checkout's editable install among them, are not run).
    # The venv has no pip of its own (installing one takes 7 s): this environment's pip installs into it through
    # `--python` (`pip install --prefix` from this environment would uninstall this checkout's install).
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q",
                    "--no-deps", str(wheel)], check=True, timeout=300, capture_output=True)
    site = venv / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
    (site / "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    python = venv / "bin" / "python"
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    where = subprocess.run([str(python), "-c", "import scrapeline.pipeline.cli as c; print(c.__file__)"],
                           cwd=cwd, capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(site)), where  # the wheel's code, not this checkout's
    proc = subprocess.run([str(python), "-m", "scrapeline", "run", "--output", "out", "--runner=FnApiRunner"],
                          cwd=cwd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    record = json.loads(next((cwd / "out" / "_runs").glob("*.json")).read_text())
    assert record["status"] == "succeeded" and record["articles_written"] == 3
    assert subprocess.run([str(python), "-c", "import pipeline"], cwd=cwd, capture_output=True).returncode != 0
