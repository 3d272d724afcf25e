/* Unit tests for segment bookkeeping and control files (remote/segment.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "segment.h"

#define MiB (1ULL << 20)

/* Segments tile [0, size) in order. */
static void
assert_tiles(const struct segmap *m)
{
	uint64_t at = 0;
	size_t i;

	for (i = 0; i < m->nsegs; i++) {
		assert_int_equal(m->segs[i].start, at);
		assert_true(m->segs[i].end >= m->segs[i].start);
		assert_true(m->segs[i].done <= m->segs[i].end - m->segs[i].start);
		at = m->segs[i].end;
	}
	assert_int_equal(at, m->size);
}

static const struct {
	uint64_t	 size;
	unsigned	 conns;
	uint64_t	 min;
	size_t		 nsegs;
} split_cases[] = {
	{ 0, 8, 8 * MiB, 1 },			/* empty file: one empty seg */
	{ 100, 8, 8 * MiB, 1 },
	{ 15 * MiB, 8, 8 * MiB, 1 },		/* < 2 segments: one conn */
	{ 16 * MiB, 8, 8 * MiB, 2 },
	{ 1024 * MiB, 8, 8 * MiB, 8 },		/* capped by conns */
	{ 40 * MiB, 8, 8 * MiB, 5 },		/* capped by min size */
	{ 1024 * MiB, 1, 8 * MiB, 1 },
	{ 3 * MiB + 7, 4, 1 * MiB, 3 },		/* remainder in the last */
};

static void
test_create(void **state)
{
	struct segmap *m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(split_cases) / sizeof(split_cases[0]); i++) {
		assert_int_equal(segmap_create(split_cases[i].size,
		    split_cases[i].conns, split_cases[i].min, &m), CN_OK);
		assert_int_equal(m->nsegs, split_cases[i].nsegs);
		assert_tiles(m);
		assert_int_equal(segmap_done(m), 0);
		assert_int_equal(segmap_prefix(m), 0);
		assert_int_equal(segmap_complete(m), split_cases[i].size == 0);
		segmap_destroy(m);
	}
	segmap_destroy(NULL);
}

static void
test_prefix_and_done(void **state)
{
	struct segmap *m;

	(void)state;
	assert_int_equal(segmap_create(32 * MiB, 4, 8 * MiB, &m), CN_OK);
	assert_int_equal(m->nsegs, 4);
	/* Out of order progress: the prefix waits for segment 0. */
	m->segs[1].done = 8 * MiB;
	m->segs[2].done = 1000;
	assert_int_equal(segmap_done(m), 8 * MiB + 1000);
	assert_int_equal(segmap_prefix(m), 0);
	m->segs[0].done = 8 * MiB;
	/* 0 and 1 full: the prefix runs into segment 2. */
	assert_int_equal(segmap_prefix(m), 16 * MiB + 1000);
	assert_false(segmap_complete(m));
	m->segs[2].done = 8 * MiB;
	m->segs[3].done = 8 * MiB;
	assert_true(segmap_complete(m));
	assert_int_equal(segmap_prefix(m), 32 * MiB);
	segmap_destroy(m);
}

static void
test_next_idle_and_find(void **state)
{
	struct segmap *m;

	(void)state;
	assert_int_equal(segmap_create(32 * MiB, 4, 8 * MiB, &m), CN_OK);
	assert_int_equal(segmap_next_idle(m), 0);
	m->segs[0].busy = 1;
	assert_int_equal(segmap_next_idle(m), 1);
	m->segs[1].done = 8 * MiB;	/* full: skipped */
	assert_int_equal(segmap_next_idle(m), 2);
	m->segs[2].busy = m->segs[3].busy = 1;
	assert_int_equal(segmap_next_idle(m), -1);
	assert_int_equal(segmap_find(m, 16 * MiB), 2);
	assert_int_equal(segmap_find(m, 24 * MiB), 3);
	assert_int_equal(segmap_find(m, 0), 0);
	assert_int_equal(segmap_find(m, 5), -1);
	segmap_destroy(m);
}

