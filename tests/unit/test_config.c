/* test_config.c - config parsing: file, overrides, validation messages naming key and file:line. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/config.h"
#include "conf/config_doc.h"

static char *write_tmp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/binlogd-cfg-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void test_defaults_need_server_id(void **state)
{
    (void)state;
    struct config c;
    char err[256];
    config_defaults(&c);
    assert_int_equal(config_validate(&c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "binlogd.server_id"));
    assert_int_equal(config_set(&c, "binlogd.server_id=7", "cli", err, sizeof(err)), 0);
    assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
    assert_int_equal(c.server_id, 7);
    assert_int_equal(c.up_retry_min_ms, 1000);
    assert_int_equal(c.up_retry_max_ms, 30000);
    assert_int_equal(c.sync, CONFIG_SYNC_TRX);
}

static void test_file_and_override(void **state)
{
    (void)state;
    struct config c;
    char err[256];
    config_defaults(&c);
    char *p = write_tmp("# comment\n[binlogd]\nserver_id = 100\ndata_dir = \"/tmp/x y\"\nlisten = 127.0.0.1:3307\n"
                        "[upstream]\nhost=db1\nport = 3310\nuser=repl\npassword = 'p=w'\n[storage]\nsync = interval:20\n"
                        "[user.repl]\npassword = *E8D46CE25265E545D225A8A6F1BAF642FEBEE5CB\nrole = replica\n"
                        "[user.ops]\npassword=x\nrole=admin\n");
    assert_int_equal(config_load_file(&c, p, err, sizeof(err)), 0);
    unlink(p);
    assert_int_equal(c.server_id, 100);
    assert_string_equal(c.data_dir, "/tmp/x y");
    assert_string_equal(c.listen_host, "127.0.0.1");
    assert_int_equal(c.listen_port, 3307);
    assert_string_equal(c.up_host, "db1");
    assert_int_equal(c.up_port, 3310);
    assert_string_equal(c.up_password, "p=w");
    assert_int_equal(c.sync, CONFIG_SYNC_INTERVAL);
    assert_int_equal(c.sync_interval_ms, 20);
    assert_int_equal(c.n_users, 2);
    const struct config_user *u = config_user_find(&c, "ops");
    assert_non_null(u);
    assert_int_equal(u->role, CONFIG_ROLE_ADMIN);
    assert_null(config_user_find(&c, "nobody"));
    /* Command-line override wins; dotted account names use the last dot for the key. */
    assert_int_equal(config_set(&c, "upstream.port=3311", "cli", err, sizeof(err)), 0);
    assert_int_equal(c.up_port, 3311);
    assert_int_equal(config_set(&c, "user.a.b.password=z", "cli", err, sizeof(err)), 0);
    assert_non_null(config_user_find(&c, "a.b"));
    assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
}

static void expect_file_error(const char *text, const char *needle1, const char *needle2)
{
    struct config c;
    char err[256];
    config_defaults(&c);
    char *p = write_tmp(text);
    int rc = config_load_file(&c, p, err, sizeof(err));
    unlink(p);
    assert_int_equal(rc, -1);
    if (!strstr(err, needle1) || (needle2 && !strstr(err, needle2))) fail_msg("error '%s' lacks '%s'", err, needle1);
}

static void test_file_errors(void **state)
{
    (void)state;
    expect_file_error("[binlogd]\nserver_id = 1\nbogus = 2\n", ":3:", "binlogd.bogus");
    expect_file_error("[binlogd]\nserver_id = abc\n", ":2:", "binlogd.server_id");
    expect_file_error("[binlogd]\nserver_id = 0\n", ":2:", "server_id");
    expect_file_error("[binlogd]\nserver_id = 99999999999\n", ":2:", "server_id");
    expect_file_error("server_id = 1\n", ":1:", "outside");
    expect_file_error("[binlogd\n", ":1:", "section");
    expect_file_error("[upstream]\nport = 70000\n", ":2:", "upstream.port");
    expect_file_error("[storage]\nsync = sometimes\n", ":2:", "storage.sync");
    expect_file_error("[binlogd]\nlisten = nohost\n", ":2:", "binlogd.listen");
    expect_file_error("[nosuch]\nkey = 1\n", ":2:", "nosuch.key");
    expect_file_error("[user.x]\nrole = god\n", ":2:", "user.x.role");
    expect_file_error("[user.x]\ncolour = red\n", ":2:", "user.x.colour");
    expect_file_error("[binlogd]\njust text\n", ":2:", NULL);
}

