/*
 * Job events: one JSON object per line, written by cnorch-agent into
 * jobs/<id>/events.jsonl and read back by cnorch (DESIGN.md, "Events").
 * Every line has "ts" (unix seconds, float), "job" and "event"; readers
 * ignore fields they do not know so the format can grow.
 */
#ifndef CN_EVENT_H
#define CN_EVENT_H

#include <stddef.h>
#include <jansson.h>

/*
 * Encode one event as a single line ending in '\n'.  fields (may be NULL)
 * is borrowed and its keys are copied after ts/job/event.  Returns a
 * malloc'd string the caller frees, or NULL on allocation failure.
 */
char *event_encode(double ts, const char *job, const char *event,
    json_t *fields);

/*
 * Parse one line (without or with its '\n').  On success *out holds a new
 * reference to the object, which has at least a numeric "ts" and string
 * "job" and "event".  Returns CN_OK or CN_ERR_PARSE.
 */
int event_parse(const char *line, size_t len, json_t **out);

/* Current wall-clock time as unix seconds with sub-second precision. */
double event_now(void);

#endif
