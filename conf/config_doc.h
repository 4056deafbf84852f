/*
 * config_doc.h - the option table as text for people: `binlogd --help` and the sample
 * configuration file (`binlogd --print-sample-config`, installed by `make install`). Both
 * are generated from conf/config.c's table, so neither can drift from what is parsed.
 * Thread: any (no state).
 */
#ifndef BINLOGD_CONF_CONFIG_DOC_H
#define BINLOGD_CONF_CONFIG_DOC_H

/* Every option as "  --section.key=VALUE" with its default, whether a reload applies it,
 * and its help line; one call of emit per line. */
void config_doc_help(void (*emit)(void *arg, const char *line), void *arg);

/* A complete INI file: every option commented out at its default, under its [section],
 * with its help line, then a commented [user.NAME] example. One call of emit per line. */
void config_doc_sample(void (*emit)(void *arg, const char *line), void *arg);

#endif
