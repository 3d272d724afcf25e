/*
 * Byte-range bookkeeping for one file being downloaded over several
 * connections (like aria2c's -x/-s pieces), and its control file.
 *
 * A segment is [start, end) of the file; `done` counts the bytes from
 * start that are written to the partial file.  The transfer engine
 * writes data with pwrite() first and only then advances `done`, and the
 * control file is replaced only after the data file was fdatasync'd, so
 * a control file never claims a byte the partial file does not hold: a
 * kill -9 at any moment and a re-run continue from the bytes on disk.
 *
 * Control file (JSON, a few hundred bytes, replaced atomically by
 * tmp + rename):
 *   {"v":1,"size":N,"etag":"<etag>","segs":[[start,end,done],...]}
 *
 * Who frees: segmap_destroy() (accepts NULL).
 */
#ifndef CN_SEGMENT_H
#define CN_SEGMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Segments are at least this big (besides the last bytes of a file). */
#define SEG_MIN_DEFAULT		(8ULL << 20)

struct seg {
	uint64_t	 start;
	uint64_t	 end;		/* exclusive */
	uint64_t	 done;		/* bytes durable-ish from start */
	int		 busy;		/* a connection owns it, also while
					 * waiting to retry (not saved) */
	uint64_t	 reserved;	/* end of the request in flight, or 0:
					 * a split never cuts below it (not
					 * saved) */
};

struct segmap {
	uint64_t	 size;
	struct seg	*segs;		/* sorted by start, disjoint, covering
					 * [0, size) */
	size_t		 nsegs;
	size_t		 cap;
};

/*
 * A fresh map for a file of size bytes split into at most max_conns
 * segments of at least min_seg bytes (one segment when the file is
 * smaller than 2 * min_seg).  A zero-byte file gets one empty segment.
 */
int	segmap_create(uint64_t size, unsigned max_conns, uint64_t min_seg,
	    struct segmap **out);
void	segmap_destroy(struct segmap *m);

/* Bytes written so far, over all segments. */
uint64_t segmap_done(const struct segmap *m);
/* Length of the written prefix [0, n) with no hole. */
uint64_t segmap_prefix(const struct segmap *m);
bool	segmap_complete(const struct segmap *m);
/* Offset where segment i continues. */
static inline uint64_t
seg_pos(const struct seg *s)
{
	return s->start + s->done;
}
static inline uint64_t
seg_left(const struct seg *s)
{
	return s->end - s->start - s->done;
}

/*
 * Index of the first idle segment with bytes left (file order: the
 * digest follows the prefix), or -1.
 */
long	segmap_next_idle(const struct segmap *m);

/*
 * Work stealing: split the busy segment with the most bytes left beyond
 * its in-flight request (reserved) so a free connection can take them:
 * from reserved on (the running request is never cut short, and pieces
 * go out in file order), or the second half of what is left when no
 * request is in flight.  Only when that part is at least min_seg.  On success *idx is the new (idle) segment's index;
 * indexes of segments after it shift by one.  Returns CN_OK,
 * CN_ERR_NOT_FOUND (nothing worth splitting) or CN_ERR_NOMEM.
 */
int	segmap_split(struct segmap *m, uint64_t min_seg, size_t *idx);

/*
 * The endgame's cut: segment i ends at `at` (seg_pos < at < end) and
 * [at, end) becomes a new idle segment, *idx.  A request in flight past
 * `at` stops there (its connection is closed: the cost of a cut).
 * CN_OK, CN_ERR_NOT_FOUND (at outside the part left), CN_ERR_NOMEM.
 */
int	segmap_cut(struct segmap *m, size_t i, uint64_t at, size_t *idx);

/*
 * Merge neighbouring finished segments so the map (and control file)
 * stays short.  Never touches busy segments.
 */
void	segmap_compact(struct segmap *m);

/*
 * Collapse to one segment [0, size) whose done is the current prefix:
 * for a server that ignores Range, the only offset it can serve is
 * "from 0, skip what is already there".  Bytes past the prefix are
 * fetched again.
 */
void	segmap_collapse(struct segmap *m);

/* Encode/decode the control file body (malloc'd string / new map). */
char	*segmap_encode(const struct segmap *m, const char *etag);
int	segmap_decode(const char *buf, size_t len, uint64_t size,
	    const char *etag, struct segmap **out);

/*
 * Replace path atomically with the encoded map (tmp + rename; fsync of
 * the file and directory when durable is true).  The caller fdatasyncs
 * the data file first when durable.
 */
int	segmap_save(const struct segmap *m, const char *etag, const char *path,
	    bool durable);
/*
 * The engine's periodic save: with durable, fdatasync data_fd first (so
 * the control file never claims a byte the disk has not got), merge
 * finished neighbours so the file stays a few lines long, then
 * segmap_save().
 */
int	segmap_checkpoint(struct segmap *m, const char *etag, const char *path,
	    int data_fd, bool durable);
/*
 * Load path for a file of size bytes and this etag, and clamp every
 * segment's done to data_len, the partial file's length on disk (the
 * data might have been lost while the control file survived).  Returns
 * CN_ERR_NOT_FOUND when path does not exist, CN_ERR_PARSE when it is
 * unreadable or for another file.
 */
int	segmap_load(const char *path, uint64_t size, const char *etag,
	    uint64_t data_len, struct segmap **out);

/*
 * Index of the segment starting at start, or -1.  Connections remember
 * their segment by start: split and compact move indexes, but never the
 * start of a busy segment.
 */
long	segmap_find(const struct segmap *m, uint64_t start);

/* Clamp every segment so start + done <= len. */
void	segmap_clamp(struct segmap *m, uint64_t len);

#endif
