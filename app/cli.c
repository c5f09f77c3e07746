/*
 * The command's shared plumbing: the options of run and check, usage
 * errors, diagnostics and the exit codes they map to, and loading the
 * scenario set an invocation names.
 *
 * Options take their value as the next argument or after `=` (--seed 7,
 * --seed=7); -h anywhere wins; a lone argument that does not start with
 * `-` is the scenario file.  --seed and -j are checked here, so that a bad
 * number is a usage error rather than a scenario error; every other value
 * is validated by the scenario loader, with a position.
 */
#define _POSIX_C_SOURCE 200809L

#include "cli.h"

#include "suanli/diag.h"
#include "suanli/scenario.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char app_prog[] = "suanli";

int app_usage_error(const char *help_cmd, const char *fmt, ...)
{
    fprintf(stderr, "%s: error: ", app_prog);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s help%s%s'.\n", app_prog, help_cmd ? " " : "",
            help_cmd ? help_cmd : "");
    return EXIT_BAD_INPUT;
}

int app_report(const struct sl_diag *d)
{
    char buf[2048];
    fprintf(stderr, "%s: error: %s\n", app_prog, sl_diag_format(d, buf, sizeof buf));
    switch (d->code) {
    case SL_EINVAL:
    case SL_ENOENT:
    case SL_EUSAGE:
    case SL_EBUSY:
        return EXIT_BAD_INPUT;
    default:
        return EXIT_RUN_FAILED;
    }
}

int app_flush_stdout(int close_it)
{
    /* errno is read only when a call fails; a stream whose error flag was
     * set by an earlier write may flush nothing now, hence the fallback. */
    int e = 0;
    int bad = ferror(stdout) != 0;
    if (fflush(stdout) != 0) {
        bad = 1;
        e = errno;
    }
    bad |= ferror(stdout) != 0;
    if (close_it && fclose(stdout) != 0) {
        if (!bad)
            e = errno;
        bad = 1;
    }
    if (!bad)
        return 0;
    fprintf(stderr, "%s: error: cannot write to standard output: %s\n", app_prog,
            e ? strerror(e) : "an earlier write failed");
    return EXIT_RUN_FAILED;
}

/* 1 when arg is the option `name`, alone (*value NULL: the value is the
 * next argument) or as name=value (*value points after the `=`). */
static int is_opt(const char *arg, const char *name, const char **value)
{
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0)
        return 0;
    if (arg[n] == '\0') {
        *value = NULL;
        return 1;
    }
    if (arg[n] == '=') {
        *value = arg + n + 1;
        return 1;
    }
    return 0;
}

int app_parse_cli(int argc, char **argv, const char *cmd, int allow_out, struct app_cli *c)
{
    memset(c, 0, sizeof *c);
    const char *jobs = NULL;
    c->sets = calloc((size_t)argc, sizeof *c->sets);
    if (!c->sets) {
        fprintf(stderr, "%s: out of memory\n", app_prog);
        return EXIT_RUN_FAILED;
    }
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v;
        const char **slot = NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            c->help = 1;
            return 0;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            c->quiet = 1;
            continue;
        } else if (allow_out && (is_opt(a, "-j", &v) || is_opt(a, "--jobs", &v))) {
            slot = &jobs;
        } else if (is_opt(a, "--set", &v)) {
            slot = &c->sets[c->nsets++];
        } else if (is_opt(a, "--seed", &v)) {
            slot = &c->seed;
        } else if (is_opt(a, "--variant", &v)) {
            slot = &c->variant;
        } else if (allow_out && is_opt(a, "--out", &v)) {
            slot = &c->out;
        } else if (a[0] == '-' && a[1] != '\0') {
            return app_usage_error(cmd, "unknown option '%s'", a);
        } else {
            if (c->scenario)
                return app_usage_error(cmd, "more than one scenario given ('%s')", a);
            c->scenario = a;
            continue;
        }
        if (!v) {
            if (i + 1 >= argc)
                return app_usage_error(cmd, "option '%s' needs a value", a);
            v = argv[++i];
        }
        *slot = v;
    }
    if (c->seed) {
        char *end;
        strtoull(c->seed, &end, 10);
        if (!*c->seed || *end || c->seed[0] == '-')
            return app_usage_error(cmd, "--seed expects a non-negative integer, got '%s'", c->seed);
    }
    if (jobs) {
        char *end;
        long n = strtol(jobs, &end, 10);
        if (!*jobs || *end || n < 1 || n > 64)
            return app_usage_error(cmd, "-j expects a number of jobs from 1 to 64, got '%s'", jobs);
        c->jobs = (int)n;
    }
    if (c->out && !*c->out)
        return app_usage_error(cmd, "--out expects a directory");
    return 0;
}

int app_load(const struct app_cli *c, struct sl_scenario_set *set)
{
    struct sl_load_opts o = {c->scenario, c->sets, c->nsets, c->seed, c->variant};
    struct sl_diag d;
    sl_diag_clear(&d);
    if (sl_scenario_load(&o, set, &d) != SL_OK)
        return app_report(&d);
    return 0;
}

volatile sig_atomic_t cli_stop_signal;

static void on_signal(int sig)
{
    if (cli_stop_signal) {
        /* The second one: the default action, now (signal and raise are
         * async-signal-safe). */
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    cli_stop_signal = sig;
}

static const int stop_signals[CLI_NSTOP] = {SIGINT, SIGTERM, SIGHUP};

void cli_catch_signals(struct sigaction *old)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (size_t i = 0; i < CLI_NSTOP; i++) {
        sigaction(stop_signals[i], NULL, &old[i]);
        if (old[i].sa_handler != SIG_IGN)
            sigaction(stop_signals[i], &sa, NULL);
    }
}

void cli_restore_signals(const struct sigaction *old)
{
    for (size_t i = 0; i < CLI_NSTOP; i++)
        sigaction(stop_signals[i], &old[i], NULL);
}
