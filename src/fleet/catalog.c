/*
 * The built-in hardware catalog (see include/suanli/catalog.h).
 *
 * Numbers come from reference/hardware-perf.md (§1 devices, §4 server power,
 * §5 the compact table) and reference/power-cooling.md (§1.1 80 PLUS, §4
 * accelerator power); docs/model.md ("Hardware catalog") cites each one and
 * marks the low-confidence ones, which a scenario can override by defining
 * its own entries.  Idle powers marked * in hardware-perf.md §5 are
 * assumptions at 15-20 % of TDP (low confidence); so are ours.
 */
#include "suanli/catalog.h"
#include "suanli/chain.h"
#include "suanli/list.h"

#include <math.h>
#include <stddef.h>

/* The same spelling as the `phases.*` keys. */
const char *const sl_phase_names[] = {"idle",       "prefill", "decode", "train_compute",
                                      "train_comm", "mixed",   NULL};
const char *const sl_confidence_names[] = {"high", "medium", "low", NULL};

#define T  1e12
#define GB 1e9

/* name, description, fp16, int8, memory, bandwidth, tdp, idle, link, link
 * bandwidth, confidence, source */
static const struct sl_device_model devices[] = {
    {SL_TEXT("t100"), SL_TEXT("Tecorigin T100 (4 SPAs, SDAA); no native INT8/FP8 path"), 250 * T,
     250 * T, 64 * GB, 1.6e12, 470, 90, SL_TEXT("pcie4-x16"), 32 * GB, SL_CONF_LOW,
     SL_TEXT("hardware-perf.md 1.1, 5: 250 TFLOPS from the 32 PFLOPS / 128-card rack claim (>= 116 "
             "measured bound); 64 GB HBM (teco-smi 65536 MB); 1.6 TB/s derived; TDP 470 W derived "
             "from 5.4 kW servers; idle 87-90 W measured (teco-smi)")},
    {SL_TEXT("ascend-910b"), SL_TEXT("Huawei Ascend 910B2"), 353.8 * T, 707.6 * T, 64 * GB, 1.6e12,
     400, 90, SL_TEXT("hccs"), 196 * GB, SL_CONF_MEDIUM,
     SL_TEXT("hardware-perf.md 1.3, 5 (light-llm-simulator config)")},
    {SL_TEXT("ascend-910c"), SL_TEXT("Huawei Ascend 910C (2 dies)"), 752 * T, 1504 * T, 128 * GB,
     3.2e12, 700, 150, SL_TEXT("ub"), 196 * GB, SL_CONF_MEDIUM,
     SL_TEXT("hardware-perf.md 1.3, 5 (CloudMatrix paper); link bandwidth assumed = HCCS (low)")},
    {SL_TEXT("kunlun-p800"), SL_TEXT("Kunlunxin P800 (XPU-P, OAM)"), 345 * T, 690 * T, 96 * GB,
     2.4e12, 400, 80, SL_TEXT("xpu-link"), 100 * GB, SL_CONF_LOW,
     SL_TEXT("hardware-perf.md 1.3, 5 (card-spec pages); link bandwidth an assumption")},
    {SL_TEXT("mlu590"), SL_TEXT("Cambricon MLU590"), 300 * T, 600 * T, 80 * GB, 2.4e12, 450, 90,
     SL_TEXT("mlu-link"), 100 * GB, SL_CONF_LOW,
     SL_TEXT("hardware-perf.md 1.3, 5 (mixed sources); link an assumption")},
    {SL_TEXT("k100-ai"), SL_TEXT("Hygon DCU K100-AI"), 192 * T, 392 * T, 64 * GB, 0.896e12, 350, 70,
     SL_TEXT("pcie4-x16"), 32 * GB, SL_CONF_LOW,
     SL_TEXT("hardware-perf.md 1.3, 5 (card-spec page, SJTU listing)")},
    {SL_TEXT("c500"), SL_TEXT("MetaX C500 (MetaXLink, 8-card full mesh)"), 280 * T, 560 * T,
     64 * GB, 1.8e12, 350, 70, SL_TEXT("metaxlink"), 100 * GB, SL_CONF_MEDIUM,
     SL_TEXT("hardware-perf.md 1.3, 5 (blog + mx-smi); link bandwidth an assumption")},
    {SL_TEXT("s4000"), SL_TEXT("Moore Threads MTT S4000"), 100 * T, 200 * T, 48 * GB, 0.768e12, 450,
     80, SL_TEXT("mtlink"), 100 * GB, SL_CONF_MEDIUM,
     SL_TEXT("hardware-perf.md 1.3, 5 (docs.mthreads.com); link assumed")},
    {SL_TEXT("h20"), SL_TEXT("NVIDIA H20"), 148 * T, 296 * T, 96 * GB, 4.0e12, 400, 80,
     SL_TEXT("nvlink4"), 900 * GB, SL_CONF_HIGH,
     SL_TEXT("hardware-perf.md 1.3, 5 (huggingface.co/hardware/h20)")},
    {SL_TEXT("a100-80gb"), SL_TEXT("NVIDIA A100 SXM 80 GB"), 312 * T, 624 * T, 80 * GB, 2.039e12,
     400, 62, SL_TEXT("nvlink3"), 600 * GB, SL_CONF_HIGH,
     SL_TEXT("NVIDIA A100 datasheet; idle 62 W measured (power-cooling.md 4.1)")},
    {SL_TEXT("h800"), SL_TEXT("NVIDIA H800 SXM (export H100, reduced NVLink)"), 989 * T, 1979 * T,
     80 * GB, 3.35e12, 700, 100, SL_TEXT("nvlink4"), 400 * GB, SL_CONF_MEDIUM,
     SL_TEXT("H100 SXM compute (hardware-perf.md 5); NVLink 400 GB/s for the export part")},
    {SL_TEXT("h100-sxm"), SL_TEXT("NVIDIA H100 SXM"), 989 * T, 1979 * T, 80 * GB, 3.35e12, 700, 100,
     SL_TEXT("nvlink4"), 900 * GB, SL_CONF_HIGH,
     SL_TEXT("hardware-perf.md 1.3, 5 (ml-engineering, nvidia.com)")},
    {SL_TEXT("h200"), SL_TEXT("NVIDIA H200 SXM"), 989 * T, 1979 * T, 141 * GB, 4.8e12, 700, 100,
     SL_TEXT("nvlink4"), 900 * GB, SL_CONF_HIGH,
     SL_TEXT("hardware-perf.md 1.3, 5 (MLPerf, nvidia.com)")},
    {SL_TEXT("b200"), SL_TEXT("NVIDIA B200 SXM (HGX)"), 2250 * T, 4500 * T, 180 * GB, 8.0e12, 1000,
     137, SL_TEXT("nvlink5"), 1800 * GB, SL_CONF_HIGH,
     SL_TEXT("hardware-perf.md 1.3, 5 (ml-engineering; ROCm #5219 idle)")},
};

