/*
 * The commands that only print: `check` (validate a scenario and print it
 * resolved, as YAML), `show-default` (the built-in scenario file),
 * `catalog` (the built-in presets, as tables), `keys` (the scenario key
 * reference, markdown) and `version`.  None of them runs or writes
 * anything.  Output goes to stdout, diagnostics and the verdict of check
 * to stderr, so that `suanli check x.yaml > resolved.yaml` keeps only YAML.
 * Output that does not reach stdout fails the command (app_flush_stdout,
 * called by main).
 */
#include "cli.h"

#include "suanli/catalog.h"
#include "suanli/llm.h"
#include "suanli/chain.h"
#include "suanli/cooling.h"
#include "suanli/diag.h"
#include "suanli/scenario.h"
#include "suanli/weather.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int app_cmd_check(int argc, char **argv)
{
    struct app_cli c;
    int rc = app_parse_cli(argc, argv, "check", 0, &c);
    if (rc || c.help) {
        if (c.help)
            fputs(app_check_help, stdout);
        free(c.sets);
        return rc;
    }
    struct sl_scenario_set set;
    if ((rc = app_load(&c, &set)) == 0) {
        for (size_t i = 0; i < set.n; i++) {
            if (i)
                fputs("---\n", stdout);
            sl_scenario_emit(&set.items[i], stdout);
        }
        /* No verdict when the YAML did not reach stdout. */
        if ((rc = app_flush_stdout(0)) == 0)
            fprintf(stderr, "%s: %s is valid (%zu run%s)\n", app_prog,
                    c.scenario ? c.scenario : "the built-in default scenario", set.n,
                    set.n == 1 ? "" : "s");
        sl_scenario_set_release(&set);
    }
    free(c.sets);
    return rc;
}

/* For the commands without options: prints help and returns -1 when the
 * first argument asks for it, returns a usage error for any other argument,
 * and 0 when there is none. */
static int no_args(int argc, char **argv, const char *cmd, const char *help)
{
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(help, stdout);
            return -1;
        }
        return app_usage_error(cmd, "unexpected argument '%s'", argv[i]);
    }
    return 0;
}

int app_cmd_show_default(int argc, char **argv)
{
    int rc = no_args(argc, argv, "show-default", app_show_default_help);
    if (rc)
        return rc < 0 ? 0 : rc;
    size_t len;
    const char *text = sl_scenario_default_text(&len);
    fwrite(text, 1, len, stdout);
    return 0;
}