/* upstream.ssl*: defaults, and the contradictions config_validate refuses. */
static void test_upstream_tls_options(void **state)
{
    (void)state;
    struct config c;
    char err[256];
    config_defaults(&c);
    assert_int_equal(c.up_ssl, 0);
    assert_int_equal(c.up_ssl_verify_server_cert, 1);   /* verify fully once TLS is on */
    assert_int_equal(config_set(&c, "binlogd.server_id=1", "arg", err, sizeof(err)), 0);
    /* A CA with TLS off would silently mean plaintext. */
    assert_int_equal(config_set(&c, "upstream.ssl_ca=/etc/ca.pem", "arg", err, sizeof(err)), 0);
    assert_int_equal(config_validate(&c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "upstream.ssl_ca is set but upstream.ssl is off"));
    assert_int_equal(config_set(&c, "upstream.ssl=on", "arg", err, sizeof(err)), 0);
    assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
    /* A certificate needs its key. */
    assert_int_equal(config_set(&c, "upstream.ssl_cert=/etc/c.pem", "arg", err, sizeof(err)), 0);
    assert_int_equal(config_validate(&c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "upstream.ssl_cert and upstream.ssl_key"));
    assert_int_equal(config_set(&c, "upstream.ssl_key=/etc/k.pem", "arg", err, sizeof(err)), 0);
    assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
    assert_int_equal(config_set(&c, "upstream.ssl_verify_server_cert=off", "arg", err, sizeof(err)), 0);
    assert_int_equal(c.up_ssl_verify_server_cert, 0);
    assert_int_equal(config_set(&c, "upstream.ssl=maybe", "arg", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "upstream.ssl"));
    assert_int_equal(config_set(&c, "upstream.ssl_verify_server_cert=2", "arg", err, sizeof(err)), -1);
}

