#!/usr/bin/env python3
"""Connection-flood benchmark (issue 21, item 1: "20,000 idle connections").

Measures whether billhook keeps answering GET /health and POST /v1/events quickly while N idle TCP
connections (connections that never send a byte) are held open against it. The issue's target: /health
and publishing answer within 50 ms (p99) while 20,000 idle connections are open.

What it does:
  1. starts its own `billhook serve` on 127.0.0.1:0 with a temporary data dir and API key;
  2. baseline: 300 x GET /health and 300 x POST /v1/events over one keep-alive connection, plus
     300 x GET /health each on a new connection (the way a monitoring probe asks);
  3. flood: N sockets, spread over worker processes (at most --per-worker each, because one process's
     open-file limit is usually about 20,000) and bound round-robin to 127.0.0.2 ... 127.0.0.9, connect
     and never send anything; each socket the server closes (over its caps, or after its header
     timeout) is opened again, so that N connections are attempted for the whole measurement;
  4. during the flood, the same requests from this process, on a keep-alive connection opened after the
     flood is up, and on a new connection per /health, paced over --seconds so that they see the
     server's header-timeout waves of closes and reconnects;
  5. prints the server's caps (from its "billhook started" log line), what the flood held and lost, a
     latency table (baseline vs flood) and whether the 50 ms p99 target is met.

It exits 0 once it has measured, whether or not the target is met; non-zero only if it failed itself.
Traffic goes only to 127.0.0.0/8. Python 3 standard library only.

Usage:
    bench/connection_flood.py                                  # 20,000 connections, 20 s
    bench/connection_flood.py --connections 2000 --seconds 5   # a quick check
    bench/connection_flood.py --billhook PATH --json out.json  # another binary; figures as JSON
    bench/connection_flood.py --server-nofile 65536            # the server's fd limit as packaged
                                                               # (needs CAP_SYS_RESOURCE to raise)
    bench/connection_flood.py --reopen-delay-ms 1000           # reconnect the closed ones more slowly

Reading the report: the server derives --max-connections from its open-file limit (with a hard limit
of 20,000: 19,416) and --max-connections-per-client as a quarter of it. A flood above max_connections
keeps the server at its cap, and then every new connection, the probes' included, is closed at once
(logged as "connection refused: --max-connections reached"); the probes see that as
ConnectionResetError or RemoteDisconnected. "Held open (client's view)" counts handshakes completed,
which includes connections still in the listen backlog or about to be refused, so it can exceed the
server's cap.

Client-side limits worth knowing: each worker raises its soft RLIMIT_NOFILE to the hard limit
(`ulimit -Hn`); with 8 source addresses the ephemeral port range (net.ipv4.ip_local_port_range) is
per source address, so 20,000 connections need only ~2,500 ports from each.
"""

import argparse
import copy
import errno
import http.client
import json
import math
import multiprocessing
import os
import re
import resource
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_BINARY = REPO / "build" / "release" / "src" / "billhook"
CATALOG = REPO / "src" / "catalog" / "data" / "catalog.json"
API_KEY = "connection-flood-bench-key-0123456789"
SERVER_HOST = "127.0.0.1"
# The flood comes from other loopback addresses than the probes (127.0.0.1), so that the
# per-client cap applies to the flood and not to the measurements.
FLOOD_SOURCES = [f"127.0.0.{i}" for i in range(2, 10)]
READY_MARKER = "billhook listening on http://"
REQUEST_TIMEOUT_S = 5.0
TARGET_MS = 50.0
# Linux: pick the source port at connect() rather than bind(), so that bind() does not reserve a
# port for every destination (not exposed by the socket module of every Python version).
IP_BIND_ADDRESS_NO_PORT = getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24)

# Slots of each worker's row in the shared statistics array.
OPEN, CONNECTING, CLOSED_BY_SERVER, CONNECT_ERRORS, ATTEMPTS, RAMPED = range(6)
STAT_FIELDS = 6


# ----------------------------------------------------------------------------------------------
# The server
# ----------------------------------------------------------------------------------------------

