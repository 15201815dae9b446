"""Local twin of the SageMaker training job: same script, same SM_* contract, local folders.

    python local/run_training.py                        # ETL output in build/etl/curated
    python local/run_training.py --data ../shared/datasets/imdb
    python local/run_training.py -- --word-c 32          # hyperparameters after "--"
    python local/run_training.py --no-tracking           # no MLflow run

``--data`` is either a directory of channel folders (``train/``, ``validation/``,
``test/``, as the ETL writes them) or a directory of files named after channels
(``train.csv.gz``, ``test.csv.gz``, ...), which are linked into channel folders.

Layout under ``--output`` (default ``build/model``), mirroring /opt/ml in a training job:
``model/`` (SM_MODEL_DIR), ``output/data/`` (SM_OUTPUT_DATA_DIR: metrics.json and the
evaluation report, ``evaluation_report.html`` with its PNG figures), ``output/failure``
on error, and ``model.tar.gz``, the deterministic archive of ``model/`` that SageMaker
would upload (the serving stack's bootstrap artifact).

Experiment tracking: each run is logged to MLflow in ``build/mlflow.db`` (SQLite; its
artifacts in ``build/mlartifacts``; ``make experiments`` opens the UI on it). An
``MLFLOW_TRACKING_URI`` already set is used instead; ``--no-tracking`` logs nothing.
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
for _root in (REPO_ROOT / "common", REPO_ROOT / "training"):
    if str(_root) not in sys.path:
        sys.path.insert(0, str(_root))

from channel_data import DATA_SUFFIXES  # noqa: E402
from evaluation_report import REPORT_FILENAME  # noqa: E402
from lake_layout import CHANNELS  # noqa: E402
from tracking import TRACKING_URI_ENV  # noqa: E402

# train.py runs in a process of its own from the repository layout (it finds common/
# itself), as the training job runs it from the source bundle.
TRAIN_SCRIPT = REPO_ROOT / "training" / "train.py"
DEFAULT_DATA = REPO_ROOT / "build" / "etl" / "curated"
DEFAULT_OUTPUT = REPO_ROOT / "build" / "model"
# Absolute, so the store is the same whatever directory the twin runs from; the same
# file as `sqlite:///build/mlflow.db` from the repository root (make experiments).
DEFAULT_TRACKING_URI = "sqlite:///" + str(REPO_ROOT / "build" / "mlflow.db")


def _channel_of_file(path: Path) -> str | None:
    name = path.name.lower()
    for suffix in sorted(DATA_SUFFIXES, key=len, reverse=True):  # .csv.gz before .csv
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            return stem if stem in CHANNELS else None
    return None


def resolve_channels(data: Path, staging: Path) -> dict[str, Path]:
    """Map channel name -> directory, linking loose channel files into ``staging``."""
    if not data.is_dir():
        raise SystemExit(
            f"data directory {data} does not exist"
            + (" (run the local ETL first, or pass --data)" if data == DEFAULT_DATA else "")
        )
    channels = {name: data / name for name in CHANNELS if (data / name).is_dir()}
    if channels:
        return channels
    for path in sorted(data.iterdir()):
        channel = _channel_of_file(path)
        if channel is None or not path.is_file():
            continue
        folder = staging / channel
        folder.mkdir(parents=True, exist_ok=True)
        os.symlink(path.resolve(), folder / path.name)
        channels[channel] = folder
    if "train" not in channels:
        raise SystemExit(
            f"no training data in {data}: expected a train/ folder or a train.csv[.gz] file"
        )
    return channels


def _tar_info(name: str, *, is_dir: bool, size: int = 0) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE if is_dir else tarfile.REGTYPE
    info.mode = 0o755 if is_dir else 0o644
    info.size = size
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def pack_model(model_dir: Path, archive: Path) -> Path:
    """Write model_dir's contents into a gzip tar whose bytes depend on the content only:
    sorted entries, zero timestamps and owners, fixed modes, no name in the gzip header."""
    archive.parent.mkdir(parents=True, exist_ok=True)
    entries = sorted(p for p in model_dir.rglob("*") if "__pycache__" not in p.parts)
    with (
        archive.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for path in entries:
            name = path.relative_to(model_dir).as_posix()
            if path.is_dir():
                tar.addfile(_tar_info(name, is_dir=True))
            else:
                with path.open("rb") as handle:
                    tar.addfile(_tar_info(name, is_dir=False, size=path.stat().st_size), handle)
    return archive


def tracking_uri(environ: dict[str, str], enabled: bool) -> str | None:
    """The caller's MLFLOW_TRACKING_URI, else the local SQLite store; None when off."""
    if not enabled:
        return None
    return environ.get(TRACKING_URI_ENV) or DEFAULT_TRACKING_URI


