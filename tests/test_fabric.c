/*
 * Tests for the scale-out fabric (src/fleet/fabric.c, suanli/fabric.h).
 *
 * Every expected count here is worked by hand in the comments or comes from
 * a closed form written out in this file: the textbook k-ary fat tree of
 * Al-Fares et al. (SIGCOMM 2008: k^3/4 hosts, 5k^2/4 switches, 3k^3/4
 * cables with one NIC per host), its two-tier half (k^2/2 hosts, k leaves,
 * k/2 spines, k^2 cables), and small fabrics of radix 4 and 16 drawn on
 * paper.  The bandwidth of a gang follows docs/model.md ("Fabric"): within
 * one block every NIC at full speed; across blocks the job's c servers
 * under a leaf share its uplinks.  The smallest block set is checked against
 * a brute-force search over every subset.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_util.h"

#include "torture.h"

#include <string.h>

#include "suanli/alloc.h"
#include "suanli/diag.h"
#include "suanli/fabric.h"

#define B 50e9 /* 400 Gb/s in bytes/s */

/* One NIC per server, NIC and port alike, non-blocking; power numbers
 * round so the hand sums are exact. */
static void small_spec(struct sl_fabric_spec *s, int kind, int64_t radix)
{
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->nics_per_server = 1;
    s->nic_bw = B;
    s->switch_radix = radix;
    s->port_bw = B;
    s->oversubscription = 1.0;
    s->switch_w = 100.0;
    s->switch_idle_share = 0.5;
    s->optics_w = 1.0;
    s->nic_latency_us = 5.0;
    s->switch_latency_us = 0.5;
}

static void build_ok(struct sl_fabric *f, const struct sl_fabric_spec *s, size_t n)
{
    struct sl_diag d;
    sl_diag_clear(&d);
    int rc = sl_fabric_build(f, s, n, &d);
    if (rc != SL_OK)
        print_error("%s\n", d.msg);
    assert_int_equal(rc, SL_OK);
}

/* Radix 4, 4 servers: a leaf takes 2 servers and 2 uplinks, so 2 leaves;
 * their 4 uplinks fill one 4-port spine.  3 switches; 4 server cables and
 * 4 leaf-spine cables.  Power: 3 x 100 W + 8 transceivers (both ends of the
 * 4 switch cables; server cables copper) x 1 W = 308 W, idle 158 W. */
static void test_radix4_two_tier(void **state)
{
    (void)state;
    struct sl_fabric_spec s;
    small_spec(&s, SL_FABRIC_FAT_TREE_2, 4);
    struct sl_fabric f;
    build_ok(&f, &s, 4);
    assert_int_equal(f.per_block, 2);
    assert_int_equal(f.blocks, 2);
    assert_int_equal(f.leaves, 2);
    assert_int_equal(f.uplinks, 2);
    assert_int_equal(f.spines, 1);
    assert_int_equal(f.cores, 0);
    assert_int_equal(f.tiers, 2);
    assert_int_equal(f.switches, 3);
    assert_int_equal(f.server_links, 4);
    assert_int_equal(f.leaf_spine_links, 4);
    assert_int_equal(f.links, 8);
    assert_int_equal(f.transceivers, 8);
    assert_close(f.power_w, 308.0, 1e-12);
    assert_close(f.idle_power_w, 158.0, 1e-12);
    assert_close(sl_fabric_power_w(&f, 0.5), 233.0, 1e-12);
    assert_close(f.bisection_bw, 2 * B, 1e-12);
    /* Servers 0, 1 under leaf 0; 2, 3 under leaf 1. */
    assert_int_equal(sl_fabric_block_of(&f, 1), 0);
    assert_int_equal(sl_fabric_block_of(&f, 2), 1);
    assert_int_equal(sl_fabric_leaf_of(&f, 3, 0), 1);
    assert_int_equal(sl_fabric_block_first(&f, 1), 2);
    assert_int_equal(sl_fabric_block_count(&f, 1), 2);
    /* Optical server links add one transceiver per server link. */
    s.server_links_optical = 1;
    struct sl_fabric g;
    build_ok(&g, &s, 4);
    assert_int_equal(g.transceivers, 12);
    assert_close(g.power_w, 312.0, 1e-12);
    sl_fabric_release(&g);
    sl_fabric_release(&f);
}