class Server:
    """A billhook process started by this script, its port and its stderr log."""

    def __init__(self, binary, workdir, nofile=None):
        self.data_dir = workdir / "data"
        self.stderr_path = workdir / "server-stderr.log"
        self._stderr = open(self.stderr_path, "wb")
        args = [str(binary), "serve", "--data-dir", str(self.data_dir), "--listen", f"{SERVER_HOST}:0",
                "--api-key", API_KEY]
        # A new session: Ctrl-C in the terminal reaches this script only, which then stops the server.
        try:
            self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                            stderr=self._stderr, start_new_session=True,
                                            preexec_fn=(lambda: set_open_file_limit(nofile)) if nofile else None)
        except subprocess.SubprocessError as exc:
            hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
            raise RuntimeError(f"could not start billhook with an open-file limit of {nofile} (this process's "
                               f"hard limit is {hard}; raising it needs CAP_SYS_RESOURCE): {exc}") from None
        self.port = self._wait_for_port(timeout_s=30)
        # Keep reading stdout so that a later print can never block the server on a full pipe.
        threading.Thread(target=self._drain_stdout, daemon=True).start()
        self.started = self._started_fields()

    def _wait_for_port(self, timeout_s):
        # The server prints "billhook listening on http://HOST:PORT" on stdout once every address is bound.
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout_s
        output = b""
        while time.monotonic() < deadline:
            if not selector.select(timeout=0.2):
                if self.process.poll() is not None:
                    break
                continue
            chunk = os.read(self.process.stdout.fileno(), 4096)
            if not chunk:
                break
            output += chunk
            match = re.search(re.escape(READY_MARKER).encode() + rb"[^\s:]+:(\d+)\r?\n", output)
            if match:
                selector.close()
                return int(match.group(1))
        selector.close()
        raise RuntimeError(f"billhook did not report its port (exit code {self.process.poll()}):\n"
                           f"{output.decode(errors='replace')}\n{self.log_text()[-4000:]}")

    def _drain_stdout(self):
        try:
            while os.read(self.process.stdout.fileno(), 4096):
                pass
        except OSError:
            pass

    def _started_fields(self):
        # The "billhook started" line is logged just before the ready line, so it is already there.
        for line in self.log_text().splitlines():
            if "billhook started" in line:
                return parse_log_fields(line)
        return {}

    def log_text(self):
        return self.stderr_path.read_text(errors="replace")

    def stop(self):
        """SIGTERM, then SIGKILL if it has not exited; only the pid this script started."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._stderr.close()


def set_open_file_limit(n):
    # In the server's child process before exec: as a service manager would (packaging/billhook.service
    # has LimitNOFILE=65536). Raising the hard limit needs CAP_SYS_RESOURCE.
    resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))


def parse_log_fields(line):
    """key=value pairs of a text-format log line (values may be double-quoted)."""
    return {key: value.strip('"') for key, value in re.findall(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)', line)}


def server_warnings(log_text):
    """The log lines about refused connections and failed accepts, grouped by message."""
    groups = {}
    for line in log_text.splitlines():
        for message in ("connection refused: --max-connections reached",
                        "connection refused: --max-connections-per-client reached",
                        "accept failed"):
            if message in line:
                group = groups.setdefault(message, {"lines": 0, "refused": 0, "examples": []})
                group["lines"] += 1
                # Each line is throttled to one a second; its "refused" counts the ones it stands for.
                group["refused"] += int(parse_log_fields(line).get("refused", 0) or 0)
                if len(group["examples"]) < 3:
                    group["examples"].append(line)
    return groups


# ----------------------------------------------------------------------------------------------
# The requests being measured
# ----------------------------------------------------------------------------------------------

def load_event_template():
    """The catalog's example invoice.paid object, as the body of POST /v1/events."""
    catalog = json.loads(CATALOG.read_text())
    example = next(t for t in catalog["event_types"] if t["name"] == "invoice.paid")["example"]
    return {"type": "invoice.paid", "data": {"object": example}}


def event_body(template, invoice_id):
    # A distinct invoice per request, so that no event waits behind another one of the same aggregate.
    body = copy.deepcopy(template)
    body["data"]["object"]["id"] = invoice_id
    return json.dumps(body, separators=(",", ":")).encode()


def error_kind(exc):
    """A short name for a failed request: the exception class, and the errno name when there is one."""
    if isinstance(exc, OSError) and exc.errno:
        return f"{type(exc).__name__}({errno.errorcode.get(exc.errno, exc.errno)})"
    return type(exc).__name__


class Series:
    """The latencies and errors of one kind of request in one phase."""

    def __init__(self, name):
        self.name = name
        self.latencies_ms = []
        self.errors = {}
        self.error_rounds = []  # (round, kind) of each failure: when in the phase they happened

    def add_error(self, kind, round_index):
        self.errors[kind] = self.errors.get(kind, 0) + 1
        self.error_rounds.append((round_index, kind))

    def summary(self):
        ordered = sorted(self.latencies_ms)
        return {"ok": len(ordered), "errors": dict(self.errors), "error_rounds": self.error_rounds, "p50_ms": percentile(ordered, 50),
                "p99_ms": percentile(ordered, 99), "max_ms": ordered[-1] if ordered else None}


