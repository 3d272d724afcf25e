/* The transfer engine's libcurl callbacks: response headers, the check
 * of the first body byte's response, and writing the body to its file. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "http.h"
#include "transfer_int.h"

static int64_t
parse_i64(const char *s, const char **end)
{
	char *e;
	long long v;

	errno = 0;
	v = strtoll(s, &e, 10);
	if (e == s || errno != 0 || v < 0) {
		*end = s;
		return -1;
	}
	*end = e;
	return v;
}

size_t
xfer_on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct conn *c = arg;
	size_t n = size * nmemb;
	char line[256];
	const char *p, *q;

	if (n >= sizeof(line))
		return n;	/* not a header we read */
	memcpy(line, data, n);
	line[n] = '\0';
	/* Each response of a redirect chain starts anew. */
	if (strncmp(line, "HTTP/", 5) == 0) {
		c->cr_start = c->cr_end = c->cr_total = c->clen = -1;
		c->retry_after = -1;
		c->rl_reset = c->rl_window = -1;
		return n;
	}
	if (strncasecmp(line, "Content-Range:", 14) == 0) {
		p = line + 14;
		while (*p == ' ')
			p++;
		if (strncasecmp(p, "bytes ", 6) != 0)
			return n;
		p += 6;
		c->cr_start = parse_i64(p, &q);
		if (*q != '-')
			return n;
		c->cr_end = parse_i64(q + 1, &q);
		if (*q != '/')
			return n;
		c->cr_total = q[1] == '*' ? -1 : parse_i64(q + 1, &q);
	} else if (strncasecmp(line, "Content-Length:", 15) == 0) {
		c->clen = parse_i64(line + 15 + strspn(line + 15, " "), &q);
	} else if (strncasecmp(line, "X-Linked-Size:", 14) == 0) {
		c->linked_size = parse_i64(line + 14 + strspn(line + 14, " "),
		    &q);
	} else if (strncasecmp(line, "X-Linked-Etag:", 14) == 0) {
		p = line + 14 + strspn(line + 14, " ");
		if (*p == '"')
			p++;
		if (strspn(p, "0123456789abcdefABCDEF") == 64)
			snprintf(c->linked_etag, sizeof(c->linked_etag),
			    "%.64s", p);
	} else if (strncasecmp(line, "Retry-After:", 12) == 0) {
		c->retry_after = http_parse_retry_after(line + 12 +
		    strspn(line + 12, " "));
	} else if (strncasecmp(line, "RateLimit:", 10) == 0) {
		/* r=0: the budget is spent until t seconds from now. */
		if (ratelimit_param(line + 10, "r") == 0)
			c->rl_reset = ratelimit_param(line + 10, "t");
	} else if (strncasecmp(line, "RateLimit-Policy:", 17) == 0) {
		c->rl_window = ratelimit_param(line + 17, "w");
	}
	return n;
}