/* A partial last leaf: 5 servers at 2 a leaf are 3 leaves (2, 2, 1) with
 * 2 uplinks each; 6 uplinks need 2 spines.  One server alone is one block:
 * no uplinks, no spines. */
static void test_partial_leaf(void **state)
{
    (void)state;
    struct sl_fabric_spec s;
    small_spec(&s, SL_FABRIC_FAT_TREE_2, 4);
    struct sl_fabric f;
    build_ok(&f, &s, 5);
    assert_int_equal(f.leaves, 3);
    assert_int_equal(sl_fabric_block_count(&f, 2), 1);
    assert_int_equal(sl_fabric_block_first(&f, 2), 4);
    assert_int_equal(f.spines, 2);
    assert_int_equal(f.links, 5 + 6);
    sl_fabric_release(&f);
    build_ok(&f, &s, 2);
    assert_int_equal(f.tiers, 1);
    assert_int_equal(f.switches, 1);
    assert_int_equal(f.uplinks, 0);
    assert_int_equal(f.links, 2);
    assert_close(f.bisection_bw, B, 1e-12);
    sl_fabric_release(&f);
}

/* The k-ary fat tree: k^3/4 hosts, k^2/2 leaves, k^2/2 spines in k pods,
 * k^2/4 cores, 5k^2/4 switches, 3k^3/4 cables; and its two-tier half:
 * k^2/2 hosts, k leaves, k/2 spines, k^2 cables.  Non-blocking, so the
 * bisection is half the hosts' injection. */
static void test_closed_forms(void **state)
{
    (void)state;
    for (size_t k = 4; k <= 64; k *= 2) {
        struct sl_fabric_spec s;
        small_spec(&s, SL_FABRIC_FAT_TREE_3, (int64_t)k);
        struct sl_fabric f;
        build_ok(&f, &s, k * k * k / 4);
        assert_int_equal(f.leaves, k * k / 2);
        assert_int_equal(f.spines, k * k / 2);
        assert_int_equal(f.pods, k);
        assert_int_equal(f.cores, k * k / 4);
        assert_int_equal(f.switches, 5 * k * k / 4);
        assert_int_equal(f.links, 3 * k * k * k / 4);
        assert_close(f.bisection_bw, (double)(k * k * k / 8) * B, 1e-12);
        sl_fabric_release(&f);

        s.kind = SL_FABRIC_FAT_TREE_2;
        build_ok(&f, &s, k * k / 2);
        assert_int_equal(f.leaves, k);
        assert_int_equal(f.spines, k / 2);
        assert_int_equal(f.switches, 3 * k / 2);
        assert_int_equal(f.links, k * k);
        sl_fabric_release(&f);
    }
}

/* Oversubscription 3 at radix 4: 3 servers and 1 uplink a leaf.  6 servers:
 * 2 leaves, 2 uplinks on one spine, 8 cables; the bisection is the 2
 * uplinks' B (halved: B per direction across the cut of 2 B).  A gang of
 * servers 0-2 (leaf 0) and 3 (leaf 1): leaf 0's uplink is shared by 3, so
 * the ring runs at B / 3 per server; the same gang non-blocking runs at
 * B.  A gang inside leaf 0 runs at B either way. */