def percentile(ordered, p):
    """Nearest-rank percentile of a sorted list (None when empty)."""
    if not ordered:
        return None
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


class KeepAliveClient:
    """One HTTP/1.1 connection reused for every request; reopened only after it failed."""

    def __init__(self, port):
        self.port = port
        self.connection = None

    def request(self, method, path, body=None, headers=None):
        if self.connection is None:
            self.connection = http.client.HTTPConnection(SERVER_HOST, self.port, timeout=REQUEST_TIMEOUT_S)
        try:
            self.connection.request(method, path, body=body, headers=headers or {})
            response = self.connection.getresponse()
            response.read()
            return response.status
        except BaseException:
            self.close()  # a broken connection is not reused: the next request opens another
            raise

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def one_shot_request(port, method, path):
    """A request on its own new connection, closed after the answer (a monitoring probe)."""
    connection = http.client.HTTPConnection(SERVER_HOST, port, timeout=REQUEST_TIMEOUT_S)
    try:
        connection.request(method, path, headers={"Connection": "close"})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def timed(series, round_index, send, expected_status):
    """Runs one request, adding its latency (or its error) to `series`."""
    started = time.perf_counter()
    try:
        status = send()
    except (OSError, http.client.HTTPException) as exc:
        series.add_error(error_kind(exc), round_index)
        return
    elapsed_ms = (time.perf_counter() - started) * 1000
    if status != expected_status:
        series.add_error(f"HTTP {status}", round_index)
    else:
        series.latencies_ms.append(elapsed_ms)


def measure(port, template, requests, spread_s, phase):
    """`requests` rounds of: /health and a publish on one keep-alive connection, and /health on a new
    connection. With spread_s > 0 the rounds are paced over that many seconds."""
    keep_alive = KeepAliveClient(port)
    health = Series("GET /health (keep-alive)")
    publish = Series("POST /v1/events (keep-alive)")
    probe = Series("GET /health (new connection)")
    publish_headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
    run_id = f"{int(time.time())}_{os.getpid()}_{phase}"
    interval = spread_s / requests if spread_s > 0 else 0
    began = time.monotonic()
    try:
        for i in range(requests):
            timed(health, i, lambda: keep_alive.request("GET", "/health"), 200)
            body = event_body(template, f"inv_flood_{run_id}_{i}")
            timed(publish, i, lambda: keep_alive.request("POST", "/v1/events", body, publish_headers), 202)
            timed(probe, i, lambda: one_shot_request(port, "GET", "/health"), 200)
            pause = began + (i + 1) * interval - time.monotonic()
            if pause > 0:
                time.sleep(pause)
    finally:
        keep_alive.close()
    return [health, publish, probe], time.monotonic() - began


# ----------------------------------------------------------------------------------------------
# The flood
# ----------------------------------------------------------------------------------------------

def raise_open_file_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