static void test_cli_errors(void **state)
{
    (void)state;
    struct config c;
    char err[256];
    config_defaults(&c);
    assert_int_equal(config_set(&c, "noequals", "arg 1", err, sizeof(err)), -1);
    assert_int_equal(config_set(&c, "=5", "arg 1", err, sizeof(err)), -1);
    assert_int_equal(config_set(&c, "upstream.retry_min_ms=5", "arg 2", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "upstream.retry_min_ms"));
    assert_int_equal(config_set(&c, "binlogd.server_id=1", "arg", err, sizeof(err)), 0);
    assert_int_equal(config_set(&c, "upstream.retry_min_ms=50000", "arg", err, sizeof(err)), 0);
    assert_int_equal(config_validate(&c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "retry_min_ms"));
    config_defaults(&c);
    assert_int_equal(config_set(&c, "binlogd.server_id=1", "arg", err, sizeof(err)), 0);
    assert_int_equal(config_set(&c, "upstream.host=h", "arg", err, sizeof(err)), 0);
    assert_int_equal(config_validate(&c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "upstream.user"));
    /* storage.archive_command: %p, %f and %% only; a lone or unknown '%' names the key */
    config_defaults(&c);
    assert_int_equal(config_set(&c, "binlogd.server_id=1", "arg", err, sizeof(err)), 0);
    assert_int_equal(config_set(&c, "storage.archive_command=cp %p /a/%f # 100%%", "arg", err, sizeof(err)), 0);
    assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
    assert_int_equal(config_set(&c, "storage.archive_command=cp %p /a/%F", "arg", err, sizeof(err)), 0);
    assert_int_equal(config_validate(&c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "storage.archive_command: unknown placeholder"));
    assert_int_equal(config_set(&c, "storage.archive_command=cp %p /a/%", "arg", err, sizeof(err)), 0);
    assert_int_equal(config_validate(&c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "at the end"));
    assert_int_equal(config_set(&c, "storage.archive_retry_max_ms=999", "arg", err, sizeof(err)), -1);
    /* storage.restore_command: the same placeholders, the same refusals naming the key */
    config_defaults(&c);
    assert_int_equal(config_set(&c, "binlogd.server_id=1", "arg", err, sizeof(err)), 0);
    assert_int_equal(c.restore_timeout, 600);
    assert_int_equal(c.restore_spool_bytes, 4ULL << 30);
    assert_int_equal(config_set(&c, "storage.restore_command=cp /a/%f %p # 100%%", "arg", err, sizeof(err)), 0);
    assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
    assert_int_equal(config_set(&c, "storage.restore_command=cp /a/%x %p", "arg", err, sizeof(err)), 0);
    assert_int_equal(config_validate(&c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "storage.restore_command: unknown placeholder"));
    assert_int_equal(config_set(&c, "storage.restore_command=cp /a/%f %", "arg", err, sizeof(err)), 0);
    assert_int_equal(config_validate(&c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "storage.restore_command: '%' at the end"));
    assert_int_equal(config_set(&c, "storage.restore_spool_bytes=0", "arg", err, sizeof(err)), -1);
    assert_int_equal(config_set(&c, "storage.restore_spool_bytes=1048576", "arg", err, sizeof(err)), 0);
    assert_int_equal(c.restore_spool_bytes, 1048576);
    assert_int_equal(config_set(&c, "storage.restore_timeout=604801", "arg", err, sizeof(err)), -1);
    assert_int_equal(c.restore_jobs, 2);
    assert_int_equal(config_set(&c, "storage.restore_jobs=0", "arg", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "storage.restore_jobs"));
    assert_int_equal(config_set(&c, "storage.restore_jobs=17", "arg", err, sizeof(err)), -1);
    assert_int_equal(config_set(&c, "storage.restore_jobs=16", "arg", err, sizeof(err)), 0);
    assert_int_equal(c.restore_jobs, 16);
    config_defaults(&c);
    assert_int_equal(config_set(&c, "binlogd.server_id=1", "arg", err, sizeof(err)), 0);
    assert_int_equal(config_set(&c, "user.r.role=replica", "arg", err, sizeof(err)), 0);
    assert_int_equal(config_validate(&c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "user.r.password"));
    /* An empty password: only role monitor (HAProxy's mysql-check logs in without one). */
    assert_int_equal(config_set(&c, "user.r.password=", "arg", err, sizeof(err)), 0);
    assert_int_equal(config_validate(&c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "user.r.password"));
    assert_non_null(strstr(err, "monitor"));
    assert_int_equal(config_set(&c, "user.r.role=admin", "arg", err, sizeof(err)), 0);
    assert_int_equal(config_validate(&c, err, sizeof(err)), -1);
    assert_int_equal(config_set(&c, "user.r.role=monitor", "arg", err, sizeof(err)), 0);
    assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
    assert_int_equal(config_user_find(&c, "r")->role, CONFIG_ROLE_MONITOR);
    assert_string_equal(config_role_name(CONFIG_ROLE_MONITOR), "monitor");
    assert_int_equal(config_set(&c, "user.hc.role=monitor", "arg", err, sizeof(err)), 0);   /* no password key at all */
    assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
    assert_int_equal(config_set(&c, "user.hc.role=Monitor", "arg", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "monitor"));
}

static void collect(void *arg, const char *line)
{
    char *buf = arg;
    strcat(buf, line);
    strcat(buf, "\n");
}

