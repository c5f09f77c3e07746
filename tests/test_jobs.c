/*
 * Tests for the training job trace readers (src/trace/jobs.c).
 *
 * Each format is read from a small file written to a temporary folder: the
 * fields land where docs/model.md says (times from the earliest submit,
 * rows sorted by submit, Slurm steps ignored, GPU counts from AllocTRES,
 * ReqTRES or NNodes x GRES), every class of malformed row is refused with
 * its line and column and a message naming what was expected, and with
 * `lenient` the same rows are skipped and counted.  Detection, header
 * faults and allocation failures are checked too.  The real Alibaba pod
 * lists of ../shared/data are read when present (counts as HEADS.md and
 * the data's README give them), else skipped (failed under CI=true).
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shared_data.h"
#include "suanli/diag.h"
#include "suanli/jobs.h"
#include "suanli/limits.h"
#include "test_util.h"
#include "torture.h"

#define S 1000000LL

static char tmp_dir[256];

static const char *put(const char *text)
{
    return test_write_file(tmp_dir, "j.txt", text);
}

static void read_ok(const char *text, int format, int lenient, struct sl_job_trace *t)
{
    struct sl_diag d;
    sl_diag_clear(&d);
    int rc = sl_job_trace_read(put(text), format, lenient, t, &d);
    if (rc != SL_OK) {
        char buf[2000];
        print_error("unexpected error: %s\n", sl_diag_format(&d, buf, sizeof buf));
    }
    assert_int_equal(rc, SL_OK);
}

/* Expects SL_EINVAL at line and col (0: any) with want in the message, and
 * nothing left in the trace. */
static void read_bad(const char *text, int format, int line, int col, const char *want)
{
    struct sl_job_trace t;
    struct sl_diag d;
    sl_diag_clear(&d);
    int rc = sl_job_trace_read(put(text), format, 0, &t, &d);
    char buf[2000];
    sl_diag_format(&d, buf, sizeof buf);
    if (rc != SL_EINVAL || (line && d.line != line) || (col && d.col != col) ||
        !strstr(d.msg, want))
        print_error("input:\n%s\ngot rc %d: %s\nwant line %d col %d and '%s'\n", text, rc, buf,
                    line, col, want);
    assert_int_equal(rc, SL_EINVAL);
    if (line)
        assert_int_equal(d.line, line);
    if (col)
        assert_int_equal(d.col, col);
    assert_non_null(strstr(d.msg, want));
    assert_non_null(strstr(d.file, "j.txt"));
    assert_null(t.rows);
    assert_null(t.path);
}

/* The row whose id is id, or fails. */
static const struct sl_job_trace_row *row_of(const struct sl_job_trace *t, const char *id)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(sl_job_trace_str(t, t->rows[i].id), id) == 0)
            return &t->rows[i];
    fail_msg("no row with id %s", id);
    return NULL;
}

/* ---- Alibaba ----------------------------------------------------------- */

#define ALI_HEAD                                                                                   \
    "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,"            \
    "deletion_time,scheduled_time\n"

