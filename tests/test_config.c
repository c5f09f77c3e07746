/*
 * Scenario loading: defaults, overrides, variants, round trips, the key
 * reference in docs/scenario.md, errors with positions, and allocation
 * failure at every step of a load.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/scenario_int.h"
#include "suanli/alloc.h"
#include "suanli/scenario.h"

static char tmpdir[] = "/tmp/sl_test_config_XXXXXX";

static const char *write_file(const char *name, const char *text)
{
    return test_write_file(tmpdir, name, text);
}

static int load_text(const char *text, const char *const *sets, size_t nsets,
                     struct sl_scenario_set *out, struct sl_diag *d)
{
    struct sl_load_opts o = {write_file("s.yaml", text), sets, nsets, NULL, NULL};
    sl_diag_clear(d);
    return sl_scenario_load(&o, out, d);
}

static char *emit(const struct sl_scenario *sc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    sl_scenario_emit(sc, f);
    fclose(f);
    return buf;
}

static void test_default_scenario(void **state)
{
    (void)state;
    struct sl_load_opts o = {0};
    struct sl_scenario_set set;
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_scenario_load(&o, &set, &d), SL_OK);
    assert_int_equal(set.n, 2);
    assert_true(set.has_variants);
    assert_string_equal(set.items[0].variant, "traditional");
    assert_string_equal(set.items[1].variant, "three-in-one");
    assert_int_equal(set.items[0].fleet.servers_per_rack, 8);
    assert_int_equal(set.items[1].fleet.servers_per_rack, 16);
    for (size_t i = 0; i < 2; i++) {
        const struct sl_scenario *sc = &set.items[i];
        assert_string_equal(sc->name, "xinghua-10k");
        assert_int_equal(sc->fleet.servers * sc->server->cards, 10240);
        assert_string_equal(sc->server->name, "t1008");
        assert_int_equal(sc->server->cards, 8);
        assert_string_equal(sc->device->name, "t100");
        assert_true(sc->site.grid_cap_w == 8e6);
        /* The phases section defaults to the library's phase model. */
        assert_memory_equal(&sc->phase_model, sl_default_phase_model(), sizeof sc->phase_model);
        assert_int_equal(sc->run.duration_us, INT64_C(7) * 86400 * 1000000);
        assert_int_equal(sc->run.sample_us, INT64_C(60) * 1000000);
        /* 2025-07-01 00:00 is day 20270 since 1970. */
        assert_int_equal(sc->start_s, INT64_C(20270) * 86400);
    }
    sl_scenario_set_release(&set);
}

static void test_all_defaults(void **state)
{
    (void)state;
    struct sl_scenario_set set;
    struct sl_diag d;
    assert_int_equal(load_text("{}\n", NULL, 0, &set, &d), SL_OK);
    assert_int_equal(set.n, 1);
    assert_false(set.has_variants);
    const struct sl_scenario *sc = &set.items[0];
    assert_null(sc->variant);
    assert_string_equal(sc->name, "scenario");
    assert_null(sc->description);
    assert_int_equal(sc->fleet.servers, 1280);
    assert_int_equal(sc->fleet.servers_per_rack, 8);
    assert_int_equal(sc->run.seed, 1);
    assert_int_equal(sc->workload.synthetic.shape, SL_SHAPE_DIURNAL);
    assert_true(sc->workload.synthetic.mean == 0.8);
    assert_true(sc->workload.synthetic.amplitude == 0.15);
    assert_true(sc->workload.synthetic.noise == 0.05);
    assert_int_equal(sc->workload.synthetic.change_interval_us, INT64_C(900) * 1000000);
    assert_int_equal(sc->workload.synthetic.peak_time_us, INT64_C(15) * 3600 * 1000000);
    sl_scenario_set_release(&set);
}

static void test_null_values_mean_default(void **state)
{
    (void)state;
    struct sl_scenario_set set;
    struct sl_diag d;
    assert_int_equal(load_text("fleet:\n  servers:\nrun: ~\n", NULL, 0, &set, &d), SL_OK);
    assert_int_equal(set.items[0].fleet.servers, 1280);
    assert_int_equal(set.items[0].run.duration_us, INT64_C(604800) * 1000000);
    sl_scenario_set_release(&set);
}

static void test_overrides(void **state)
{
    (void)state;
    const char *text = "fleet:\n  servers: 16\n"
                       "variants:\n"
                       "  - name: a\n    set: {fleet.servers: 32, run.duration: 2d}\n"
                       "  - name: b\n";
    const char *sets[] = {"run.duration=3h", "workload.synthetic.shape=constant"};
    struct sl_scenario_set set;
    struct sl_diag d;
    assert_int_equal(load_text(text, sets, 2, &set, &d), SL_OK);
    assert_int_equal(set.n, 2);
    /* Variant a sets servers; the command line wins over the variant. */
    assert_int_equal(set.items[0].fleet.servers, 32);
    assert_int_equal(set.items[1].fleet.servers, 16);
    assert_int_equal(set.items[0].run.duration_us, INT64_C(3) * 3600 * 1000000);
    assert_int_equal(set.items[1].run.duration_us, INT64_C(3) * 3600 * 1000000);
    assert_int_equal(set.items[0].workload.synthetic.shape, SL_SHAPE_CONSTANT);
    sl_scenario_set_release(&set);

    /* --seed and --variant. */
    struct sl_load_opts o = {write_file("v.yaml", text), NULL, 0, "77", "b"};
    sl_diag_clear(&d);
    assert_int_equal(sl_scenario_load(&o, &set, &d), SL_OK);
    assert_int_equal(set.n, 1);
    assert_string_equal(set.items[0].variant, "b");
    assert_int_equal(set.items[0].run.seed, 77);
    sl_scenario_set_release(&set);
}

