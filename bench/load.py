"""Two load generators with one interface: ``wrk`` when installed, else a Python one.

Both keep ``connections`` HTTP/1.1 connections busy for ``seconds`` against one URL on the
loopback, reusing each while the server keeps it open (gunicorn's sync workers close it
after every response, so both reconnect alike), and report requests per second. The
Python generator (threads, ``http.client``) is far weaker than wrk and shares the GIL, so
its absolute figures are lower; ratios between targets measured with the same generator
remain comparable. The output says which one ran.
"""

from __future__ import annotations

import http.client
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Load:
    """One measurement: requests per second, responses with another status or an error,
    and (filled in by the caller) the servers' CPU seconds per request."""

    rps: float
    requests: int
    unexpected: int
    cpu: float = 0.0


def tool() -> str:
    """``wrk`` when it is on the PATH, else ``python``."""
    return "wrk" if shutil.which("wrk") else "python"


def describe(name: str, connections: int) -> str:
    """A label for the table."""
    if name == "wrk":
        return f"wrk (1 thread, {connections} connections)"
    return f"built-in Python load generator ({connections} threads, one http.client each)"


def measure(
    name: str, url: str, *, headers: Mapping[str, str], seconds: float, connections: int
) -> Load:
    """Load ``url`` with tool ``name`` for ``seconds``."""
    if name == "wrk":
        return _wrk(url, headers=headers, seconds=seconds, connections=connections)
    return _python(url, headers=headers, seconds=seconds, connections=connections)


def _wrk(url: str, *, headers: Mapping[str, str], seconds: float, connections: int) -> Load:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "5s"]
    for key, value in headers.items():
        command += ["-H", f"{key}: {value}"]
    out = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, timeout=seconds + 30
    ).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*?(\d+) read, (\d+) write, (\d+) timeout", out)
    if rps is None or total is None:
        raise RuntimeError(f"cannot read wrk's output:\n{out}")
    unexpected = int(bad.group(1)) if bad else 0
    unexpected += sum(int(n) for n in errors.groups()) if errors else 0
    return Load(float(rps.group(1)), int(total.group(1)), unexpected)


def _python(url: str, *, headers: Mapping[str, str], seconds: float, connections: int) -> Load:
    match = re.fullmatch(r"http://([^/:]+):(\d+)(/.*)", url)
    if match is None:
        raise ValueError(f"not a loopback http URL: {url}")
    host, port, path = match.group(1), int(match.group(2)), match.group(3)
    counts = [[0, 0] for _ in range(connections)]
    stop = time.perf_counter() + seconds

    def worker(slot: list[int]) -> None:
        client = http.client.HTTPConnection(host, port, timeout=5)
        try:
            while time.perf_counter() < stop:
                client.request("GET", path, headers=dict(headers))
                response = client.getresponse()
                response.read()
                slot[0 if response.status < 400 else 1] += 1
        finally:
            client.close()

    threads = [threading.Thread(target=worker, args=(slot,)) for slot in counts]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    good, bad = sum(c[0] for c in counts), sum(c[1] for c in counts)
    return Load((good + bad) / elapsed, good + bad, bad)
