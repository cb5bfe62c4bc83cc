#!/usr/bin/env python3
"""Turns the raw files of one bench/run.sh run into the table, OUT.json and OUT.png.

    report.py RAW_DIR OUT      (OUT without extension, e.g. bench/results/latest)

Exits 1 if the run shows a correctness failure (an answer that is not 2xx, a signature that does not
verify, a delivery missing); a speed target that is missed is reported, not an error.
"""

import json
import os
import subprocess
import sys
import tempfile

MIB = 1024.0


def load(raw, name):
    with open(os.path.join(raw, name)) as f:
        return json.load(f)


def load_lines(raw, name):
    with open(os.path.join(raw, name)) as f:
        return [json.loads(line) for line in f if line.strip()]


def main():
    raw, out = sys.argv[1], sys.argv[2]
    machine = load(raw, "machine.json")
    run = load(raw, "run.json")
    short = machine["short"]
    problems = []

    # 1. publish throughput: the best round of each (rounds alternate billhook and nginx).
    rounds = sorted(f for f in os.listdir(raw) if f.startswith("publish_billhook_") and f.endswith(".json"))
    bh_rounds = [load(raw, f) for f in rounds]
    ngx_rounds = [load(raw, f.replace("billhook", "nginx")) for f in rounds]
    bh_best = max(r["rate"] for r in bh_rounds)
    ngx_best = max(r["rate"] for r in ngx_rounds)
    bh_errors = sum(r["non_2xx"] + r["socket_errors"] for r in bh_rounds)
    ngx_errors = sum(r["non_2xx"] + r["socket_errors"] for r in ngx_rounds)
    if bh_errors:
        problems.append(f"publish: {bh_errors} answers from billhook were not 2xx (or the socket failed)")
    if ngx_errors:
        problems.append(f"publish: {ngx_errors} answers from nginx were not 2xx (or the socket failed)")

    # 2. delivery throughput: first publish → the receiver's last arrival.
    pub = load(raw, "delivery_publisher.json")
    rec = load(raw, "delivery_receiver.json")
    ref = load(raw, "delivery_wrk.json")
    ref_rec = load(raw, "delivery_wrk_receiver.json")
    delivery_seconds = (rec["last_ns"] - pub["first_send_ns"]) / 1e9
    delivery_rate = rec["count"] / delivery_seconds
    bad_signatures = rec["bad_signatures"]
    if pub["errors"]:
        problems.append(f"delivery: {pub['errors']} publishes were not answered 2xx")
    if bad_signatures or rec["verified"] < pub["sent"]:
        problems.append(f"delivery: {bad_signatures} signatures failed, {rec['verified']} of {pub['sent']} verified")
    if ref_rec["bad_signatures"] or ref["non_2xx"] or ref["socket_errors"]:
        problems.append("delivery reference: bad signatures or errors in wrk → receiver")

    # 3. latency
    latency = []
    for pct in (25, 50, 75):
        meta = load(raw, f"latency_{pct}_meta.json")
        lat = load(raw, f"latency_{pct}.json")
        lpub = load(raw, f"latency_{pct}_publisher.json")
        if lpub["errors"]:
            problems.append(f"latency at {pct} %: {lpub['errors']} publishes were not answered 2xx")
        latency.append({"percent": pct, "rate": meta["rate"], "achieved_rate": lpub["rate"], "late_sends": lpub["late"],
                        **{k: lat[k] for k in ("samples", "p50_ms", "p90_ms", "p99_ms", "max_ms", "mean_ms")}})
    lat50 = latency[1]

    # 4. memory
    backlog = load_lines(raw, "memory_backlog.jsonl")
    progress = [p for p in backlog if "progress" in p]
    mem_summary = next(p for p in backlog if "sent" in p)
    drain = load_lines(raw, "memory_drain.jsonl")
    mem_start = load(raw, "memory_start.json")["rss_kib_start"]
    mem_peak = load(raw, "memory_peak.json")["rss_kib_peak"]
    mem_rec = load(raw, "memory_receiver.json")
    mem_events = mem_summary["sent"]
    if mem_summary["errors"]:
        problems.append(f"memory: {mem_summary['errors']} publishes were not answered 2xx")
    if mem_rec["bad_signatures"]:
        problems.append(f"memory: {mem_rec['bad_signatures']} signatures failed while draining")
    drain_seconds = drain[-1]["t_s"] if drain else 0
    rss_backlog = [p["rss_kib"] for p in progress]
    rss_first, rss_last = (rss_backlog[0], rss_backlog[-1]) if rss_backlog else (mem_start, mem_start)
    rss_max_all = max([mem_peak] + rss_backlog + [d["rss_kib"] for d in drain])
    # Flat: the RSS at the full backlog is within 25 % of the RSS at the first tenth of it.
    flat_ratio = rss_last / rss_first if rss_first else 0

    # 5. growth
    growth = load_lines(raw, "growth.jsonl")
    for g in growth:  # events stored when the publishing-alone measurement began
        g["stored_before"] = g["stored"] - g["publish_only"]["requests"]
    growth_note = load(raw, "growth_meta.json")["note"]
    growth_slowdown = growth[0]["publish_only"]["rate"] / growth[-1]["publish_only"]["rate"]
    growth_slowdown_delivering = growth[0]["rate"] / growth[-1]["rate"]
    for g in growth:
        errors = g["non_2xx"] + g["socket_errors"] + g["publish_only"]["non_2xx"] + g["publish_only"]["socket_errors"]
        if errors:
            problems.append(f"growth at {g['level']}: {errors} errors")

    # 6. usage intake and current usage
    usage_batch = load(raw, "usage_batch.json")
    usage_single = load(raw, "usage_single.json")
    usage_current = load(raw, "usage_current.json")
    for name, u in (("batches", usage_batch), ("one by one", usage_single)):
        if u["errors"]:
            problems.append(f"usage intake {name}: {u['errors']} answers were not 2xx (or the socket failed)")

    def verdict(ok):
        return ("pass" if ok else "FAIL") + (" (short: not asserted)" if short else "")

    rows = [
        {"figure": "publish throughput (events/s)", "billhook": bh_best, "reference": ngx_best,
         "reference_name": "wrk → nginx 204", "ratio": bh_best / ngx_best, "target": "≥ 0.5×",
         "pass": bh_best / ngx_best >= 0.5},
        {"figure": "delivery throughput (events/s)", "billhook": delivery_rate, "reference": ref["rate"],
         "reference_name": "wrk → receiver", "ratio": delivery_rate / ref["rate"], "target": "≥ 0.5×",
         "pass": delivery_rate / ref["rate"] >= 0.5},
        {"figure": f"latency p99 at 50 % ({lat50['rate']}/s), ms", "billhook": lat50["p99_ms"], "reference": None,
         "reference_name": "", "ratio": None, "target": "≤ 25 ms", "pass": lat50["p99_ms"] <= 25},
        {"figure": f"RSS peak, {mem_events:,} queued (MiB)", "billhook": rss_max_all / MIB, "reference": None,
         "reference_name": "", "ratio": None, "target": "≤ 128 MiB", "pass": rss_max_all / MIB <= 128},
        {"figure": f"RSS at full / at 1/10 backlog", "billhook": flat_ratio, "reference": None, "reference_name": "",
         "ratio": None, "target": "flat (≤ 1.25×)", "pass": flat_ratio <= 1.25},
        {"figure": f"publish slowdown {growth[0]['stored_before']:,} → {growth[-1]['stored_before']:,} stored", "billhook": growth_slowdown,
         "reference": None, "reference_name": "", "ratio": None, "target": "≤ 1.2×", "pass": growth_slowdown <= 1.2},
        {"figure": "  the same, each event also delivered", "billhook": growth_slowdown_delivering,
         "reference": None, "reference_name": "", "ratio": None, "target": "≤ 1.2×",
         "pass": growth_slowdown_delivering <= 1.2},
        {"figure": "usage intake, batches of 100 (events/s)", "billhook": usage_batch["events_per_s"],
         "reference": None, "reference_name": "", "ratio": None, "target": "≥ 50,000",
         "pass": usage_batch["events_per_s"] >= 50000},
        {"figure": "  one event per request (events/s)", "billhook": usage_single["events_per_s"], "reference": None,
         "reference_name": "", "ratio": None, "target": "(reported)", "pass": True},
        {"figure": f"current usage, {usage_current['events']:,} events (ms, p50)", "billhook": usage_current["p50_ms"],
         "reference": None, "reference_name": "", "ratio": None, "target": "< 100 ms",
         "pass": usage_current["max_ms"] < 100},
    ]

    def num(v, digits=1):
        if v is None:
            return "—"
        return f"{v:,.{digits}f}" if abs(v) < 1000 else f"{v:,.0f}"

    print()
    print(f"billhook benchmark{' (--short: small counts, targets not asserted)' if short else ''} — "
          f"{machine['nproc']} cores, {machine['cpu']}, {machine['memory_gib']} GiB; load {machine['load_before']} → "
          f"{run['load_after']}; {run['seconds']} s")
    header = f"{'figure':<44} {'billhook':>10} {'reference':>10} {'ratio':>7}  {'target':<15} result"
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r['figure']:<44} {num(r['billhook'], 2):>10} {num(r['reference']):>10} "
              f"{num(r['ratio'], 2) if r['ratio'] is not None else '—':>7}  {r['target']:<15} {verdict(r['pass'])}")
    print()
    print("publish rounds (events/s): billhook " + ", ".join(num(r["rate"]) for r in bh_rounds)
          + "; nginx " + ", ".join(num(r["rate"]) for r in ngx_rounds)
          + f"; non-2xx/socket errors: billhook {bh_errors}, nginx {ngx_errors}")
    print(f"delivery: {rec['count']:,} events published at {pub['rate']:,.0f}/s and delivered in {delivery_seconds:.2f} s; "
          f"signatures verified {rec['verified']:,}, failed {bad_signatures}; reference {ref['requests']:,} requests "
          f"in {ref['duration_s']:.1f} s")
    for lat in latency:
        print(f"latency at {lat['percent']:>2} % ({lat['rate']:,}/s, achieved {lat['achieved_rate']:,.0f}/s, "
              f"{lat['samples']:,} samples): p50 {lat['p50_ms']:.1f} ms, p90 {lat['p90_ms']:.1f}, "
              f"p99 {lat['p99_ms']:.1f}, max {lat['max_ms']:.1f}")
    print(f"memory: start {mem_start / MIB:.1f} MiB; while queueing " +
          ", ".join(f"{p['progress'] // 1000}k {p['rss_kib'] / MIB:.0f}" for p in progress) +
          f" MiB; peak (VmHWM) {mem_peak / MIB:.1f} MiB; drained {mem_rec['count']:,} of {mem_events:,} in {drain_seconds:.0f} s "
          f"({mem_rec['count'] / drain_seconds if drain_seconds else 0:,.0f}/s), RSS at the end {drain[-1]['rss_kib'] / MIB:.0f} MiB")
    print("store growth (events/s, publishing alone | each also delivered): "
          + "; ".join(f"{g['stored_before']:,} stored → {g['publish_only']['rate']:,.0f} | {g['rate']:,.0f}" for g in growth)
          + (f" ({growth_note})" if growth_note else ""))
    print(f"usage intake: batches of 100 {usage_batch['events_per_s']:,.0f} events/s "
          f"({usage_batch['rate']:,.0f} requests/s, p99 {usage_batch['latency_p99_ms']:.1f} ms); one by one "
          f"{usage_single['events_per_s']:,.0f}/s (p99 {usage_single['latency_p99_ms']:.1f} ms); current usage with "
          f"{usage_current['events']:,} events: p50 {usage_current['p50_ms']:.1f} ms, max {usage_current['max_ms']:.1f} ms "
          f"over {usage_current['calls']} calls")
    for p in problems:
        print("PROBLEM: " + p)

    result = {
        "machine": machine, "run": run,
        "summary": [{k: v for k, v in r.items()} for r in rows],
        "publish": {"billhook_rounds": bh_rounds, "nginx_rounds": ngx_rounds, "billhook_best": bh_best,
                    "nginx_best": ngx_best, "ratio": bh_best / ngx_best, "billhook_errors": bh_errors,
                    "nginx_errors": ngx_errors,
                    "setup": "wrk -t2 -c64, bench/publish.lua; billhook: fresh store, one endpoint (invoice.paid) "
                             "pointing at bench/receiver, which is up, so every event is also delivered"},
        "delivery": {"events": rec["count"], "seconds": delivery_seconds, "rate": delivery_rate,
                     "publish_rate": pub["rate"], "signatures_verified": rec["verified"],
                     "signature_failures": bad_signatures, "reference": ref, "ratio": delivery_rate / ref["rate"]},
        "latency": latency,
        "memory": {"events": mem_events, "rss_mib_start": mem_start / MIB, "rss_mib_peak": rss_max_all / MIB,
                   "backlog": [{"queued": p["progress"], "rss_mib": p["rss_kib"] / MIB, "t_s": p["t_s"]}
                               for p in progress],
                   "drain": [{"delivered": d["delivered"], "rss_mib": d["rss_kib"] / MIB, "t_s": d["t_s"]} for d in drain],
                   "publish_rate": mem_summary["rate"], "drain_seconds": drain_seconds,
                   "flat_ratio": flat_ratio},
        "growth": {"levels": growth, "slowdown": growth_slowdown, "slowdown_delivering": growth_slowdown_delivering,
                   "note": growth_note},
        "usage": {"batch": usage_batch, "single": usage_single, "current_usage": usage_current,
                  "setup": "wrk -t2, bench/usage.lua: 16 connections × 100 events per request, then 64 × 1; one "
                           "subscription, a sum metric with a filter priced by a graduated charge"},
        "problems": problems,
    }
    with open(out + ".json", "w") as f:
        json.dump(result, f, indent=1, ensure_ascii=False)
        f.write("\n")
    plot(result, out + ".png")
    return 1 if problems else 0


