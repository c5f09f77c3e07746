/*
 * The scale-out fabric: the switches and cables between servers' NICs, how
 * much they draw, and what a job's placement on them costs in bandwidth and
 * latency.
 *
 * Servers hang under leaf switches; leaves under spines; in three tiers,
 * spines (the aggregation switches of a pod) under cores.  Three wirings:
 *
 *   fat-tree-2  every NIC of a server on the same leaf; leaves under one
 *               spine layer.  Holds at most radix leaves.
 *   fat-tree-3  leaves in pods of radix/2 leaves, each pod with its own
 *               spines (one per leaf uplink), the spines under a core layer.
 *               Holds at most radix pods.
 *   rail        rail-optimised: servers in rail groups; NIC k of every
 *               server of a group goes to the group's rail leaf k.  Above
 *               the rail leaves the spine (and, when the rail leaves outgrow
 *               one spine layer, core) tiers are those of a fat tree.
 *
 * Only the leaf is oversubscribed: a leaf with d downlinks of bandwidth b
 * has u = ceil(d b / (o B)) uplinks of port bandwidth B, so its downlink to
 * uplink ratio is at most o; every tier above is non-blocking.  A "block" is
 * the set of servers that share their leaves: one leaf's servers in a fat
 * tree, one rail group in a rail fabric.  Servers are numbered so that each
 * block is a contiguous range and each pod a contiguous range of blocks.
 * Counts, power and the bandwidth model are in docs/model.md, "Fabric".
 */
#ifndef SUANLI_FABRIC_H
#define SUANLI_FABRIC_H

#include <stddef.h>
#include <stdint.h>

struct sl_diag;

enum sl_fabric_kind { SL_FABRIC_FAT_TREE_2 = 0, SL_FABRIC_FAT_TREE_3, SL_FABRIC_RAIL };

extern const char *const sl_fabric_kind_names[]; /* "fat-tree-2", "fat-tree-3", "rail", NULL */

/* What a fabric is built from: a plain value the caller owns.  Bandwidths
 * are bytes/s in one direction.  A switch port carries one link; a NIC
 * faster than a port runs at the port's speed (and the reverse).
 * switch_w is one switch at full load without its pluggable optics, which
 * are counted per transceiver in optics_w: both ends of a switch-to-switch
 * link, and the switch end of a server link when server_links_optical (the
 * server end is the NIC's, in the server's NIC power).  A switch draws
 * switch_w * (idle_share + (1 - idle_share) u) at utilisation u; optics
 * draw the same at any load. */
struct sl_fabric_spec {
    int kind;                 /* enum sl_fabric_kind */
    int64_t nics_per_server;  /* >= 1 */
    double nic_bw;            /* bytes/s per NIC, > 0 */
    int64_t switch_radix;     /* ports per switch, >= 2 */
    double port_bw;           /* bytes/s per switch port, > 0 */
    double oversubscription;  /* leaf downlink : uplink bandwidth, >= 1 */
    int64_t servers_per_leaf; /* servers per leaf (rail: per rail group); 0: radix-limited */
    double switch_w;          /* one switch at full load, optics excluded */
    double switch_idle_share; /* idle power over full-load power, 0..1 */
    double optics_w;          /* one transceiver */
    int server_links_optical; /* 0: copper from servers to leaves, 1: optics */
    double nic_latency_us;    /* per message: NICs, PCIe and software, both ends */
    double switch_latency_us; /* per switch crossed */
};

/* A built fabric: the sizes the spec gives for nservers servers, read-only
 * after sl_fabric_build.  The caller owns it (usually embedded) and frees
 * its scratch with sl_fabric_release.  Invariants: blocks = ceil(nservers /
 * per_block); leaves = blocks (fat tree) or blocks * nics (rail); pods >= 1
 * and pods = ceil(blocks / blocks_per_pod); tiers is 2 or 3 and
 * cores == 0 in two tiers, except that a fabric of one block has no tier
 * above its leaves (tiers 1, no uplinks: its traffic never leaves the
 * leaves); switches = leaves + spines + cores;
 * links = server_links + leaf_spine_links + spine_core_links, each cable
 * once. */
struct sl_fabric {
    struct sl_fabric_spec spec;
    size_t nservers;
    size_t per_block;      /* servers per block (the last may hold fewer) */
    size_t blocks;         /* leaves (fat tree) or rail groups (rail) */
    size_t blocks_per_pod; /* blocks in a full pod; = blocks in two tiers */
    size_t tiers;          /* 1 (one block), 2 or 3 */
    size_t leaves, spines, cores, pods;
    size_t downlinks; /* per full leaf */
    size_t uplinks;   /* per leaf */
    size_t switches;
    size_t server_links, leaf_spine_links, spine_core_links, links;
    size_t transceivers;
    double link_bw;      /* bytes/s of a server link: min(nic_bw, port_bw) */
    double leaf_oversub; /* a full leaf's actual downlink : uplink (<= spec) */
    double bisection_bw; /* bytes/s across the worst halving, one direction */
    double power_w;      /* switches at full load + optics */
    double idle_power_w; /* switches idle + optics */
    uint32_t *scratch;   /* per block, for the queries (so they are not reentrant) */
};

