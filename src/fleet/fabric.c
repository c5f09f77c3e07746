/*
 * The scale-out fabric (suanli/fabric.h): sizes, cables, power, and the
 * locality of a gang of servers.
 *
 * Sizing.  A leaf has d downlinks of link bandwidth b (d = servers x NICs in
 * a fat tree, servers in a rail leaf) and u = ceil(d b / (o B)) uplinks of
 * port bandwidth B, with d + u <= radix; without servers_per_leaf the
 * largest server count that fits is taken.  With L leaves:
 *   two tiers   S = ceil(L u / radix) spines, each leaf's u uplinks spread
 *               over them; needs L <= radix (else S > u and some leaf
 *               would miss a spine).
 *   three tiers pods of radix/2 leaves (rail: whole rail groups), u spines
 *               per pod (the leaves' uplink j goes to the pod's spine j),
 *               each spine with as many core links as leaf links (non-
 *               blocking above the leaf): L u spine-core links over
 *               C = ceil(L u / radix) cores; needs pods <= radix.
 * The spine and core counts are the fewest switches whose ports hold the
 * links; with radix 4 and one NIC they give the textbook k = 4 fat tree
 * (8 leaves, 8 spines, 4 cores, 48 links).  Cables are counted once:
 * server links N n, leaf-spine links L u, spine-core links L u.
 *
 * Locality.  A ring all-reduce over servers runs one ring per NIC (rail)
 * in parallel; within one block each server sends at n b.  Across blocks,
 * the c job servers under a leaf share its u B of uplinks (rail: per rail
 * leaf, one NIC each), so a server gets
 *     min(n b, K u B / c),   K = 1 (fat tree) or n (rail),
 * and the ring runs at the slowest block's rate.  For a full fat-tree leaf
 * this is n b / o.  Other jobs' traffic on the same uplinks is not counted
 * (an optimistic bound), and the tiers above the leaf are non-blocking.
 */
#include "suanli/fabric.h"

#include "suanli/alloc.h"
#include "suanli/diag.h"

#include <assert.h>
#include <math.h>
#include <string.h>

const char *const sl_fabric_kind_names[] = {"fat-tree-2", "fat-tree-3", "rail", NULL};

/* The largest radix accepted: far above any switch ASIC (Tomahawk 5: 512
 * ports of 100G), small enough that counts cannot overflow. */
#define MAX_RADIX 65536

void sl_fabric_spec_default(struct sl_fabric_spec *s)
{
    memset(s, 0, sizeof *s);
    s->kind = SL_FABRIC_FAT_TREE_2;
    s->nics_per_server = 8; /* one 200G port per card (docs/model.md) */
    s->nic_bw = 25e9;       /* 200 Gb/s */
    s->switch_radix = 128;
    s->port_bw = 25e9;
    s->oversubscription = 1.0;
    s->servers_per_leaf = 0;
    s->switch_w = 750.0;
    s->switch_idle_share = 0.7;
    s->optics_w = 4.5;
    s->server_links_optical = 0;
    s->nic_latency_us = 5.0;
    s->switch_latency_us = 0.25;
}

/* Uplinks a leaf needs for d downlinks at oversubscription o.  The ratio is
 * rounded down a hair first, so d b / (o B) that is an integer but for the
 * last bits of a product does not take one uplink too many. */
static size_t uplinks_for(size_t d, double link_bw, double port_bw, double o)
{
    double x = (double)d * link_bw / (o * port_bw);
    return (size_t)ceil(x * (1.0 - 1e-12));
}

static size_t div_up(size_t a, size_t b)
{
    return (a + b - 1) / b;
}

