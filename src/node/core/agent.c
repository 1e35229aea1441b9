/* agent.c — small helpers over struct agent. */
#include "node/core/agent.h"

#include <stdio.h>
#include <strings.h>

static const char *const agent_status_names[] = {
	[AGENT_NEVER_CONNECTED] = "never_connected",
	[AGENT_PENDING] = "pending",
	[AGENT_ACTIVE] = "active",
	[AGENT_DISCONNECTED] = "disconnected",
};

const char *
agent_status_name(int status)
{
	if (status < 0 || status > AGENT_DISCONNECTED)
		return "unknown";
	return agent_status_names[status];
}

int
agent_status_parse(const char *s)
{
	int i;

	for (i = 0; i <= AGENT_DISCONNECTED; i++)
		if (strcasecmp(s, agent_status_names[i]) == 0)
			return i;
	return -1;
}

void
agent_id_format(unsigned int id, char *out, size_t cap)
{
	snprintf(out, cap, "%03u", id);
}