int app_cmd_catalog(int argc, char **argv)
{
    int rc = no_args(argc, argv, "catalog", app_catalog_help);
    if (rc)
        return rc < 0 ? 0 : rc;
    printf("Accelerators (catalog.devices; a server's `device`):\n");
    printf("  %-12s %7s %7s %6s %7s %5s %5s %-10s %7s %-6s\n", "name", "FP16 TF", "INT8 TO",
           "mem GB", "BW TB/s", "TDP W", "idle", "link", "GB/s", "conf.");
    for (size_t i = 0; i < sl_catalog_device_count(); i++) {
        const struct sl_device_model *d = sl_catalog_device(i);
        printf("  %-12s %7.0f %7.0f %6.0f %7.2f %5.0f %5.0f %-10s %7.0f %-6s\n", d->name,
               d->fp16_flops / 1e12, d->int8_ops / 1e12, d->memory_bytes / 1e9, d->memory_bw / 1e12,
               d->tdp_w, d->idle_w, d->link, d->link_bw / 1e9, sl_confidence_names[d->confidence]);
    }
    printf("\nHost CPUs (catalog.cpus):\n");
    for (size_t i = 0; i < sl_catalog_cpu_count(); i++) {
        const struct sl_cpu_model *c = sl_catalog_cpu(i);
        printf("  %-18s %3lld cores %4.0f W (idle %3.0f W)  %-6s %s\n", c->name,
               (long long)c->cores, c->tdp_w, c->idle_w, sl_confidence_names[c->confidence],
               c->description);
    }
    printf("\nServers (fleet.server; input power with ac-2n-ups and air cooling):\n");
    for (size_t i = 0; i < sl_catalog_server_count(); i++) {
        const struct sl_server_model *m = sl_catalog_server(i);
        double full_w, idle_w;
        struct sl_diag d;
        sl_diag_clear(&d);
        if (sl_server_model_power(m, sl_scenario_find_device(NULL, m->device),
                                  sl_scenario_find_cpu(NULL, m->cpu),
                                  sl_chain_find_preset("ac-2n-ups"), &full_w, &idle_w, &d) != SL_OK)
            continue;
        printf("  %-15s %2lldU %lld x %-12s %lld x %-18s %5.2f kW full, %4.2f kW idle, "
               "%lld x %.1f kW %s PSUs (%lld spare)\n",
               m->name, (long long)m->height_u, (long long)m->cards, m->device, (long long)m->cpus,
               m->cpu, full_w / 1e3, idle_w / 1e3, (long long)m->psus, m->psu_rating_w / 1e3,
               sl_psu_grade_names[m->psu_grade], (long long)m->psus_spare);
    }
    printf("\nLLMs (catalog.models; a service's `model`; parameters in billions):\n");
    printf("  %-12s %6s %6s %6s %5s %4s %5s %6s %7s %-9s %-6s\n", "name", "total", "active",
           "layers", "hidden", "heads", "kv", "ffn", "experts", "attention", "conf.");
    for (size_t i = 0; i < sl_llm_model_count(); i++) {
        const struct sl_llm_model *m = sl_llm_model_get(i);
        double total, active;
        sl_llm_params(m, &total, &active);
        char experts[32] = "-";
        if (m->experts > 0)
            snprintf(experts, sizeof experts, "%lld/%lld", (long long)m->active_experts,
                     (long long)m->experts);
        printf("  %-12s %6.1f %6.1f %6lld %5lld %4lld %5lld %6lld %7s %-9s %s\n", m->name,
               total / 1e9, active / 1e9, (long long)m->layers, (long long)m->hidden,
               (long long)m->heads, (long long)m->kv_heads, (long long)m->ffn, experts,
               m->kv_lora_rank > 0      ? "MLA"
               : m->kv_heads == 1       ? "MQA"
               : m->kv_heads < m->heads ? "GQA"
                                        : "MHA",
               sl_confidence_names[m->confidence]);
    }
    printf("\nPower chains (facility.power_chain; stages grid to silicon):\n");
    for (size_t i = 0; i < sl_chain_preset_count(); i++) {
        const struct sl_chain_spec *c = sl_chain_preset(i);
        const struct sl_stage_spec *st = c->stages.items;
        printf("  %-11s", c->name);
        for (size_t k = 0; k < c->stages.n; k++)
            printf("%s%s", k ? " > " : " ", st[k].name);
        printf("\n  %-11s %s\n", "", c->description);
    }
    printf("\nCooling plants (facility.cooling):\n");
    for (size_t i = 0; i < sl_cooling_preset_count(); i++) {
        const struct sl_cooling_spec *c = sl_cooling_preset(i);
        printf("  %-18s %s\n", c->name, c->description ? c->description : "");
    }
    printf("\nSites (site.name, site.weather; or an EPW file path):\n");
    for (size_t i = 0; i < sl_weather_site_count(); i++) {
        const struct sl_site_info *s = sl_weather_site(i);
        printf("  %-13s %-8s %4.1f N %4.0f m  %.4f kg CO2/kWh  weather: %s\n", s->name, s->province,
               s->latitude_deg, s->elevation_m, s->carbon_kg_per_kwh, s->station);
    }
    printf("\nLoad shapes (workload.synthetic.shape):\n");
    printf("  constant   the fleet's target utilisation stays at `mean`\n");
    printf("  diurnal    mean + amplitude * cos(2 pi (t - peak_time) / period)\n");
    printf("\nScenarios:\n");
    printf("  default    10,240-card center at Xinghua under an 8 MW cap: traditional vs\n"
           "             three-in-one design (suanli show-default)\n");
    return 0;
}

int app_cmd_keys(int argc, char **argv)
{
    int rc = no_args(argc, argv, "keys", app_keys_help);
    if (rc)
        return rc < 0 ? 0 : rc;
    sl_scenario_doc(stdout);
    return 0;
}

int app_cmd_version(int argc, char **argv)
{
    int rc = no_args(argc, argv, "version", app_version_help);
    if (rc)
        return rc < 0 ? 0 : rc;
    printf("suanli %s\n", SUANLI_VERSION);
    return 0;
}