def plot(r, png):
    d = tempfile.mkdtemp(prefix="billhook-plot.")

    def write(name, lines):
        path = os.path.join(d, name)
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    p, dl = r["publish"], r["delivery"]
    tput = write("tput.dat", [
        f'"publish" {p["billhook_best"]:.0f} {p["nginx_best"]:.0f}',
        f'"delivery" {dl["rate"]:.0f} {dl["reference"]["rate"]:.0f}',
    ])
    lat = write("lat.dat", [f'"{x["percent"]}% ({x["rate"]}/s)" {x["p50_ms"]:.3f} {x["p90_ms"]:.3f} {x["p99_ms"]:.3f} '
                            f'{x["max_ms"]:.3f}' for x in r["latency"]])
    m = r["memory"]
    n = m["events"]
    grow = write("grow.dat", ["0 %.2f" % m["rss_mib_start"]] + [f'{b["queued"]} {b["rss_mib"]:.2f}' for b in m["backlog"]])
    drain = write("drain.dat", [f'{max(0, n - x["delivered"])} {x["rss_mib"]:.2f}' for x in m["drain"]])
    g = r["growth"]["levels"]
    growth = write("growth.dat", [f'{x["stored_before"]} {x["publish_only"]["rate"]:.0f} {x["rate"]:.0f}' for x in g])
    first_rate = g[0]["publish_only"]["rate"]
    title = (f'billhook on {r["machine"]["nproc"]} cores ({r["machine"]["cpu"]}), {r["machine"]["date"]}'
             + (" — SHORT run" if r["machine"]["short"] else ""))
    script = f"""
set terminal pngcairo size 1400,1000 font "DejaVu Sans,10"
set output "{png}"
set multiplot layout 2,2 title "{title}"
set grid ytics
set key top right
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set title "Throughput (events/s, log scale), same-run references"
set logscale y
set yrange [100:*]
plot "{tput}" using 2:xtic(1) title "billhook" lc rgb "#1f77b4", "" using 3 title "reference (nginx 204 / wrk → receiver)" lc rgb "#aaaaaa"
set title "End-to-end latency, publish → received (ms)"
set yrange [*:*]
plot "{lat}" using 2:xtic(1) title "p50" lc rgb "#2ca02c", "" using 3 title "p90" lc rgb "#bcbd22", "" using 4 title "p99" lc rgb "#ff7f0e", "" using 5 title "max" lc rgb "#d62728", 25 with lines dt 2 lc rgb "black" title "target p99 at 50 %: 25 ms"
unset logscale y
set style data linespoints
set title "RSS (MiB) against deliveries queued (receiver down, then draining)"
set xlabel "deliveries queued"
set yrange [0:*]
set format x "%.0s%c"
plot "{grow}" using 1:2 title "backlog growing" lw 2 pt 7 lc rgb "#1f77b4", "{drain}" using 1:2 title "draining" lw 1 pt 6 lc rgb "#ff7f0e", 128 with lines dt 2 lc rgb "black" title "target 128 MiB"
set title "Publish throughput against events already stored"
set xlabel "events stored"
set logscale x
set format x "10^{{%L}}"
set yrange [0:*]
plot "{growth}" using 1:2 title "publishing alone" lw 2 pt 7 lc rgb "#1f77b4", "" using 1:3 title "each event also delivered" lw 2 pt 6 lc rgb "#ff7f0e", {first_rate / 1.2:.0f} with lines dt 2 lc rgb "black" title "target: ≥ first level / 1.2 (publishing alone)"
unset multiplot
"""
    path = write("plot.gp", [script])
    subprocess.run(["gnuplot", path], check=True)


if __name__ == "__main__":
    sys.exit(main())