static int check_spec(const struct sl_fabric_spec *s, struct sl_diag *d)
{
    if (s->kind < SL_FABRIC_FAT_TREE_2 || s->kind > SL_FABRIC_RAIL)
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "fabric: unknown kind %d (fat-tree-2, fat-tree-3 or rail)", s->kind);
    if (s->nics_per_server < 1 || s->nics_per_server > MAX_RADIX)
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "fabric: nics_per_server %lld must be between 1 and %d",
                           (long long)s->nics_per_server, MAX_RADIX);
    if (s->switch_radix < 2 || s->switch_radix > MAX_RADIX)
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "fabric: switch_radix %lld must be between 2 and %d ports",
                           (long long)s->switch_radix, MAX_RADIX);
    if (!(s->nic_bw > 0) || !(s->port_bw > 0) || !isfinite(s->nic_bw) || !isfinite(s->port_bw))
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "fabric: nic_bw and port_bw must be positive (bytes/s)");
    if (!(s->oversubscription >= 1.0) || !isfinite(s->oversubscription))
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "fabric: oversubscription %g must be at least 1 (1 = non-blocking; "
                           "a leaf cannot have more uplink than downlink bandwidth)",
                           s->oversubscription);
    if (s->servers_per_leaf < 0 || s->servers_per_leaf > MAX_RADIX)
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "fabric: servers_per_leaf %lld must be between 0 (as many as fit) "
                           "and %d",
                           (long long)s->servers_per_leaf, MAX_RADIX);
    if (!(s->switch_w >= 0) || !(s->optics_w >= 0) || !isfinite(s->switch_w) ||
        !isfinite(s->optics_w))
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "fabric: switch_w and optics_w must be >= 0 W");
    if (!(s->switch_idle_share >= 0 && s->switch_idle_share <= 1))
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "fabric: switch_idle_share %g must be between 0 and 1",
                           s->switch_idle_share);
    if (!(s->nic_latency_us >= 0) || !(s->switch_latency_us >= 0) || !isfinite(s->nic_latency_us) ||
        !isfinite(s->switch_latency_us))
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0, "fabric: latencies must be >= 0 us");
    return SL_OK;
}

/* Sizes the leaves: servers per block, downlinks and uplinks per leaf. */
static int size_leaves(struct sl_fabric *f, struct sl_diag *d)
{
    const struct sl_fabric_spec *s = &f->spec;
    size_t radix = (size_t)s->switch_radix, nics = (size_t)s->nics_per_server;
    size_t per_server = s->kind == SL_FABRIC_RAIL ? 1 : nics; /* leaf ports per server */
    double o = s->oversubscription;
    size_t per_block = (size_t)s->servers_per_leaf;
    if (per_block == 0) {
        for (size_t k = radix / per_server; k >= 1; k--) {
            size_t dn = k * per_server;
            if (dn + uplinks_for(dn, f->link_bw, s->port_bw, o) <= radix) {
                per_block = k;
                break;
            }
        }
        if (per_block == 0)
            return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                               "fabric: a %zu-port leaf cannot hold one server's %zu NIC "
                               "link(s) and %zu uplink(s) at oversubscription %g",
                               radix, per_server,
                               uplinks_for(per_server, f->link_bw, s->port_bw, o), o);
    }
    size_t dn = per_block * per_server;
    size_t up = uplinks_for(dn, f->link_bw, s->port_bw, o);
    if (dn + up > radix)
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "fabric: a %zu-port leaf cannot hold %zu servers x %zu link(s) "
                           "plus %zu uplinks at oversubscription %g; at most %zu ports",
                           radix, per_block, per_server, up, o, radix);
    f->per_block = per_block;
    f->downlinks = dn;
    f->uplinks = up;
    f->leaf_oversub = up ? (double)dn * f->link_bw / ((double)up * s->port_bw) : 0.0;
    return SL_OK;
}