static void
test_split(void **state)
{
	struct segmap *m;
	size_t idx;

	(void)state;
	assert_int_equal(segmap_create(64 * MiB, 1, 8 * MiB, &m), CN_OK);
	/* Nothing busy: nothing to steal from. */
	assert_int_equal(segmap_split(m, 8 * MiB, &idx), CN_ERR_NOT_FOUND);
	m->segs[0].busy = 1;
	m->segs[0].done = 16 * MiB;
	assert_int_equal(segmap_split(m, 8 * MiB, &idx), CN_OK);
	assert_int_equal(idx, 1);
	assert_int_equal(m->nsegs, 2);
	/* Half of what is left (48 MiB) after the current position. */
	assert_int_equal(m->segs[1].start, 40 * MiB);
	assert_int_equal(m->segs[0].end, 40 * MiB);
	assert_int_equal(m->segs[1].busy, 0);
	assert_tiles(m);

	/* The piece in flight is never cut: split beyond reserved. */
	m->segs[1].busy = 1;
	m->segs[1].reserved = 40 * MiB + 20 * MiB;
	m->segs[0].reserved = 40 * MiB;	/* seg 0 asked for all it has */
	assert_int_equal(segmap_split(m, 4 * MiB, &idx), CN_OK);
	assert_int_equal(idx, 2);
	assert_int_equal(m->segs[2].start, 60 * MiB);
	assert_int_equal(m->segs[2].end, 64 * MiB);
	assert_int_equal(m->segs[1].end, 60 * MiB);
	assert_tiles(m);
	/* Too small to split any more. */
	m->segs[2].busy = 1;
	m->segs[2].reserved = 64 * MiB;
	assert_int_equal(segmap_split(m, 4 * MiB, &idx), CN_ERR_NOT_FOUND);
	segmap_destroy(m);
}

static void
test_compact_and_collapse(void **state)
{
	struct segmap *m;

	(void)state;
	assert_int_equal(segmap_create(32 * MiB, 4, 8 * MiB, &m), CN_OK);
	m->segs[0].done = 8 * MiB;
	m->segs[1].done = 3 * MiB;
	m->segs[3].done = 1 * MiB;
	segmap_compact(m);
	/* 0 (full) merges into 1; 2 is empty and stays; 3 stays. */
	assert_int_equal(m->nsegs, 3);
	assert_int_equal(m->segs[0].start, 0);
	assert_int_equal(m->segs[0].done, 11 * MiB);
	assert_tiles(m);
	assert_int_equal(segmap_done(m), 12 * MiB);

	/* A server without Range: one segment from the prefix. */
	segmap_collapse(m);
	assert_int_equal(m->nsegs, 1);
	assert_int_equal(m->segs[0].done, 11 * MiB);
	assert_int_equal(m->segs[0].end, 32 * MiB);
	assert_tiles(m);

	/* Busy segments are left alone. */
	segmap_destroy(m);
	assert_int_equal(segmap_create(32 * MiB, 4, 8 * MiB, &m), CN_OK);
	m->segs[0].done = 8 * MiB;
	m->segs[0].busy = 1;
	segmap_compact(m);
	assert_int_equal(m->nsegs, 4);
	segmap_destroy(m);
}

static void
test_encode_decode(void **state)
{
	struct segmap *m, *n;
	char *s;
	size_t i;

	(void)state;
	assert_int_equal(segmap_create(100 * MiB + 3, 8, 8 * MiB, &m), CN_OK);
	for (i = 0; i < m->nsegs; i++)
		m->segs[i].done = i * 1000;
	assert_non_null(s = segmap_encode(m, "abc123"));
	assert_int_equal(segmap_decode(s, strlen(s), 100 * MiB + 3, "abc123",
	    &n), CN_OK);
	assert_int_equal(n->nsegs, m->nsegs);
	for (i = 0; i < m->nsegs; i++) {
		assert_int_equal(n->segs[i].start, m->segs[i].start);
		assert_int_equal(n->segs[i].end, m->segs[i].end);
		assert_int_equal(n->segs[i].done, m->segs[i].done);
		assert_int_equal(n->segs[i].busy, 0);
	}
	segmap_destroy(n);
	n = NULL;
	/* Another file's control file is not trusted. */
	assert_int_equal(segmap_decode(s, strlen(s), 100 * MiB, "abc123", &n),
	    CN_ERR_PARSE);
	assert_null(n);
	assert_int_equal(segmap_decode(s, strlen(s), 100 * MiB + 3, "abc124",
	    &n), CN_ERR_PARSE);
	free(s);
	segmap_destroy(m);
}

static void
test_decode_rejects(void **state)
{
	static const char *bad[] = {
		"",
		"{",
		"[]",
		"{\"v\":2,\"size\":10,\"etag\":\"e\",\"segs\":[[0,10,0]]}",
		"{\"v\":1,\"size\":10,\"etag\":\"e\",\"segs\":[]}",
		/* a hole */
		"{\"v\":1,\"size\":10,\"etag\":\"e\",\"segs\":[[0,4,0],[5,10,0]]}",
		/* overlap */
		"{\"v\":1,\"size\":10,\"etag\":\"e\",\"segs\":[[0,6,0],[5,10,0]]}",
		/* short of the size */
		"{\"v\":1,\"size\":10,\"etag\":\"e\",\"segs\":[[0,9,0]]}",
		/* done beyond its segment */
		"{\"v\":1,\"size\":10,\"etag\":\"e\",\"segs\":[[0,10,11]]}",
		"{\"v\":1,\"size\":10,\"etag\":\"e\",\"segs\":[[0,10,-1]]}",
		"{\"v\":1,\"size\":10,\"etag\":\"e\",\"segs\":[[0,\"10\",0]]}",
	};
	struct segmap *m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m = NULL;
		assert_int_equal(segmap_decode(bad[i], strlen(bad[i]), 10, "e",
		    &m), CN_ERR_PARSE);
		assert_null(m);
	}
}