static void test_alibaba_rows(void **state)
{
    (void)state;
    struct sl_job_trace t;
    read_ok("\xEF\xBB\xBF" ALI_HEAD "p0,12000,16384,1,1000,,LS,Running,100,12345678,100\r\n"
            "p1,6000,12288,1,460,V100M16|V100M32,BE,Succeeded,50,200,60\n"
            "\n"
            "p2,88000,327680,8,1000,,Burstable,Pending,70,90,\n"
            "p3,4000,100,0,0,,LS,Failed,100,150,120\n",
            SL_JOBS_AUTO, 0, &t);
    assert_int_equal(t.format, SL_JOBS_ALIBABA);
    assert_int_equal(t.n, 4);
    assert_int_equal(t.epoch_s, 50);
    /* Sorted by submit, stably: p1 (50), p2 (70), p0 and p3 (100). */
    assert_string_equal(sl_job_trace_str(&t, t.rows[0].id), "p1");
    assert_string_equal(sl_job_trace_str(&t, t.rows[1].id), "p2");
    assert_string_equal(sl_job_trace_str(&t, t.rows[2].id), "p0");
    assert_string_equal(sl_job_trace_str(&t, t.rows[3].id), "p3");
    const struct sl_job_trace_row *r = &t.rows[0];
    assert_int_equal(r->submit_us, 0);
    assert_int_equal(r->start_us, 10 * S);
    assert_int_equal(r->end_us, 150 * S);
    assert_int_equal(r->duration_us, 140 * S);
    assert_int_equal(r->cards, 1);
    assert_int_equal(r->share_milli, 460);
    assert_int_equal(r->state, SL_JOB_COMPLETED);
    assert_int_equal(r->line, 3);
    assert_string_equal(sl_job_trace_str(&t, r->spec), "V100M16|V100M32");
    assert_string_equal(sl_job_trace_str(&t, r->tenant), "BE");
    r = &t.rows[1];
    assert_int_equal(r->cards, 8);
    assert_int_equal(r->share_milli, 1000);
    assert_int_equal(r->start_us, -1);
    assert_int_equal(r->end_us, 40 * S);
    assert_int_equal(r->duration_us, -1);
    assert_int_equal(r->state, SL_JOB_PENDING);
    assert_string_equal(sl_job_trace_str(&t, r->spec), "");
    r = &t.rows[2];
    assert_int_equal(r->state, SL_JOB_RUNNING);
    assert_int_equal(r->duration_us, (12345678LL - 100) * S);
    r = &t.rows[3];
    assert_int_equal(r->cards, 0);
    assert_int_equal(r->share_milli, 0);
    assert_int_equal(r->state, SL_JOB_FAILED);
    assert_int_equal(r->duration_us, 30 * S);
    assert_int_equal(t.skipped, 0);
    assert_string_equal(sl_job_format_names[t.format], "alibaba");
    sl_job_trace_release(&t);
}

static void test_alibaba_errors(void **state)
{
    (void)state;
    read_bad(ALI_HEAD "p0,1,1,x,1000,,LS,Running,0,10,0\n", 0, 2, 8, "num_gpu 'x' is not a number");
    read_bad(ALI_HEAD "p0,1,1,1,1001,,LS,Running,0,10,0\n", 0, 2, 10, "expected at most 1000");
    read_bad(ALI_HEAD "p0,1,1,0,500,,LS,Running,0,10,0\n", 0, 2, 10, "CPU-only pod");
    read_bad(ALI_HEAD "p0,1,1,1,0,,LS,Running,0,10,0\n", 0, 2, 10, "expected 1 to 1000");
    read_bad(ALI_HEAD "p0,1,1,2,500,,LS,Running,0,10,0\n", 0, 2, 10, "only single-GPU pods");
    read_bad(ALI_HEAD "p0,1,1,1,1000,,LS,Running,,10,0\n", 0, 2, 0, "creation_time '' is empty");
    read_bad(ALI_HEAD "p0,1,1,1,1000,,LS,Running,-5,10,0\n", 0, 2, 0, "is negative");
    read_bad(ALI_HEAD "p0,1,1,1,1000,,LS,Running,1.5,10,0\n", 0, 2, 0, "not a whole number");
    read_bad(ALI_HEAD "p0,1,1,1,1000,,LS,Running,5,10,3\n", 0, 2, 0, "starts before");
    read_bad(ALI_HEAD "p0,1,1,1,1000,,LS,Running,5,4,\n", 0, 2, 0, "ends before it is submitted");
    read_bad(ALI_HEAD "p0,1,1,1,1000,,LS,Running,5,6,7\n", 0, 2, 0, "ends before it starts");
    read_bad(ALI_HEAD "p0,1,1,1,1000,,LS,Lost,5,6,5\n", 0, 2, 19, "unknown pod_phase 'Lost'");
    read_bad(ALI_HEAD ",1,1,1,1000,,LS,Running,5,6,5\n", 0, 2, 1, "pod name is empty");
    read_bad(ALI_HEAD "p0,1,1,1,1000,,LS,Running,5,6\n", 0, 2, 0, "10 fields (expected 11");
    read_bad(ALI_HEAD "p0,1,1,1,1000,,LS,Running,5,6,5,9\n", 0, 2, 0, "12 fields (expected 11");
    read_bad(ALI_HEAD "p0,1,1,2000000,1000,,LS,Running,5,6,5\n", 0, 2, 8,
             "more cards than the limit");
    /* The sampled lists carry sizes only. */
    read_bad("name,cpu_milli,memory_mib,num_gpu,gpu_milli\np0,1,1,1,1000\n", SL_JOBS_AUTO, 1, 0,
             "no creation_time column");
    read_bad("name,num_gpu,creation_time\np0,1,0\n", SL_JOBS_ALIBABA, 1, 0, "no gpu_milli column");
    read_bad("name,num_gpu,gpu_milli,creation_time,num_gpu\n", SL_JOBS_ALIBABA, 1, 0,
             "column num_gpu is given twice");
    read_bad(ALI_HEAD "\n\n", SL_JOBS_ALIBABA, 0, 0, "has no jobs");
}

