/*
 * Files beside scenarios that use the same YAML machinery: calibration
 * profiles (`suanli perf calibrate -o`, a service's `profile`) and model
 * files (`--model-file`).
 *
 * A profile is a mapping with one key, `profile:`, a list of entries
 * (model, device, tp and the fitted factors); a model file has one key,
 * `models:`, a list with the keys of `catalog.models`.  Both go through
 * schema tables, so every error names file:line:column and an unknown key
 * gets a suggestion, exactly as in a scenario.
 */
#include "config/scenario_int.h"
#include "suanli/alloc.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define S(type, member) offsetof(type, member)
#define T_PE            struct sl_perf_profile_entry

static const struct sl_field entry_fields[] = {
    {"model", SL_FT_STRING, 0, S(T_PE, model), NULL, SL_NO_MIN, SL_NO_MAX,
     SL_FF_REQUIRED | SL_FF_NAME, NULL, NULL, "model the factors were fitted for"},
    {"device", SL_FT_STRING, 0, S(T_PE, device), NULL, SL_NO_MIN, SL_NO_MAX,
     SL_FF_REQUIRED | SL_FF_NAME, NULL, NULL, "device"},
    {"tp", SL_FT_INT, 0, S(T_PE, tp), NULL, 1, 64, SL_FF_REQUIRED, NULL, NULL,
     "tensor-parallel cards"},
    {"compute", SL_FT_REAL, SL_UNIT_NONE, S(T_PE, compute), NULL, 0, 1,
     SL_FF_REQUIRED | SL_FF_MIN_EXCL, NULL, NULL, "compute efficiency eta_c"},
    {"memory", SL_FT_REAL, SL_UNIT_NONE, S(T_PE, memory), NULL, 0, 1,
     SL_FF_REQUIRED | SL_FF_MIN_EXCL, NULL, NULL, "memory-bandwidth efficiency eta_m"},
    {"overhead", SL_FT_REAL, SL_UNIT_TIME, S(T_PE, overhead_s), "0s", 0, 10, 0, NULL, NULL,
     "fixed time per step"},
    {"prefill_mape", SL_FT_REAL, SL_UNIT_PERCENT, S(T_PE, prefill_mape), "0 %", 0, 1e6, 0, NULL,
     NULL, "fit error on prefill"},
    {"decode_mape", SL_FT_REAL, SL_UNIT_PERCENT, S(T_PE, decode_mape), "0 %", 0, 1e6, 0, NULL, NULL,
     "fit error on decode"},
    {"points", SL_FT_INT, 0, S(T_PE, points), "0", 0, 1e12, 0, NULL, NULL, "measurements fitted"},
};
static const struct sl_schema entry_schema = {"profile entries", sizeof(T_PE), entry_fields,
                                              sizeof entry_fields / sizeof entry_fields[0]};

struct profile_file {
    struct sl_list profile;
};
static const struct sl_field profile_fields[] = {
    {"profile", SL_FT_LIST, 0, S(struct profile_file, profile), "[]", SL_NO_MIN, SL_NO_MAX, 0, NULL,
     &entry_schema, "fitted efficiency factors per (model, device, tp)"},
};
static const struct sl_schema profile_schema = {"profile", sizeof(struct profile_file),
                                                profile_fields,
                                                sizeof profile_fields / sizeof profile_fields[0]};

struct model_file {
    struct sl_list models;
};

/* Checks a mapped file against its tree (for positions). */
typedef int (*check_fn)(void *obj, const struct sl_ynode *root, struct sl_diag *d);

/* Reads path into a tree, maps it with schema into obj and runs check (may
 * be NULL); what is common to both kinds of file.  The tree is freed
 * before returning. */
static int load_mapped(const char *path, const struct sl_schema *schema, void *obj,
                       const char *what, check_fn check, struct sl_diag *d)
{
    struct sl_ysources srcs = {NULL};
    struct sl_ynode *root = NULL;
    int rc = sl_ytree_load_file(&srcs, path, &root, d);
    if (rc == SL_OK && (!root || root->type != SL_Y_MAP)) {
        if (root)
            rc = sl_ynode_error(root, d, SL_EINVAL, "%s is a mapping with the key '%s'", what,
                                schema->fields[0].key);
        else
            rc = sl_diag_set(d, SL_EINVAL, path, 0, 0, "the file is empty; %s has a '%s:' list",
                             what, schema->fields[0].key);
    }
    if (rc == SL_OK)
        rc = sl_schema_map(schema, obj, root, "", d);
    if (rc == SL_OK && check)
        rc = check(obj, root, d);
    sl_ynode_free(root);
    sl_ysources_release(&srcs);
    return rc;
}

