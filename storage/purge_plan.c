/*
 * purge_plan.c - see purge_plan.h. Every rule is a bound on the prefix that may go; the
 * plan is the largest prefix some rule wants within the bounds that rule must respect.
 */
#include "storage/purge_plan.h"

const char *purge_cause_name(enum purge_cause c)
{
    switch (c) {
    case PURGE_CAUSE_NONE: return "none";
    case PURGE_CAUSE_AGE: return "age";
    case PURGE_CAUSE_SIZE: return "size";
    case PURGE_CAUSE_FREE: return "free_space";
    case PURGE_CAUSE_STATEMENT: return "statement";
    case PURGE_STOP_ACTIVE: return "active";
    case PURGE_STOP_MIN_FILES: return "min_files";
    case PURGE_STOP_READER: return "reader";
    case PURGE_STOP_KEEP: return "kept";
    case PURGE_STOP_YOUNG: return "young";
    case PURGE_STOP_TARGET: return "target";
    }
    return "?";
}

const char *purge_mode_name(enum purge_mode m)
{
    switch (m) {
    case PURGE_AUTO: return "auto";
    case PURGE_TO: return "to";
    case PURGE_BEFORE: return "before";
    }
    return "?";
}

static size_t min2(size_t a, size_t b) { return a < b ? a : b; }

/* Why files[i] may not go, for a rule that honours readers (readers = 1) or not. */
static enum purge_cause stop_at(const struct purge_input *in, size_t i, size_t bound_min, int readers)
{
    if (i + 1 >= in->n) return PURGE_STOP_ACTIVE;
    if (i >= bound_min) return PURGE_STOP_MIN_FILES;
    if (readers && i >= in->reader_first) return PURGE_STOP_READER;
    if (in->files[i].keep) return PURGE_STOP_KEEP;
    return PURGE_STOP_YOUNG;
}

static void plan_statement(const struct purge_input *in, size_t hard, struct purge_plan *out)
{
    size_t target = 0;
    if (in->mode == PURGE_TO) {
        target = min2(in->to_index, in->n);
    } else {
        while (target < in->n && in->files[target].last_time > 0 && in->files[target].last_time < in->before) target++;
    }
    size_t bound = min2(hard, in->reader_first);
    out->count = min2(target, bound);
    out->cause = out->count ? PURGE_CAUSE_STATEMENT : PURGE_CAUSE_NONE;
    if (out->count < target) out->stop = stop_at(in, out->count, in->n, 1);
}

void purge_plan_make(const struct purge_input *in, struct purge_plan *out)
{
    out->count = out->overridden = 0;
    out->bytes = out->disk_bytes = 0;
    out->cause = out->stop = PURGE_CAUSE_NONE;
    if (!in->n) return;
    /* The hard bounds: never the active file, never a kept file or anything after it. */
    size_t hard = in->n - 1;
    for (size_t i = 0; i < hard; i++)
        if (in->files[i].keep) {
            hard = i;
            break;
        }
    if (in->mode != PURGE_AUTO) {
        plan_statement(in, hard, out);
    } else {
        uint32_t minf = in->min_files ? in->min_files : 1;
        size_t bound_min = in->n > minf ? in->n - minf : 0;
        size_t auto_hard = min2(hard, bound_min);
        /* What each rule wants, before bounds. */
        size_t k_age = 0, k_size = 0, k_free = 0;
        if (in->expire_s) {
            while (k_age < in->n && in->files[k_age].last_time > 0 &&
                   (uint64_t)(in->now - in->files[k_age].last_time) >= in->expire_s && in->now >= in->files[k_age].last_time)
                k_age++;
        }
        if (in->max_disk) {
            uint64_t total = 0;
            for (size_t i = 0; i < in->n; i++) total += in->files[i].disk;
            while (k_size < in->n && total > in->max_disk) total -= in->files[k_size++].disk;
        }
        if (in->want_free) {
            uint64_t got = 0;
            while (k_free < in->n && got < in->want_free) got += in->files[k_free++].disk;
        }
        size_t age = min2(k_age, min2(auto_hard, in->reader_first));
        size_t fre = min2(k_free, min2(auto_hard, in->reader_first));
        size_t siz = min2(k_size, auto_hard);
        size_t count = age;
        out->cause = count ? PURGE_CAUSE_AGE : PURGE_CAUSE_NONE;
        if (fre > count) {
            count = fre;
            out->cause = PURGE_CAUSE_FREE;
        }
        if (siz > count) {
            count = siz;
            out->cause = PURGE_CAUSE_SIZE;
        }
        out->count = count;
        out->overridden = count > in->reader_first ? count - in->reader_first : 0;
        /* Report what blocked a rule that wanted more (the size rule ignores readers). */
        if (k_size > count) out->stop = stop_at(in, count, bound_min, 0);
        else if (k_free > count || k_age > count) out->stop = stop_at(in, count, bound_min, 1);
    }
    for (size_t i = 0; i < out->count; i++) {
        out->bytes += in->files[i].size;
        out->disk_bytes += in->files[i].disk;
    }
}