static void test_dump_masks_secrets(void **state)
{
    (void)state;
    struct config c;
    char err[256];
    static char out[16384];
    out[0] = 0;
    config_defaults(&c);
    assert_int_equal(config_set(&c, "upstream.password=hunter2", "a", err, sizeof(err)), 0);
    assert_int_equal(config_set(&c, "user.r.password=opensesame", "a", err, sizeof(err)), 0);
    config_dump(&c, collect, out);
    assert_null(strstr(out, "hunter2"));
    assert_null(strstr(out, "opensesame"));
    assert_non_null(strstr(out, "storage.sync = trx"));
    assert_non_null(strstr(out, "user.r.role = replica"));
}

static void collect_report(void *arg, const char *name, enum config_change what)
{
    char *buf = arg;
    strcat(buf, what == CONFIG_APPLIED ? "applied " : "restart ");
    strcat(buf, name);
    strcat(buf, "\n");
}

/* Reload: runtime options and accounts are copied, the others named and kept. */
static void test_apply_runtime(void **state)
{
    (void)state;
    static struct config live, next;
    char err[256];
    static char out[4096];
    out[0] = 0;
    config_defaults(&live);
    assert_int_equal(config_set(&live, "binlogd.listen=127.0.0.1:3307", "a", err, sizeof(err)), 0);
    assert_int_equal(config_set(&live, "user.repl.password=old", "a", err, sizeof(err)), 0);
    assert_int_equal(config_set(&live, "user.gone.password=x", "a", err, sizeof(err)), 0);
    next = live;
    assert_int_equal(config_set(&next, "binlogd.listen=127.0.0.1:3308", "a", err, sizeof(err)), 0);
    assert_int_equal(config_set(&next, "binlogd.server_id=99", "a", err, sizeof(err)), 0);
    assert_int_equal(config_set(&next, "binlogd.log_level=debug", "a", err, sizeof(err)), 0);
    assert_int_equal(config_set(&next, "binlogd.log_file=/tmp/x.log", "a", err, sizeof(err)), 0);
    assert_int_equal(config_set(&next, "upstream.heartbeat_ms=1500", "a", err, sizeof(err)), 0);
    assert_int_equal(config_set(&next, "user.repl.password=new", "a", err, sizeof(err)), 0);
    assert_int_equal(config_set(&next, "user.ops.password=o", "a", err, sizeof(err)), 0);
    assert_int_equal(config_set(&next, "user.ops.role=admin", "a", err, sizeof(err)), 0);
    /* drop "gone": rebuild next's table without it */
    next.users[1] = next.users[2];
    next.n_users = 2;
    size_t n = config_apply_runtime(&live, &next, collect_report, out);
    assert_non_null(strstr(out, "restart binlogd.listen\n"));
    assert_non_null(strstr(out, "restart binlogd.server_id\n"));
    assert_non_null(strstr(out, "applied binlogd.log_level\n"));
    assert_non_null(strstr(out, "applied binlogd.log_file\n"));
    assert_non_null(strstr(out, "applied upstream.heartbeat_ms\n"));
    assert_non_null(strstr(out, "applied user.repl\n"));
    assert_non_null(strstr(out, "applied user.ops (added)\n"));
    assert_non_null(strstr(out, "applied user.gone (removed)\n"));
    assert_null(strstr(out, "new"));   /* never a value */
    assert_int_equal(n, 6);
    assert_int_equal(live.listen_port, 3307);
    assert_int_equal(live.server_id, 0);
    assert_int_equal(live.log_level, CONFIG_LOG_DEBUG);
    assert_string_equal(live.log_file, "/tmp/x.log");
    assert_int_equal(live.up_heartbeat_ms, 1500);
    assert_string_equal(config_user_find(&live, "repl")->password, "new");
    assert_int_equal(config_user_find(&live, "ops")->role, CONFIG_ROLE_ADMIN);
    assert_null(config_user_find(&live, "gone"));
    /* the same again: nothing to report */
    out[0] = 0;
    next = live;
    assert_int_equal(config_apply_runtime(&live, &next, collect_report, out), 0);
    assert_string_equal(out, "");
}