def run_training(
    channels: dict[str, Path],
    output: Path,
    hyperparameters: list[str],
    tracking: str | None = None,
) -> subprocess.CompletedProcess:
    model_dir = output / "model"
    output_dir = output / "output"
    # A stale file from an earlier run must not end up in the archive.
    for folder in (model_dir, output_dir):
        shutil.rmtree(folder, ignore_errors=True)
    model_dir.mkdir(parents=True)
    (output_dir / "data").mkdir(parents=True)
    env = dict(os.environ)
    for name in CHANNELS:
        env.pop(f"SM_CHANNEL_{name.upper()}", None)
    env.update(
        {
            "SM_MODEL_DIR": str(model_dir),
            "SM_OUTPUT_DIR": str(output_dir),
            "SM_OUTPUT_DATA_DIR": str(output_dir / "data"),
            "SM_CHANNELS": ",".join(sorted(channels)),
            "PYTHONUNBUFFERED": "1",
        }
    )
    for name, folder in channels.items():
        env[f"SM_CHANNEL_{name.upper()}"] = str(folder)
    env.pop(TRACKING_URI_ENV, None)
    if tracking:
        if tracking == DEFAULT_TRACKING_URI:
            (REPO_ROOT / "build").mkdir(exist_ok=True)
        env[TRACKING_URI_ENV] = tracking
    command = [sys.executable, str(TRAIN_SCRIPT), *hyperparameters]
    # Fixed argv (this interpreter, train.py, the caller's own hyperparameters), no shell.
    return subprocess.run(command, env=env, check=False)  # noqa: S603


def parse_args(argv: list[str] | None = None) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="Arguments after '--' go to train.py as hyperparameters.",
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="channel data")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="output folder")
    parser.add_argument(
        "--no-tracking",
        dest="tracking",
        action="store_false",
        help=f"log no MLflow run (default: {TRACKING_URI_ENV} if set, else build/mlflow.db)",
    )
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        split = argv.index("--")
        argv, extra = argv[:split], argv[split + 1 :]
    return parser.parse_args(argv), extra


def main(argv: list[str] | None = None) -> int:
    args, hyperparameters = parse_args(argv)
    output = args.output.resolve()
    with tempfile.TemporaryDirectory(prefix="channels-") as staging:
        channels = resolve_channels(args.data.resolve(), Path(staging))
        for name, folder in sorted(channels.items()):
            print(f"channel {name}: {folder}", flush=True)
        tracking = tracking_uri(dict(os.environ), args.tracking)
        print(f"experiment tracking: {tracking or 'off'}", flush=True)
        result = run_training(channels, output, hyperparameters, tracking)
    if result.returncode != 0:
        failure = output / "output" / "failure"
        print(f"training failed (exit {result.returncode}); reason in {failure}", file=sys.stderr)
        return result.returncode
    archive = pack_model(output / "model", output / "model.tar.gz")
    print(f"model dir:      {output / 'model'}")
    print(f"metrics report: {output / 'output' / 'data' / 'metrics.json'}")
    report = output / "output" / "data" / REPORT_FILENAME
    if report.is_file():
        print(f"evaluation report: {report}")
    print(f"model archive:  {archive} ({archive.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
