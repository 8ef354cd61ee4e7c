#!/usr/bin/env python3
"""bench/run's report: reads the rounds (one JSON line per run), takes each side's median over
the measured rounds (round 0 is the warm-up and is left out) of req/s, latencies and CPU time per
request (user + system time of the side's processes over the run, over its requests), and its
highest peak RSS, and prints
Dragoman's figures as ratios to the reference from the same run, as a table and as JSON.

usage: summarize.py RESULTS MACHINE ROUNDS SECONDS JSON_OUT SCENARIO..."""
import json, statistics, sys

results_path, machine, rounds, seconds, json_out = sys.argv[1:6]
scenarios = [s.split("|") for s in sys.argv[6:]]
runs = [json.loads(line) for line in open(results_path) if line.strip()]


def side(name, which):
    measured = [r for r in runs if r["scenario"] == name and r["side"] == which and r["round"] > 0]
    if not measured:
        return None
    if name == "startup":
        return {"ms": statistics.median(r["figures"]["ms"] for r in measured), "runs": len(measured)}
    figures = lambda key: statistics.median(r["figures"][key] for r in measured)
    # CPU time of the side's processes per request answered (runs from before this column: none).
    cpu = [r["cpu_ticks"] * 1e6 / r["clk_tck"] / r["figures"]["requests"] for r in measured if "cpu_ticks" in r and r["figures"]["requests"]]
    return {
        "cpu_us_per_request": round(statistics.median(cpu), 1) if cpu else None,
        "rps": round(figures("rps"), 1),
        "p50_ms": round(figures("p50_ms"), 3),
        "p99_ms": round(figures("p99_ms"), 3),
        "p999_ms": round(figures("p999_ms"), 3),
        "peak_rss_mib": round(max(r["rss_kib"] for r in measured) / 1024, 1),
        "errors": sum(r["figures"]["errors_4xx_5xx"] + r["figures"]["socket_errors"] for r in measured),
        "rounds": len(measured),
    }


reference_names = {
    "forward": "nginx + Lua translating to the stub",
    "create-sqlite": "nginx return 200 (HTTP ceiling)",
    "create-postgres": "nginx return 200 (HTTP ceiling)",
    "keyed-create": "nginx return 200 (HTTP ceiling)",
    "keyed-create-postgres": "nginx return 200 (HTTP ceiling)",
    "replay": "nginx return 200 (HTTP ceiling)",
    "read-basic": "nginx auth_basic + return 200",
    "read-basic-256": "nginx auth_basic + return 200",
    "shadow-read": "Dragoman's plain forward (same binary, same backend)",
    "shadow-read-16": "Dragoman's plain forward (same binary, same backend)",
    "shadow-create": "Dragoman's plain forward (same binary, same backend)",
    "passthrough-get": "nginx proxy_pass",
    "passthrough-1mib": "nginx proxy_pass",
    "startup": "nginx, minimal config",
}
report = {"machine": machine, "rounds": int(rounds), "seconds": float(seconds), "scenarios": []}
for fields in scenarios + [["startup", "", "", "", "", "", "", "", "", "", "", "< 200 ms"]]:
    name, connections, target = fields[0], fields[1], fields[-1]
    dragoman, reference = side(name, "dragoman"), side(name, "reference")
    if dragoman is None or reference is None:
        continue
    entry = {"scenario": name, "connections": int(connections) if connections else None, "target": target,
             "reference": reference_names.get(name, ""), "dragoman_figures": dragoman, "reference_figures": reference}
    if name == "startup":
        entry["ratio_ms"] = round(dragoman["ms"] / reference["ms"], 2) if reference["ms"] else None
    else:
        entry["ratio_rps"] = round(dragoman["rps"] / reference["rps"], 3) if reference["rps"] else None
        entry["ratio_p99"] = round(dragoman["p99_ms"] / reference["p99_ms"], 2) if reference["p99_ms"] else None
        d_cpu, r_cpu = dragoman["cpu_us_per_request"], reference["cpu_us_per_request"]
        entry["ratio_cpu"] = round(d_cpu / r_cpu, 2) if d_cpu and r_cpu else None
    report["scenarios"].append(entry)

print(f"\nDragoman against its references: {machine}; wrk -t1 on the same machine; "
      f"median of {rounds} rounds of {seconds} s after a warm-up\n")
header = (f"{'scenario':<21} {'conns':>5} {'Dragoman req/s':>14} {'p50':>7} {'p99':>7} {'p99.9':>7} {'CPU µs':>7} {'RSS MiB':>7} | "
          f"{'reference req/s':>15} {'p99':>7} {'CPU µs':>7} {'RSS MiB':>7} | {'ratio':>6} {'p99 ×':>6} {'CPU ×':>6} | target")
print(header)
print("-" * len(header))
for e in report["scenarios"]:
    d, r = e["dragoman_figures"], e["reference_figures"]
    if e["scenario"] == "startup":
        print(f"{'startup':<21} {'':>5} {d['ms']:>11.1f} ms {'':>7} {'':>7} {'':>7} {'':>7} {'':>7} | {r['ms']:>12.1f} ms {'':>7} {'':>7} {'':>7} | "
              f"{e['ratio_ms']:>5}× {'':>6} {'':>6} | {e['target']} (time: lower is better)")
        continue
    errors = f"  ({d['errors']} errors)" if d["errors"] else ""
    cpu = lambda v: f"{v:>7.1f}" if v is not None else f"{'—':>7}"
    cpu_ratio = f"{e['ratio_cpu']:>5}×" if e["ratio_cpu"] is not None else f"{'—':>6}"
    print(f"{e['scenario']:<21} {e['connections']:>5} {d['rps']:>14,.0f} {d['p50_ms']:>7.2f} {d['p99_ms']:>7.2f} {d['p999_ms']:>7.2f} {cpu(d['cpu_us_per_request'])} {d['peak_rss_mib']:>7.1f} | "
          f"{r['rps']:>15,.0f} {r['p99_ms']:>7.2f} {cpu(r['cpu_us_per_request'])} {r['peak_rss_mib']:>7.1f} | {e['ratio_rps']:>5}× {e['ratio_p99']:>5}× {cpu_ratio} | {e['target']}{errors}")
print("\nLatencies in ms. Reference per scenario: " + "; ".join(f"{k}: {v}" for k, v in reference_names.items()))
text = json.dumps(report, indent=2)
print("\n" + text)
if json_out:
    with open(json_out, "w") as f:
        f.write(text + "\n")