/* The same malformed rows, lenient: skipped and counted. */
static void test_lenient(void **state)
{
    (void)state;
    struct sl_job_trace t;
    read_ok(ALI_HEAD "p0,1,1,x,1000,,LS,Running,0,10,0\n"
                     "p1,1,1,1,500,,LS,Running,0,10,0\n"
                     "p2,1,1,1,1000,,LS,Lost,5,6,5\n"
                     "p3,1,1,1,1000,,LS,Running,5,6\n"
                     "p4,1,1,1,1000,,LS,Running,5,6,7\n",
            SL_JOBS_AUTO, 1, &t);
    assert_int_equal(t.n, 1);
    assert_int_equal(t.skipped, 4);
    sl_job_trace_release(&t);

    read_ok("job_id,submit_s,cards,duration_s\na,1,1,1\nb,x,1,1\nc,1,-1,1\nd,1,1,\ne,2,1,1\n",
            SL_JOBS_CSV, 1, &t);
    assert_int_equal(t.n, 2);
    assert_int_equal(t.skipped, 3);
    sl_job_trace_release(&t);

    /* All rows bad: an error even when lenient. */
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_job_trace_read(put("job_id,submit_s,cards,duration_s\nb,x,1,1\n"),
                                       SL_JOBS_AUTO, 1, &t, &d),
                     SL_EINVAL);
    assert_non_null(strstr(d.msg, "no jobs (1 rows skipped"));
}

/* ---- Slurm sacct ------------------------------------------------------- */

#define SACCT_HEAD "JobID|JobName|Partition|QOS|Submit|Start|End|Elapsed|State|NNodes|AllocTRES\n"

static void test_sacct_rows(void **state)
{
    (void)state;
    struct sl_job_trace t;
    read_ok(SACCT_HEAD
            "101|pretrain|gpu|high|2024-03-01T00:00:10|2024-03-01T00:01:00|2024-03-02T00:01:"
            "00|1-00:00:00|COMPLETED|64|billing=512,cpu=4096,gres/gpu=512,mem=64T,node=64\n"
            "101.batch|batch|||2024-03-01T00:00:10|2024-03-01T00:01:00|2024-03-02T00:01:00|1-00:"
            "00:00|COMPLETED|1|cpu=64,gres/gpu=8,mem=1T,node=1\n"
            "101.0|python|||2024-03-01T00:00:10|2024-03-01T00:01:00|2024-03-02T00:01:00|1-00:00:"
            "00|COMPLETED|64|cpu=4096,gres/gpu=512,node=64\n"
            "102|sft|gpu|normal|2024-03-01T00:00:00|2024-03-01T00:00:05|2024-03-01T00:10:05|00:"
            "10:00|CANCELLED by 1234|1|cpu=8,gres/gpu:a100=4,mem=100G,node=1\n"
            "103|eval|gpu|normal|2024-03-01T00:00:20|Unknown|Unknown|00:00:00|PENDING|1|\n"
            "104|cpu|cpu|normal|2024-03-01T00:00:30|2024-03-01T00:00:30|None|100:00:00|RUNNING|"
            "2|cpu=2,mem=1G,node=2\n"
            "105|x|gpu|normal|2024-03-01T00:00:40|2024-03-01T00:00:40|2024-03-01T00:00:41|00:00:"
            "01|CANCELLED+|1|cpu=1,gres/gpu:h100=2,gres/gpu=2,node=1\n",
            SL_JOBS_AUTO, 1, &t);
    assert_int_equal(t.format, SL_JOBS_SACCT);
    /* Steps are not jobs and not faults; 103 is pending with an empty
     * AllocTRES and no ReqTRES or GRES, so its cards are unknown: skipped. */
    assert_int_equal(t.steps, 2);
    assert_int_equal(t.skipped, 1);
    assert_int_equal(t.n, 4);
    assert_int_equal(row_of(&t, "101")->cards, 512);
    assert_string_equal(sl_job_trace_str(&t, row_of(&t, "101")->spec), "gpu");
    assert_string_equal(sl_job_trace_str(&t, row_of(&t, "101")->tenant), "high");
    sl_job_trace_release(&t);
}

