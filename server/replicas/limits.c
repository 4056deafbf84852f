/* limits.c - see limits.h. */
#include "server/replicas/limits.h"

#include "protocol/errmsg.h"
#include "protocol/reply.h"

enum limits_admit limits_admit(const struct config *cfg, size_t sessions_now)
{
    if (sessions_now < cfg->max_connections) return LIMITS_ADMIT;
    if (sessions_now == cfg->max_connections) return LIMITS_ADMIT_ADMIN_ONLY;
    return LIMITS_REFUSE;
}

const char *limits_admit_name(enum limits_admit a)
{
    switch (a) {
    case LIMITS_ADMIT: return "admit";
    case LIMITS_ADMIT_ADMIN_ONLY: return "admin_only";
    case LIMITS_REFUSE: return "refuse";
    }
    return "?";
}

int limits_build_too_many(struct bbuf *b)
{
    uint8_t seq = 0;
    struct myerr e;
    myerr_plain(&e, MYERR_CON_COUNT);
    reply_err_myerr(b, &seq, &e);
    return bbuf_ok(b) ? 0 : -1;
}
