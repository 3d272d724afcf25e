/* The agent's version line: its own version and its libraries' (agent_version.h). */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>

#include "agent_version.h"

void
agent_print_version(FILE *fp)
{
	fprintf(fp, "cnorch-agent %s (%s, jansson/%s)\n", CN_VERSION,
	    curl_version(), jansson_version_str());
}