static void test_sacct_values(void **state)
{
    (void)state;
    struct sl_job_trace t;
    read_ok("JobID|Submit|Start|End|Elapsed|State|NNodes|AllocTRES|ReqTRES|Priority|Account\n"
            "101|2024-03-01T00:00:10|2024-03-01T00:01:00|2024-03-02T00:01:00|1-00:00:00|"
            "COMPLETED|64|billing=512,gres/gpu=512,node=64||7|lab\n"
            "102|2024-03-01T00:00:00|2024-03-01T00:00:05|2024-03-01T00:10:05|00:10:00|"
            "CANCELLED by 1234|1|cpu=8,gres/gpu:a100=4,node=1||0|\n"
            "103|2024-03-01T00:00:20|Unknown|Unknown|00:00:00|PENDING|1||cpu=1,gres/gpu=16|3|x\n"
            "104|2024-03-01T00:00:30|2024-03-01T00:00:30|None|100:00:00|RUNNING|2|cpu=2,node=2||"
            "|\n"
            "105|2024-03-01T00:00:40|2024-03-01T00:00:40|2024-03-01T00:00:41|00:00:01|"
            "CANCELLED+|1|gres/gpu:h100=3,gres/gpu=2,node=1||-5|\n"
            "106|2024-03-01T00:00:50|2024-03-01T00:00:50|2024-03-01T00:00:51|00:00:01|"
            "NODE_FAIL|1|gres/gpu=1||1|\n",
            SL_JOBS_AUTO, 0, &t);
    assert_int_equal(t.n, 6);
    /* 2024-03-01T00:00:00 UTC. */
    assert_int_equal(t.epoch_s, 1709251200);
    const struct sl_job_trace_row *r = row_of(&t, "101");
    assert_int_equal(r->submit_us, 10 * S);
    assert_int_equal(r->start_us, 60 * S);
    assert_int_equal(r->end_us, (86400 + 60) * S);
    assert_int_equal(r->duration_us, 86400 * S);
    assert_int_equal(r->cards, 512);
    assert_int_equal(r->priority, 7);
    assert_int_equal(r->state, SL_JOB_COMPLETED);
    assert_string_equal(sl_job_trace_str(&t, r->tenant), "lab");
    r = row_of(&t, "102");
    assert_ptr_equal(r, &t.rows[0]);
    assert_int_equal(r->cards, 4);
    assert_int_equal(r->state, SL_JOB_CANCELLED);
    assert_int_equal(r->duration_us, 600 * S);
    r = row_of(&t, "103");
    assert_int_equal(r->cards, 16); /* from ReqTRES */
    assert_int_equal(r->start_us, -1);
    assert_int_equal(r->end_us, -1);
    assert_int_equal(r->duration_us, -1);
    assert_int_equal(r->state, SL_JOB_PENDING);
    r = row_of(&t, "104");
    assert_int_equal(r->cards, 0);
    assert_int_equal(r->end_us, -1);
    assert_int_equal(r->duration_us, 100 * 3600 * S);
    assert_int_equal(r->state, SL_JOB_RUNNING);
    r = row_of(&t, "105");
    assert_int_equal(r->cards, 2); /* the plain gres/gpu wins over a typed one */
    assert_int_equal(r->priority, -5);
    assert_int_equal(r->state, SL_JOB_CANCELLED);
    assert_int_equal(row_of(&t, "106")->state, SL_JOB_FAILED);
    sl_job_trace_release(&t);

    /* NNodes x GPUs per node; --parsable's trailing '|'. */
    read_ok("JobID|Submit|Start|End|Elapsed|State|NNodes|AllocGRES|\n"
            "7|2024-01-01T00:00:00|2024-01-01T00:00:00|2024-01-01T01:00:00|01:00:00|TIMEOUT|4|"
            "gpu:a100:8(IDX:0-7)|\n"
            "8|2024-01-01T00:00:00|2024-01-01T00:00:00|2024-01-01T01:00:00|01:00:00|DEADLINE|2|"
            "gpu:4|\n",
            SL_JOBS_SACCT, 0, &t);
    assert_int_equal(t.n, 2);
    assert_int_equal(t.rows[0].cards, 32);
    assert_int_equal(t.rows[0].state, SL_JOB_TIMEOUT);
    assert_int_equal(t.rows[1].cards, 8);
    assert_int_equal(t.rows[1].state, SL_JOB_TIMEOUT);
    sl_job_trace_release(&t);
}