/* Accept or refuse the response the first body byte belongs to. */
static bool
check_response(struct conn *c)
{
	struct xfile *f = c->f;
	uint64_t size = f->pf->size;
	long redirects = 0;
	char *eff = NULL;

	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &c->status);
	if (c->status < 200 || c->status >= 300)
		return true;	/* error body: discarded, status decides */
	/* The resolve hop names the file it redirects to (hf-mirror's Xet
	 * bridge: X-Linked-Size, X-Linked-Etag = sha256): another size or
	 * sha256 than listed is another file, whatever the bridge sends. */
	if ((c->linked_size >= 0 && (uint64_t)c->linked_size != size) ||
	    (c->linked_etag[0] != '\0' && f->pf->lfs &&
	    f->pf->sha256[0] != '\0' &&
	    strcasecmp(c->linked_etag, f->pf->sha256) != 0)) {
		snprintf(c->proto_msg, sizeof(c->proto_msg),
		    "the resolve hop names another file (X-Linked-Size %"
		    PRId64 ", X-Linked-Etag %.12s...) than listed (%" PRIu64
		    " bytes, sha256 %.12s...)", c->linked_size,
		    c->linked_etag[0] ? c->linked_etag : "-", size,
		    f->pf->sha256[0] ? f->pf->sha256 : "-");
		c->why = STOP_PROTO;
		return false;
	}
	if (c->status == 200) {
		if (c->ranged) {
			c->why = STOP_NORANGE;
			return false;
		}
		if (c->clen >= 0 && (uint64_t)c->clen != size) {
			snprintf(c->proto_msg, sizeof(c->proto_msg),
			    "wrong content length %" PRId64 " (expected %"
			    PRIu64 ")", c->clen, size);
			c->why = STOP_PROTO;
			return false;
		}
		c->req_end = size;
	} else if (c->status == 206 && c->ranged && c->cr_start < 0 &&
	    c->cr_end < 0 && (c->clen < 0 ||
	    (uint64_t)c->clen == c->req_end - c->req_off)) {
		/* A 206 without Content-Range (some mirrors, hf-hub issue
		 * 132): taken as the range asked when its length (if any)
		 * agrees; more bytes than asked are refused below, and the
		 * whole file's sha256 is the judge. */
		;
	} else if (c->status == 206 && c->ranged) {
		if (c->cr_start < 0 || (uint64_t)c->cr_start != c->req_off ||
		    c->cr_end < c->cr_start || (uint64_t)c->cr_end >= size ||
		    (c->cr_total >= 0 && (uint64_t)c->cr_total != size) ||
		    (c->clen >= 0 && c->clen != c->cr_end - c->cr_start + 1)) {
			snprintf(c->proto_msg, sizeof(c->proto_msg),
			    "wrong Content-Range %" PRId64 "-%" PRId64 "/%"
			    PRId64 " (length %" PRId64 ") for offset %" PRIu64
			    " of %" PRIu64, c->cr_start, c->cr_end,
			    c->cr_total, c->clen, c->req_off, size);
			c->why = STOP_PROTO;
			return false;
		}
		c->req_end = (uint64_t)c->cr_end + 1;
	} else {
		snprintf(c->proto_msg, sizeof(c->proto_msg),
		    "unexpected HTTP %ld", c->status);
		c->why = STOP_PROTO;
		return false;
	}
	/* Reuse the redirect target (the CDN) for the other segments:
	 * fewer requests against the mirror's budget. */
	curl_easy_getinfo(c->h, CURLINFO_REDIRECT_COUNT, &redirects);
	if (redirects > 0 && f->src[c->src].cdn_url == NULL &&
	    curl_easy_getinfo(c->h, CURLINFO_EFFECTIVE_URL, &eff) == CURLE_OK &&
	    eff != NULL)
		f->src[c->src].cdn_url = strdup(eff);
	return true;
}

size_t
xfer_on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct conn *c = arg;
	struct xfile *f = c->f;
	struct engine *e = c->e;
	size_t n = size * nmemb, total = n, m, w;
	struct seg *s;
	uint64_t pos;
	ssize_t k;
	long i;

	if (!c->checked) {
		if (!check_response(c))
			return 0;
		c->checked = true;
	}
	if (c->status < 200 || c->status >= 300) {
		c->got += n;
		if (c->got > ERRBODY_MAX) {
			c->why = STOP_ERRBODY;
			return 0;
		}
		return n;
	}
	c->last_byte = mono();
	c->win_bytes += n;
	c->got += n;
	f->fetched += n;
	e->st->bytes_fetched += n;
	if (c->skip > 0) {
		m = c->skip < n ? (size_t)c->skip : n;
		c->skip -= m;
		data += m;
		n -= m;
		if (n == 0)
			return total;
	}
	if ((i = segmap_find(f->map, c->seg_start)) < 0)
		return 0;
	s = &f->map->segs[i];
	pos = seg_pos(s);
	m = seg_left(s) < n ? (size_t)seg_left(s) : n;
	if (!f->no_range && c->req_end > pos && c->req_end - pos < m)
		m = (size_t)(c->req_end - pos);
	for (w = 0; w < m; w += (size_t)k) {
		k = pwrite(f->fd, data + w, m - w, (off_t)(pos + w));
		if (k < 0 && errno == EINTR) {
			k = 0;
			continue;
		}
		if (k <= 0) {
			c->werrno = k < 0 ? errno : EIO;
			c->why = STOP_WRITE;
			return 0;
		}
	}
	/* Only now is the byte counted: it is in the file. */
	s->done += m;
	f->dirty = true;
	f->src[c->src].bytes += m;
	if (m > 0) {
		c->fails = 0;
		f->src[c->src].fails = 0;
	}
	if (seg_left(s) == 0 && (m < n || c->req_end > s->end)) {
		/* Our segment was split and the rest belongs to another
		 * connection. */
		c->why = STOP_CUT;
		return 0;
	}
	if (m < n) {
		snprintf(c->proto_msg, sizeof(c->proto_msg),
		    "server sent more than the %" PRIu64 " bytes asked",
		    c->req_end - c->req_off);
		c->why = STOP_PROTO;
		return 0;
	}
	return total;
}