static const struct sl_cpu_model cpus[] = {
    {SL_TEXT("loongson-3c6000-s"), SL_TEXT("Loongson 3C6000/S, 16 cores LA664"), 16, 120, 40,
     SL_CONF_MEDIUM, SL_TEXT("hardware-perf.md 1.2, 5 (TDP ~100-120 W; idle assumed, low)")},
    {SL_TEXT("loongson-3c6000-d"), SL_TEXT("Loongson 3C6000/D, 2 chiplets, 32 cores"), 32, 200, 55,
     SL_CONF_LOW,
     SL_TEXT("hardware-perf.md 1.2 (S 120 W up to D/Q 300 W; D taken between), 4 (2 sockets "
             "0.3-0.5 kW full, 0.10-0.15 kW idle)")},
    {SL_TEXT("loongson-3c6000-q"), SL_TEXT("Loongson 3C6000/Q, 4 chiplets, 64 cores"), 64, 300, 80,
     SL_CONF_LOW, SL_TEXT("hardware-perf.md 1.2 (up to 300 W)")},
    {SL_TEXT("kunpeng-920"), SL_TEXT("Huawei Kunpeng 920, 64 cores ARM"), 64, 180, 50, SL_CONF_LOW,
     SL_TEXT("Kunpeng 920 product brief (180 W, 64 cores); idle assumed, low")},
    {SL_TEXT("x86-server"), SL_TEXT("generic x86 server CPU (Xeon/EPYC class)"), 56, 350, 100,
     SL_CONF_MEDIUM, SL_TEXT("hardware-perf.md 4 (HGX H100: 2 x 350 W CPUs); idle assumed")},
};

/* Server rows: name, description, height, device, cards, cpu, cpus,
 * memory max/idle, NIC max/idle, other, fans max/idle, PSUs, spare PSUs,
 * PSU rating, grade, confidence, source. */