/* Fills *s with the defaults of docs/model.md ("Fabric"): 8-card servers
 * with 8 x 200G NIC ports (one per card) under a two-tier non-blocking fat
 * tree of 64-port 400G switches split to 128 x 200G ports (a 10,240-card
 * center needs three tiers: fleet.fabric.kind auto picks them). */
void sl_fabric_spec_default(struct sl_fabric_spec *s);

/* Builds the fabric of spec for nservers servers into *f (which it
 * overwrites).  Returns SL_OK; SL_EINVAL with d filled for a spec out of
 * range, a leaf whose radix cannot hold one server's NICs and their
 * uplinks, or more servers than the topology holds (the message gives the
 * most it holds); SL_ENOMEM.  On failure *f holds nothing to release.
 * O(1) time and O(blocks) memory. */
int sl_fabric_build(struct sl_fabric *f, const struct sl_fabric_spec *spec, size_t nservers,
                    struct sl_diag *d);
/* Frees the scratch of a built fabric and zeroes it; a zeroed fabric is a
 * no-op. */
void sl_fabric_release(struct sl_fabric *f);

/* The block of server s (< nservers), the first server and the server
 * count of block b, and the pod of block b.  O(1). */
size_t sl_fabric_block_of(const struct sl_fabric *f, size_t s);
size_t sl_fabric_block_first(const struct sl_fabric *f, size_t b);
size_t sl_fabric_block_count(const struct sl_fabric *f, size_t b);
size_t sl_fabric_pod_of_block(const struct sl_fabric *f, size_t b);
/* The pod of leaf switch l (< leaves).  O(1). */
size_t sl_fabric_pod_of_leaf(const struct sl_fabric *f, size_t l);
/* The leaf switch (0 .. leaves - 1) that NIC nic of server s is cabled to:
 * its block's leaf in a fat tree, rail leaf nic of its group in a rail
 * fabric.  O(1). */
size_t sl_fabric_leaf_of(const struct sl_fabric *f, size_t s, size_t nic);

/* Fabric power at switch utilisation u (0..1), optics included. */
double sl_fabric_power_w(const struct sl_fabric *f, double u);

/* Where a gang of servers sits in the fabric and what a ring all-reduce
 * across them gets (docs/model.md, "Fabric": locality).  server_bw is the
 * bytes/s each server sends into the inter-server ring over all its NICs;
 * card_bw is server_bw shared by the server's cards; alpha_us the latency
 * of one ring step over the longest path (switch_hops switches). */
struct sl_fabric_locality {
    size_t servers;
    size_t blocks; /* leaves (fat tree) or rail groups (rail) holding the gang */
    size_t leaves; /* leaf switches its traffic crosses */
    size_t pods;
    size_t spines; /* spine switches its traffic may cross (ECMP over all of a pod's) */
    size_t cores;
    size_t switch_hops; /* 0 (one server), 1 (one block), 3 (one pod), 5 (pods) */
    double server_bw;   /* bytes/s */
    double card_bw;     /* bytes/s */
    double alpha_us;
};

/* Fills *loc for the gang servers[0 .. n) (distinct server indices, any
 * order) with cards_per_server cards each.  Uses f's scratch, so it is not
 * reentrant on one fabric.  Returns SL_OK, or SL_EINVAL (d filled) for an
 * empty gang, a server out of range or cards_per_server 0.  O(n + blocks
 * spanned). */
int sl_fabric_locality(struct sl_fabric *f, const size_t *servers, size_t n,
                       size_t cards_per_server, struct sl_fabric_locality *loc, struct sl_diag *d);

/* Seconds of a ring all-reduce of bytes over ranks cards placed as loc:
 *     2 (p - 1) alpha + 2 (p - 1) / p * bytes / card_bw
 * (hardware-perf.md §3); 0 for p <= 1. */
double sl_fabric_allreduce_s(const struct sl_fabric_locality *loc, double bytes, size_t ranks);

/* For "topology" placement: the fewest blocks whose free servers add up to
 * want, given nfree[b] free servers in each block b (<= its size).  Among
 * sets of that size one within a single pod is preferred (fewer spines and
 * no core); inside a choice the largest blocks are taken first and the last
 * is the smallest that completes the gang (best fit, leaving big blocks
 * whole).  Writes the chosen block indices to out (room for f->blocks) in
 * the order chosen and their number to *nout.  Returns SL_OK, or
 * SL_ERANGE when fewer than want servers are free (then *nout = 0).  Uses
 * f's scratch.  O(k * blocks) for k blocks chosen. */
int sl_fabric_pick_blocks(struct sl_fabric *f, const uint32_t *nfree, size_t want, size_t *out,
                          size_t *nout);

#endif