class FloodWorker:
    """Holds `count` idle connections to the server from one process; reopens those that end."""

    def __init__(self, index, count, port, stats, row, reopen_delay_s):
        self.index = index
        self.count = count
        self.address = (SERVER_HOST, port)
        self.stats = stats
        self.row = row * STAT_FIELDS
        self.reopen_delay_s = reopen_delay_s
        self.selector = selectors.DefaultSelector()
        self.sockets = {}           # fileno -> socket, connecting or open
        self.to_open = []           # monotonic times at which one more socket is due to be opened
        self.next_source = index    # round-robin over FLOOD_SOURCES, offset per worker
        self.error_kinds = {}

    def bump(self, field, by=1):
        self.stats[self.row + field] += by

    def note_error(self, kind):
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1
        self.bump(CONNECT_ERRORS)

    def open_one(self):
        source = FLOOD_SOURCES[self.next_source % len(FLOOD_SOURCES)]
        self.next_source += 1
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
            sock.bind((source, 0))
            self.bump(ATTEMPTS)
            result = sock.connect_ex(self.address)
            if result not in (0, errno.EINPROGRESS):
                raise OSError(result, os.strerror(result))
        except OSError as exc:
            sock.close()
            self.note_error(error_kind(exc))
            self.schedule_reopen(max(self.reopen_delay_s, 0.05))  # e.g. out of ports: do not spin
            return
        # Writable once the handshake is done (or failed).
        self.sockets[sock.fileno()] = sock
        self.selector.register(sock, selectors.EVENT_WRITE)
        self.bump(CONNECTING)

    def schedule_reopen(self, delay_s):
        self.to_open.append(time.monotonic() + delay_s)

    def on_connect_done(self, sock):
        self.bump(CONNECTING, -1)
        failure = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if failure:
            self.drop(sock)
            self.note_error(error_kind(OSError(failure, os.strerror(failure))))
            self.schedule_reopen(self.reopen_delay_s)
            return
        self.bump(OPEN)
        # From now on only its end matters: readable means the server closed it (or sent something).
        self.selector.modify(sock, selectors.EVENT_READ)

    def on_readable(self, sock):
        try:
            if sock.recv(4096):
                return  # e.g. an error response before the close; the close comes as a later event
        except BlockingIOError:
            return
        except OSError:
            pass  # a reset is a close by the server too
        self.drop(sock)
        self.bump(OPEN, -1)
        self.bump(CLOSED_BY_SERVER)
        self.schedule_reopen(self.reopen_delay_s)

    def drop(self, sock):
        self.selector.unregister(sock)
        del self.sockets[sock.fileno()]
        sock.close()

    def open_due(self):
        now = time.monotonic()
        due = [t for t in self.to_open if t <= now]
        self.to_open = [t for t in self.to_open if t > now]
        for _ in due:
            self.open_one()

    def run(self, stop):
        raise_open_file_limit()
        parent = os.getppid()
        for _ in range(self.count):
            self.open_one()
        self.bump(RAMPED)
        # Also ends if the parent died without stopping it (killed), rather than flooding on forever.
        while not stop.is_set() and os.getppid() == parent:
            for key, mask in self.selector.select(timeout=0.05):
                if mask & selectors.EVENT_WRITE:
                    self.on_connect_done(key.fileobj)
                else:
                    self.on_readable(key.fileobj)
            self.open_due()

    def close_all(self):
        for sock in list(self.sockets.values()):
            sock.close()
        self.sockets.clear()
        self.selector.close()


def flood_worker_main(index, count, port, stats, reopen_delay_s, stop, results):
    # Ctrl-C is the parent's to handle: it sets `stop`, and every worker then closes its sockets.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    worker = FloodWorker(index, count, port, stats, index, reopen_delay_s)
    try:
        worker.run(stop)
    finally:
        worker.close_all()
        results.put({"worker": index, "error_kinds": worker.error_kinds})


