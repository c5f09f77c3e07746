/*
 * The limits table (see include/suanli/limits.h).  Values are chosen so
 * that a real scenario is far inside them (the default scenario is 2 KB and
 * ~100 nodes; a year of one-minute rows is 525,600 rows and ~150 MB) while
 * an attack costs at most a few seconds and a few hundred MB.
 */
#include "suanli/limits.h"

const struct sl_limit sl_limits[SL_LIM_COUNT] = {
    [SL_LIM_INPUT_BYTES] = {"input bytes", 64.0 * 1024 * 1024, "bytes", "size of one scenario file",
                            "the file is larger than the limit"},
    [SL_LIM_NODES] = {"nodes", 2000000, "nodes",
                      "YAML nodes of a scenario after alias and merge-key expansion",
                      "too many YAML nodes (aliases or merge keys expanding too far?)"},
    [SL_LIM_ALIAS_BYTES] = {"alias expansion", 64.0 * 1024 * 1024, "bytes",
                            "bytes of text that aliases and merge keys may copy in all",
                            "aliases or merge keys expand to more text than the limit"},
    [SL_LIM_DEPTH] = {"depth", 256, "levels",
                      "nesting depth of a scenario, also of a dotted key in --set or set:",
                      "nested too deeply"},
    [SL_LIM_KEYS_PER_MAP] = {"keys per mapping", 100000, "keys", "keys in one YAML mapping",
                             "too many keys in one mapping"},
    [SL_LIM_NUMBER_CHARS] = {"number length", 400, "characters",
                             "characters of one number (digits, sign, point, exponent)",
                             "a number is longer than the limit"},
    [SL_LIM_DURATION] = {"duration", 1000.0 * 365 * 86400, "s",
                         "any time value, run.duration included (1,000 years)",
                         "a time value is longer than the limit"},
    [SL_LIM_ROWS] = {"rows", 10000000, "rows",
                     "rows of one output file (run.duration / run.sample)",
                     "the run would write more rows than the limit: raise run.sample"},
    [SL_LIM_OUTPUT_BYTES] = {"output bytes", 4.0 * 1024 * 1024 * 1024, "bytes",
                             "bytes one run may write in all its files",
                             "the run would write more than the limit"},
    [SL_LIM_EPW_BYTES] = {"EPW bytes", 16.0 * 1024 * 1024, "bytes",
                          "size of one EPW weather file (a real one is ~1.6 MB)",
                          "the weather file is larger than the limit"},
    [SL_LIM_TRACE_BYTES] = {"trace bytes", 1024.0 * 1024 * 1024, "bytes",
                            "size of one request or rate trace file (the Mooncake conversation "
                            "trace, 12,031 requests, is 3 MB)",
                            "the trace file is larger than the limit"},
    [SL_LIM_TRACE_ROWS] = {"trace rows", 20000000, "rows",
                           "requests of one request trace, or windows of all clients of a rate "
                           "trace (a ServeGen folder of 162 clients has 326,592)",
                           "the trace has more rows than the limit"},
    [SL_LIM_TRACE_TOKENS] = {"tokens per request", 16777216, "tokens",
                             "prompt or output tokens of one request, in a trace or drawn from "
                             "a token law (2^24, far above any model's context)",
                             "a token count is larger than the limit"},
    [SL_LIM_TRACE_HASHES] = {"trace hash ids", 100000000, "ids",
                             "prefix-block hash ids of one Mooncake trace in all (4 bytes each)",
                             "the trace has more hash ids than the limit"},
    [SL_LIM_TRACE_FILES] = {"trace files", 10000, "files",
                            "client files (*-trace.csv) in one rate-trace folder",
                            "the folder has more trace files than the limit"},
    [SL_LIM_TRACE_RATE] = {"trace rate", 1000000, "requests/s",
                           "arrival rate of one rate-trace window or of a generated source",
                           "a request rate is larger than the limit"},
    [SL_LIM_JOB_ROWS] = {"job trace rows", 20000000, "jobs",
                         "jobs of one training job trace (Alibaba pod list, sacct output or "
                         "job CSV; the Alibaba 2023 default pod list has 8,152, Acme's Seren "
                         "trace 1,031,550)",
                         "the job trace has more jobs than the limit"},
    [SL_LIM_JOB_CARDS] = {"cards per job", 1048576, "cards",
                          "cards (accelerators) of one job in a job trace (2^20; the largest "
                          "Acme job holds 1,024)",
                          "a job asks for more cards than the limit"},
    [SL_LIM_JOB_DURATION] = {"job duration", 10.0 * 365 * 86400, "s",
                             "run time of one job in a job trace (10 years; the longest Acme "
                             "GPU job ran 14 days)",
                             "a job runs longer than the limit"},
};

void sl_limits_doc(FILE *out)
{
    fputs("| limit | value | unit | bounds | message |\n| --- | --- | --- | --- | --- |\n", out);
    for (int i = 0; i < SL_LIM_COUNT; i++) {
        const struct sl_limit *l = &sl_limits[i];
        fprintf(out, "| %s | %.17g | %s | %s | %s |\n", l->name, l->value, l->unit, l->what,
                l->message);
    }
}

const char *sl_limit_text(enum sl_limit_id id, char *buf, size_t size)
{
    const struct sl_limit *l = &sl_limits[id];
    snprintf(buf, size, "%s (limit: %.17g %s)", l->message, l->value, l->unit);
    return buf;
}
