/* main.c — vigilctl: a command-line client of Vigil's (Wazuh v4) REST API. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "ctl/client.h"
#include "ctl/cmd.h"
#include "ctl/opts.h"

int
main(int argc, char **argv)
{
	struct ctl_opts o;
	struct client c;
	char err[256];
	int rc;

	/* A closed pipe (vigilctl agents list | head) ends us quietly. */
	signal(SIGPIPE, SIG_DFL);
	if (opts_parse(argc, argv, &o, err, sizeof(err)) == -1) {
		fprintf(stderr, "vigilctl: %s\n%s", err, opts_usage);
		opts_free(&o);
		return CTL_EXIT_USAGE;
	}
	if (o.cmd == CMD_HELP) {
		fputs(opts_usage, stdout);
		opts_free(&o);
		return CTL_EXIT_OK;
	}
	if ((rc = client_setup(&c, &o)) == CTL_EXIT_OK) {
		switch (o.cmd) {
		case CMD_LOGIN:
			if ((rc = client_login(&c)) == CTL_EXIT_OK)
				printf("Logged in to %s as %s; the token is stored in %s/token.\n",
				    c.conf.url, c.conf.user, c.dir[0] ? c.dir : "(nowhere)");
			break;
		case CMD_AGENTS_LIST:
			rc = cmd_agents_list(&c);
			break;
		case CMD_AGENTS_RESTART:
			rc = cmd_agents_restart(&c);
			break;
		case CMD_AGENTS_IMPORT:
			rc = cmd_agents_import(&c);
			break;
		case CMD_CLUSTER_NODES:
			rc = cmd_cluster_nodes(&c);
			break;
		case CMD_CLUSTER_HEALTH:
			rc = cmd_cluster_health(&c);
			break;
		case CMD_JOBS_LIST:
			rc = cmd_jobs_list(&c);
			break;
		case CMD_JOBS_SHOW:
			rc = cmd_jobs_show(&c);
			break;
		case CMD_JOBS_CANCEL:
			rc = cmd_jobs_cancel(&c);
			break;
		case CMD_TOP:
			rc = cmd_top(&c);
			break;
		default:
			rc = CTL_EXIT_USAGE;
			break;
		}
	}
	client_free(&c);
	opts_free(&o);
	if (fflush(stdout) == EOF && rc == CTL_EXIT_OK)
		rc = CTL_EXIT_API;
	return rc;
}