int sl_fabric_build(struct sl_fabric *f, const struct sl_fabric_spec *spec, size_t nservers,
                    struct sl_diag *d)
{
    memset(f, 0, sizeof *f);
    int rc = check_spec(spec, d);
    if (rc != SL_OK)
        return rc;
    if (nservers == 0)
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0, "fabric: no servers to connect");
    f->spec = *spec;
    f->nservers = nservers;
    f->link_bw = fmin(spec->nic_bw, spec->port_bw);
    rc = size_leaves(f, d);
    if (rc != SL_OK) {
        memset(f, 0, sizeof *f);
        return rc;
    }
    size_t radix = (size_t)spec->switch_radix, nics = (size_t)spec->nics_per_server;
    int rail = spec->kind == SL_FABRIC_RAIL;
    size_t leaves_per_block = rail ? nics : 1;
    f->blocks = div_up(nservers, f->per_block);
    f->leaves = f->blocks * leaves_per_block;
    f->server_links = nservers * nics;

    int three = spec->kind == SL_FABRIC_FAT_TREE_3 || (rail && f->leaves > radix);
    if (f->blocks == 1) {
        /* One block: nothing leaves the leaves. */
        f->tiers = 1;
        f->uplinks = 0;
        f->leaf_oversub = 0.0;
        f->blocks_per_pod = 1;
        f->pods = 1;
    } else if (!three) {
        if (f->leaves > radix) {
            size_t need = f->leaves, most = radix / leaves_per_block * f->per_block;
            memset(f, 0, sizeof *f);
            return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                               "fabric: %zu servers need %zu leaves, more than a two-tier fat "
                               "tree of %zu-port switches holds (%zu leaves, %zu servers); "
                               "use fat-tree-3",
                               nservers, need, radix, radix, most);
        }
        f->tiers = 2;
        f->blocks_per_pod = f->blocks;
        f->pods = 1;
        f->leaf_spine_links = f->leaves * f->uplinks;
        f->spines = div_up(f->leaf_spine_links, radix);
    } else {
        size_t per_pod = radix / 2 / leaves_per_block; /* blocks */
        if (per_pod == 0) {
            memset(f, 0, sizeof *f);
            return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                               "fabric: a three-tier pod of %zu-port spines holds %zu leaves, "
                               "fewer than the %zu rails of one rail group",
                               radix, radix / 2, leaves_per_block);
        }
        f->tiers = 3;
        f->blocks_per_pod = per_pod;
        f->pods = div_up(f->blocks, per_pod);
        if (f->pods > radix) {
            size_t most = radix * per_pod * f->per_block;
            memset(f, 0, sizeof *f);
            return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                               "fabric: %zu servers need more than %zu pods, the most a "
                               "three-tier fat tree of %zu-port switches holds (%zu servers)",
                               nservers, radix, radix, most);
        }
        f->leaf_spine_links = f->leaves * f->uplinks;
        f->spine_core_links = f->leaf_spine_links;
        f->spines = f->pods * f->uplinks;
        f->cores = div_up(f->spine_core_links, radix);
    }
    f->switches = f->leaves + f->spines + f->cores;
    f->links = f->server_links + f->leaf_spine_links + f->spine_core_links;
    f->transceivers = 2 * (f->leaf_spine_links + f->spine_core_links) +
                      (spec->server_links_optical ? f->server_links : 0);
    double optics = (double)f->transceivers * spec->optics_w;
    f->power_w = (double)f->switches * spec->switch_w + optics;
    f->idle_power_w = (double)f->switches * spec->switch_w * spec->switch_idle_share + optics;
    double inject = (double)f->server_links * f->link_bw;
    double up = f->tiers == 1 ? inject : (double)f->leaf_spine_links * spec->port_bw;
    f->bisection_bw = fmin(inject, up) / 2.0;

    f->scratch = sl_calloc(f->blocks + f->pods, sizeof *f->scratch);
    if (!f->scratch) {
        memset(f, 0, sizeof *f);
        return SL_ENOMEM;
    }
    return SL_OK;
}

void sl_fabric_release(struct sl_fabric *f)
{
    sl_free(f->scratch);
    memset(f, 0, sizeof *f);
}

size_t sl_fabric_block_of(const struct sl_fabric *f, size_t s)
{
    assert(s < f->nservers);
    return s / f->per_block;
}

