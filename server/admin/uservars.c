/*
 * uservars.c - see uservars.h.
 */
#include "server/admin/uservars.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *uservars_get(const struct uservars *u, const char *name)
{
    for (size_t i = 0; i < u->n; i++)
        if (!strcasecmp(u->v[i].name, name)) return u->v[i].is_null ? NULL : u->v[i].value;
    return NULL;
}

int uservars_exists(const struct uservars *u, const char *name)
{
    for (size_t i = 0; i < u->n; i++)
        if (!strcasecmp(u->v[i].name, name)) return 1;
    return 0;
}

int uservars_set(struct uservars *u, const char *name, size_t nlen, const char *value, size_t vlen, int is_null)
{
    if (nlen >= sizeof(u->v[0].name) || vlen >= USERVAR_VALUE_MAX) return -1;
    struct uservar *v = NULL;
    for (size_t i = 0; i < u->n; i++)
        if (strlen(u->v[i].name) == nlen && !strncasecmp(u->v[i].name, name, nlen)) v = &u->v[i];
    char *copy = malloc(vlen + 1);
    if (!copy) return -1;
    memcpy(copy, value ? value : "", vlen);
    copy[vlen] = 0;
    if (!v) {
        if (u->n == USERVARS_MAX) { free(copy); return -1; }
        if (u->n == u->cap) {
            size_t cap = u->cap ? u->cap * 2 : 8;
            struct uservar *nv = realloc(u->v, cap * sizeof(*nv));
            if (!nv) { free(copy); return -1; }
            u->v = nv;
            u->cap = cap;
        }
        v = &u->v[u->n++];
        memcpy(v->name, name, nlen);
        v->name[nlen] = 0;
        v->value = NULL;
    }
    free(v->value);
    v->value = copy;
    v->is_null = is_null;
    return 0;
}

void uservars_free(struct uservars *u)
{
    for (size_t i = 0; i < u->n; i++) free(u->v[i].value);
    free(u->v);
    u->v = NULL;
    u->n = u->cap = 0;
}