static void test_oversubscription(void **state)
{
    (void)state;
    struct sl_fabric_spec s;
    small_spec(&s, SL_FABRIC_FAT_TREE_2, 4);
    s.oversubscription = 3.0;
    struct sl_fabric f;
    build_ok(&f, &s, 6);
    assert_int_equal(f.per_block, 3);
    assert_int_equal(f.uplinks, 1);
    assert_int_equal(f.leaves, 2);
    assert_int_equal(f.spines, 1);
    assert_int_equal(f.links, 8);
    assert_close(f.leaf_oversub, 3.0, 1e-12);
    assert_close(f.bisection_bw, B, 1e-12);

    struct sl_fabric_locality loc;
    size_t across[] = {0, 1, 2, 3};
    assert_int_equal(sl_fabric_locality(&f, across, 4, 2, &loc, NULL), SL_OK);
    assert_int_equal(loc.blocks, 2);
    assert_int_equal(loc.leaves, 2);
    assert_int_equal(loc.switch_hops, 3);
    assert_int_equal(loc.spines, 1);
    assert_close(loc.server_bw, B / 3, 1e-12);
    assert_close(loc.card_bw, B / 6, 1e-12);
    assert_close(loc.alpha_us, 5.0 + 3 * 0.5, 1e-12);
    size_t within[] = {2, 0, 1};
    assert_int_equal(sl_fabric_locality(&f, within, 3, 1, &loc, NULL), SL_OK);
    assert_int_equal(loc.blocks, 1);
    assert_int_equal(loc.switch_hops, 1);
    assert_int_equal(loc.spines, 0);
    assert_close(loc.server_bw, B, 1e-12);
    assert_close(loc.alpha_us, 5.5, 1e-12);
    /* Two servers of leaf 0 and one of leaf 1: B / 2 per server. */
    size_t two[] = {0, 5, 1};
    assert_int_equal(sl_fabric_locality(&f, two, 3, 1, &loc, NULL), SL_OK);
    assert_close(loc.server_bw, B / 2, 1e-12);
    sl_fabric_release(&f);

    s.oversubscription = 1.0;
    build_ok(&f, &s, 6);
    assert_int_equal(f.per_block, 2);
    assert_int_equal(sl_fabric_locality(&f, across, 4, 2, &loc, NULL), SL_OK);
    assert_close(loc.server_bw, B, 1e-12);
    sl_fabric_release(&f);
}

/* The k = 4 fat tree (16 servers, 2 to a leaf, 2 leaves to a pod): a gang
 * in one leaf crosses 1 switch, in one pod 3 (leaf, spine, leaf) over the
 * pod's 2 spines, across pods 5 over 2 x 2 spines and all 4 cores. */
static void test_locality_pods(void **state)
{
    (void)state;
    struct sl_fabric_spec s;
    small_spec(&s, SL_FABRIC_FAT_TREE_3, 4);
    struct sl_fabric f;
    build_ok(&f, &s, 16);
    assert_int_equal(sl_fabric_pod_of_block(&f, 3), 1);
    struct sl_fabric_locality loc;
    size_t leaf[] = {0, 1}, pod[] = {0, 2}, pods[] = {0, 4}, one[] = {7};
    assert_int_equal(sl_fabric_locality(&f, leaf, 2, 8, &loc, NULL), SL_OK);
    assert_int_equal(loc.switch_hops, 1);
    assert_int_equal(loc.pods, 1);
    assert_int_equal(loc.cores, 0);
    assert_int_equal(sl_fabric_locality(&f, pod, 2, 8, &loc, NULL), SL_OK);
    assert_int_equal(loc.switch_hops, 3);
    assert_int_equal(loc.blocks, 2);
    assert_int_equal(loc.pods, 1);
    assert_int_equal(loc.spines, 2);
    assert_int_equal(loc.cores, 0);
    assert_close(loc.alpha_us, 6.5, 1e-12);
    assert_int_equal(sl_fabric_locality(&f, pods, 2, 8, &loc, NULL), SL_OK);
    assert_int_equal(loc.switch_hops, 5);
    assert_int_equal(loc.pods, 2);
    assert_int_equal(loc.spines, 4);
    assert_int_equal(loc.cores, 4);
    assert_close(loc.alpha_us, 7.5, 1e-12);
    assert_close(loc.server_bw, B, 1e-12);
    assert_int_equal(sl_fabric_locality(&f, one, 1, 8, &loc, NULL), SL_OK);
    assert_int_equal(loc.switch_hops, 0);
    assert_close(loc.alpha_us, 0.0, 0);
    /* The scratch is clean after each query: the pod query again. */
    assert_int_equal(sl_fabric_locality(&f, pod, 2, 8, &loc, NULL), SL_OK);
    assert_int_equal(loc.pods, 1);
    assert_int_equal(loc.blocks, 2);

    /* Ring all-reduce of 1 MB over 8 cards at 4 switch hops: 2*7 alpha +
     * 2*7/8 * bytes / card_bw. */
    struct sl_fabric_locality l = {0};
    l.alpha_us = 7.5;
    l.card_bw = 12.5e9;
    assert_close(sl_fabric_allreduce_s(&l, 1e6, 8), 14 * 7.5e-6 + 1.75 * 1e6 / 12.5e9, 1e-12);
    assert_close(sl_fabric_allreduce_s(&l, 1e6, 1), 0.0, 0);

    /* Bad gangs. */
    struct sl_diag d;
    size_t out[] = {16}, dup[] = {3, 3, 2};
    sl_diag_clear(&d);
    assert_int_equal(sl_fabric_locality(&f, out, 1, 8, &loc, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "server 16"));
    assert_int_equal(sl_fabric_locality(&f, out, 0, 8, &loc, NULL), SL_EINVAL);
    sl_diag_clear(&d);
    assert_int_equal(sl_fabric_locality(&f, dup, 3, 8, &loc, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "twice"));
    /* ... and the scratch survived the refusals. */
    assert_int_equal(sl_fabric_locality(&f, leaf, 2, 8, &loc, NULL), SL_OK);
    assert_int_equal(loc.blocks, 1);
    sl_fabric_release(&f);
}

