#!/usr/bin/env python3
"""Parameters of an LLM center's training job mix for docs/model.md, "Training job traces".

Source: the Acme summary of Shanghai AI Lab's two LLM clusters, Seren and
Kalos (InternLM/AcmeTrace data/cluster_summary.csv, NSDI '24; the per-job
traces are absent from the shared data), one row per cluster with the GPU
job count, the mean, median and largest GPU count and run time, mean and
median queue time, and the completed/cancelled/failed shares by count and
by GPU-time.

The mix fitted to each cluster:
  * Job size: cards = 2^k, k = 0..10 (1 to 1,024, the largest job of both
    clusters).  P(1) = p1, and P(2^k) for k >= 1 proportional to 2^(-a k)
    (a power law over the powers of two).  The summary gives two numbers on
    sizes: the mean (fitted exactly) and the median, 1 card (P(1) >= 0.5).
    p1 is set to the share of 1-card jobs that makes the single power law
    over all k (p1 included) fit the mean if that share is >= 0.5; else the
    median binds and p1 = 0.5.
  * Run time: lognormal, ln T ~ N(mu0 + b * log2(cards), sigma^2): bigger
    jobs run longer.  Three numbers fit the three parameters: the median
    run time of all GPU jobs, their mean, and the mean GPU-time per job
    (total GPU-time / GPU jobs, where Acme's gpu_time is duration x
    gpu_num), which is several times mean cards x mean run time: the size
    and the run time of a job are strongly correlated.  Run times are not
    clipped at the summary's maximum in the fit (the clip moves the mean by
    less than the rounding of the summary).
  * Arrivals: Poisson at GPU jobs / trace period.  The periods are not in
    the summary: Seren from the README's "March 2023 to August 2023" (184
    days), Kalos from its first example job (2023-05-17) to the end of
    August (107 days): an assumption, stated in docs/model.md.
  * End states by count (completed, cancelled, failed; TIMEOUT and
    NODE_FAIL counted as failed by Acme) and by GPU-time, and the queue
    times the scheduler should reproduce (not inputs of the generator).

Standard library only.  Usage: scripts/fit_jobs.py [shared-data-folder]
(default: ../shared/data next to the repository).
"""
import csv
import math
import os
import sys

KMAX = 10
PERIOD_DAYS = {"Seren": 184.0, "Kalos": 107.0}


def phi(x):
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def size_law(p1, a):
    """P(2^k), k = 0..KMAX: p1 for k = 0, the rest ~ 2^(-a k)."""
    w = [2.0 ** (-a * k) for k in range(1, KMAX + 1)]
    s = sum(w)
    return [p1] + [(1.0 - p1) * x / s for x in w]


def mean_size(p):
    return sum(pk * 2.0**k for k, pk in enumerate(p))


def bisect(f, lo, hi, n=200):
    """Root of increasing-or-decreasing f on [lo, hi] (f(lo), f(hi) differ in sign)."""
    flo = f(lo)
    for _ in range(n):
        mid = 0.5 * (lo + hi)
        fm = f(mid)
        if (fm < 0) == (flo < 0):
            lo, flo = mid, fm
        else:
            hi = mid
    return 0.5 * (lo + hi)


def fit_sizes(mean):
    # One power law over all k: P(2^k) ~ 2^(-a k), k = 0..KMAX.
    def law(a):
        w = [2.0 ** (-a * k) for k in range(KMAX + 1)]
        s = sum(w)
        return [x / s for x in w]

    a = bisect(lambda a: mean_size(law(a)) - mean, 0.01, 5.0)
    p = law(a)
    if p[0] >= 0.5:
        return p[0], a, p, "power law over all sizes; median 1 holds"
    a = bisect(lambda a: mean_size(size_law(0.5, a)) - mean, 0.01, 5.0)
    return 0.5, a, size_law(0.5, a), "median binds: P(1) = 0.5, power law over 2..1024"


def runtime_stats(p, mu0, b, sigma):
    """Median, mean and mean cards x T of the mixture."""
    mus = [mu0 + b * k for k in range(len(p))]

    def cdf(t):
        return sum(pk * phi((math.log(t) - m) / sigma) for pk, m in zip(p, mus))

    med = math.exp(bisect(lambda x: cdf(math.exp(x)) - 0.5, -20, 40, 120))
    mean = sum(pk * math.exp(m + sigma * sigma / 2) for pk, m in zip(p, mus))
    gpu = sum(pk * 2.0**k * math.exp(m + sigma * sigma / 2) for k, (pk, m) in enumerate(zip(p, mus)))
    return med, mean, gpu


