#!/usr/bin/env python3
"""Fits of the request traces in ../shared/data for docs/model.md, "Request traces".

For the Azure LLM inference traces of 2023 (code, conv) and the Mooncake
conversation trace it prints, per trace: the row count, the span, the mean
arrival rate (n - 1) / span, the coefficient of variation of the
inter-arrival gaps, and lognormal laws of prompt and output tokens fitted by
the moments of the logs (mu = mean of ln x, sigma = standard deviation of
ln x, n - 1 in the denominator), with the means and medians they imply
beside the trace's own.  For the ServeGen language m-large clients (one
*-trace.csv per client, 600 s windows) it prints the total mean rate, the
daily profile of the summed rate averaged over the days (peak, trough and
their local times, peak/mean) and the first daily harmonic of that profile
as the `diurnal` amplitude and `peak_time` of the generated sources
(rate * (1 + diurnal * cos(2 pi (t - peak_time) / 24 h))).

Standard library only.  Usage: scripts/fit_traces.py [shared-data-folder]
(default: ../shared/data next to the repository).
"""
import glob
import json
import math
import os
import statistics
import sys
from datetime import datetime


def clipped_mean(mu, sigma, hi):
    """E[min(X, hi)] for X = exp(N(mu, sigma^2))."""
    phi = lambda z: 0.5 * math.erfc(-z / math.sqrt(2))
    z = (math.log(hi) - mu) / sigma
    return math.exp(mu + sigma * sigma / 2) * phi(z - sigma) + hi * (1 - phi(z))


def lognormal_fit(xs):
    logs = [math.log(x) for x in xs]
    return statistics.fmean(logs), statistics.stdev(logs)


def arrivals(ts_s):
    ts = sorted(ts_s)
    gaps = [b - a for a, b in zip(ts, ts[1:])]
    span = ts[-1] - ts[0]
    mean = statistics.fmean(gaps)
    return span, (len(ts) - 1) / span, statistics.pstdev(gaps) / mean


def report(name, source, ts_s, prompt, output):
    span, rate, cv = arrivals(ts_s)
    print(f"## {name}")
    print(f"source: {source}")
    print(f"rows {len(ts_s)}, span {span:.1f} s, rate {rate:.3f} req/s, inter-arrival CV {cv:.3f}")
    for label, xs in (("prompt", prompt), ("output", output)):
        mu, sigma = lognormal_fit(xs)
        print(
            f"{label}: mean {statistics.fmean(xs):.1f}, median {statistics.median(xs):.0f}, "
            f"max {max(xs)}; lognormal({mu:.3f}, {sigma:.3f}): median {math.exp(mu):.0f}, "
            f"mean {math.exp(mu + sigma * sigma / 2):.0f}, "
            f"mean clipped at max={max(xs)} {clipped_mean(mu, sigma, max(xs)):.0f}"
        )
    print()


def azure(path):
    ts, pin, pout = [], [], []
    with open(path, newline="") as f:
        header = f.readline().strip().split(",")
        it, ii, io = (header.index(k) for k in ("TIMESTAMP", "ContextTokens", "GeneratedTokens"))
        for line in f:
            row = line.strip().split(",")
            if len(row) < 3:
                continue
            stamp = row[it]
            # Up to 7 fraction digits: datetime takes 6.
            if "." in stamp:
                head, frac = stamp.split(".")
                stamp = head + "." + (frac + "000000")[:6]
                fmt = "%Y-%m-%d %H:%M:%S.%f"
            else:
                fmt = "%Y-%m-%d %H:%M:%S"
            ts.append(datetime.strptime(stamp, fmt).timestamp())
            pin.append(int(row[ii]))
            pout.append(int(row[io]))
    return ts, pin, pout


def mooncake(path):
    ts, pin, pout = [], [], []
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            o = json.loads(line)
            ts.append(o["timestamp"] / 1000.0)
            pin.append(o["input_length"])
            pout.append(o["output_length"])
    return ts, pin, pout


def servegen(folder):
    files = sorted(glob.glob(os.path.join(folder, "*-trace.csv")))
    total = {}
    window = None
    for path in files:
        starts = []
        with open(path) as f:
            for line in f:
                if not line.strip():
                    continue
                row = line.strip().split(",")
                t, rate = float(row[0]), float(row[1])
                starts.append(t)
                total[t] = total.get(t, 0.0) + rate
        if window is None and len(starts) > 1:
            window = starts[1] - starts[0]
    times = sorted(total)
    days = (times[-1] + window - times[0]) / 86400.0
    mean = statistics.fmean(total[t] for t in times)
    per_day = int(round(86400 / window))
    profile = [0.0] * per_day
    count = [0] * per_day
    for t in times:
        k = int(round((t % 86400) / window)) % per_day
        profile[k] += total[t]
        count[k] += 1
    profile = [p / c for p, c in zip(profile, count)]
    pmean = statistics.fmean(profile)
    kmax = max(range(per_day), key=lambda k: profile[k])
    kmin = min(range(per_day), key=lambda k: profile[k])
    # First harmonic: profile ~ pmean * (1 + d cos(w (t - peak))), at window midpoints.
    a = b = 0.0
    for k, p in enumerate(profile):
        w = 2 * math.pi * (k + 0.5) / per_day
        a += p * math.cos(w)
        b += p * math.sin(w)
    a *= 2 / per_day
    b *= 2 / per_day
    amp = math.hypot(a, b) / pmean
    peak_h = (math.atan2(b, a) / (2 * math.pi) * 24) % 24

    def hhmm(k):
        s = int(k * window)
        return f"{s // 3600:02d}:{s % 3600 // 60:02d}"

    print("## ServeGen language m-large")
    print(f"source: {folder}")
    print(f"clients {len(files)}, windows of {window:.0f} s over {days:.1f} days")
    print(f"total mean rate {mean:.2f} req/s; daily profile mean {pmean:.2f} req/s")
    print(
        f"peak {profile[kmax]:.2f} req/s at {hhmm(kmax)} (peak/mean {profile[kmax] / pmean:.3f}), "
        f"trough {profile[kmin]:.2f} req/s at {hhmm(kmin)} (trough/mean {profile[kmin] / pmean:.3f})"
    )
    hours = [statistics.fmean(profile[h * per_day // 24:(h + 1) * per_day // 24]) / pmean for h in range(24)]
    print("hourly profile / mean: " + " ".join(f"{x:.2f}" for x in hours))
    print(f"first daily harmonic: diurnal {amp:.3f}, peak_time {int(peak_h):02d}:{int(peak_h % 1 * 60):02d}")
    print()


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data"
    )
    root = os.path.normpath(root)
    tr = os.path.join(root, "traces")
    if not os.path.isdir(tr):
        sys.exit(f"fit_traces: no traces folder at {tr}")
    for name, rel in (
        ("Azure code (AzureLLMInferenceTrace_code.csv)", "azure-llm-2023/AzureLLMInferenceTrace_code.csv"),
        ("Azure conv (AzureLLMInferenceTrace_conv.csv)", "azure-llm-2023/AzureLLMInferenceTrace_conv.csv"),
    ):
        report(name, "traces/" + rel, *azure(os.path.join(tr, rel)))
    rel = "mooncake-fast25/conversation_trace.jsonl"
    report("Mooncake conversation (conversation_trace.jsonl)", "traces/" + rel, *mooncake(os.path.join(tr, rel)))
    servegen(os.path.join(tr, "servegen", "language", "m-large"))


if __name__ == "__main__":
    main()
