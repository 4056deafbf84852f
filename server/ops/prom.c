/* prom.c - see prom.h. */
#include "server/ops/prom.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/ops/textbuf.h"

const char *prom_type_name(enum prom_type t)
{
    switch (t) {
    case PROM_COUNTER: return "counter";
    case PROM_GAUGE: return "gauge";
    case PROM_HISTOGRAM: return "histogram";
    case PROM_UNTYPED: return "untyped";
    }
    return "untyped";
}

void prom_init(struct prom *p, struct bbuf *out)
{
    memset(p, 0, sizeof(*p));
    p->out = out;
}

void prom_free(struct prom *p)
{
    for (size_t i = 0; i < p->nseen; i++) free(p->seen[i]);
    p->nseen = 0;
}

static int valid_name(const char *s, int metric)
{
    if (!*s || (*s >= '0' && *s <= '9')) return 0;
    for (; *s; s++) {
        char c = *s;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                 (metric && c == ':');
        if (!ok) return 0;
    }
    return 1;
}

void prom_escape_label(struct bbuf *out, const char *v)
{
    for (const char *run = v;; v++) {
        const char *rep = *v == '\\' ? "\\\\" : *v == '"' ? "\\\"" : *v == '\n' ? "\\n" : NULL;
        if (!*v || rep) {
            bbuf_append(out, run, (size_t)(v - run));
            if (!*v) return;
            text_puts(out, rep);
            run = v + 1;
        }
    }
}

/* HELP text: only \\ and \n are escapes there. */
static void escape_help(struct bbuf *out, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\') text_puts(out, "\\\\");
        else if (*v == '\n') text_puts(out, "\\n");
        else bbuf_append(out, v, 1);
    }
}

int prom_family(struct prom *p, const char *name, enum prom_type t, const char *help)
{
    p->family[0] = 0;
    if (strlen(name) >= PROM_MAX_NAME || !valid_name(name, 1) || p->nseen == PROM_MAX_FAMILIES) {
        p->bad = 1;
        return -1;
    }
    for (size_t i = 0; i < p->nseen; i++)
        if (!strcmp(p->seen[i], name)) {
            p->bad = 1;
            return -1;
        }
    if (!(p->seen[p->nseen] = strdup(name))) {
        p->bad = 1;
        return -1;
    }
    p->nseen++;
    snprintf(p->family, sizeof(p->family), "%s", name);
    p->type = t;
    text_printf(p->out, "# HELP %s ", name);
    escape_help(p->out, help);
    text_printf(p->out, "\n# TYPE %s %s\n", name, prom_type_name(t));
    return 0;
}

/* "name{a="x",b="y"}" up to the value; extra: one more label (le) or NULL. */
static int sample_head(struct prom *p, const char *suffix, const struct prom_label *l, size_t nl,
                       const struct prom_label *extra)
{
    if (!p->family[0]) {
        p->bad = 1;
        return -1;
    }
    text_puts(p->out, p->family);
    text_puts(p->out, suffix);
    if (nl || extra) {
        bbuf_append(p->out, "{", 1);
        for (size_t i = 0; i < nl + (extra != NULL); i++) {
            const struct prom_label *x = i < nl ? &l[i] : extra;
            if (!valid_name(x->name, 0)) p->bad = 1;
            text_printf(p->out, "%s%s=\"", i ? "," : "", x->name);
            prom_escape_label(p->out, x->value ? x->value : "");
            bbuf_append(p->out, "\"", 1);
        }
        bbuf_append(p->out, "}", 1);
    }
    bbuf_append(p->out, " ", 1);
    return 0;
}

static void put_double(struct bbuf *out, double v)
{
    if (isnan(v)) text_puts(out, "NaN");
    else if (isinf(v)) text_puts(out, v > 0 ? "+Inf" : "-Inf");
    else if (v == floor(v) && fabs(v) < 9007199254740992.0) text_printf(out, "%.0f", v);
    else text_printf(out, "%.9g", v);
}

void prom_sample(struct prom *p, const char *suffix, const struct prom_label *l, size_t nl, double v)
{
    if (sample_head(p, suffix, l, nl, NULL) == -1) return;
    put_double(p->out, v);
    bbuf_append(p->out, "\n", 1);
}

void prom_sample_u64(struct prom *p, const char *suffix, const struct prom_label *l, size_t nl, uint64_t v)
{
    if (sample_head(p, suffix, l, nl, NULL) == -1) return;
    text_printf(p->out, "%" PRIu64 "\n", v);
}

void prom_scalar_u64(struct prom *p, const char *name, enum prom_type t, const char *help, uint64_t v)
{
    if (prom_family(p, name, t, help) == 0) prom_sample_u64(p, "", NULL, 0, v);
}

void prom_histogram(struct prom *p, const struct prom_label *l, size_t nl, const double *bounds, size_t nb,
                    const uint64_t *counts, double sum)
{
    uint64_t cum = 0;
    char le[32];
    for (size_t i = 0; i <= nb; i++) {
        cum += counts[i];
        if (i < nb) snprintf(le, sizeof(le), "%.9g", bounds[i]);
        else snprintf(le, sizeof(le), "+Inf");
        struct prom_label x = {"le", le};
        if (sample_head(p, "_bucket", l, nl, &x) == -1) return;
        text_printf(p->out, "%" PRIu64 "\n", cum);
    }
    prom_sample(p, "_sum", l, nl, sum);
    prom_sample_u64(p, "_count", l, nl, cum);
}
