/*
 * prom.h - the Prometheus text exposition format (version 0.0.4), as `promtool check
 * metrics` enforces it: one HELP and one TYPE line per family, before its samples, every
 * sample of a family contiguous, label values escaped (\\, \", \n), histograms with
 * cumulative buckets ending at le="+Inf", then _sum and _count.
 *
 * A family is opened with prom_family() and its samples follow; opening a name twice is
 * refused (returns -1, nothing written), so two collectors cannot emit the same family.
 * Other modules add families through a collector (server/ops/http.h) that gets a struct
 * prom: the naming rules are in README "Monitoring" (binlogd_ prefix, base units, _total).
 *
 * Thread: whoever owns the struct (the loop thread for scrapes).
 */
#ifndef BINLOGD_SERVER_OPS_PROM_H
#define BINLOGD_SERVER_OPS_PROM_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/bbuf.h"

enum prom_type { PROM_COUNTER = 0, PROM_GAUGE, PROM_HISTOGRAM, PROM_UNTYPED };

struct prom_label {
    const char *name;    /* [a-zA-Z_][a-zA-Z0-9_]*, not "le" (added by prom_histogram) */
    const char *value;   /* any UTF-8 text; escaped here */
};

#define PROM_MAX_FAMILIES 256
#define PROM_MAX_NAME 128

struct prom {
    struct bbuf *out;
    char family[PROM_MAX_NAME];        /* the open family ("" before the first) */
    enum prom_type type;
    char *seen[PROM_MAX_FAMILIES];     /* every family opened so far (owned) */
    size_t nseen;
    int bad;                           /* a sample was written outside a family, or a name was bad */
};

/* Write into out (not owned). */
void prom_init(struct prom *p, struct bbuf *out);
void prom_free(struct prom *p);

/* Open family `name` of type t: writes "# HELP name help" and "# TYPE name t". 0, or -1
 * when the name was opened before, is not a valid metric name, or the table is full
 * (samples are then refused until the next family). */
int prom_family(struct prom *p, const char *name, enum prom_type t, const char *help);

/* One sample of the open family: name = family + suffix ("" or e.g. "_bucket"), labels
 * l[0..nl), value v (NaN and infinities as Prometheus spells them). */
void prom_sample(struct prom *p, const char *suffix, const struct prom_label *l, size_t nl, double v);
/* The same with an exact integer value (counters beyond 2^53 stay exact). */
void prom_sample_u64(struct prom *p, const char *suffix, const struct prom_label *l, size_t nl, uint64_t v);

/* A family with one unlabelled sample: prom_family + prom_sample_u64, the shape of most
 * counters and gauges. */
void prom_scalar_u64(struct prom *p, const char *name, enum prom_type t, const char *help, uint64_t v);

/* The samples of one histogram of the open family (PROM_HISTOGRAM): bounds[0..nb) in
 * increasing order, counts[0..nb] per bucket NOT cumulative (counts[nb]: above the last
 * bound); written as cumulative _bucket lines with le="+Inf" last, _sum and _count. */
void prom_histogram(struct prom *p, const struct prom_label *l, size_t nl, const double *bounds, size_t nb,
                    const uint64_t *counts, double sum);

/* Append v escaped for a label value (\\, \", \n). */
void prom_escape_label(struct bbuf *out, const char *v);

const char *prom_type_name(enum prom_type t);

#endif