size_t sl_fabric_block_first(const struct sl_fabric *f, size_t b)
{
    assert(b < f->blocks);
    return b * f->per_block;
}

size_t sl_fabric_block_count(const struct sl_fabric *f, size_t b)
{
    assert(b < f->blocks);
    size_t lo = b * f->per_block;
    return lo + f->per_block <= f->nservers ? f->per_block : f->nservers - lo;
}

size_t sl_fabric_pod_of_block(const struct sl_fabric *f, size_t b)
{
    assert(b < f->blocks);
    return b / f->blocks_per_pod;
}

size_t sl_fabric_pod_of_leaf(const struct sl_fabric *f, size_t l)
{
    assert(l < f->leaves);
    size_t per = f->spec.kind == SL_FABRIC_RAIL ? (size_t)f->spec.nics_per_server : 1;
    return sl_fabric_pod_of_block(f, l / per);
}

size_t sl_fabric_leaf_of(const struct sl_fabric *f, size_t s, size_t nic)
{
    assert(nic < (size_t)f->spec.nics_per_server);
    size_t b = sl_fabric_block_of(f, s);
    return f->spec.kind == SL_FABRIC_RAIL ? b * (size_t)f->spec.nics_per_server + nic : b;
}

double sl_fabric_power_w(const struct sl_fabric *f, double u)
{
    u = fmin(fmax(u, 0.0), 1.0);
    return f->idle_power_w + (f->power_w - f->idle_power_w) * u;
}

int sl_fabric_locality(struct sl_fabric *f, const size_t *servers, size_t n,
                       size_t cards_per_server, struct sl_fabric_locality *loc, struct sl_diag *d)
{
    memset(loc, 0, sizeof *loc);
    if (n == 0)
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0, "fabric: an empty gang has no locality");
    if (cards_per_server == 0)
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0, "fabric: cards_per_server must be >= 1");
    for (size_t i = 0; i < n; i++)
        if (servers[i] >= f->nservers)
            return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                               "fabric: server %zu of the gang is beyond the fabric's %zu "
                               "servers",
                               servers[i], f->nservers);
    const struct sl_fabric_spec *s = &f->spec;
    size_t nics = (size_t)s->nics_per_server;
    int rail = s->kind == SL_FABRIC_RAIL;
    uint32_t *count = f->scratch, *podmark = f->scratch + f->blocks;
    for (size_t i = 0; i < n; i++)
        count[sl_fabric_block_of(f, servers[i])]++;
    double nic_rate = (double)nics * f->link_bw;
    double up_bw = (double)f->uplinks * s->port_bw * (rail ? (double)nics : 1.0);
    double rate = nic_rate;
    int too_many = 0;
    size_t bad = 0;
    /* Each block is visited once: its count is read, then cleared. */
    for (size_t i = 0; i < n; i++) {
        size_t b = sl_fabric_block_of(f, servers[i]);
        uint32_t c = count[b];
        if (c == 0)
            continue;
        count[b] = 0;
        if (c > sl_fabric_block_count(f, b) && !too_many) {
            too_many = 1;
            bad = b;
        }
        loc->blocks++;
        size_t p = sl_fabric_pod_of_block(f, b);
        if (!podmark[p]) {
            podmark[p] = 1;
            loc->pods++;
        }
        rate = fmin(rate, up_bw / (double)c);
    }
    for (size_t i = 0; i < n; i++)
        podmark[sl_fabric_pod_of_block(f, sl_fabric_block_of(f, servers[i]))] = 0;
    if (too_many) {
        memset(loc, 0, sizeof *loc);
        return sl_diag_set(d, SL_EINVAL, NULL, 0, 0,
                           "fabric: the gang names more servers under block %zu than its %zu "
                           "(a server listed twice?)",
                           bad, sl_fabric_block_count(f, bad));
    }
    loc->servers = n;
    loc->leaves = loc->blocks * (rail ? nics : 1);
    if (n == 1) {
        loc->leaves = 0;
        loc->server_bw = nic_rate;
    } else if (loc->blocks == 1) {
        loc->switch_hops = 1;
        loc->server_bw = nic_rate;
    } else {
        loc->server_bw = rate;
        if (f->tiers == 3) {
            loc->spines = loc->pods * f->uplinks;
            loc->cores = loc->pods > 1 ? f->cores : 0;
            loc->switch_hops = loc->pods > 1 ? 5 : 3;
        } else {
            loc->spines = f->spines;
            loc->switch_hops = 3;
        }
    }
    loc->card_bw = loc->server_bw / (double)cards_per_server;
    loc->alpha_us =
        n == 1 ? 0.0 : s->nic_latency_us + (double)loc->switch_hops * s->switch_latency_us;
    return SL_OK;
}

