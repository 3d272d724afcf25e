/* The event line format both sides read and write (event.h). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "event.h"

double
event_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

char *
event_encode(double ts, const char *job, const char *event, json_t *fields)
{
	json_t *o = NULL;
	const char *k;
	json_t *v;
	char *s = NULL, *line = NULL;
	size_t n;

	if ((o = json_object()) == NULL)
		goto out;
	/* Fixed keys first so a human tail -f reads well. */
	if (json_object_set_new(o, "ts", json_real(ts)) != 0 ||
	    json_object_set_new(o, "job", json_string(job ? job : "")) != 0 ||
	    json_object_set_new(o, "event", json_string(event)) != 0)
		goto out;
	if (fields != NULL) {
		json_object_foreach(fields, k, v) {
			if (strcmp(k, "ts") == 0 || strcmp(k, "job") == 0 ||
			    strcmp(k, "event") == 0)
				continue;
			if (json_object_set(o, k, v) != 0)
				goto out;
		}
	}
	if ((s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER |
	    JSON_REAL_PRECISION(16))) == NULL)
		goto out;
	n = strlen(s);
	if ((line = malloc(n + 2)) == NULL)
		goto out;
	memcpy(line, s, n);
	line[n] = '\n';
	line[n + 1] = '\0';
 out:
	free(s);
	json_decref(o);
	return line;
}

int
event_parse(const char *line, size_t len, json_t **out)
{
	json_t *o;

	*out = NULL;
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if ((o = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return CN_ERR_PARSE;
	if (!json_is_object(o) || !json_is_number(json_object_get(o, "ts")) ||
	    !json_is_string(json_object_get(o, "job")) ||
	    !json_is_string(json_object_get(o, "event"))) {
		json_decref(o);
		return CN_ERR_PARSE;
	}
	*out = o;
	return CN_OK;
}
