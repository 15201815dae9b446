"""Serving benchmark, part 2: throughput of `local/serve.py` on loopback.

A fixed number of POST /predict requests from a few client threads over keep-alive
connections, stopping at a time limit. The server runs in its own process so the clients
do not share its interpreter lock.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from serve_latency import percentiles

REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def server_process(model_dir: Path, port: int) -> Iterator[str]:
    command = [
        sys.executable,
        str(REPO_ROOT / "local" / "serve.py"),
        "--model-dir",
        str(model_dir),
        "--port",
        str(port),
        "--quiet",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                stderr = process.stderr.read().decode() if process.stderr else ""
                raise RuntimeError(f"server exited: {stderr[-500:]}")
            try:
                with urllib.request.urlopen(base + "/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def throughput(
    model_dir: Path,
    pool: list[str],
    *,
    requests: int,
    threads: int,
    max_seconds: float,
    batch: int,
) -> dict[str, Any]:
    # Different reviews per request, taken round-robin from the pool.
    bodies = [
        json.dumps({"reviews": [pool[(start + k) % len(pool)] for k in range(batch)]}).encode()
        for start in range(0, len(pool), batch)
    ]
    headers = {"Content-Type": "application/json"}
    lock = threading.Lock()
    issued = 0
    latencies: list[float] = []
    failures: list[str] = []

    with server_process(model_dir, free_port()) as base:
        host, port = base.removeprefix("http://").split(":")
        deadline = time.perf_counter() + max_seconds

        def client() -> None:
            nonlocal issued
            connection = http.client.HTTPConnection(host, int(port), timeout=30)
            try:
                while True:
                    with lock:
                        if issued >= requests or time.perf_counter() > deadline:
                            return
                        body = bodies[issued % len(bodies)]
                        issued += 1
                    started = time.perf_counter()
                    try:
                        connection.request("POST", "/predict", body=body, headers=headers)
                        answer = connection.getresponse()
                        answer.read()
                    except (OSError, http.client.HTTPException) as err:
                        # A reset or timed-out request is a failure, not a stop by time.
                        with lock:
                            failures.append(type(err).__name__)
                        connection.close()
                        connection = http.client.HTTPConnection(host, int(port), timeout=30)
                        continue
                    elapsed = (time.perf_counter() - started) * 1000.0
                    with lock:
                        latencies.append(elapsed)
                        if answer.status != 200:
                            failures.append(str(answer.status))
            finally:
                connection.close()

        workers = [threading.Thread(target=client) for _ in range(threads)]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        wall = time.perf_counter() - started
    p50, p99 = percentiles(latencies) if latencies else (float("nan"), float("nan"))
    return {
        "done": len(latencies),
        "asked": requests,
        "wall": wall,
        "rps": len(latencies) / wall,
        "p50": p50,
        "p99": p99,
        "failures": len(failures),
        "threads": threads,
        "batch": batch,
        "stopped_by_time": issued < requests,
    }
