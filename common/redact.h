/*
 * Credentials out of URLs before they are shown or written anywhere:
 * the "user:pass@" of "scheme://user:pass@host/x" becomes "***@".  One helper
 * for both binaries (the inventory's url_redact() and the agent's job
 * files, events and messages).  Implemented in redact.c.
 */
#ifndef CN_REDACT_H
#define CN_REDACT_H

/*
 * A malloc'd copy of the URL s with its "user:pass@" (or "user@") part
 * replaced by "***@"; an unchanged copy when it carries none.  NULL for
 * NULL or out of memory.  The caller frees.
 */
char	*cn_url_redact(const char *s);

/*
 * The same for every URL inside a line of text (an error message naming
 * a URL in quotes, a JSON string): each "://" whose authority holds an
 * '@' loses what precedes it.  malloc'd, NULL for NULL or out of memory.
 */
char	*cn_redact_text(const char *s);

#endif
