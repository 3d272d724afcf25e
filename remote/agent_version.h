/* Version strings of cnorch-agent and the libraries linked into it. */
#ifndef CN_AGENT_VERSION_H
#define CN_AGENT_VERSION_H

#include <stdio.h>

/* Print "cnorch-agent X (libcurl/… OpenSSL/… jansson …)" to fp. */
void agent_print_version(FILE *fp);

#endif