/* Rail-optimised, 8 NICs, radix 16: a rail leaf takes 8 servers (one NIC
 * each) and 8 uplinks.  16 servers are 2 rail groups of 8 rail leaves:
 * 16 leaves, their 128 uplinks on 8 spines; 128 + 128 cables.  NIC 3 of
 * server 9 (group 1) is on rail leaf 1*8 + 3 = 11. */
static void test_rail(void **state)
{
    (void)state;
    struct sl_fabric_spec s;
    small_spec(&s, SL_FABRIC_RAIL, 16);
    s.nics_per_server = 8;
    struct sl_fabric f;
    build_ok(&f, &s, 16);
    assert_int_equal(f.per_block, 8);
    assert_int_equal(f.blocks, 2);
    assert_int_equal(f.leaves, 16);
    assert_int_equal(f.uplinks, 8);
    assert_int_equal(f.spines, 8);
    assert_int_equal(f.tiers, 2);
    assert_int_equal(f.switches, 24);
    assert_int_equal(f.links, 256);
    assert_int_equal(sl_fabric_leaf_of(&f, 9, 3), 11);
    assert_int_equal(sl_fabric_leaf_of(&f, 2, 7), 7);

    struct sl_fabric_locality loc;
    size_t group[] = {0, 1, 2, 3, 4, 5, 6, 7}, cross[] = {0, 8};
    assert_int_equal(sl_fabric_locality(&f, group, 8, 8, &loc, NULL), SL_OK);
    assert_int_equal(loc.switch_hops, 1);
    assert_int_equal(loc.leaves, 8);
    assert_close(loc.server_bw, 8 * B, 1e-12);
    assert_close(loc.card_bw, B, 1e-12);
    assert_int_equal(sl_fabric_locality(&f, cross, 2, 8, &loc, NULL), SL_OK);
    assert_int_equal(loc.switch_hops, 3);
    assert_int_equal(loc.leaves, 16);
    assert_close(loc.server_bw, 8 * B, 1e-12);
    sl_fabric_release(&f);

    /* Oversubscribed 2:1 rails of 4 NICs at radix 12: 8 servers and 4
     * uplinks a rail leaf, 2 groups of 4 rail leaves.  Both whole groups in
     * one ring: 8 servers share a rail leaf's 4 uplinks, 4 B / 8 a NIC,
     * 2 B a server: half its 4 NICs. */
    s.nics_per_server = 4;
    s.switch_radix = 12;
    s.oversubscription = 2.0;
    build_ok(&f, &s, 16);
    assert_int_equal(f.per_block, 8);
    assert_int_equal(f.uplinks, 4);
    assert_int_equal(f.leaves, 8);
    assert_int_equal(f.tiers, 2);
    size_t all[16];
    for (size_t i = 0; i < 16; i++)
        all[i] = i;
    assert_int_equal(sl_fabric_locality(&f, all, 16, 8, &loc, NULL), SL_OK);
    assert_close(loc.server_bw, 2 * B, 1e-12);
    /* One server from each group: a NIC has a rail leaf's uplinks alone. */
    assert_int_equal(sl_fabric_locality(&f, cross, 2, 8, &loc, NULL), SL_OK);
    assert_close(loc.server_bw, 4 * B, 1e-12);
    sl_fabric_release(&f);
}

