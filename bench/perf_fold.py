#!/usr/bin/env python3
"""Folds `perf script` output into flame-graph stacks and a summary.

    perf script -i perf.data -F tid,ip,sym | bench/perf_fold.py OUT_PREFIX REQUESTS

Writes OUT_PREFIX.folded (one line per distinct stack, root first: "thread;frame;…;leaf count",
the thread named by what it runs) and OUT_PREFIX.txt (samples per thread, and the share of all
samples spent in each billhook function, inclusive, with CPU time per request when REQUESTS > 0).
"""
import collections
import re
import sys

# A thread is named by the first of these found in its stacks (bottom frames first).
ROLES = [("SqlStore::writer_loop", "store writer"), ("WalSync::run", "store sync"),
         ("HttpServer", "http"), ("CurlHttpClient::run", "http client (curl)"),
         ("Dispatcher::run", "dispatcher"), ("DocumentClock", "document clock"),
         ("coordinator_loop", "store coordinator")]
SAMPLE_HZ = 999  # perf record -F


def clean(symbol):
    symbol = re.sub(r"\s*\(inlined\)$", "", symbol.strip())
    # Template arguments and parameter lists make names unreadable and stacks too distinct.
    out, depth = [], 0
    for ch in symbol:
        if ch in "<(":
            if depth == 0:
                out.append("<…>" if ch == "<" else "()")
            depth += 1
        elif ch in ">)":
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(ch)
    return "".join(out).replace(";", ":")[:160] or "[unknown]"


def samples(lines):
    tid, frames = None, []
    for line in lines:
        if not line.strip():
            if tid is not None:
                yield tid, frames
            tid, frames = None, []
        elif not line.startswith("\t"):  # a sample's header: the tid, right-aligned
            tid = line.split()[0]
        else:
            parts = line.strip().split(None, 1)
            frames.append(clean(parts[1] if len(parts) > 1 else "[unknown]"))
    if tid is not None:
        yield tid, frames


def main():
    prefix, requests = sys.argv[1], int(sys.argv[2])
    stacks = collections.Counter()
    by_tid = collections.defaultdict(list)
    for tid, frames in samples(sys.stdin):
        by_tid[tid].append(frames[::-1])  # root first
    role_of = {}
    for tid, stacks_of_tid in by_tid.items():
        text = "\n".join(";".join(s) for s in stacks_of_tid[:200])
        role_of[tid] = next((name for key, name in ROLES if key in text), "other")
    total = sum(len(s) for s in by_tid.values()) or 1
    inclusive = collections.Counter()
    per_role = collections.Counter()
    for tid, stacks_of_tid in by_tid.items():
        for frames in stacks_of_tid:
            stacks[";".join([role_of[tid]] + frames)] += 1
            per_role[role_of[tid]] += 1
            for name in {f for f in frames if "billhook::" in f or f.startswith("sqlite3_") or f.startswith("curl_")}:
                inclusive[name] += 1
    with open(prefix + ".folded", "w") as out:
        for stack, count in sorted(stacks.items()):
            out.write(f"{stack} {count}\n")
    with open(prefix + ".txt", "w") as out:
        seconds = total / SAMPLE_HZ
        out.write(f"{total} samples = {seconds:.1f} CPU seconds")
        if requests > 0:
            out.write(f"; {requests} requests; {seconds * 1e6 / requests:.1f} µs of CPU per request")
        out.write("\n\nthreads (share of all samples)\n")
        for role, count in per_role.most_common():
            out.write(f"  {100 * count / total:5.1f} %  {role}\n")
        out.write("\nfunctions, inclusive (share of all samples)\n")
        for name, count in inclusive.most_common(60):
            if count / total < 0.005:
                break
            out.write(f"  {100 * count / total:5.1f} %  {name}\n")


if __name__ == "__main__":
    main()