/* [tls] and user.NAME.require_tls: parsing, the checks that refuse TLS that cannot be had,
 * dump, and reload (all runtime). */
static void test_tls_options(void **state)
{
    (void)state;
    static struct config c, next;
    char err[256];
    static char out[16384];
    config_defaults(&c);
    assert_int_equal(config_set(&c, "binlogd.server_id=1", "a", err, sizeof(err)), 0);
    assert_int_equal(c.tls_cert[0], 0);
    assert_int_equal(c.tls_require, 0);
    char *p = write_tmp("[tls]\ncert = /etc/b/cert.pem\nkey = /etc/b/key.pem\nca = /etc/b/ca.pem\nrequire = on\n"
                        "[user.adm]\npassword = x\nrole = admin\nrequire_tls = yes\n[user.r]\npassword=y\nrequire_tls=off\n");
    assert_int_equal(config_load_file(&c, p, err, sizeof(err)), 0);
    unlink(p);
    assert_string_equal(c.tls_cert, "/etc/b/cert.pem");
    assert_string_equal(c.tls_key, "/etc/b/key.pem");
    assert_string_equal(c.tls_ca, "/etc/b/ca.pem");
    assert_int_equal(c.tls_require, 1);
    assert_int_equal(config_user_find(&c, "adm")->require_tls, 1);
    assert_int_equal(config_user_find(&c, "r")->require_tls, 0);
    assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
    out[0] = 0;
    config_dump(&c, collect, out);
    assert_non_null(strstr(out, "tls.require = on\n"));
    assert_non_null(strstr(out, "user.adm.require_tls = on\n"));
    assert_null(strstr(out, "user.r.require_tls"));
    /* malformed values */
    assert_int_equal(config_set(&c, "tls.require=maybe", "cli", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "tls.require"));
    assert_int_equal(config_set(&c, "user.adm.require_tls=2", "cli", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "user.adm.require_tls"));
    assert_int_equal(config_set(&c, "user.adm.require_tls=", "cli", err, sizeof(err)), -1);
    assert_int_equal(config_set(&c, "user.adm.require_ssl=on", "cli", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "require_tls"));
    assert_int_equal(config_set(&c, "tls.verify=on", "cli", err, sizeof(err)), -1);
    char longv[CONFIG_STR_MAX + 16];
    memset(longv, 'a', sizeof(longv));
    memcpy(longv, "tls.cert=", 9);
    longv[sizeof(longv) - 1] = 0;
    assert_int_equal(config_set(&c, longv, "cli", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "too long"));
    /* TLS that cannot be had is refused at load */
    next = c;
    assert_int_equal(config_set(&next, "tls.key=", "cli", err, sizeof(err)), 0);
    assert_int_equal(config_validate(&next, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "tls.cert and tls.key"));
    next = c;
    assert_int_equal(config_set(&next, "tls.cert=", "cli", err, sizeof(err)), 0);
    assert_int_equal(config_set(&next, "tls.key=", "cli", err, sizeof(err)), 0);
    assert_int_equal(config_validate(&next, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "tls.ca"));
    assert_int_equal(config_set(&next, "tls.ca=", "cli", err, sizeof(err)), 0);
    assert_int_equal(config_validate(&next, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "tls.require"));
    assert_int_equal(config_set(&next, "tls.require=off", "cli", err, sizeof(err)), 0);
    assert_int_equal(config_validate(&next, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "user.adm.require_tls"));
    assert_int_equal(config_set(&next, "user.adm.require_tls=off", "cli", err, sizeof(err)), 0);
    assert_int_equal(config_validate(&next, err, sizeof(err)), 0);
    /* reload: every TLS option and the account flag apply at runtime */
    next = c;
    assert_int_equal(config_set(&next, "tls.cert=/etc/b/new.pem", "a", err, sizeof(err)), 0);
    assert_int_equal(config_set(&next, "tls.require=off", "a", err, sizeof(err)), 0);
    assert_int_equal(config_set(&next, "user.r.require_tls=on", "a", err, sizeof(err)), 0);
    out[0] = 0;
    assert_int_equal(config_apply_runtime(&c, &next, collect_report, out), 3);
    assert_non_null(strstr(out, "applied tls.cert\n"));
    assert_non_null(strstr(out, "applied tls.require\n"));
    assert_non_null(strstr(out, "applied user.r\n"));
    assert_string_equal(c.tls_cert, "/etc/b/new.pem");
    assert_int_equal(c.tls_require, 0);
    assert_int_equal(config_user_find(&c, "r")->require_tls, 1);
}