/* Bad specs and too many servers give SL_EINVAL and say why. */
static void test_validation(void **state)
{
    (void)state;
    struct sl_fabric_spec s;
    struct sl_fabric f;
    struct sl_diag d;

    small_spec(&s, SL_FABRIC_FAT_TREE_2, 4);
    s.nics_per_server = 4; /* 4 NIC links + 4 uplinks > 4 ports */
    sl_diag_clear(&d);
    assert_int_equal(sl_fabric_build(&f, &s, 8, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "4-port leaf cannot hold"));

    small_spec(&s, SL_FABRIC_FAT_TREE_2, 4);
    s.oversubscription = 0.5;
    sl_diag_clear(&d);
    assert_int_equal(sl_fabric_build(&f, &s, 8, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "at least 1"));

    small_spec(&s, SL_FABRIC_FAT_TREE_2, 4);
    s.servers_per_leaf = 3; /* 3 + 3 > 4 */
    sl_diag_clear(&d);
    assert_int_equal(sl_fabric_build(&f, &s, 8, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "3 servers"));

    /* Two tiers of radix 4 hold 4 leaves of 2: 8 servers, not 9. */
    small_spec(&s, SL_FABRIC_FAT_TREE_2, 4);
    build_ok(&f, &s, 8);
    sl_fabric_release(&f);
    sl_diag_clear(&d);
    assert_int_equal(sl_fabric_build(&f, &s, 9, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "8 servers"));
    assert_non_null(strstr(d.msg, "fat-tree-3"));

    /* Three tiers of radix 4 hold 4 pods of 2 leaves of 2: 16, not 17. */
    s.kind = SL_FABRIC_FAT_TREE_3;
    sl_diag_clear(&d);
    assert_int_equal(sl_fabric_build(&f, &s, 17, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "16 servers"));

    small_spec(&s, SL_FABRIC_FAT_TREE_2, 4);
    sl_diag_clear(&d);
    assert_int_equal(sl_fabric_build(&f, &s, 0, &d), SL_EINVAL);
    s.switch_radix = 1;
    assert_int_equal(sl_fabric_build(&f, &s, 4, NULL), SL_EINVAL);
    s.switch_radix = 4;
    s.kind = 7;
    assert_int_equal(sl_fabric_build(&f, &s, 4, NULL), SL_EINVAL);
    s.kind = SL_FABRIC_FAT_TREE_2;
    s.switch_idle_share = 1.5;
    assert_int_equal(sl_fabric_build(&f, &s, 4, NULL), SL_EINVAL);
    /* A failed build leaves nothing to release (and release is safe). */
    sl_fabric_release(&f);
}

/* Brute force: the fewest blocks whose free counts reach want (0 if none). */
static size_t brute_min(const uint32_t *free, size_t nb, size_t want)
{
    size_t best = 0;
    for (uint32_t m = 1; m < (1u << nb); m++) {
        size_t sum = 0, k = 0;
        for (size_t b = 0; b < nb; b++)
            if (m & (1u << b)) {
                sum += free[b];
                k++;
            }
        if (sum >= want && (best == 0 || k < best))
            best = k;
    }
    return best;
}

/* The k = 4 fat tree with free servers per leaf {2,1 | 1,1 | 0,2 | 2,2}
 * (pods split by bars; 11 free).  3 servers: leaf 0 (2) then the smallest
 * that completes, leaf 1 (1).  4 servers: two blocks either way, and pod 3
 * holds them alone (leaves 6, 7) where largest-first across pods would
 * take leaves 0 and 5.  1 server: the smallest block with one free, leaf 1.
 * 12: not free.  Then random free counts against a brute force. */