static void
test_save_load_resume(void **state)
{
	char dir[] = "/tmp/test_segment.XXXXXX", path[128];
	struct segmap *m, *n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/x.incomplete.cnorch", dir);
	assert_int_equal(segmap_load(path, 10, "e", 0, &n), CN_ERR_NOT_FOUND);

	assert_int_equal(segmap_create(64 * MiB, 4, 8 * MiB, &m), CN_OK);
	m->segs[0].done = 10 * MiB;
	m->segs[1].done = 16 * MiB;	/* full */
	m->segs[2].done = 5 * MiB;
	m->segs[3].done = 1 * MiB;
	assert_int_equal(segmap_save(m, "e", path, false), CN_OK);
	assert_int_equal(segmap_save(m, "e", path, true), CN_OK);

	/* The data file holds everything: resume where we were. */
	assert_int_equal(segmap_load(path, 64 * MiB, "e", 64 * MiB, &n), CN_OK);
	assert_int_equal(segmap_done(n), 32 * MiB);
	assert_int_equal(seg_pos(&n->segs[2]), 37 * MiB);
	assert_int_equal(segmap_prefix(n), 10 * MiB);
	segmap_destroy(n);

	/* The data file is shorter than the control file claims (lost in
	 * a crash): never count bytes that are not there. */
	assert_int_equal(segmap_load(path, 64 * MiB, "e", 34 * MiB, &n), CN_OK);
	assert_int_equal(n->segs[0].done, 10 * MiB);
	assert_int_equal(n->segs[1].done, 16 * MiB);
	assert_int_equal(n->segs[2].done, 2 * MiB);
	assert_int_equal(n->segs[3].done, 0);
	segmap_destroy(n);
	assert_int_equal(segmap_load(path, 64 * MiB, "e", 0, &n), CN_OK);
	assert_int_equal(segmap_done(n), 0);
	segmap_destroy(n);

	/* No temporary file left behind: the control file is the only
	 * entry, so the directory empties with it. */
	snprintf(path, sizeof(path), "%s/.x.incomplete.cnorch.tmp%ld", dir,
	    (long)getpid());
	assert_int_not_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/x.incomplete.cnorch", dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
	segmap_destroy(m);
}

/* The endgame's cut: the owner keeps [pos, at), a new idle segment
 * gets [at, end); nothing outside the part left can be cut. */
static void
test_cut(void **state)
{
	struct segmap *m = NULL;
	size_t idx = 0;

	(void)state;

	assert_int_equal(segmap_create(16 * MiB, 1, 8 * MiB, &m), CN_OK);
	m->segs[0].busy = 1;
	m->segs[0].done = 4 * MiB;
	m->segs[0].reserved = 12 * MiB;
	/* at or before the write position, at or past the end: refused */
	assert_int_equal(segmap_cut(m, 0, 4 * MiB, &idx), CN_ERR_NOT_FOUND);
	assert_int_equal(segmap_cut(m, 0, 16 * MiB, &idx), CN_ERR_NOT_FOUND);
	assert_int_equal(segmap_cut(m, 3, 8 * MiB, &idx), CN_ERR_INVALID);
	/* inside the request in flight (reserved 12 MiB) */
	assert_int_equal(segmap_cut(m, 0, 10 * MiB, &idx), CN_OK);
	assert_int_equal(idx, 1);
	assert_int_equal(m->nsegs, 2);
	assert_tiles(m);
	assert_int_equal(m->segs[0].end, 10 * MiB);
	assert_int_equal(m->segs[0].done, 4 * MiB);
	assert_int_equal(m->segs[0].busy, 1);
	assert_int_equal(m->segs[1].start, 10 * MiB);
	assert_int_equal(m->segs[1].done, 0);
	assert_int_equal(m->segs[1].busy, 0);
	assert_int_equal(segmap_next_idle(m), 1);
	assert_int_equal(segmap_done(m), 4 * MiB);
	segmap_destroy(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_prefix_and_done),
		cmocka_unit_test(test_next_idle_and_find),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_compact_and_collapse),
		cmocka_unit_test(test_encode_decode),
		cmocka_unit_test(test_decode_rejects),
		cmocka_unit_test(test_save_load_resume),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