#define SH "JobID|Submit|Start|End|Elapsed|State|NNodes|AllocTRES\n"
#define T0 "2024-03-01T00:00:00"

static void test_sacct_errors(void **state)
{
    (void)state;
    read_bad(SH "1|Unknown|" T0 "|" T0 "|00:00:00|COMPLETED|1|gres/gpu=1\n", 0, 2, 3,
             "Submit 'Unknown' is unknown");
    read_bad(SH "1|2024-03-01 00:00|" T0 "|" T0 "|00:00:00|COMPLETED|1|gres/gpu=1\n", 0, 2, 3,
             "is not a time");
    read_bad(SH "1|2024-02-30T00:00:00|" T0 "|" T0 "|00:00:00|COMPLETED|1|gres/gpu=1\n", 0, 2, 3,
             "out of range");
    read_bad(SH "1|" T0 "|" T0 "|" T0 "|0:0:0|COMPLETED|1|gres/gpu=1\n", 0, 2, 63,
             "Elapsed '0:0:0' is not a run time");
    read_bad(SH "1|" T0 "|" T0 "|" T0 "|00:61:00|COMPLETED|1|gres/gpu=1\n", 0, 2, 63,
             "[D-]HH:MM:SS");
    read_bad(SH "1|" T0 "|" T0 "|" T0 "|00:00:00|EXPLODED|1|gres/gpu=1\n", 0, 2, 72,
             "unknown State 'EXPLODED'");
    read_bad(SH "1|" T0 "|" T0 "|" T0 "|00:00:00|COMPLETED|1|gres/gpu=x\n", 0, 2, 84,
             "malformed GPU count");
    read_bad(SH "1|" T0 "|" T0 "|" T0 "|00:00:00|COMPLETED|1|\n", 0, 2, 0, "no GPU count");
    read_bad(SH "|" T0 "|" T0 "|" T0 "|00:00:00|COMPLETED|1|gres/gpu=1\n", 0, 2, 1,
             "JobID is empty");
    read_bad(SH "1|2024-03-01T00:00:05|" T0 "|" T0 "|00:00:00|COMPLETED|1|gres/gpu=1\n", 0, 2, 0,
             "starts before");
    read_bad(SH "1|" T0 "|" T0 "|" T0 "|00:00:00|COMPLETED|1|gres/gpu=9999999\n", 0, 2, 0,
             "more cards than the limit");
    read_bad(SH "1|" T0 "|" T0 "|" T0 "|4000-00:00:00|COMPLETED|1|gres/gpu=1\n", 0, 2, 0,
             "runs longer than the limit");
    read_bad(SH "1|" T0 "|" T0 "|" T0 "|99999999999-00:00:00|COMPLETED|1|gres/gpu=1\n", 0, 2, 63,
             "is not a run time");
    read_bad("JobID|Submit|Start|End|State|AllocTRES\n", 0, 1, 0, "no Elapsed column");
    read_bad("JobID|Submit|Start|End|Elapsed|State|NNodes\n", 0, 1, 0, "no GPU count");
}

/* ---- Plain CSV and detection ------------------------------------------- */

static void test_csv_rows(void **state)
{
    (void)state;
    struct sl_job_trace t;
    read_ok("job_id,submit_s,cards,duration_s,model,priority\n"
            "pt-1,3600.5,1024,864000,llama-70b,10\n"
            "ft-1,100,8,7200,,\n"
            "ev-1,100,1,60.25,qwen-7b,-2\n",
            SL_JOBS_AUTO, 0, &t);
    assert_int_equal(t.format, SL_JOBS_CSV);
    assert_int_equal(t.n, 3);
    assert_int_equal(t.epoch_s, 100);
    assert_string_equal(sl_job_trace_str(&t, t.rows[0].id), "ft-1");
    assert_string_equal(sl_job_trace_str(&t, t.rows[1].id), "ev-1");
    assert_int_equal(t.rows[1].duration_us, 60250000);
    assert_int_equal(t.rows[1].priority, -2);
    assert_string_equal(sl_job_trace_str(&t, t.rows[1].spec), "qwen-7b");
    const struct sl_job_trace_row *r = &t.rows[2];
    assert_int_equal(r->submit_us, 3500500000LL);
    assert_int_equal(r->cards, 1024);
    assert_int_equal(r->share_milli, 1000);
    assert_int_equal(r->duration_us, 864000 * S);
    assert_int_equal(r->start_us, -1);
    assert_int_equal(r->state, SL_JOB_UNKNOWN);
    assert_int_equal(r->priority, 10);
    sl_job_trace_release(&t);

    read_ok("job_id,submit_s,cards,duration_s\nonly,0,1,1\n", SL_JOBS_CSV, 0, &t);
    assert_int_equal(t.n, 1);
    assert_int_equal(t.rows[0].priority, 0);
    sl_job_trace_release(&t);
}