static void test_pick_blocks(void **state)
{
    (void)state;
    struct sl_fabric_spec s;
    small_spec(&s, SL_FABRIC_FAT_TREE_3, 4);
    struct sl_fabric f;
    build_ok(&f, &s, 16);
    uint32_t free[8] = {2, 1, 1, 1, 0, 2, 2, 2};
    size_t out[16], n; /* room for every block of both fabrics */
    assert_int_equal(sl_fabric_pick_blocks(&f, free, 3, out, &n), SL_OK);
    assert_int_equal(n, 2);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1], 1);
    assert_int_equal(sl_fabric_pick_blocks(&f, free, 4, out, &n), SL_OK);
    assert_int_equal(n, 2);
    assert_int_equal(out[0], 6);
    assert_int_equal(out[1], 7);
    assert_int_equal(sl_fabric_pick_blocks(&f, free, 1, out, &n), SL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(out[0], 1);
    assert_int_equal(sl_fabric_pick_blocks(&f, free, 11, out, &n), SL_OK);
    assert_int_equal(n, 7);
    assert_int_equal(sl_fabric_pick_blocks(&f, free, 12, out, &n), SL_ERANGE);
    assert_int_equal(n, 0);
    assert_int_equal(sl_fabric_pick_blocks(&f, free, 0, out, &n), SL_OK);
    assert_int_equal(n, 0);
    sl_fabric_release(&f);

    /* Two tiers, 10 leaves of 8 (radix 20, 1 NIC: 10 + 10 ports). */
    small_spec(&s, SL_FABRIC_FAT_TREE_2, 20);
    build_ok(&f, &s, 100);
    assert_int_equal(f.blocks, 10);
    uint64_t x = 12345;
    for (int trial = 0; trial < 300; trial++) {
        uint32_t fr[10];
        size_t total = 0;
        for (size_t b = 0; b < 10; b++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            fr[b] = (uint32_t)((x >> 33) % 11);
            total += fr[b];
        }
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t want = 1 + (size_t)((x >> 33) % 60);
        int rc = sl_fabric_pick_blocks(&f, fr, want, out, &n);
        size_t best = brute_min(fr, 10, want);
        if (want > total) {
            assert_int_equal(rc, SL_ERANGE);
            continue;
        }
        assert_int_equal(rc, SL_OK);
        assert_int_equal(n, best);
        size_t sum = 0;
        for (size_t i = 0; i < n; i++) {
            for (size_t j = 0; j < i; j++)
                assert_true(out[i] != out[j]);
            sum += fr[out[i]];
        }
        assert_true(sum >= want);
    }
    sl_fabric_release(&f);
}

/* The 10,240-card center: 1,280 servers of 8 cards (docs/model.md,
 * "Fabric").
 *   The default, 8 x 200G (one port per card): see the test.
 *   T100, 4 x 200G, 128 x 200G ports, non-blocking, two tiers: 16 servers
 *   (64 links) and 64 uplinks a leaf; 80 leaves, 80*64/128 = 40 spines;
 *   5,120 + 5,120 = 10,240 cables.  Three tiers: 2 pods of 64 leaves, 128
 *   spines, 40 cores, 15,360 cables.
 *   H100-class, 8 x 400G, 64 x 400G ports, rail: 32 servers and 32 uplinks
 *   a rail leaf; 40 groups, 320 rail leaves: too many for two tiers, so
 *   pods of 4 groups: 10 pods, 320 spines, 160 cores; 3 x 10,240 = 30,720
 *   cables, tens of thousands.  The same servers in a two-tier fat tree
 *   do not fit (4 servers a leaf, 320 leaves > 64). */