/* --help and the sample name every option of the table, and the sample is a valid file. */
/* The failover list: the candidates, then the configured upstream unless listed (any spelling
 * ingest reads: host alone means port 3306); nothing without candidates; a list that does not
 * fit keeps the candidates alone. */
static void test_failover_list(void **state)
{
    (void)state;
    struct config c;
    config_defaults(&c);
    char out[64], err[256];
    assert_int_equal(config_set(&c, "upstream.host=db1", "t", err, sizeof(err)), 0);
    assert_int_equal(config_failover_list(&c, out, sizeof(out)), 0);
    assert_string_equal(out, "");   /* no candidates: no automatic failover at all */
    assert_int_equal(config_set(&c, "upstream.candidates=db2:3307, db3", "t", err, sizeof(err)), 0);
    assert_int_equal(config_failover_list(&c, out, sizeof(out)), 0);
    assert_string_equal(out, "db2:3307, db3,db1:3306");
    assert_int_equal(config_set(&c, "upstream.candidates=db2:3307,db1", "t", err, sizeof(err)), 0);
    assert_int_equal(config_failover_list(&c, out, sizeof(out)), 0);
    assert_string_equal(out, "db2:3307,db1");   /* listed already (3306 by default) */
    assert_int_equal(config_set(&c, "upstream.port=3310", "t", err, sizeof(err)), 0);
    assert_int_equal(config_failover_list(&c, out, sizeof(out)), 0);
    assert_string_equal(out, "db2:3307,db1,db1:3310");   /* another port: another server */
    char small[16];
    assert_int_equal(config_failover_list(&c, small, sizeof(small)), -1);
    assert_string_equal(small, "db2:3307,db1");
}

static void test_doc_lists_every_option(void **state)
{
    (void)state;
    static char help[65536], sample[65536], line[600];
    help[0] = sample[0] = 0;
    config_doc_help(collect, help);
    config_doc_sample(collect, sample);
    struct config_option o;
    size_t i;
    for (i = 0; config_option_info(i, &o) == 0; i++) {
        snprintf(line, sizeof(line), "--%s=", o.name);
        assert_non_null(strstr(help, line));
        snprintf(line, sizeof(line), "\n# %s =", strchr(o.name, '.') + 1);
        assert_non_null(strstr(sample, line));
    }
    assert_int_equal(i, config_option_count());
    assert_true(i > 20);
    char *p = write_tmp(sample);
    static struct config c;
    char err[256];
    config_defaults(&c);
    assert_int_equal(config_load_file(&c, p, err, sizeof(err)), 0);
    unlink(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_need_server_id),
        cmocka_unit_test(test_file_and_override),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_cli_errors),
        cmocka_unit_test(test_dump_masks_secrets),
        cmocka_unit_test(test_upstream_tls_options),
        cmocka_unit_test(test_apply_runtime),
        cmocka_unit_test(test_tls_options),
        cmocka_unit_test(test_doc_lists_every_option),
        cmocka_unit_test(test_failover_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