int sl_perf_profile_load(const char *path, struct sl_perf_profile *out, struct sl_diag *d)
{
    memset(out, 0, sizeof *out);
    struct profile_file pf = {{NULL, 0, NULL}};
    int rc = load_mapped(path, &profile_schema, &pf, "a calibration profile", NULL, d);
    if (rc == SL_OK && !(out->path = sl_strdup(path)))
        rc = sl_diag_set(d, SL_ENOMEM, NULL, 0, 0, "out of memory");
    if (rc != SL_OK) {
        sl_schema_release(&profile_schema, &pf);
        sl_free(out->path);
        memset(out, 0, sizeof *out);
        return rc;
    }
    out->entries = pf.profile;
    return SL_OK;
}

void sl_perf_profile_release(struct sl_perf_profile *p)
{
    struct profile_file pf = {p->entries};
    sl_schema_release(&profile_schema, &pf);
    sl_free(p->path);
    memset(p, 0, sizeof *p);
}

const struct sl_perf_profile_entry *sl_perf_profile_find(const struct sl_perf_profile *p,
                                                         const char *model, const char *device,
                                                         int64_t tp)
{
    const struct sl_perf_profile_entry *e = p->entries.items;
    for (size_t i = 0; i < p->entries.n; i++)
        if (e[i].tp == tp && strcmp(e[i].model, model) == 0 && strcmp(e[i].device, device) == 0)
            return &e[i];
    return NULL;
}

/* Each model valid, named once, and not a built-in name. */
static int check_models(void *obj, const struct sl_ynode *root, struct sl_diag *d)
{
    const struct model_file *mf = obj;
    const struct sl_llm_model *m = mf->models.items;
    char path[64];
    for (size_t i = 0; i < mf->models.n; i++) {
        struct sl_diag vd;
        sl_diag_clear(&vd);
        snprintf(path, sizeof path, "models.%zu", i);
        if (sl_llm_validate(&m[i], &vd) != SL_OK)
            return sl__scenario_path_error(root, path, d, vd.msg);
        snprintf(path, sizeof path, "models.%zu.name", i);
        char msg[256];
        for (size_t j = 0; j < i; j++)
            if (strcmp(m[i].name, m[j].name) == 0) {
                snprintf(msg, sizeof msg, "model '%s' is defined twice", m[i].name);
                return sl__scenario_path_error(root, path, d, msg);
            }
        if (sl_scenario_find_model(NULL, m[i].name)) {
            snprintf(msg, sizeof msg, "model '%s' is already built in; give yours another name",
                     m[i].name);
            return sl__scenario_path_error(root, path, d, msg);
        }
    }
    return SL_OK;
}

int sl_model_file_load(const char *path, struct sl_list *out, struct sl_diag *d)
{
    /* The element schema is the scenario's (sl__model_schema), an object
     * of another file, so the field is filled here. */
    struct sl_field f = {"models", SL_FT_LIST,       0,           S(struct model_file, models),
                         "[]",     SL_NO_MIN,        SL_NO_MAX,   0,
                         NULL,     sl__model_schema, "LLM models"};
    const struct sl_schema schema = {"model file", sizeof(struct model_file), &f, 1};
    struct model_file mf = {{NULL, 0, NULL}};
    memset(out, 0, sizeof *out);
    int rc = load_mapped(path, &schema, &mf, "a model file", check_models, d);
    if (rc != SL_OK) {
        sl_schema_release(&schema, &mf);
        return rc;
    }
    *out = mf.models;
    return SL_OK;
}

void sl_model_file_release(struct sl_list *models)
{
    struct model_file mf = {*models};
    struct sl_field f = {"models", SL_FT_LIST,       0, 0, "[]", SL_NO_MIN, SL_NO_MAX, 0,
                         NULL,     sl__model_schema, ""};
    const struct sl_schema schema = {"model file", sizeof(struct model_file), &f, 1};
    sl_schema_release(&schema, &mf);
    memset(models, 0, sizeof *models);
}