static const struct sl_server_model servers[] = {
    {SL_TEXT("t1008"),
     SL_TEXT("4U, 8 x Tecorigin T100, 2 x Loongson 3C6000"),
     4,
     SL_TEXT("t100"),
     8,
     SL_TEXT("loongson-3c6000-d"),
     2,
     150,
     80,
     220,
     120,
     0,
     400,
     120,
     4,
     2,
     3000,
     SL_PSU_PLATINUM,
     SL_CONF_LOW,
     SL_TEXT("brief: ~5.4 kW at full load; component split from hardware-perf.md 4 (DDR4 0.1-0.2 / "
             "0.06-0.1 kW, NICs 0.15-0.3 / 0.1-0.15 kW, fans 0.3-0.5 / 0.1-0.15 kW); PSUs 4 x 3 kW "
             "2+2 Platinum an assumption")},
    {SL_TEXT("hgx-h100"),
     SL_TEXT("8 x H100 SXM HGX, 2 x x86 CPUs, NVSwitch"),
     8,
     SL_TEXT("h100-sxm"),
     8,
     SL_TEXT("x86-server"),
     2,
     320,
     160,
     500,
     300,
     0,
     800,
     250,
     6,
     2,
     3300,
     SL_PSU_TITANIUM,
     SL_CONF_MEDIUM,
     SL_TEXT("hardware-perf.md 4: rated 10.2 kW, 8.4 kW max measured; 2 TB DDR5, 8-10 x 400G NICs, "
             "4 NVSwitches, ~1 kW fans; DGX H100 6 x 3.3 kW PSUs (4+2)")},
    {SL_TEXT("atlas-800-910b"),
     SL_TEXT("8 x Ascend 910B, 4 x Kunpeng 920 (Atlas 800T A2 class)"),
     4,
     SL_TEXT("ascend-910b"),
     8,
     SL_TEXT("kunpeng-920"),
     4,
     250,
     120,
     150,
     80,
     0,
     500,
     150,
     4,
     2,
     2600,
     SL_PSU_PLATINUM,
     SL_CONF_LOW,
     SL_TEXT("composition after the Atlas 800T A2; component powers assumed like t1008's")},
};

/* Phase activity and cap sensitivity (docs/model.md, "Device power"). */
static const struct sl_phase_model phase_model = {
    /* idle, prefill, decode, train-compute, train-comm, mixed */
    {0.0, 1.0, 0.55, 0.95, 0.35, 1.0},
    {0.0, 1.0, 0.2, 1.0, 0.3, 0.6},
};

size_t sl_catalog_device_count(void)
{
    return sizeof devices / sizeof devices[0];
}

const struct sl_device_model *sl_catalog_device(size_t i)
{
    return i < sl_catalog_device_count() ? &devices[i] : NULL;
}

size_t sl_catalog_cpu_count(void)
{
    return sizeof cpus / sizeof cpus[0];
}

const struct sl_cpu_model *sl_catalog_cpu(size_t i)
{
    return i < sl_catalog_cpu_count() ? &cpus[i] : NULL;
}

size_t sl_catalog_server_count(void)
{
    return sizeof servers / sizeof servers[0];
}

const struct sl_server_model *sl_catalog_server(size_t i)
{
    return i < sl_catalog_server_count() ? &servers[i] : NULL;
}

const struct sl_phase_model *sl_default_phase_model(void)
{
    return &phase_model;
}

static double clamp01(double x)
{
    return x < 0 ? 0 : x > 1 ? 1 : x;
}

static double uncapped_w(const struct sl_device_model *d, const struct sl_phase_model *pm,
                         int phase, double activity)
{
    return d->idle_w + (d->tdp_w - d->idle_w) * pm->activity[phase] * clamp01(activity);
}

double sl_device_power_w(const struct sl_device_model *d, const struct sl_phase_model *pm,
                         int phase, double activity, double cap_w)
{
    double p = uncapped_w(d, pm, phase, activity);
    if (cap_w > 0 && p > cap_w)
        p = cap_w > d->idle_w ? cap_w : d->idle_w;
    return p;
}

double sl_device_speed(const struct sl_device_model *d, const struct sl_phase_model *pm, int phase,
                       double activity, double cap_w)
{
    double p = uncapped_w(d, pm, phase, activity);
    if (cap_w <= 0 || p <= cap_w || p <= d->idle_w)
        return 1.0;
    double headroom = cap_w > d->idle_w ? (cap_w - d->idle_w) / (p - d->idle_w) : 0;
    double s = pow(headroom, pm->alpha[phase]);
    /* A card capped at idle still crawls: never report zero speed. */
    return s > 1e-3 ? s : 1e-3;
}
