/*
 * What the files of the `suanli` command share.
 *
 * app/main.c dispatches a command and holds the help texts; app/cli.c
 * parses the options of run and check, prints diagnostics, loads a
 * scenario and picks exit codes; app/cmd_run.c runs a scenario (progress,
 * result lines, the output folder); app/cmd_info.c holds the commands that
 * only print (check, show-default, catalog, keys, version); app/cmd_perf.c
 * the inference performance calculator and its calibration (perf);
 * app/cmd_plan.c the design search (plan) and its SQLite database.  Like
 * the rest of app/, these files include no header of src/: only the public
 * ones in suanli/ (and sqlite3.h) and this one.
 *
 * Only the command prints to the user and chooses exit codes: 0 success,
 * 1 the run failed (or its output could not be written), 2 bad input or
 * usage.  Diagnostics go to stderr, results to stdout.
 */
#ifndef SUANLI_APP_CLI_H
#define SUANLI_APP_CLI_H

#include "suanli/diag.h"
#include "suanli/scenario.h"

#include <signal.h>
#include <stddef.h>

#define EXIT_RUN_FAILED 1
#define EXIT_BAD_INPUT  2

/* The command's name, as it starts every message. */
extern const char app_prog[];

/* The help texts, printed by `suanli help COMMAND` and COMMAND --help. */
extern const char app_run_help[];
extern const char app_check_help[];
extern const char app_show_default_help[];
extern const char app_catalog_help[];
extern const char app_keys_help[];
extern const char app_perf_help[];
extern const char app_version_help[];
extern const char app_plan_help[];
extern const char app_factory_help[];

/* Options shared by run and check. */
struct app_cli {
    const char *scenario;
    const char **sets; /* the --set values; owned, freed by the caller */
    size_t nsets;
    const char *seed;
    const char *variant;
    const char *out;
    int quiet;
    int help;
    int jobs; /* -j: 0 = one per processor */
};

/* Prints "suanli: error: " and the message to stderr, then a pointer to
 * `suanli help [help_cmd]`.  Returns EXIT_BAD_INPUT. */
int app_usage_error(const char *help_cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prints the diagnostic d to stderr and returns its exit code:
 * EXIT_BAD_INPUT for bad input, EXIT_RUN_FAILED otherwise. */
int app_report(const struct sl_diag *d);
/* Parses the options of command cmd (argv excludes the command itself) into
 * *c; -j and --out only when allow_out.  Returns 0 (c->help set when help
 * was asked for) or an exit code after printing the error.  The caller
 * frees c->sets in every case. */
int app_parse_cli(int argc, char **argv, const char *cmd, int allow_out, struct app_cli *c);
/* Flushes stdout and, when close_it, closes it.  Returns 0 when every byte
 * written to stdout so far reached it; otherwise (a full disk, a closed pipe
 * with SIGPIPE ignored, an I/O error) prints the reason to stderr and
 * returns EXIT_RUN_FAILED.  A command calls it before a verdict on stderr,
 * and main calls it with close_it before exiting 0. */
int app_flush_stdout(int close_it);
/* Loads the scenario set that c names, with its overrides, into *set.
 * Returns 0, after which the caller releases *set with
 * sl_scenario_set_release, or an exit code after printing the diagnostic. */
int app_load(const struct app_cli *c, struct sl_scenario_set *set);

/* The commands: each takes the arguments after its name and returns the
 * exit code. */
int app_cmd_run(int argc, char **argv);   /* app/cmd_run.c */
int app_cmd_check(int argc, char **argv); /* app/cmd_info.c, and below */
int app_cmd_show_default(int argc, char **argv);
int app_cmd_catalog(int argc, char **argv);
int app_cmd_keys(int argc, char **argv);
int app_cmd_version(int argc, char **argv);
int app_cmd_perf(int argc, char **argv);    /* app/cmd_perf.c */
int app_cmd_plan(int argc, char **argv);    /* app/cmd_plan.c */
int app_cmd_factory(int argc, char **argv); /* app/cmd_factory.c */

/* Stopping a long command (run, plan) cleanly.  cli_catch_signals
 * installs a handler for SIGINT, SIGTERM and SIGHUP (CLI_NSTOP of them),
 * keeping the previous actions in old (a signal ignored before, as under
 * nohup, stays ignored); the handler only sets cli_stop_signal, which the
 * library polls (struct sl_run_opts.stop), and a second signal takes the
 * default action at once.  cli_restore_signals puts the old actions back. */
#define CLI_NSTOP 3
struct sigaction;
extern volatile sig_atomic_t cli_stop_signal;
void cli_catch_signals(struct sigaction *old);
void cli_restore_signals(const struct sigaction *old);

#endif