def fit_runtime(p, median, mean, gpu_mean):
    """(mu0, b, sigma, note).  E[cards T] / E[T] depends on b alone (the
    lognormal factor exp(mu0 + sigma^2 / 2) cancels), so b is fitted to it
    first; then sigma to mean / median, mu0 to the median for each sigma."""
    def ratio(b):
        num = sum(pk * 2.0**k * math.exp(b * k) for k, pk in enumerate(p))
        den = sum(pk * math.exp(b * k) for k, pk in enumerate(p))
        return num / den

    b = bisect(lambda b: ratio(b) - gpu_mean / mean, 0.0, 3.0, 60)

    def mu0_for(sigma):
        # The mixture's median moves one for one with mu0.
        return bisect(lambda m: runtime_stats(p, m, b, sigma)[0] - median, -20, 40, 60)

    def mean_err(sigma):
        return runtime_stats(p, mu0_for(sigma), b, sigma)[1] - mean

    lo = 0.05
    if mean_err(lo) > 0:
        return mu0_for(lo), b, lo, "mean / median unreachable: sigma at its floor"
    s = bisect(mean_err, lo, 6.0, 50)
    return mu0_for(s), b, s, "exact"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "shared", "data")
    path = os.path.join(data, "traces", "acme", "cluster_summary.csv")
    rows = {r["id"]: r for r in csv.DictReader(open(path, newline=""))}
    for name in ("Seren", "Kalos"):
        r = {k: (float(v) if v and k != "id" else v) for k, v in rows[name].items()}
        jobs = r["gpu_job_num"]
        gpu_time = r["complete_gpu_time"] + r["cancel_gpu_time"] + r["fail_gpu_time"]
        gpu_mean = gpu_time / jobs
        print(f"== {name}: {jobs:.0f} GPU jobs of {r['job_num']:.0f}")
        print(f"summary: cards mean {r['avg_gpu_num']} median {r['med_gpu_num']:.0f} "
              f"max {r['max_gpu']:.0f}; run time mean {r['avg_run_time_gpu']} s median "
              f"{r['med_run_time_gpu']:.0f} s max {r['max_run_time_gpu']:.0f} s; "
              f"GPU-time/job {gpu_mean:.0f} GPU*s (mean cards x mean run time "
              f"{r['avg_gpu_num'] * r['avg_run_time_gpu']:.0f})")
        p1, a, p, how = fit_sizes(r["avg_gpu_num"])
        print(f"size law: P(1) = {p1:.4f}, a = {a:.4f} ({how}); mean {mean_size(p):.3f}")
        print("  cards  " + " ".join(f"{2**k:>7d}" for k in range(KMAX + 1)))
        print("  P      " + " ".join(f"{x:7.4f}" for x in p))
        mu0, b, sigma, note = fit_runtime(p, r["med_run_time_gpu"], r["avg_run_time_gpu"], gpu_mean)
        med, mean, gm = runtime_stats(p, mu0, b, sigma)
        print(f"run time: ln T ~ N({mu0:.4f} + {b:.4f} log2(cards), {sigma:.4f}^2) ({note}); "
              f"check: median {med:.1f} s, mean {mean:.1f} s, GPU-time/job {gm:.0f}")
        classes = [("1 card (evaluation, debugging)", 0, 0), ("2-8 (fine-tuning, one server)", 1, 3),
                   ("16-64 (fine-tuning, multi-server)", 4, 6), ("128-256", 7, 8),
                   ("512-1024 (pre-training)", 9, 10)]
        total_gpu = sum(p[k] * 2.0**k * math.exp(mu0 + b * k + sigma**2 / 2) for k in range(KMAX + 1))
        for label, k0, k1 in classes:
            pk = sum(p[k0:k1 + 1])
            g = sum(p[k] * 2.0**k * math.exp(mu0 + b * k + sigma**2 / 2) for k in range(k0, k1 + 1))
            medk = math.exp(mu0 + b * k0), math.exp(mu0 + b * k1)
            print(f"  {label:36s} P {pk:8.5f}  median run {medk[0]:9.0f}-{medk[1]:9.0f} s  "
                  f"GPU-time share {g / total_gpu:6.3f}")
        days = PERIOD_DAYS[name]
        print(f"arrivals: {jobs / (days * 86400):.5f} GPU jobs/s = {jobs / days:.0f}/day "
              f"(assumed period {days:.0f} days)")
        print(f"end states by count: completed {r['complete_rate_gpu']}, cancelled "
              f"{r['cancel_rate_gpu']}, failed {r['fail_rate_gpu']}; by GPU-time: "
              f"{r['complete_rate_gpu_time']}, {r['cancel_rate_gpu_time']}, "
              f"{r['fail_rate_gpu_time']}")
        print(f"queue (targets for the scheduler): mean {r['avg_que_time_gpu']} s, "
              f"median {r['med_que_time_gpu']:.0f} s")
        print()


if __name__ == "__main__":
    main()