static void test_catalog_addition_and_list_override(void **state)
{
    (void)state;
    const char *text = "fleet:\n  server: big\n"
                       "catalog:\n  devices:\n"
                       "    - {name: npu, fp16: 300 TFLOPS, int8: 600 TOPS, memory: 96 GB,"
                       " memory_bw: 2.4 TB/s, tdp: 500 W, idle: 80 W}\n"
                       "  servers:\n"
                       "    - name: big\n      device: npu\n      cards: 16\n"
                       "      cpu: x86-server\n      psu_rating: 3 kW\n      psus: 6\n";
    const char *sets[] = {"catalog.servers.0.psu_rating=3.6 kW"};
    struct sl_scenario_set set;
    struct sl_diag d;
    assert_int_equal(load_text(text, sets, 1, &set, &d), SL_OK);
    const struct sl_scenario *sc = &set.items[0];
    assert_string_equal(sc->server->name, "big");
    assert_int_equal(sc->server->cards, 16);
    assert_int_equal(sc->server->height_u, 4);
    assert_true(sc->server->psu_rating_w == 3600.0);
    assert_string_equal(sc->device->name, "npu");
    assert_true(sc->device->fp16_flops == 300e12);
    assert_true(sc->device->memory_bw == 2.4e12);
    assert_string_equal(sc->cpu->name, "x86-server");
    sl_scenario_set_release(&set);
}

/* One lookup serves callers with a scenario (own entries first) and
 * without one (built-in entries only). */
static void test_catalog_lookup(void **state)
{
    (void)state;
    assert_string_equal(sl_scenario_find_device(NULL, "t100")->name, "t100");
    assert_string_equal(sl_scenario_find_cpu(NULL, "x86-server")->name, "x86-server");
    assert_string_equal(sl_scenario_find_server(NULL, "t1008")->name, "t1008");
    assert_string_equal(sl_scenario_find_chain(NULL, "ac-2n-ups")->name, "ac-2n-ups");
    assert_string_equal(sl_scenario_find_cooling(NULL, "air-chilled-water")->name,
                        "air-chilled-water");
    assert_null(sl_scenario_find_device(NULL, "t1008"));
    assert_null(sl_scenario_find_server(NULL, "s"));
    struct sl_scenario_set set;
    struct sl_diag d;
    assert_int_equal(load_text("catalog:\n  servers:\n    - {name: s, device: t100,"
                               " cpu: x86-server}\n",
                               NULL, 0, &set, &d),
                     SL_OK);
    const struct sl_scenario *sc = &set.items[0];
    assert_ptr_equal(sl_scenario_find_server(sc, "s"), sc->catalog.servers.items);
    assert_ptr_equal(sl_scenario_find_server(sc, "t1008"), sl_scenario_find_server(NULL, "t1008"));
    assert_null(sl_scenario_find_server(sc, "nope"));
    sl_scenario_set_release(&set);
}

static void test_aliases(void **state)
{
    (void)state;
    const char *text = "fleet:\n  servers: &n 24\n  servers_per_rack: *n\n";
    struct sl_scenario_set set;
    struct sl_diag d;
    assert_int_equal(load_text(text, NULL, 0, &set, &d), SL_OK);
    assert_int_equal(set.items[0].fleet.servers_per_rack, 24);
    sl_scenario_set_release(&set);
}

/* Emitting a resolved scenario and loading it back gives the same text. */
static void test_round_trip(void **state)
{
    (void)state;
    const char *text = "name: rt\ndescription: \"a: quoted # text\"\n"
                       "facility: {step: 30s}\n"
                       "run: {duration: 36h, sample: 90s, seed: 12345678901, "
                       "start: 2024-02-29T13:45:10}\n"
                       "workload:\n  synthetic: {mean: 33.3 %, amplitude: 0.1 %, noise: 0 %,"
                       " period: 12h, change_interval: 250ms}\n"
                       "catalog:\n  servers:\n    - {name: s, cards: 4, device: h20,"
                       " cpu: x86-server, memory_idle: 123.456 W, description: \"yes\"}\n"
                       "fleet: {server: s, servers: 7, servers_per_rack: 3}\n";
    struct sl_scenario_set a, b;
    struct sl_diag d;
    assert_int_equal(load_text(text, NULL, 0, &a, &d), SL_OK);
    char *first = emit(&a.items[0]);
    /* The carbon factor came from the built-in site; the resolved text
     * shows the number used, not `~`, and it loads back to the same. */
    double kg = 0;
    char unit[16] = "";
    size_t at = 0;
    while (first[at] && strncmp(first + at, "\n  carbon: ", 11) != 0)
        at++;
    assert_int_equal(sscanf(first + at, "\n  carbon: %lf %15s", &kg, unit), 2);
    assert_string_equal(unit, "kg/kWh");
    assert_true(kg == a.items[0].carbon);
    assert_true(kg > 0);
    assert_int_equal(load_text(first, NULL, 0, &b, &d), SL_OK);
    char *second = emit(&b.items[0]);
    assert_string_equal(first, second);
    assert_true(a.items[0].workload.synthetic.mean == b.items[0].workload.synthetic.mean);
    assert_true(b.items[0].workload.synthetic.mean == 0.333);
    assert_true(b.items[0].server->memory_idle_w == 123.456);
    assert_int_equal(b.items[0].run.seed, INT64_C(12345678901));
    assert_string_equal(b.items[0].description, "a: quoted # text");
    assert_string_equal(b.items[0].server->description, "yes");
    assert_true(b.items[0].carbon == a.items[0].carbon);
    free(first);
    free(second);
    sl_scenario_set_release(&a);
    sl_scenario_set_release(&b);
}

/* Issue 9: a fleet of pools resolves to its numbering, services run on
 * their pools (cards from the pool's first card upwards, the pool's
 * device), the shorthand is written back as the pools' summary, and the
 * resolved scenario loads back to the same. */