#define CH "job_id,submit_s,cards,duration_s,model,priority\n"

static void test_csv_errors(void **state)
{
    (void)state;
    read_bad(CH "a,x,1,1,,\n", 0, 2, 3, "submit_s 'x' is not a number");
    read_bad(CH "a,-1,1,1,,\n", 0, 2, 3, "submit_s '-1' is negative");
    read_bad(CH "a,1,1.5,1,,\n", 0, 2, 5, "cards '1.5' is not a whole number");
    read_bad(CH "a,1,1,,,\n", 0, 2, 7, "duration_s '' is empty");
    read_bad(CH "a,1,1,1e12,,\n", 0, 2, 7, "runs longer than the limit");
    read_bad(CH "a,1,1,1,,1.5\n", 0, 2, 10, "priority '1.5' is not a whole number");
    read_bad(CH "a,1,1,1,,3000000000\n", 0, 2, 10, "is too large");
    read_bad(CH ",1,1,1,,\n", 0, 2, 1, "job_id is empty");
    read_bad(CH "a,1,1,1\n", 0, 2, 0, "4 fields (expected 6");
    read_bad("job_id,submit_s,duration_s\n", SL_JOBS_CSV, 1, 0, "no cards column");
}

static void test_detect(void **state)
{
    (void)state;
    read_bad("", SL_JOBS_AUTO, 0, 0, "the job trace is empty");
    read_bad("\n\n", SL_JOBS_AUTO, 0, 0, "the job trace is empty");
    read_bad("a,b,c\n1,2,3\n", SL_JOBS_AUTO, 1, 0, "cannot tell the job trace format");
    read_bad("a|b\n", SL_JOBS_AUTO, 1, 0, "cannot tell");
    read_bad("job_id,submit_s,cards,duration_s\n", SL_JOBS_CSV, 0, 0, "has no jobs");
    /* A forced format reads the header its own way. */
    read_bad("job_id,submit_s,cards,duration_s\na,1,1,1\n", SL_JOBS_SACCT, 1, 0, "no JobID");
    struct sl_job_trace t;
    struct sl_diag d;
    sl_diag_clear(&d);
    assert_int_equal(sl_job_trace_read(put("x"), 99, 0, &t, &d), SL_EINVAL);
    char missing[300];
    snprintf(missing, sizeof missing, "%s/none.csv", tmp_dir);
    assert_int_equal(sl_job_trace_read(missing, SL_JOBS_AUTO, 0, &t, &d), SL_ENOENT);
    assert_int_equal(sl_job_trace_read(tmp_dir, SL_JOBS_AUTO, 0, &t, &d), SL_EINVAL);
    assert_string_equal(sl_job_state_names[SL_JOB_CANCELLED], "cancelled");
    assert_null(sl_job_state_names[SL_JOB_STATE_COUNT]);
    assert_null(sl_job_format_names[SL_JOBS_FORMAT_COUNT]);
}

/* Every allocation failing in turn: SL_ENOMEM with nothing left, until the
 * read succeeds. */
static void test_alloc_failures(void **state)
{
    (void)state;
    const char *inputs[] = {
        ALI_HEAD "p0,1,1,1,500,G1,LS,Running,5,6,5\np1,1,1,1,500,,LS,Running,1,6,5\n",
        SH "1|" T0 "|" T0 "|" T0 "|00:00:00|COMPLETED|1|gres/gpu=1\n",
        "job_id,submit_s,cards,duration_s\na,1,1,1\n",
    };
    for (size_t i = 0; i < 3; i++) {
        const char *p = put(inputs[i]);
        for (long k = 0;; k++) {
            struct torture tt = {k, 0, 0};
            struct sl_job_trace t;
            struct sl_diag d;
            sl_diag_clear(&d);
            sl_alloc_set_hook(torture_alloc, &tt);
            int rc = sl_job_trace_read(p, SL_JOBS_AUTO, 0, &t, &d);
            if (rc == SL_OK)
                sl_job_trace_release(&t);
            sl_alloc_set_hook(NULL, NULL);
            assert_int_equal(tt.live, 0);
            if (rc == SL_OK)
                break;
            assert_int_equal(rc, SL_ENOMEM);
            assert_true(k < 100);
        }
    }
}

