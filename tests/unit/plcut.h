/*
 * plcut.h - run a piece of a unit test in a forked child under the power-loss recorder and
 * cut the power at its end (a cut leaves fsio blocked for good, so it cannot happen in the
 * test process itself). Shared by the suites that check what survives a power loss.
 */
#ifndef BINLOGD_TESTS_UNIT_PLCUT_H
#define BINLOGD_TESTS_UNIT_PLCUT_H

#include "storage/fsio.h"

/* Fork; the child enables the recorder, runs fn(arg), cuts, and exits with fn's status.
 * Asserts (cmocka) that the child exited with 0 and that the cut was exact; returns its
 * report. */
struct fsio_powerloss_report plcut_run(int (*fn)(void *arg), void *arg);

#endif
