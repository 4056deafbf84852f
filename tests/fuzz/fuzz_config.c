/*
 * fuzz_config.c - libFuzzer harness: the configuration parser.
 *
 * Input: a mode byte, then text. Mode bit 0 clear: an INI file (config_load_stream over
 * fmemopen, as config_load_file reads the file); set: command-line overrides, one
 * "section.key=value" per line (config_set). Then what start-up and SIGHUP do with the
 * result: validate, dump, look up accounts, apply as a reload onto the defaults.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void emit(void *arg, const char *line)
{
    size_t *n = arg;
    *n += strlen(line);
}

static void report(void *arg, const char *name, enum config_change what)
{
    size_t *n = arg;
    *n += strlen(name) + (size_t)what;
}

static int overrides(struct config *cfg, const char *text, size_t len, char *err, size_t errlen)
{
    char *copy = malloc(len + 1);
    if (!copy) return -1;
    memcpy(copy, text, len);
    copy[len] = 0;
    int rc = 0;
    for (char *line = copy, *nl; rc == 0 && line; line = nl) {
        nl = strchr(line, '\n');
        if (nl) *nl++ = 0;
        rc = config_set(cfg, line, "fuzz", err, errlen);
    }
    free(copy);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    struct config *cfg = malloc(sizeof(*cfg)), *live = malloc(sizeof(*live));
    char err[1024];
    if (!cfg || !live) goto out;
    config_defaults(cfg);
    int rc;
    if (data[0] & 1) {
        rc = overrides(cfg, text, len, err, sizeof(err));
    } else {
        if (len == 0) goto out;   /* fmemopen refuses an empty buffer */
        FILE *f = fmemopen((void *)text, len, "r");
        if (!f) goto out;
        rc = config_load_stream(cfg, f, "fuzz.conf", err, sizeof(err));
        fclose(f);
    }
    if (rc != 0) goto out;
    size_t n = 0;
    (void)config_validate(cfg, err, sizeof(err));
    config_dump(cfg, emit, &n);
    for (size_t i = 0; i < cfg->n_users; i++) {
        if (config_user_find(cfg, cfg->users[i].name) == NULL) abort();   /* every account is found */
        (void)config_role_name(cfg->users[i].role);
    }
    (void)config_sync_name(cfg->sync);
    config_defaults(live);
    (void)config_apply_runtime(live, cfg, report, &n);
out:
    free(cfg);
    free(live);
    return 0;
}