static void test_center(void **state)
{
    (void)state;
    struct sl_fabric_spec s;
    sl_fabric_spec_default(&s);
    struct sl_fabric f;
    /* The default, one 200G port per card: 8 servers a leaf, 160 leaves,
     * more than a two-tier fabric of radix 128 holds; three tiers: 3 pods
     * (64, 64, 32 leaves) of 64 spines, 80 cores, 3 x 10,240 cables. */
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_fabric_build(&f, &s, 1280, &d), SL_EINVAL);
    s.kind = SL_FABRIC_FAT_TREE_3;
    build_ok(&f, &s, 1280);
    assert_int_equal(f.per_block, 8);
    assert_int_equal(f.leaves, 160);
    assert_int_equal(f.pods, 3);
    assert_int_equal(f.spines, 192);
    assert_int_equal(f.cores, 80);
    assert_int_equal(f.switches, 432);
    assert_int_equal(f.links, 30720);
    assert_int_equal(f.transceivers, 4 * 10240);
    assert_close(f.power_w, 432 * 750.0 + 4 * 10240 * 4.5, 1e-12);
    sl_fabric_release(&f);

    s.kind = SL_FABRIC_FAT_TREE_2;
    s.nics_per_server = 4;
    build_ok(&f, &s, 1280);
    assert_int_equal(f.per_block, 16);
    assert_int_equal(f.leaves, 80);
    assert_int_equal(f.spines, 40);
    assert_int_equal(f.switches, 120);
    assert_int_equal(f.links, 10240);
    sl_fabric_release(&f);
    s.kind = SL_FABRIC_FAT_TREE_3;
    build_ok(&f, &s, 1280);
    assert_int_equal(f.pods, 2);
    assert_int_equal(f.spines, 128);
    assert_int_equal(f.cores, 40);
    assert_int_equal(f.links, 15360);
    sl_fabric_release(&f);

    s.kind = SL_FABRIC_RAIL;
    s.nics_per_server = 8;
    s.nic_bw = s.port_bw = B;
    s.switch_radix = 64;
    s.server_links_optical = 1;
    build_ok(&f, &s, 1280);
    assert_int_equal(f.per_block, 32);
    assert_int_equal(f.blocks, 40);
    assert_int_equal(f.leaves, 320);
    assert_int_equal(f.tiers, 3);
    assert_int_equal(f.pods, 10);
    assert_int_equal(f.spines, 320);
    assert_int_equal(f.cores, 160);
    assert_int_equal(f.switches, 800);
    assert_int_equal(f.links, 30720);
    /* A pod is 4 rail groups: rail leaves 0-31; server 130 (group 4) has
     * its NIC 5 on rail leaf 4*8 + 5 = 37, in pod 1. */
    assert_int_equal(sl_fabric_leaf_of(&f, 130, 5), 37);
    assert_int_equal(sl_fabric_pod_of_leaf(&f, 31), 0);
    assert_int_equal(sl_fabric_pod_of_leaf(&f, 37), 1);
    assert_int_equal(sl_fabric_pod_of_leaf(&f, 319), 9);
    assert_true(f.links >= 20000 && f.links < 100000);
    assert_int_equal(f.transceivers, 10240 + 4 * 10240);
    assert_close(f.bisection_bw, 10240 * B / 2, 1e-12);
    sl_fabric_release(&f);

    s.kind = SL_FABRIC_FAT_TREE_2;
    sl_diag_clear(&d);
    assert_int_equal(sl_fabric_build(&f, &s, 1280, &d), SL_EINVAL);
    assert_non_null(strstr(d.msg, "fat-tree-3"));
}

/* Every allocation failure gives SL_ENOMEM and leaks nothing. */
static void test_torture(void **state)
{
    (void)state;
    struct sl_fabric_spec s;
    sl_fabric_spec_default(&s);
    s.kind = SL_FABRIC_FAT_TREE_3; /* the default center needs three tiers */
    for (long n = 0;; n++) {
        struct torture t = {n, 0, 0};
        sl_alloc_set_hook(torture_alloc, &t);
        struct sl_fabric f;
        int rc = sl_fabric_build(&f, &s, 1280, NULL);
        if (rc == SL_OK) {
            sl_fabric_release(&f);
            assert_int_equal(t.live, 0);
            break;
        }
        assert_int_equal(rc, SL_ENOMEM);
        assert_int_equal(t.live, 0);
    }
    sl_alloc_set_hook(NULL, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_radix4_two_tier),
        cmocka_unit_test(test_partial_leaf),
        cmocka_unit_test(test_closed_forms),
        cmocka_unit_test(test_oversubscription),
        cmocka_unit_test(test_locality_pods),
        cmocka_unit_test(test_rail),
        cmocka_unit_test(test_validation),
        cmocka_unit_test(test_pick_blocks),
        cmocka_unit_test(test_center),
        cmocka_unit_test_teardown(test_torture, restore_hook),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