class Flood:
    """The worker processes, their shared counters and a sampler of the totals."""

    def __init__(self, port, connections, per_worker, reopen_delay_s):
        workers = max(1, math.ceil(connections / per_worker))
        shares = [connections // workers + (1 if i < connections % workers else 0) for i in range(workers)]
        context = multiprocessing.get_context("fork")
        self.stats = context.Array("q", workers * STAT_FIELDS, lock=False)
        self.stop_event = context.Event()
        self.results = context.Queue()
        self.processes = [
            context.Process(target=flood_worker_main, name=f"flood-{i}", daemon=True,
                            args=(i, share, port, self.stats, reopen_delay_s, self.stop_event, self.results))
            for i, share in enumerate(shares)]
        self.shares = shares
        self.samples = []  # (seconds since start, open, connecting, closed by server, connect errors)
        self._sampling = threading.Event()
        self._sampler = None
        self.started_at = None

    def start(self):
        self.started_at = time.monotonic()
        for process in self.processes:
            process.start()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def total(self, field):
        return sum(self.stats[i * STAT_FIELDS + field] for i in range(len(self.processes)))

    def per_worker(self, field):
        return [self.stats[i * STAT_FIELDS + field] for i in range(len(self.processes))]

    def _sample(self):
        while not self._sampling.is_set():
            self.samples.append((round(time.monotonic() - self.started_at, 2), self.total(OPEN),
                                 self.total(CONNECTING), self.total(CLOSED_BY_SERVER), self.total(CONNECT_ERRORS)))
            self._sampling.wait(0.25)

    def wait_until_up(self, target, settle_s=2.0, timeout_s=60.0):
        """Until every worker has tried its first connections and either all `target` are open or
        settle_s more have passed (the server's caps may keep the count under `target` for good, and
        the reconnects keep it moving, so waiting for a steady count would never end). Returns the
        seconds it took."""
        began = time.monotonic()
        ramped_at = None
        while time.monotonic() - began < timeout_s:
            time.sleep(0.1)
            if any(not p.is_alive() for p in self.processes):
                raise RuntimeError("a flood worker died while opening its connections")
            if ramped_at is None and self.total(RAMPED) == len(self.processes):
                ramped_at = time.monotonic()
            if ramped_at is not None and (self.total(OPEN) >= target or time.monotonic() - ramped_at >= settle_s):
                break
        return time.monotonic() - began

    def stop(self):
        """Stops the workers (they close their sockets), killing any that does not stop; collects their
        error kinds."""
        self.stop_event.set()
        kinds = {}
        deadline = time.monotonic() + 10
        for _ in self.processes:
            try:
                result = self.results.get(timeout=max(0.1, deadline - time.monotonic()))
            except Exception:
                break
            for kind, n in result["error_kinds"].items():
                kinds[kind] = kinds.get(kind, 0) + n
        for process in self.processes:
            process.join(timeout=max(0.1, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()  # only our own worker, by its pid
                process.join()
        self._sampling.set()
        if self._sampler:
            self._sampler.join()
        return kinds


# ----------------------------------------------------------------------------------------------
# The report
# ----------------------------------------------------------------------------------------------

def fmt_ms(value):
    return "-" if value is None else f"{value:.1f}"


def fmt_errors(errors):
    return ", ".join(f"{kind} x{n}" for kind, n in sorted(errors.items())) or "none"


def meets_target(summary, requests):
    return summary["p99_ms"] is not None and summary["p99_ms"] <= TARGET_MS and summary["ok"] == requests


def print_report(figures, requests):
    caps = figures["server"]
    flood = figures["flood"]
    print()
    print("== billhook connection flood ==")
    print(f"server: {figures['binary']} port {caps['port']}, threads={caps.get('threads')}, "
          f"open_file_limit={caps.get('open_file_limit')}, max_connections={caps.get('max_connections')}, "
          f"max_connections_per_client={caps.get('max_connections_per_client')}")
    print(f"flood: {flood['attempted']} idle connections attempted from {len(FLOOD_SOURCES)} source addresses "
          f"(127.0.0.2-9) by {flood['workers']} workers, for {flood['seconds']:.1f} s "
          f"(up after {flood['ramp_s']:.1f} s)")
    print(f"  held open at the peak (client's view): {flood['peak_open']}; at the end: {flood['open_at_end']} "
          f"(per worker: {flood['open_per_worker_at_end']})")
    print(f"  closed by the server: {flood['closed_by_server']} (per worker: {flood['closed_per_worker']}); "
          f"connects attempted: {flood['connect_attempts']}; connect errors: {fmt_errors(flood['connect_errors'])}")
    print()
    header = f"{'series':<32}{'phase':<10}{'ok':>5}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}  errors"
    print(header)
    print("-" * len(header))
    for name in figures["latency"]["baseline"]:
        for phase in ("baseline", "flood"):
            s = figures["latency"][phase][name]
            print(f"{name:<32}{phase:<10}{s['ok']:>5}{fmt_ms(s['p50_ms']):>9}{fmt_ms(s['p99_ms']):>9}"
                  f"{fmt_ms(s['max_ms']):>9}  {fmt_errors(s['errors'])}")
    for name, s in figures["latency"]["flood"].items():
        if s["error_rounds"]:
            rounds = as_ranges(sorted({r for r, _ in s["error_rounds"]}))
            print(f"  {name}: failed in rounds {rounds} (of 0-{requests - 1}, paced over the flood)")
    print()
    print(f"target (p99 <= {TARGET_MS:.0f} ms and no errors, {requests} requests each, under the flood):")
    for name, s in figures["latency"]["flood"].items():
        print(f"  {name:<32}{'MET' if meets_target(s, requests) else 'NOT MET'}")
    warnings = figures["server_warnings"]
    print()
    if not warnings:
        print("server log: no refused connections, no accept failures")
    for message, group in warnings.items():
        print(f"server log: {group['lines']} lines '{message}' (refused counted in them: {group['refused']}), e.g.")
        for line in group["examples"]:
            print(f"    {line}")


def as_ranges(numbers):
    """[0, 1, 2, 5, 7, 8] -> "0-2, 5, 7-8": runs of failures show as runs."""
    runs = []
    for n in numbers:
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in runs)


def open_samples_summary(samples, every_s=1.0):
    """A few samples of the flood over time (one a second), to show the header-timeout waves."""
    shown, next_at = [], 0.0
    for sample in samples:
        if sample[0] >= next_at:
            shown.append(sample)
            next_at = sample[0] + every_s
    return shown


def print_timeline(samples):
    print()
    print("flood over time (s since start: open, connecting, closed by server so far, connect errors so far):")
    line = []
    for t, open_, connecting, closed, errors in open_samples_summary(samples):
        line.append(f"{t:5.1f}s {open_}/{connecting}/{closed}/{errors}")
        if len(line) == 4:
            print("  " + "   ".join(line))
            line = []
    if line:
        print("  " + "   ".join(line))


# ----------------------------------------------------------------------------------------------

def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--billhook", default=str(DEFAULT_BINARY), help="the billhook binary to start")
    parser.add_argument("--connections", type=int, default=20000, help="idle connections to hold (20000)")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long the measurement under the flood lasts (20)")
    parser.add_argument("--requests", type=int, default=300, help="requests of each kind per phase (300)")
    parser.add_argument("--per-worker", type=int, default=5000, help="most connections one worker process holds (5000)")
    parser.add_argument("--reopen-delay-ms", type=float, default=0.0,
                        help="wait before reopening a connection the server closed (0: at once)")
    parser.add_argument("--server-nofile", type=int,
                        help="the server's open-file limit, soft and hard (default: this shell's); "
                             "packaging/billhook.service uses 65536; above the hard limit needs root")
    parser.add_argument("--json", help="also write the figures to this file as JSON")
    args = parser.parse_args()
    if args.connections < 1 or args.requests < 1 or args.per_worker < 1 or args.seconds < 0:
        parser.error("--connections, --requests and --per-worker must be positive, --seconds not negative")
    return args


def run(args, workdir):
    template = load_event_template()
    server = Server(args.billhook, workdir, args.server_nofile)
    flood = None
    try:
        caps = {"port": server.port, **{k: server.started.get(k) for k in
                ("threads", "open_file_limit", "max_connections", "max_connections_per_client")}}
        print(f"billhook started on port {server.port}: {caps}", flush=True)

        print(f"baseline: {args.requests} rounds ...", flush=True)
        baseline, _ = measure(server.port, template, args.requests, 0, "baseline")

        print(f"flood: opening {args.connections} idle connections ...", flush=True)
        flood = Flood(server.port, args.connections, args.per_worker, args.reopen_delay_ms / 1000)
        flood.start()
        ramp_s = flood.wait_until_up(args.connections)
        print(f"flood up after {ramp_s:.1f} s: {flood.total(OPEN)} open, {flood.total(CONNECTING)} connecting; "
              f"measuring for {args.seconds:.0f} s ...", flush=True)
        under_flood, measured_s = measure(server.port, template, args.requests, args.seconds, "flood")
        open_at_end = flood.per_worker(OPEN)
        closed = flood.per_worker(CLOSED_BY_SERVER)
        attempts = flood.total(ATTEMPTS)
        flood_seconds = time.monotonic() - flood.started_at
        error_kinds = flood.stop()
        samples = flood.samples
        flood = None
    finally:
        if flood is not None:
            flood.stop()
        server.stop()
    figures = {
        "binary": args.billhook,
        "server": caps,
        "flood": {"attempted": args.connections, "workers": len(open_at_end), "seconds": flood_seconds,
                  "ramp_s": ramp_s, "measured_s": measured_s,
                  "peak_open": max((s[1] for s in samples), default=0), "open_at_end": sum(open_at_end),
                  "open_per_worker_at_end": open_at_end, "closed_by_server": sum(closed),
                  "closed_per_worker": closed, "connect_attempts": attempts, "connect_errors": error_kinds,
                  "samples": samples},
        "latency": {"baseline": {s.name: s.summary() for s in baseline},
                    "flood": {s.name: s.summary() for s in under_flood}},
        "server_warnings": server_warnings(server.log_text()),
        "server_exit_code": server.process.returncode,
    }
    return figures


def interrupt(signum, frame):
    raise KeyboardInterrupt


def main():
    args = parse_args()
    # SIGTERM cleans up the way Ctrl-C does (workers stopped, server stopped, temporary dir removed).
    signal.signal(signal.SIGTERM, interrupt)
    workdir = Path(tempfile.mkdtemp(prefix="billhook-flood-"))
    try:
        figures = run(args, workdir)
    except KeyboardInterrupt:
        print("interrupted: workers and server stopped", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print_timeline(figures["flood"]["samples"])
    print_report(figures, args.requests)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
        print(f"\nfigures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