double sl_fabric_allreduce_s(const struct sl_fabric_locality *loc, double bytes, size_t ranks)
{
    if (ranks <= 1)
        return 0.0;
    double p = (double)ranks;
    return 2.0 * (p - 1.0) * loc->alpha_us * 1e-6 + 2.0 * (p - 1.0) / p * bytes / loc->card_bw;
}

/* Greedy choice among blocks [lo, hi) with nfree[b] free servers: while no block completes the gang
 * take the largest (lowest index on ties), then the smallest that
 * completes it.  Writes the picks to out unless it is NULL and returns
 * their number, or 0 when the blocks cannot hold want.  Largest-first
 * reaches want with the fewest blocks (no k blocks hold more than the k
 * largest); ending on a best fit keeps that count. */
static size_t greedy(struct sl_fabric *f, const uint32_t *nfree, size_t want, size_t lo, size_t hi,
                     size_t *out)
{
    uint32_t *taken = f->scratch;
    memset(taken + lo, 0, (hi - lo) * sizeof *taken);
    size_t rem = want, k = 0;
    for (;;) {
        size_t fit = hi, big = hi;
        for (size_t b = lo; b < hi; b++) {
            if (taken[b] || nfree[b] == 0)
                continue;
            if (nfree[b] >= rem && (fit == hi || nfree[b] < nfree[fit]))
                fit = b;
            if (big == hi || nfree[b] > nfree[big])
                big = b;
        }
        size_t pick = fit != hi ? fit : big;
        if (pick == hi) {
            memset(taken + lo, 0, (hi - lo) * sizeof *taken);
            return 0;
        }
        if (out)
            out[k] = pick;
        k++;
        if (fit != hi)
            break;
        taken[pick] = 1;
        rem -= nfree[pick];
    }
    memset(taken + lo, 0, (hi - lo) * sizeof *taken);
    return k;
}

int sl_fabric_pick_blocks(struct sl_fabric *f, const uint32_t *nfree, size_t want, size_t *out,
                          size_t *nout)
{
    *nout = 0;
    if (want == 0)
        return SL_OK;
    size_t all = greedy(f, nfree, want, 0, f->blocks, NULL);
    if (all == 0)
        return SL_ERANGE;
    size_t best = 0, best_pod = f->pods;
    for (size_t p = 0; p < f->pods && f->pods > 1; p++) {
        size_t lo = p * f->blocks_per_pod;
        size_t hi = lo + f->blocks_per_pod < f->blocks ? lo + f->blocks_per_pod : f->blocks;
        size_t k = greedy(f, nfree, want, lo, hi, NULL);
        if (k && (best == 0 || k < best)) {
            best = k;
            best_pod = p;
        }
    }
    if (best && best == all) {
        size_t lo = best_pod * f->blocks_per_pod;
        size_t hi = lo + f->blocks_per_pod < f->blocks ? lo + f->blocks_per_pod : f->blocks;
        *nout = greedy(f, nfree, want, lo, hi, out);
    } else {
        *nout = greedy(f, nfree, want, 0, f->blocks, out);
    }
    return SL_OK;
}
