/* Unit tests for the error range and its libssh2 translation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <libssh2.h>

#include "error.h"
#include "ssh_error.h"

static void
test_every_code_has_a_message(void **state)
{
	int r;

	(void)state;
	for (r = CN_ERR_MIN; r < 0; r++) {
		if (r == CN_ERR_SYSTEM)
			continue;
		assert_string_not_equal(cn_strerror(r), "unknown error");
	}
	assert_string_equal(cn_strerror(CN_OK), "success");
	assert_string_equal(cn_strerror(CN_ERR_MIN - 1), "unknown error");
	assert_string_equal(cn_strerror(1), "unknown error");
}

static void
test_libssh2_translation(void **state)
{
	static const struct { int in, out; } cases[] = {
		{ 0, CN_OK },
		{ LIBSSH2_ERROR_EAGAIN, CN_ERR_AGAIN },
		{ LIBSSH2_ERROR_AUTHENTICATION_FAILED, CN_ERR_AUTH },
		{ LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED, CN_ERR_AUTH },
		{ LIBSSH2_ERROR_TIMEOUT, CN_ERR_TIMEOUT },
		{ LIBSSH2_ERROR_SOCKET_DISCONNECT, CN_ERR_CONNECT },
		{ LIBSSH2_ERROR_KEX_FAILURE, CN_ERR_PROTOCOL },
		{ LIBSSH2_ERROR_CHANNEL_FAILURE, CN_ERR_SSH },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(cn_err_from_libssh2(cases[i].in), cases[i].out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_code_has_a_message),
		cmocka_unit_test(test_libssh2_translation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