/* ---- Real data --------------------------------------------------------- */

static void test_real_alibaba(void **state)
{
    (void)state;
    if (!shared_data_present(SL_SHARED_DATA "/traces/alibaba-gpu-2023")) {
        skip();
        return;
    }
    struct sl_job_trace t;
    struct sl_diag d;
    sl_diag_clear(&d);
    const char *path = SL_SHARED_DATA "/traces/alibaba-gpu-2023/openb_pod_list_default.csv";
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    int rc = sl_job_trace_read(path, SL_JOBS_AUTO, 0, &t, &d);
    clock_gettime(CLOCK_MONOTONIC, &b);
    if (rc != SL_OK) {
        char buf[2000];
        fail_msg("%s", sl_diag_format(&d, buf, sizeof buf));
    }
    printf("read %zu pods in %.2f ms\n", t.n,
           (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6);
    /* HEADS.md: 8,153 lines, the header and 8,152 pods. */
    assert_int_equal(t.format, SL_JOBS_ALIBABA);
    assert_int_equal(t.n, 8152);
    assert_int_equal(t.skipped, 0);
    long gpus = 0, pending = 0, shared = 0, cpu_only = 0, multi = 0, milli = 0;
    for (size_t i = 0; i < t.n; i++) {
        const struct sl_job_trace_row *r = &t.rows[i];
        gpus += r->cards;
        if (r->start_us < 0)
            pending++;
        else
            assert_true(r->start_us >= r->submit_us);
        assert_true(r->end_us >= r->submit_us);
        if (i)
            assert_true(r->submit_us >= t.rows[i - 1].submit_us);
        shared += r->cards == 1 && r->share_milli < 1000;
        if (r->cards == 1)
            milli += r->share_milli;
        cpu_only += r->cards == 0;
        multi += r->cards > 1;
    }
    /* Counted independently with python3 csv (docs/model.md). */
    assert_int_equal(gpus, 7433);
    assert_int_equal(pending, 897);
    assert_int_equal(cpu_only, 1088);
    assert_int_equal(multi, 75);
    assert_int_equal(shared, 3078);
    assert_int_equal(milli, 5642800); /* 5,643 of the 6,989 single cards */
    assert_int_equal(t.rows[0].submit_us, 0);
    assert_string_equal(sl_job_trace_str(&t, t.rows[0].id), "openb-pod-0000");
    sl_job_trace_release(&t);

    /* The sampled list has sizes but no times: refused with the reason. */
    sl_diag_clear(&d);
    rc = sl_job_trace_read(SL_SHARED_DATA "/traces/alibaba-gpu-2023/openb_pod_list_multigpu50.csv",
                           SL_JOBS_AUTO, 0, &t, &d);
    assert_int_equal(rc, SL_EINVAL);
    assert_int_equal(d.line, 1);
    assert_non_null(strstr(d.msg, "no creation_time column"));
}

static int setup_tmp(void **state)
{
    (void)state;
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/suanli_jobs_XXXXXX");
    return mkdtemp(tmp_dir) ? 0 : -1;
}

static int teardown_tmp(void **state)
{
    (void)state;
    char p[512];
    snprintf(p, sizeof p, "%s/j.txt", tmp_dir);
    unlink(p);
    return rmdir(tmp_dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alibaba_rows),
        cmocka_unit_test(test_alibaba_errors),
        cmocka_unit_test(test_lenient),
        cmocka_unit_test(test_sacct_rows),
        cmocka_unit_test(test_sacct_values),
        cmocka_unit_test(test_sacct_errors),
        cmocka_unit_test(test_csv_rows),
        cmocka_unit_test(test_csv_errors),
        cmocka_unit_test(test_detect),
        cmocka_unit_test_teardown(test_alloc_failures, restore_hook),
        cmocka_unit_test(test_real_alibaba),
    };
    return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
