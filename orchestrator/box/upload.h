/*
 * upload: put this cnorch's payload (cnorch-agent, setup-china-mirrors.sh,
 * SHA256SUMS) at ~/.cnorch/payload/<payload_id>/ on the box, only when it
 * is not there yet.  Files go over SCP into a temporary directory
 * .tmp-<id>-<random> beside it, are checked with `sha256sum -c` on the box
 * and the directory is renamed into place (rename(2) is atomic), mode 0700.
 * A payload directory that is there but does not check is replaced.
 * Temporary directories older than ten minutes, left by killed runs, are
 * removed on the way.
 *
 * Who frees: messages through char **msg are malloc'd; the caller frees.
 */
#ifndef CN_UPLOAD_H
#define CN_UPLOAD_H

#include <stdbool.h>

struct session;

/* The box scripts, malloc'd (NULL on ENOMEM): make the private payload
 * directories and the temporary tmp (an absolute path on the box),
 * removing stale temporaries; check tmp and rename it into place as
 * payload_id's directory. */
char	*upload_prepare_script(const char *tmp);
char	*upload_commit_script(const char *tmp, const char *payload_id);

/*
 * Upload unless p says the payload is present.  *changed is set when
 * files were sent.  home is the box's $HOME (absolute: SCP paths are not
 * expanded).  Returns CN_OK or CN_ERR_* with an unprefixed message.
 */
int	upload_payload(struct session *s, const char *home,
	    bool present, bool *changed, char **msg);

#endif