static void test_pools(void **state)
{
    (void)state;
    const char *text =
        "fleet:\n  pools:\n"
        "    - {name: train, server: t1008, servers: 5, servers_per_rack: 2, use: training}\n"
        "    - {name: infer, server: hgx-h100, servers: 3, servers_per_rack: 16, use: inference}\n"
        "    - {name: mixed, server: atlas-800-910b, servers: 4}\n"
        "workload:\n  inference:\n"
        "    - {name: a, model: qwen2.5-7b, replicas: 3,"
        " requests: {rate: 1/s, prompt_tokens: 100, output_tokens: 10}}\n"
        "    - {name: b, model: qwen2.5-7b, replicas: 2, tp: 2, pool: mixed,"
        " requests: {rate: 1/s, prompt_tokens: 100, output_tokens: 10}}\n"
        "    - {name: c, model: qwen2.5-7b, replicas: 1, tp: 4, pool: infer,"
        " requests: {rate: 1/s, prompt_tokens: 100, output_tokens: 10}}\n";
    struct sl_scenario_set a, b;
    struct sl_diag d;
    int rc = load_text(text, NULL, 0, &a, &d);
    if (rc != SL_OK)
        fail_msg("%s:%d:%d: %s", d.file, d.line, d.col, d.msg);
    const struct sl_scenario *sc = &a.items[0];
    assert_int_equal(sc->npools, 3);
    const struct sl_pool_res *p = sc->pools;
    assert_string_equal(p[0].name, "train");
    assert_string_equal(p[1].server->name, "hgx-h100");
    assert_string_equal(p[1].device->name, "h100-sxm");
    assert_string_equal(p[2].cpu->name, "kunpeng-920");
    assert_int_equal(p[0].use, SL_POOL_TRAINING);
    assert_int_equal(p[1].use, SL_POOL_INFERENCE);
    assert_int_equal(p[2].use, SL_POOL_BOTH);
    const int64_t first_server[] = {0, 5, 8}, first_card[] = {0, 40, 64}, first_rack[] = {0, 3, 4};
    const int64_t racks[] = {3, 1, 1}, cards[] = {40, 24, 32};
    for (size_t k = 0; k < 3; k++) {
        assert_int_equal(p[k].first_server, first_server[k]);
        assert_int_equal(p[k].first_card, first_card[k]);
        assert_int_equal(p[k].first_rack, first_rack[k]);
        assert_int_equal(p[k].racks, racks[k]);
        assert_int_equal(p[k].cards, cards[k]);
    }
    /* The shorthand as the pools' summary: the first pool's models. */
    assert_int_equal(sc->fleet.servers, 12);
    assert_int_equal(sc->fleet.servers_per_rack, 2);
    assert_string_equal(sc->fleet.server, "t1008");
    assert_ptr_equal(sc->server, p[0].server);
    /* Services: a defaults to the first pool that takes inference (infer),
     * c follows it there on a multiple of its tp; b is on mixed. */
    assert_int_equal(sc->nservices, 3);
    assert_int_equal(sc->services[0].pool, 1);
    assert_int_equal(sc->services[0].first_card, 40);
    assert_int_equal(sc->services[1].pool, 2);
    assert_int_equal(sc->services[1].first_card, 64);
    assert_int_equal(sc->services[2].pool, 1);
    assert_int_equal(sc->services[2].first_card, 44);
    assert_string_equal(sc->services[0].perf.device->name, "h100-sxm");
    assert_string_equal(sc->services[1].perf.device->name, "ascend-910b");
    assert_int_equal(sc->services[1].perf.server_cards, 8);

    /* Round trip: no shorthand in the resolved text, the same pools back. */
    char *first = emit(sc);
    assert_null(strstr(first, "\n  servers: 12"));
    assert_null(strstr(first, "\n  server: t1008"));
    rc = load_text(first, NULL, 0, &b, &d);
    if (rc != SL_OK)
        fail_msg("resolved text: %s:%d:%d: %s", d.file, d.line, d.col, d.msg);
    char *second = emit(&b.items[0]);
    assert_string_equal(first, second);
    const struct sl_scenario *sb = &b.items[0];
    assert_int_equal(sb->npools, 3);
    for (size_t k = 0; k < 3; k++) {
        assert_string_equal(sb->pools[k].name, p[k].name);
        assert_ptr_equal(sb->pools[k].server, p[k].server);
        assert_int_equal(sb->pools[k].servers, p[k].servers);
        assert_int_equal(sb->pools[k].servers_per_rack, p[k].servers_per_rack);
        assert_int_equal(sb->pools[k].use, p[k].use);
        assert_int_equal(sb->pools[k].first_card, p[k].first_card);
    }
    for (size_t k = 0; k < 3; k++)
        assert_int_equal(sb->services[k].first_card, sc->services[k].first_card);
    free(first);
    free(second);
    sl_scenario_set_release(&a);
    sl_scenario_set_release(&b);

    /* The shorthand is one pool "main" of both uses. */
    assert_int_equal(load_text("fleet: {servers: 7, servers_per_rack: 3}\n", NULL, 0, &a, &d),
                     SL_OK);
    assert_int_equal(a.items[0].npools, 1);
    assert_string_equal(a.items[0].pools[0].name, "main");
    assert_int_equal(a.items[0].pools[0].racks, 3);
    assert_int_equal(a.items[0].pools[0].cards, 56);
    assert_int_equal(a.items[0].pools[0].use, SL_POOL_BOTH);
    sl_scenario_set_release(&a);
}

/* A minimal valid EPW file: 8 header lines and 8,760 hourly rows. */
static void write_epw(const char *path)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("LOCATION,Testville,Test,CHN,TEST,000000,40.00,117.00,8.0,500.0\n"
          "DESIGN CONDITIONS,0\nTYPICAL/EXTREME PERIODS,0\nGROUND TEMPERATURES,0\n"
          "HOLIDAYS/DAYLIGHT SAVINGS,No,0,0,0\nCOMMENTS 1,test_config\nCOMMENTS 2,\n"
          "DATA PERIODS,1,1,Data,Sunday, 1/ 1,12/31\n",
          f);
    for (int m = 1; m <= 12; m++)
        for (int day = 1; day <= mdays[m - 1]; day++)
            for (int h = 1; h <= 24; h++)
                fprintf(f, "2005,%d,%d,%d,0,?9?9?9?9E0,%.1f,5.0,50,100000%s\n", m, day, h,
                        10.0 + (h % 12), ",0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0");
    fclose(f);
}

