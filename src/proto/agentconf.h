/* agentconf.h — a group's agent.conf as JSON, the way Wazuh's framework
 * (core/configuration.py: get_agent_conf, _agentconf2json, _conf2json,
 * _read_option, _insert, _insert_section) presents it.  Pure: no I/O.
 */
#ifndef VIGIL_AGENTCONF_H
#define VIGIL_AGENTCONF_H

#include <stddef.h>

#include <jansson.h>

#define AGENTCONF_DEPTH_MAX 64

/*
 * agentconf_to_json: the len bytes of an agent.conf (XML, possibly several
 * root elements) as {"total_affected_items": n, "affected_items": [{"filters":
 * {attributes of <agent_config>}, "config": {section: ...}}]}: blocks with the
 * same filters are merged; sections Wazuh knows are kept as it keeps them
 * (duplicate: a list, merge: one object, last: the last one) and the others
 * dropped, as Wazuh does; &lt; and &gt; stay as written (Wazuh's custom
 * entities), the other entities are decoded.  A new reference, or NULL when
 * the text is not well-formed XML (Wazuh: 1101), nests deeper than
 * AGENTCONF_DEPTH_MAX, or memory runs out.
 */
json_t *agentconf_to_json(const char *xml, size_t len);

#endif
