/*
 * The `suanli` command: picks the command named by the first argument and
 * hands it the rest, and holds the help texts.
 *
 * The command (app/) is the only place that prints to the user and chooses
 * exit codes: 0 success, 1 the run failed, 2 bad input or usage.
 * Everything else is library calls.  Output that does not reach stdout (a
 * full disk, an I/O error) is a failure, exit 1 with a message: a command
 * that exits 0 has written all of it.  A reader that closes the pipe early
 * (`suanli keys | head`) ends the command by SIGPIPE, silently, as it does
 * cat or grep; when the caller ignores SIGPIPE, the EPIPE that writes then
 * get is reported like any other write error.  Diagnostics go to stderr, results to
 * stdout; progress is shown on stderr only when it is a terminal.  Option
 * parsing, diagnostics and loading are in app/cli.c, `run` in
 * app/cmd_run.c, `plan` in app/cmd_plan.c, the other commands in
 * app/cmd_info.c (declared in app/cli.h).
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const char main_help[] =
    "suanli - digital twin of an AI compute center under a locked grid allocation\n"
    "\n"
    "Usage: suanli <command> [options]\n"
    "\n"
    "Commands:\n"
    "  run [SCENARIO]   run a scenario file, or the built-in default when none is given\n"
    "  plan [SCENARIO]  run every combination of --vary values and rank the designs\n"
    "  factory [SCENARIO]\n"
    "                   run the factory line that builds the servers, burn-in included\n"
    "  check SCENARIO   validate a scenario and print it fully resolved, as YAML\n"
    "  show-default     print the built-in default scenario, ready to copy and edit\n"
    "  catalog          list the built-in presets (server models, load shapes)\n"
    "  keys             print the reference of every scenario key (markdown)\n"
    "  version          print the version\n"
    "  help [COMMAND]   show help for a command\n"
    "\n"
    "Start with `suanli run`: it simulates the built-in 10,240-card center for a\n"
    "week and writes out/xinghua-10k/. `suanli show-default > my.yaml`, edit, then\n"
    "`suanli run my.yaml`. Every key is documented in docs/scenario.md.\n"
    "\n"
    "Exit codes: 0 success, 1 the run failed or its output could not be written,\n"
    "2 bad input or usage.\n";

const char app_run_help[] =
    "Usage: suanli run [SCENARIO] [options]\n"
    "\n"
    "Simulates SCENARIO (a YAML file; the built-in default when omitted) and writes\n"
    "its results. A scenario with `variants:` runs each variant side by side and\n"
    "prints a comparison table.\n"
    "\n"
    "Options:\n"
    "  --set KEY=VALUE  override any scenario key, e.g. --set fleet.servers=640 or\n"
    "                   --set run.duration=30d (repeatable; applied after variants)\n"
    "  --seed N         seed of all random streams (same as --set run.seed=N)\n"
    "  --variant NAME   run only this variant\n"
    "  --out DIR        output directory (default: out/<scenario name>)\n"
    "  -j, --jobs N     variants run at once (default: one per processor); the\n"
    "                   outputs are the same for any N\n"
    "  -q, --quiet      print nothing but errors\n"
    "  -h, --help       show this help\n"
    "\n"
    "Outputs, in DIR (or DIR/<variant> for each variant):\n"
    "  summary.json     results: energy, power, racks... (keys in docs/outputs.md)\n"
    "  timeseries.csv   one row per run.sample: power, PUE, weather, headroom...\n"
    "  monthly.csv      one row per calendar month: energy, PUE, cost, peak, hours\n"
    "                   over the cap\n"
    "  scenario.yaml    the fully resolved scenario, to repeat the run exactly\n"
    "  comparison.csv   (DIR, with variants) one row per variant\n"
    "DIR is replaced whole, atomically, once every variant has succeeded; a second\n"
    "run on the same DIR meanwhile is refused. The same scenario and seed give\n"
    "identical bytes.\n"
    "\n"
    "Examples:\n"
    "  suanli run\n"
    "  suanli run --variant three-in-one --set run.duration=30d\n"
    "  suanli run my.yaml --seed 7 --out results/seed7\n";

const char app_check_help[] =
    "Usage: suanli check [SCENARIO] [--set KEY=VALUE ...] [--seed N] [--variant NAME]\n"
    "\n"
    "Validates SCENARIO (the built-in default when omitted) with its overrides and\n"
    "prints each resolved variant as YAML, every default filled in. Errors name\n"
    "file:line:column and exit with code 2; nothing is run or written.\n";

const char app_show_default_help[] =
    "Usage: suanli show-default\n"
    "\n"
    "Prints the built-in default scenario (scenarios/default.yaml), with comments,\n"
    "ready to copy: suanli show-default > my.yaml\n";

const char app_catalog_help[] =
    "Usage: suanli catalog\n"
    "\n"
    "Lists the built-in presets: accelerators, host CPUs, servers, power chains,\n"
    "cooling plants, sites and load shapes. A scenario adds its own under\n"
    "catalog.devices, catalog.cpus, catalog.servers, catalog.chains and\n"
    "catalog.cooling (docs/scenario.md).\n";

const char app_keys_help[] =
    "Usage: suanli keys\n"
    "\n"
    "Prints the reference of every scenario key (type, unit, default, meaning) as\n"
    "markdown; docs/scenario.md contains the same tables.\n";

const char app_perf_help[] =
    "Usage: suanli perf infer --model M --device D [options]\n"
    "       suanli perf train --model M --device D --cards N [options]\n"
    "       suanli perf calibrate MEASURED.csv [-o PROFILE] [--model-file FILE]\n"
    "\n"
    "perf infer: the analytical performance of one replica (tp cards of a device\n"
    "running a model): prefill time, decode time per token, output rate, the\n"
    "batch that fits in memory, sessions per card at the TPOT target, and the\n"
    "power per card by phase (docs/model.md, \"Inference performance\").\n"
    "  --model NAME       a built-in model (see docs/model.md) or one of --model-file\n"
    "  --device NAME      a device of `suanli catalog`\n"
    "  --tp N             cards per replica (default 1)\n"
    "  --batch B          concurrent sequences (default 1)\n"
    "  --prompt P         prompt tokens per sequence (default 1024)\n"
    "  --output O         output tokens per sequence (default 256)\n"
    "  --weights FMT      fp16, int8, fp8 or int4 (default fp16)\n"
    "  --kv FMT           fp16, int8 or fp8 (default fp16)\n"
    "  --power-cap W      card power limit, e.g. 350W (default none)\n"
    "  --tpot-slo T       time-per-output-token target, e.g. 50ms (default 50ms)\n"
    "  --profile FILE     efficiency factors from `perf calibrate` (else the\n"
    "                     device's defaults)\n"
    "  --model-file FILE  YAML with a `models:` list, searched before the built-ins\n"
    "  --json             one JSON object: prefill_ms, decode_ms_per_token,\n"
    "                     tokens_per_s, max_batch_by_memory, sessions_per_device,\n"
    "                     power_w {idle, prefill, decode}\n"
    "\n"
    "perf train: the step time of a pretraining job on N cards (tp x pp x dp, ep\n"
    "for MoE): compute, exposed tensor-parallel, pipeline-bubble and data-parallel\n"
    "time, tokens/s, TFLOPS and MFU per card, memory and power per card\n"
    "(docs/model.md, \"Training performance\"). Without a full layout, the fastest\n"
    "one that fits in memory is chosen and printed.\n"
    "  --cards N          cards of the job (required)\n"
    "  --tp T --pp P --dp D --ep E   the layout (product tp x pp x dp = N)\n"
    "  --seq S            tokens per sequence (default 4096)\n"
    "  --global-batch T   tokens per optimizer step (default 16777216)\n"
    "  --micro-batch B    sequences per micro-batch (default 1)\n"
    "  --interleave V     virtual pipeline stages per rank (default layers / pp)\n"
    "  --precision P      bf16 or fp8 (default bf16)\n"
    "  --recompute R      auto, none or full (default auto: the fewest layers\n"
    "                     that make the job fit)\n"
    "  --power-cap W      card power limit (default none)\n"
    "  --server-cards C   cards per server (default 8)\n"
    "  --scaleout-bw B    achieved bandwidth per card to other servers, e.g.\n"
    "                     45GB/s (default by device class)\n"
    "  --oversub X        fabric oversubscription, >= 1 (default 1)\n"
    "  --compute-eff E    compute efficiency in (0, 1] (default per device)\n"
    "  --json             one JSON object: step_time_s, tokens_per_s,\n"
    "                     tflops_per_device, mfu, layout {tp, pp, dp}, compute_s,\n"
    "                     tp_s, pp_bubble_s, dp_exposed_s\n"
    "\n"
    "perf calibrate: fits the compute and memory efficiency and the per-step\n"
    "overhead of each (model, device, tp) in MEASURED.csv to its measured times,\n"
    "prints the fit and its error, and writes the profile (default profile.yaml;\n"
    "-o PROFILE), atomically. The CSV has a header with the columns model, device,\n"
    "tp, batch, prompt_tokens, output_tokens, prefill_ms, decode_ms_per_token in\n"
    "any order, optionally weights and kv; other columns are ignored; repeated\n"
    "operating points are averaged (docs/model.md, \"Calibration\").\n"
    "\n"
    "Examples:\n"
    "  suanli perf infer --model llama3-8b --device h100-sxm --batch 32\n"
    "  suanli perf train --model llama3-405b --device h100-sxm --cards 8192 --seq 8192\n"
    "  suanli perf calibrate measured.csv -o h100.yaml\n"
    "  suanli perf infer --model llama3-8b --device h100-sxm --profile h100.yaml --json\n";

const char app_plan_help[] =
    "Usage: suanli plan [SCENARIO] [--vary KEY=V1,V2,... ...] [options]\n"
    "\n"
    "Runs SCENARIO (the built-in default when omitted) once for every combination\n"
    "of its plan.vary section and the --vary values, records each run in an SQLite\n"
    "database and prints the designs ranked: runs at SLO without sustained\n"
    "violations of the grid cap first, then by output tokens/s, then training\n"
    "PFLOP/s (most first), then cost (docs/plan.md).\n"
    "\n"
    "Options:\n"
    "  --vary KEY=V1,V2,...  values of any scenario key (as --set takes it);\n"
    "                   repeatable: the plan is every combination; replaces the\n"
    "                   values of a key the file's plan.vary gives\n"
    "  --set KEY=VALUE  override a key in every run (after plan.set, before --vary)\n"
    "  --by KEY         also print the best design per value of the varied KEY\n"
    "                   (default: plan.by, else site.name when varied; none: off)\n"
    "  --max-runs N     refuse a space of more than N combinations (default 2000)\n"
    "  --sample N       run a seeded random subset of N combinations\n"
    "  --sample-seed S  the subset's seed (default 1)\n"
    "  --seed N         seed of all random streams\n"
    "  --variant NAME   the variant to plan over (a file with variants needs one)\n"
    "  --out DIR        output directory (default: out/<scenario name>-plan)\n"
    "  --db FILE        the database (default: DIR/plan.sqlite)\n"
    "  --slo FRACTION   runs whose SLO attainment is below FRACTION rank after\n"
    "                   those at it (default: plan.slo, else none)\n"
    "  --limit N        run at most N new combinations, then rank what is done\n"
    "  --dump           print the database's rows as CSV, by combination, and run\n"
    "                   nothing\n"
    "  -j, --jobs N     runs at once (default 1); the database is the same for any N\n"
    "  -q, --quiet      print nothing but errors\n"
    "  -h, --help       show this help\n"
    "\n"
    "A rerun with the same scenario, plan and --vary skips the combinations the database\n"
    "already holds, so an interrupted plan resumes. Outputs: DIR/plan.sqlite,\n"
    "DIR/plan.csv (the ranked table) and DIR/runs/NNNN/ (each run's files).\n"
    "\n"
    "Example:\n"
    "  suanli plan --variant three-in-one --set run.duration=30d -j 2 \\\n"
    "      --vary facility.power_chain=ac-2n-ups,hvdc-240 \\\n"
    "      --vary facility.cooling=air-chilled-water,liquid-cold-plate\n"
    "  suanli plan scenarios/plan-sites.yaml -j 2\n";

const char app_factory_help[] =
    "Usage: suanli factory [SCENARIO] [options]\n"
    "\n"
    "Runs the factory line of SCENARIO (the built-in default when omitted): the\n"
    "stations of `factory.stations` (the built-in 4U 8-card server line when\n"
    "empty) with their cycle times, machines, shifts, breakdowns, yield and rework,\n"
    "and the burn-in area of `burnin` (slots, 72 h, fallout), for factory.warmup,\n"
    "then measures factory.duration (default a year). Prints throughput, WIP,\n"
    "cycle time, each station's use and the bottleneck, the burn-in area's\n"
    "occupancy and power, and the energy per server built (docs/model.md,\n"
    "\"Factory line, burn-in area and rollout\").\n"
    "\n"
    "Options:\n"
    "  --set KEY=VALUE  override any scenario key, e.g. --set burnin.duration=48h\n"
    "  --seed N         seed of all random streams (same as --set run.seed=N)\n"
    "  --variant NAME   the variant whose line runs (default: the first)\n"
    "  --out DIR        output directory (default: out/<scenario name>-factory)\n"
    "  -q, --quiet      print nothing but errors\n"
    "  -h, --help       show this help\n"
    "\n"
    "Outputs, in DIR (replaced whole, atomically, as by `run`):\n"
    "  factory.json       the figures (keys factory.*, docs/outputs.md)\n"
    "  factory_daily.csv  one row per day: started, shipped, WIP, burn-in\n"
    "                     occupancy and kW, failures caught, energy\n"
    "  scenario.yaml      the fully resolved scenario\n"
    "The same scenario and seed give identical bytes.\n"
    "\n"
    "Examples:\n"
    "  suanli factory\n"
    "  suanli factory --set burnin.duration=168h --set burnin.slots=2500\n";

const char app_version_help[] = "Usage: suanli version\n\nPrints the version.\n";

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
};

static const struct command commands[] = {
    {"run", app_cmd_run, app_run_help},
    {"check", app_cmd_check, app_check_help},
    {"show-default", app_cmd_show_default, app_show_default_help},
    {"catalog", app_cmd_catalog, app_catalog_help},
    {"keys", app_cmd_keys, app_keys_help},
    {"perf", app_cmd_perf, app_perf_help},
    {"plan", app_cmd_plan, app_plan_help},
    {"factory", app_cmd_factory, app_factory_help},
    {"version", app_cmd_version, app_version_help},
};

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* Runs the command that argv names and returns its exit code. */
static int dispatch(int argc, char **argv)
{
    if (argc < 2)
        return app_usage_error(NULL, "no command given; commands: run, plan, factory, check, "
                                     "show-default, catalog, keys, perf, version, help");
    const char *cmd = argv[1];
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        if (argc > 2) {
            const struct command *c = find_command(argv[2]);
            if (!c)
                return app_usage_error(NULL, "unknown command '%s'", argv[2]);
            fputs(c->help, stdout);
            return 0;
        }
        fputs(main_help, stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0)
        return app_cmd_version(0, NULL);
    const struct command *c = find_command(cmd);
    if (!c) {
        const char *near = NULL;
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
            if (strncmp(commands[i].name, cmd, 2) == 0)
                near = commands[i].name;
        if (near)
            return app_usage_error(NULL, "unknown command '%s' (did you mean '%s'?)", cmd, near);
        return app_usage_error(NULL, "unknown command '%s'", cmd);
    }
    return c->fn(argc - 2, argv + 2);
}

int main(int argc, char **argv)
{
    int rc = dispatch(argc, argv);
    /* A command that failed has said why; success needs all of stdout. */
    if (rc == 0)
        rc = app_flush_stdout(1);
    return rc;
}