static void write_at(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* A relative weather path is taken from the folder of the scenario file
 * that names it, from whatever directory the scenario is loaded; one from
 * --set from the current directory.  The resolved scenario names the file
 * by its absolute path and loads back to it from anywhere. */
static void test_relative_paths(void **state)
{
    (void)state;
    char sub[600], other[600], scen[700], epw[700], back[700], cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    snprintf(sub, sizeof sub, "%s/sub", tmpdir);
    snprintf(other, sizeof other, "%s/other", tmpdir);
    assert_int_equal(mkdir(sub, 0700), 0);
    assert_int_equal(mkdir(other, 0700), 0);
    snprintf(epw, sizeof epw, "%s/w.epw", sub);
    snprintf(scen, sizeof scen, "%s/s.yaml", sub);
    snprintf(back, sizeof back, "%s/back.yaml", other);
    write_epw(epw);
    write_at(scen, "run: {duration: 1d}\nsite: {weather: w.epw}\n"
                   "variants:\n  - {name: a}\n  - {name: b, set: {site.weather: ./w.epw}}\n");

    /* From another directory, by a relative and by an absolute name. */
    struct sl_scenario_set set, set2;
    struct sl_diag d;
    assert_int_equal(chdir(tmpdir), 0);
    struct sl_load_opts o = {"sub/s.yaml", NULL, 0, NULL, NULL};
    sl_diag_clear(&d);
    assert_int_equal(sl_scenario_load(&o, &set, &d), SL_OK);
    assert_int_equal(set.n, 2);
    for (size_t i = 0; i < set.n; i++) {
        assert_string_equal(set.items[i].site.weather, epw);
        assert_non_null(set.items[i].weather);
    }
    assert_int_equal(chdir(other), 0);
    o.path = scen;
    sl_diag_clear(&d);
    assert_int_equal(sl_scenario_load(&o, &set2, &d), SL_OK);
    assert_string_equal(set2.items[0].site.weather, epw);
    sl_scenario_set_release(&set2);

    /* The resolved scenario, written elsewhere, loads back to the same file. */
    char *text = emit(&set.items[0]);
    write_at(back, text);
    assert_int_equal(chdir("/"), 0);
    o.path = back;
    sl_diag_clear(&d);
    assert_int_equal(sl_scenario_load(&o, &set2, &d), SL_OK);
    assert_string_equal(set2.items[0].site.weather, epw);
    char *text2 = emit(&set2.items[0]);
    assert_string_equal(text + strcspn(text, "\n") + 1, text2); /* less "# variant: a" */
    free(text);
    free(text2);
    sl_scenario_set_release(&set2);
    sl_scenario_set_release(&set);

    /* --set resolves against the current directory, not the file's. */
    const char *sets[] = {"site.weather=w.epw"};
    struct sl_load_opts os = {scen, sets, 1, NULL, "a"};
    assert_int_equal(chdir(tmpdir), 0);
    sl_diag_clear(&d);
    assert_int_equal(sl_scenario_load(&os, &set, &d), SL_EINVAL);
    char missing[700];
    snprintf(missing, sizeof missing, "w.epw: EPW weather file not found (%s/w.epw)", tmpdir);
    assert_non_null(strstr(d.msg, missing));
    assert_string_equal(d.file, "--set 'site.weather=w.epw'");
    assert_int_equal(chdir(sub), 0);
    sl_diag_clear(&d);
    assert_int_equal(sl_scenario_load(&os, &set, &d), SL_OK);
    assert_string_equal(set.items[0].site.weather, epw);
    sl_scenario_set_release(&set);

    /* The built-in default with --set: the current directory too. */
    struct sl_load_opts od = {NULL, sets, 1, NULL, "traditional"};
    sl_diag_clear(&d);
    assert_int_equal(sl_scenario_load(&od, &set, &d), SL_OK);
    assert_string_equal(set.items[0].site.weather, epw);
    sl_scenario_set_release(&set);
    assert_int_equal(chdir(cwd), 0);
}

struct bad_case {
    const char *text;
    const char *set;
    int line, col;
    const char *msg;
};

static void test_errors_have_positions(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        {"fleet:\n  servers: 0\n", NULL, 2, 12, "must be at least 1"},
        {"fleet:\n  sevrers: 10\n", NULL, 2, 3, "did you mean 'servers'?"},
        {"run:\n  sample: 10 parsecs\n", NULL, 2, 11, "unknown time unit 'parsecs'"},
        {"run:\n  sample: 10\n", NULL, 2, 11, "missing unit"},
        {"run:\n  duration: 1h\n  sample: 2h\n", NULL, 3, 11, "longer than 'run.duration'"},
        {"workload:\n  synthetic:\n    shape: diurnl\n", NULL, 3, 12, "did you mean 'diurnal'?"},
        {"workload:\n  synthetic:\n    peak_time: 25h\n", NULL, 3, 16, "must be less than 1d"},
        {"catalog:\n  cpus:\n    - {name: x, tdp: 1 kW, idle: 2 kW}\n", NULL, 3, 34,
         "idle must be below tdp"},
        {"catalog:\n  servers:\n    - {name: t1008, device: t100, cpu: x86-server}\n", NULL, 3, 14,
         "already built in"},
        {"catalog:\n  servers:\n    - {cards: 8, device: t100, cpu: x86-server}\n", NULL, 3, 7,
         "missing required key 'name'"},
        {"name: has space\n", NULL, 1, 7, "must be a name"},
        /* Catalog names: own entries are suggested like built-in ones... */
        {"catalog:\n  cpus:\n    - {name: my-cpu, tdp: 200 W, idle: 50 W}\n"
         "  servers:\n    - {name: my-srv, device: t100, cpu: my-cpuu}\n",
         NULL, 5, 41, "unknown host CPU 'my-cpuu' (did you mean 'my-cpu'?)"},
        /* ...and a name near nothing points at the list. */
        {"fleet: {server: zzzzzz}\n", NULL, 1, 17,
         "unknown server model 'zzzzzz'; `suanli catalog` lists the built-in ones"},
        {"variants:\n  - name: a\n    sets: {}\n", NULL, 3, 5, "did you mean 'set'?"},
        {"variants:\n  - name: a\n    set: {variants.0: 1}\n", NULL, 3, 11,
         "cannot set 'variants'"},
        {"fleet: {}\n", "fleet.servers=lots", 0, 0, "expected an integer"},
        {"- 1\n- 2\n", NULL, 1, 1, "a scenario is a mapping"},
        {"a: *nothing\n", NULL, 1, 4, "unknown alias"},
        {"a: 1\n---\nb: 2\n", NULL, 2, 1, "one YAML document"},
        {"run: {seed: -1}\n", NULL, 1, 13, "must be at least 0"},
        {"fleet: {servers: 99999999999999999999}\n", NULL, 1, 18, "out of range"},
        /* Issue 7: times are whole microseconds within the duration limit;
         * integers are compared exactly, not through a double. */
        {"workload:\n  synthetic: {period: 0.4us}\n", NULL, 2, 23,
         "not a whole number of microseconds"},
        {"facility: {step: 1.0000004s}\n", NULL, 1, 18, "not a whole number of microseconds"},
        {"site:\n  tou:\n    - {from: 0.5us, to: 8h, price: 1 CNY/kWh}\n", NULL, 3, 14,
         "not a whole number of microseconds"},
        {"run: {duration: 1e8d}\n", NULL, 1, 17, "longer than the limit of 365000d"},
        {"workload:\n  synthetic: {change_interval: 100000000d}\n", NULL, 2, 32,
         "longer than the limit"},
        {"run: {seed: 9007199254740993}\n", NULL, 1, 13, "must be at most 9007199254740992"},
        {"fleet: {servers: 10000001}\n", NULL, 1, 18, "must be at most 10000000"},
        /* An override that reads as null never means the default, whatever
         * the key's type; a variant's set: gives each key once. */
        {"fleet: {}\n", "fleet.servers=---", 0, 0, "'fleet.servers' needs an integer"},
        {"fleet: {}\n", "fleet.servers=~", 0, 0, "reads as YAML null"},
        {"fleet: {}\n", "site.grid_cap=---", 0, 0, "'site.grid_cap' needs a power"},
        {"fleet: {}\n", "run.duration=---", 0, 0, "'run.duration' needs a time"},
        {"fleet: {}\n", "workload.synthetic.shape=---", 0, 0, "needs one of its names"},
        {"fleet: {}\n", "name=---", 0, 0, "'name' needs a value"},
        {"fleet: {}\n", "site.weather=---", 0, 0, "'site.weather' needs a value"},
        {"fleet: {}\n", "site.tou=~", 0, 0, "'site.tou' needs a list"},
        {"fleet: {}\n", "fleet={servers: ~}", 0, 0, "'fleet.servers' needs an integer"},
        {"catalog:\n  chains:\n    - {name: c, stages: [{name: s, efficiency: 90 %}]}\n",
         "catalog.chains.0.stages.0.indoor=---", 0, 0, "needs true or false"},
        {"variants:\n  - name: a\n    set:\n      fleet.servers: 2\n      fleet: {servers: 3}\n",
         NULL, 5, 7, "'set' gives 'fleet' and 'fleet.servers' (line 4)"},
        {"variants:\n  - name: a\n    set: {run: {seed: 2}, run.seed: 3}\n", NULL, 3, 27,
         "one would silently override the other"},
        {"variants:\n  - name: a\n    set: {run.seed: 2}\n  - name: b\n"
         "    set: {run.sample: 2min, run.seed: 3, run.sample.x: 1}\n",
         NULL, 5, 42, "in variant 'b': 'set' gives 'run.sample.x' and 'run.sample'"},
        /* Rules between two keys are reported at the one written, naming
         * the other's default. */
        {"run: {duration: 30s}\n", NULL, 1, 17,
         "'run.sample' (default 1min) is longer than 'run.duration' (30s)"},
        {"fleet: {}\n", "run.duration=30s", 0, 0, "'run.sample' (default 1min) is longer"},
        {"facility: {step: 7s}\n", NULL, 1, 18, "'run.sample' (default 1min) is not a whole"},
        {"workload: {synthetic: {amplitude: 30 %}}\n", NULL, 1, 35,
         "mean (default 80 %) +- amplitude (30 %)"},
        /* Output bounds: rows of one file, bytes of a set. */
        {"fleet: {}\n", "catalog.servers.0.psu_rating=3.6 kW", 0, 0,
         "'catalog.servers' has no entry 0: the scenario defines no server models of its own"},
        {"run: {duration: 10000d}\n", NULL, 1, 17,
         "is 14400000 rows of timeseries.csv, more than the limit of 10000000: raise run.sample"},
        {"run: {duration: 5000d}\nvariants:\n  - {name: a}\n  - {name: b}\n", NULL, 1, 17,
         "in variant 'b': the 2 variants up to this one would write about"},
        /* Issue 9: fleet pools. */
        {"fleet:\n  pools:\n    - {name: a, server: t1008, servers: 2}\n"
         "    - {name: b, server: hgx-h10, servers: 2}\n",
         NULL, 4, 25, "unknown server model 'hgx-h10' (did you mean 'hgx-h100'?)"},
        {"fleet:\n  pools:\n    - {name: a, server: t1008, servers: 2}\n"
         "    - {name: a, server: hgx-h100, servers: 2}\n",
         NULL, 4, 14, "pool 'a' is defined twice (also entry 0)"},
        {"fleet:\n  servers: 4\n  pools:\n    - {name: a, server: t1008, servers: 2}\n", NULL, 2,
         12, "'fleet.servers' cannot be given with 'fleet.pools'"},
        {"fleet:\n  pools:\n    - {name: a, server: t1008, servers: 2}\n", "fleet.server=hgx-h100",
         0, 0, "'fleet.server' cannot be given with 'fleet.pools'"},
        {"fleet:\n  pools:\n    - {name: a, server: t1008}\n", NULL, 3, 7,
         "missing required key 'servers'"},
        {"fleet:\n  pools:\n    - {name: a, server: t1008, servers: 2, use: trianing}\n", NULL, 3,
         49, "did you mean 'training'?"},
        {"fleet:\n  pools:\n    - {name: a, server: t1008, servers: 2, use: training}\n"
         "    - {name: b, server: hgx-h100, servers: 2}\n"
         "workload:\n  inference:\n    - {name: chat, model: qwen2.5-7b, pool: a,"
         " requests: {rate: 1/s, prompt_tokens: 100, output_tokens: 10}}\n",
         NULL, 7, 45, "service 'chat': pool 'a' is reserved for training"},
        {"fleet:\n  pools:\n    - {name: train, server: t1008, servers: 2, use: training}\n"
         "workload:\n  inference:\n    - {name: chat, model: qwen2.5-7b,"
         " requests: {rate: 1/s, prompt_tokens: 100, output_tokens: 10}}\n",
         NULL, 6, 14, "every pool of the fleet is reserved for training"},
        {"fleet:\n  pools:\n    - {name: infer, server: t1008, servers: 2}\n"
         "workload:\n  inference:\n    - {name: chat, model: qwen2.5-7b, pool: infr,"
         " requests: {rate: 1/s, prompt_tokens: 100, output_tokens: 10}}\n",
         NULL, 6, 45, "unknown pool 'infr' (did you mean 'infer'?)"},
        /* A service larger than its pool, though the fleet holds it. */
        {"fleet:\n  pools:\n    - {name: a, server: t1008, servers: 1}\n"
         "    - {name: b, server: hgx-h100, servers: 8}\n"
         "workload:\n  inference:\n    - {name: chat, model: qwen2.5-7b, replicas: 9,"
         " requests: {rate: 1/s, prompt_tokens: 100, output_tokens: 10}}\n",
         NULL, 7, 49, "need 9 cards, but pool 'a' has 8 (1 servers x 8)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sl_scenario_set set;
        struct sl_diag d;
        const char *sets[1] = {cases[i].set};
        int rc = load_text(cases[i].text, sets, cases[i].set ? 1 : 0, &set, &d);
        if (rc != SL_EINVAL || d.line != cases[i].line || d.col != cases[i].col ||
            !strstr(d.msg, cases[i].msg))
            fail_msg("case %zu: rc %d at %d:%d: %s (want %d:%d '%s')", i, rc, d.line, d.col, d.msg,
                     cases[i].line, cases[i].col, cases[i].msg);
    }
}

/* A chain with more stages of one scope than a run holds is reported at
 * load, at the first stage too many (SL_STACK_MAX per scope, 8 server
 * stages), not when the run builds its stacks. */
static void test_stage_counts(void **state)
{
    (void)state;
    static const struct {
        const char *scope;
        int n, ok;
    } cases[] = {{"rack", 16, 1},  {"rack", 17, 0},  {"facility", 17, 0},
                 {"board", 17, 0}, {"server", 8, 1}, {"server", 9, 0}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char text[8192];
        size_t used = (size_t)snprintf(text, sizeof text,
                                       "catalog:\n  chains:\n    - name: c\n      stages:\n");
        for (int i = 0; i < cases[c].n; i++)
            used += (size_t)snprintf(text + used, sizeof text - used,
                                     "        - {name: s%d, scope: %s, efficiency: 99.9 %%}\n", i,
                                     cases[c].scope);
        snprintf(text + used, sizeof text - used, "facility: {power_chain: c}\n");
        struct sl_scenario_set set;
        struct sl_diag d;
        int rc = load_text(text, NULL, 0, &set, &d);
        if (cases[c].ok) {
            if (rc != SL_OK)
                fail_msg("%d %s stages: %s", cases[c].n, cases[c].scope, d.msg);
            sl_scenario_set_release(&set);
            continue;
        }
        assert_int_equal(rc, SL_EINVAL);
        assert_int_equal(d.line, 4 + cases[c].n);
        assert_int_equal(d.col, 11);
        assert_non_null(strstr(d.msg, "more than"));
        assert_non_null(strstr(d.msg, cases[c].scope));
    }
}

/* ---- Every key round-trips through check at its boundary values. ---- */

/* A scenario with one entry in every list, so every key has a path. */
static const char prop_base[] =
    "run: {duration: 1d}\n"
    "site:\n  tou: [{from: 8h, to: 12h, price: 1 CNY/kWh}]\n"
    "catalog:\n"
    "  devices: [{name: d1, fp16: 100 TFLOPS, int8: 200 TFLOPS, memory: 64 GiB,\n"
    "             memory_bw: 1 TB/s, tdp: 400 W, idle: 60 W}]\n"
    "  cpus: [{name: c1, tdp: 300 W, idle: 80 W}]\n"
    "  servers: [{name: s1, device: d1, cpu: c1}]\n"
    "  chains: [{name: ch1, stages: [{name: ups, efficiency: 95 %},\n"
    "           {name: vrm, scope: board, curve: [{load: 50 %, efficiency: 90 %}]}]}]\n"
    "  cooling: [{name: co1}]\n";

struct prop_stats {
    int tried, loaded, failed;
};

/* Writes a base-unit value v of a REAL field as YAML text with its unit. */
static void real_text(const struct sl_field *f, double v, char *buf, size_t size)
{
    if (f->unit == SL_UNIT_PERCENT)
        snprintf(buf, size, "%.17g %%", v * 100);
    else if (f->unit == SL_UNIT_NONE)
        snprintf(buf, size, "%.17g", v);
    else
        snprintf(buf, size, "%.17g %s", v, sl_unit_base_symbol(f->unit));
}

/* Loads prop_base with path=value; if it loads, emits, re-reads the
 * emitted text and compares the two emissions. */
static void prop_try(const char *path, const char *value, struct prop_stats *st)
{
    char arg[4096];
    snprintf(arg, sizeof arg, "%s=%s", path, value);
    const char *sets[1] = {arg};
    struct sl_scenario_set a, b;
    struct sl_diag d;
    st->tried++;
    if (load_text(prop_base, sets, 1, &a, &d) != SL_OK)
        return; /* rejected values are fine: they have a message */
    st->loaded++;
    char *t1 = emit(&a.items[0]);
    sl_scenario_set_release(&a);
    int rc = load_text(t1, NULL, 0, &b, &d);
    char *t2 = rc == SL_OK ? emit(&b.items[0]) : NULL;
    if (rc == SL_OK)
        sl_scenario_set_release(&b);
    if (!t2 || strcmp(t1, t2) != 0) {
        if (st->failed < 20)
            print_message("  round trip of %s=%s fails: %s\n", path, value,
                          t2 ? "re-read differs" : d.msg);
        st->failed++;
    }
    free(t1);
    free(t2);
}

static void prop_walk(const struct sl_schema *s, const char *prefix, struct prop_stats *st)
{
    static const char *const strings[] = {
        "plain",
        "\"a\\x01b\\tc\"",
        "\"x\\u2028y\\u2029z\"",
        "\"\\x85nel\"",
        "\"\\uFEFFbom\"",
        "\"q\\\"uote\\\\back\"",
        "\" lead\"",
        "\"trail \"",
        "\"#hash\"",
        "\"null\"",
        "\"1e5\"",
        "\"-\"",
        "\"a: b\"",
        "\"\\x7f\"",
        "\"\\x9f\"",
        "\"\\u00e9t\\u00e9\"",
        "\"''\"",
    };
    for (size_t i = 0; i < s->nfields; i++) {
        const struct sl_field *f = &s->fields[i];
        char path[512], v[1024];
        snprintf(path, sizeof path, "%s%s%s", prefix, prefix[0] ? "." : "", f->key);
        switch (f->type) {
        case SL_FT_SECTION:
            prop_walk(f->sub, path, st);
            break;
        case SL_FT_LIST: {
            char ipath[520];
            snprintf(ipath, sizeof ipath, "%s.0", path);
            prop_walk(f->sub, ipath, st);
            break;
        }
        case SL_FT_RAW:
            break;
        case SL_FT_BOOL:
            prop_try(path, "true", st);
            prop_try(path, "off", st);
            break;
        case SL_FT_ENUM:
            for (size_t k = 0; f->names[k]; k++)
                prop_try(path, f->names[k], st);
            break;
        case SL_FT_STRING: {
            for (size_t k = 0; k < sizeof strings / sizeof strings[0]; k++)
                prop_try(path, strings[k], st);
            char lng[1024];
            for (size_t k = 0; k < 600; k++)
                lng[k] = (char)('a' + k % 26);
            lng[600] = '\0';
            prop_try(path, lng, st);
            break;
        }
        case SL_FT_INT: {
            double lo = f->min > SL_NO_MIN ? f->min : -1e15,
                   hi = f->max < SL_NO_MAX ? f->max : 1e15;
            const double vals[] = {lo, hi, lo + 1, hi - 1, floor((lo + hi) / 3)};
            for (size_t k = 0; k < 5; k++) {
                snprintf(v, sizeof v, "%.0f", vals[k]);
                prop_try(path, v, st);
            }
            break;
        }
        case SL_FT_REAL: {
            double lo = f->min > SL_NO_MIN ? f->min : -1e6, hi = f->max < SL_NO_MAX ? f->max : 1e9;
            const double vals[] = {lo,
                                   hi,
                                   nextafter(lo, hi),
                                   nextafter(hi, lo),
                                   lo + (hi - lo) / 3,
                                   lo + (hi - lo) / 7,
                                   1e-300,
                                   0.1};
            for (size_t k = 0; k < 8; k++) {
                real_text(f, vals[k], v, sizeof v);
                prop_try(path, v, st);
            }
            break;
        }
        case SL_FT_TIME: {
            static const char *const times[] = {"1us",   "86399.999999s", "23.99999999999h",
                                                "0.4us", "1.1min",        "365000d",
                                                "0s",    "1e-3s",         "7d"};
            for (size_t k = 0; k < sizeof times / sizeof times[0]; k++)
                prop_try(path, times[k], st);
            if (f->min > SL_NO_MIN) {
                snprintf(v, sizeof v, "%.17gs", f->min);
                prop_try(path, v, st);
            }
            if (f->max < SL_NO_MAX) {
                snprintf(v, sizeof v, "%.17gs", f->max);
                prop_try(path, v, st);
                snprintf(v, sizeof v, "%.0fus", f->max * 1e6 - 1);
                prop_try(path, v, st);
            }
            break;
        }
        }
    }
}

/* For every key of the schema (walked from the tables, so a new key is
 * covered without a line here): set it to its boundary values, odd
 * fractions and awkward strings through --set; whatever loads must emit
 * YAML that re-reads to the same emission. */
static void test_every_key_round_trips(void **state)
{
    (void)state;
    struct sl_scenario_set base;
    struct sl_diag d;
    if (load_text(prop_base, NULL, 0, &base, &d) != SL_OK)
        fail_msg("base scenario: %s:%d:%d: %s", d.file, d.line, d.col, d.msg);
    sl_scenario_set_release(&base);
    struct prop_stats st = {0, 0, 0};
    prop_walk(&sl__scenario_schema, "", &st);
    print_message("  %d values tried, %d loaded, %d failed to round-trip\n", st.tried, st.loaded,
                  st.failed);
    assert_true(st.loaded > st.tried / 3);
    assert_int_equal(st.failed, 0);
}

/* docs/scenario.md must contain exactly what `suanli keys` prints. */
static void test_docs_in_sync(void **state)
{
    (void)state;
    char *gen = NULL;
    size_t genlen = 0;
    FILE *f = open_memstream(&gen, &genlen);
    sl_scenario_doc(f);
    fclose(f);

    FILE *doc = fopen(SL_SOURCE_DIR "/docs/scenario.md", "r");
    assert_non_null(doc);
    char *text = NULL;
    size_t cap = 0;
    ssize_t got = getdelim(&text, &cap, '\0', doc);
    fclose(doc);
    assert_true(got > 0);
    const char *begin = strstr(text, "<!-- keys:begin -->\n");
    const char *end = strstr(text, "<!-- keys:end -->");
    assert_non_null(begin);
    assert_non_null(end);
    begin += strlen("<!-- keys:begin -->\n");
    size_t len = (size_t)(end - begin);
    if (len != genlen || memcmp(begin, gen, len) != 0)
        fail_msg("docs/scenario.md is out of date: run `make docs`");
    free(text);
    free(gen);
}

/* An allocator that fails after a budget of successful allocations. */
static long budget;
static void *failing_alloc(void *ud, void *ptr, size_t size)
{
    (void)ud;
    if (size == 0) {
        free(ptr);
        return NULL;
    }
    if (budget-- <= 0)
        return NULL;
    return realloc(ptr, size);
}

/* Loads path with every allocation failing in turn: each failure is
 * SL_ENOMEM with nothing left over, until the load succeeds with want
 * scenarios. */
static void load_under_failures(const char *path, size_t want)
{
    const char *sets[] = {"run.duration=1d"};
    int succeeded = 0;
    for (long n = 0; n < 100000 && !succeeded; n++) {
        struct sl_load_opts o = {path, sets, 1, "5", NULL};
        struct sl_scenario_set set;
        struct sl_diag d;
        sl_diag_clear(&d);
        budget = n;
        sl_alloc_set_hook(failing_alloc, NULL);
        int rc = sl_scenario_load(&o, &set, &d);
        sl_alloc_set_hook(NULL, NULL);
        if (rc == SL_OK) {
            assert_int_equal(set.n, want);
            sl_scenario_set_release(&set);
            succeeded = 1;
        } else {
            if (rc != SL_ENOMEM)
                fail_msg("budget %ld: rc %d (%s)", n, rc, d.msg);
            assert_null(set.items);
        }
    }
    assert_true(succeeded);
}

static void test_allocation_failures(void **state)
{
    (void)state;
    load_under_failures(write_file("t.yaml", "fleet: {servers: 16}\n"
                                             "catalog:\n  servers:\n    - {name: s, cards: 8,"
                                             " device: t100, cpu: x86-server}\n"
                                             "variants:\n  - {name: a, set: {fleet.server: s}}\n"
                                             "  - {name: b}\n"),
                        2);
    /* Issue 9: pools and services on them. */
    load_under_failures(
        write_file("p.yaml", "fleet:\n  pools:\n    - {name: a, server: t1008, servers: 2}\n"
                             "    - {name: b, server: hgx-h100, servers: 3, use: inference}\n"
                             "workload:\n  inference:\n    - {name: s, model: qwen2.5-7b, pool: b,"
                             " requests: {rate: 1/s, prompt_tokens: 100, output_tokens: 10}}\n"),
        1);
}

/* Parser robustness: thousands of mutated and truncated copies of the default
 * scenario must each load or be rejected with SL_EINVAL and a message, never
 * crash, hang or leak (the sanitizer build checks the last two). */
static void test_mutated_inputs(void **state)
{
    (void)state;
    size_t len;
    const char *base = sl_scenario_default_text(&len);
    char *buf = malloc(len + 64);
    assert_non_null(buf);
    uint64_t x = 0x9e3779b97f4a7c15u;
    static const char alphabet[] = " \n\t:-[]{}#&*!|>'\"%@`,?0123456789.kWhsd%~";
    int accepted = 0, rejected = 0;
    for (int iter = 0; iter < 3000; iter++) {
        memcpy(buf, base, len);
        size_t n = len;
        int edits = 1 + (int)(iter % 4);
        for (int e = 0; e < edits; e++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            size_t pos = (size_t)(x % n);
            switch ((x >> 32) % 4) {
            case 0: /* replace a byte */
                buf[pos] = alphabet[(x >> 40) % (sizeof alphabet - 1)];
                break;
            case 1: /* truncate */
                n = pos + 1;
                break;
            case 2: /* delete a byte */
                memmove(buf + pos, buf + pos + 1, n - pos - 1);
                n--;
                break;
            default: /* insert a byte */
                memmove(buf + pos + 1, buf + pos, n - pos);
                buf[pos] = alphabet[(x >> 40) % (sizeof alphabet - 1)];
                n++;
                break;
            }
            if (n == 0)
                n = 1;
        }
        buf[n] = '\0';
        struct sl_scenario_set set;
        struct sl_diag d;
        int rc = load_text(buf, NULL, 0, &set, &d);
        if (rc == SL_OK) {
            accepted++;
            sl_scenario_set_release(&set);
        } else {
            if (rc != SL_EINVAL || d.msg[0] == '\0')
                fail_msg("iteration %d: rc %d, message '%s'", iter, rc, d.msg);
            rejected++;
        }
    }
    /* Both outcomes must occur, or the mutations are not exercising much. */
    assert_true(accepted > 0);
    assert_true(rejected > 0);
    free(buf);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_scenario),
        cmocka_unit_test(test_all_defaults),
        cmocka_unit_test(test_null_values_mean_default),
        cmocka_unit_test(test_overrides),
        cmocka_unit_test(test_catalog_addition_and_list_override),
        cmocka_unit_test(test_catalog_lookup),
        cmocka_unit_test(test_aliases),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_pools),
        cmocka_unit_test(test_relative_paths),
        cmocka_unit_test(test_errors_have_positions),
        cmocka_unit_test(test_stage_counts),
        cmocka_unit_test(test_every_key_round_trips),
        cmocka_unit_test(test_docs_in_sync),
        cmocka_unit_test(test_allocation_failures),
        cmocka_unit_test(test_mutated_inputs),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
