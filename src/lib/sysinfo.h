/* sysinfo.h — what a Linux host tells about itself: an agent in its keepalive, the
 * manager as agent 000. */
#ifndef VIGIL_SYSINFO_H
#define VIGIL_SYSINFO_H

#include <stddef.h>

#include "proto/control.h"

/*
 * sysinfo_parse_os_release: from the text of /etc/os-release, the NAME, ID
 * and VERSION values (quotes removed) as Wazuh's get_unix_version reads
 * them; VERSION_ID stands in for a missing VERSION.  Missing values become
 * "".  Never fails; fields are truncated to their caps.
 */
void sysinfo_parse_os_release(const char *buf, size_t len, char *name, size_t namecap,
    char *platform, size_t platcap, char *version, size_t vercap);

/*
 * sysinfo_fill: zeroes ai, then sets os_uname ("sysname |node |release
 * |version |machine" from uname(2), node replaced by nodename when not
 * NULL), os_name/os_platform/os_version from /etc/os-release, os_arch,
 * version ("Wazuh v" + version) and merged_sum "x".
 */
void sysinfo_fill(struct agent_info *ai, const char *nodename, const char *version);

/*
 * sysinfo_describe: the OS fields of raw (os_uname, os_name, os_platform,
 * os_version, os_arch as sysinfo_fill sets them) as Wazuh keeps them for a
 * host: the uname line "<uname> [<name>|<platform>: <version>]" that
 * getuname() builds, parsed as remoted parses an agent's, which also gives
 * os_major, os_minor and os_codename.  Pure.  0, or -1 when the line does not
 * fit (out is then zeroed).
 */
int sysinfo_describe(const struct agent_info *raw, struct agent_info *out);

/* sysinfo_config_sum: md5 hex of the configuration text into ai->config_sum. */
void sysinfo_config_sum(struct agent_info *ai, const char *config_text);

#endif
