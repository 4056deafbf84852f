/* config_doc.c - see config_doc.h. */
#include "conf/config_doc.h"

#include <stdio.h>
#include <string.h>

#include "conf/config.h"

void config_doc_help(void (*emit)(void *arg, const char *line), void *arg)
{
    char line[2 * CONFIG_STR_MAX];
    struct config_option o;
    emit(arg, "Options (in the file: [section] then key = value; on the command line: --section.key=value,");
    emit(arg, "which overrides the file). \"reload\": SIGHUP applies a changed value; the others need a restart.");
    for (size_t i = 0; config_option_info(i, &o) == 0; i++) {
        snprintf(line, sizeof(line), "  --%s=VALUE  (default: %s%s%s)%s", o.name, o.default_is_text ? "" : "\"",
                 o.default_value, o.default_is_text ? "" : "\"", o.runtime ? " reload" : "");
        emit(arg, line);
        snprintf(line, sizeof(line), "        %s", o.help);
        emit(arg, line);
    }
    emit(arg, "  --user.NAME.password=PW  an account replicas and admins log in with (plaintext or \"*HEX\"");
    emit(arg, "        mysql_native_password hash) reload");
    emit(arg, "  --user.NAME.role=ROLE  replica | admin (default: replica) reload");
}

void config_doc_sample(void (*emit)(void *arg, const char *line), void *arg)
{
    char line[2 * CONFIG_STR_MAX], section[64] = "";
    struct config_option o;
    emit(arg, "# binlogd configuration. Generated from binlogd's option table (binlogd --print-sample-config):");
    emit(arg, "# every option is listed, commented out at its default. Uncomment and change what you need.");
    emit(arg, "# Options marked \"reload\" take a new value on SIGHUP (systemctl reload binlogd); the others");
    emit(arg, "# are read at start only (a reload names them in the log and keeps the running value).");
    for (size_t i = 0; config_option_info(i, &o) == 0; i++) {
        const char *dot = strchr(o.name, '.');
        size_t sl = dot ? (size_t)(dot - o.name) : 0;
        if (sl && (strlen(section) != sl || strncmp(section, o.name, sl))) {
            snprintf(section, sizeof(section), "%.*s", (int)sl, o.name);
            emit(arg, "");
            snprintf(line, sizeof(line), "[%s]", section);
            emit(arg, line);
        }
        emit(arg, "");
        snprintf(line, sizeof(line), "# %s%s", o.help, o.runtime ? " (reload)" : "");
        emit(arg, line);
        if (o.default_is_text) snprintf(line, sizeof(line), "# %s =    (default: %s)", dot ? dot + 1 : o.name, o.default_value);
        else if (o.default_value[0]) snprintf(line, sizeof(line), "# %s = %s", dot ? dot + 1 : o.name, o.default_value);
        else snprintf(line, sizeof(line), "# %s =", dot ? dot + 1 : o.name);
        emit(arg, line);
    }
    emit(arg, "");
    emit(arg, "# Accounts replicas and admins log in with: one [user.NAME] section each (reload: sessions");
    emit(arg, "# already logged in keep going, new logins use the new table).");
    emit(arg, "# [user.repl]");
    emit(arg, "# password = secret    (plaintext, or mysql_native_password's \"*HEX\" hash)");
    emit(arg, "# role = replica       (replica | admin)");
}
