/*
 * tmpdir.h - throwaway directories for unit tests (shared by every suite that touches disk).
 */
#ifndef BINLOGD_TESTS_UNIT_TMPDIR_H
#define BINLOGD_TESTS_UNIT_TMPDIR_H

/* Remove path and everything below it (no symlinks followed). Best effort. */
void tmpdir_remove(const char *path);

#endif
