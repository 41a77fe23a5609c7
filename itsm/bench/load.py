"""The load generator: worker processes, each one keep-alive HTTP connection, each running its own list
of operations for a fixed time after a warm-up.

An operation is one or more requests (comment then resolve is two); it counts as done only when every
request answered the expected status with the expected marker in its body. Anything else (another status,
a missing marker, a broken connection) is an error: counted, one example kept, never timed. Plain standard
library, so the worker processes (spawned, not forked) start without Django.
"""

import http.client
import multiprocessing
import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict = field(default_factory=dict)
    body: bytes | None = None
    status: int = 200
    marker: bytes = b""


@dataclass
class Outcome:
    """What the workers measured: each done operation's latency (seconds), the errors, the window."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_sample: str = ""
    seconds: float = 0.0
    exhausted: bool = False

    @property
    def done(self) -> int:
        return len(self.latencies)

    def merge(self, other: "Outcome") -> None:
        self.latencies += other.latencies
        self.errors += other.errors
        self.error_sample = self.error_sample or other.error_sample
        self.seconds = max(self.seconds, other.seconds)
        self.exhausted = self.exhausted or other.exhausted


def _check(request: Request, status: int, body: bytes) -> str:
    """Why the answer is wrong, or ''."""
    if status != request.status:
        return f"{request.method} {request.path}: {status} (expected {request.status}): {body[:200]!r}"
    if request.marker and request.marker not in body:
        return f"{request.method} {request.path}: {status} without {request.marker!r}: {body[:200]!r}"
    return ""


def run_worker(
    host: str, port: int, operations: list, warmup: float, duration: float, cycle: bool = True
) -> Outcome:
    """Run `operations` (each a tuple of Requests) in turn for `warmup` seconds unmeasured, then
    `duration` measured: round and round with `cycle` (reads), else each once (writes that must not
    repeat: the caller gives enough, and the outcome says when they ran out). Returns the measured part."""
    outcome = Outcome()
    if not operations:
        return outcome
    connection = http.client.HTTPConnection(host, port, timeout=60)
    started = time.perf_counter()
    measure_from, stop_at = started + warmup, started + warmup + duration
    index = 0
    while True:
        now = time.perf_counter()
        if now >= stop_at:
            break
        if index >= len(operations) and not cycle:
            outcome.exhausted = True
            break
        requests = operations[index % len(operations)]
        index += 1
        measured = now >= measure_from
        error, began = "", time.perf_counter()
        for request in requests:
            try:
                connection.request(request.method, request.path, body=request.body, headers=request.headers)
                response = connection.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                connection = http.client.HTTPConnection(host, port, timeout=60)
                error = f"{request.method} {request.path}: {exc!r}"
                break
            error = _check(request, response.status, body)
            if error:
                break
        elapsed = time.perf_counter() - began
        if measured:
            if error:
                outcome.errors += 1
                outcome.error_sample = outcome.error_sample or error
            else:
                outcome.latencies.append(elapsed)
    connection.close()
    outcome.seconds = max(0.0, time.perf_counter() - measure_from)
    return outcome


def drive(
    *,
    host: str,
    port: int,
    per_worker: list[list],
    warmup: float,
    duration: float,
    cycle: bool = True,
    processes: bool = True,
) -> Outcome:
    """Run one worker per list in `per_worker` at once (the concurrency is their number) and merge what
    they measured. `processes=False` runs them in threads of this process (the tests' way)."""
    args = [(host, port, ops, warmup, duration, cycle) for ops in per_worker]
    total = Outcome()
    if processes:
        with multiprocessing.get_context("spawn").Pool(len(args)) as pool:
            results = pool.starmap(run_worker, args)
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(len(args)) as pool:
            results = list(pool.map(lambda a: run_worker(*a), args))
    for result in results:
        total.merge(result)
    return total
