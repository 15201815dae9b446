"""`local/serve.py` and `local/predict_demo.py` as the Makefile runs them."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_serve_stops_gracefully_on_sigterm(trained_model_dir):
    env = {**os.environ, "PORT": "0", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [
            sys.executable,
            str(REPO_ROOT / "local" / "serve.py"),
            "--quiet",
            "--model-dir",
            str(trained_model_dir),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        banner = process.stdout.readline()
        assert "Serving web/" in banner, banner
        base = banner.split(" on ")[1].split("/ ")[0]
        host, port = base.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        connection.request("GET", "/health")
        assert connection.getresponse().status == 200
        connection.close()
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
    assert "Stopped." in output


def test_demo_prints_predictions_and_stops(trained_model_dir, capsys):
    from predict_demo import main as demo_main

    assert demo_main(["--model-dir", str(trained_model_dir)]) == 0
    output = capsys.readouterr().out
    assert "POST /predict (4 reviews) -> 200" in output
    assert "empty_review" in output
    assert "Server stopped." in output
