/*
 * verify.h - `binlogd verify DATA_DIR`: check every stored file offline and say exactly what
 * is wrong, with file:offset. Exit status 0 only when everything holds.
 */
#ifndef BINLOGD_STORAGE_VERIFY_H
#define BINLOGD_STORAGE_VERIFY_H

#include <stdio.h>

/* Verify the data directory dir, printing one line per file and a summary to out. Returns
 * the process exit status: 0 all good, 1 problems found, 2 the directory cannot be read. */
int verify_data_dir(const char *dir, FILE *out);

#endif
