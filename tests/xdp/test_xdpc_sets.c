/* SPDX-License-Identifier: MIT */
/*
 * The loader's bookkeeping. Its id set (ebpf/idset.c) against a plain
 * array of flags: random adds, value updates and removes of few ids in a
 * small table, so probe runs collide, wrap around the end and get holes
 * punched in them. Its meter slot allocator (ebpf/slots.c): when a slot
 * is free at once, when only after a grace period, and rebuilding.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "idset.h"
#include "slots.h"

#define IDS	200u
#define OPS	200000u

static void test_matches_reference(void **state)
{
	static const uint32_t caps[] = { 8, 64, 100, 1000 };
	uint64_t rng = 0x2545f4914f6cdd1dull;

	(void)state;
	for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
		uint32_t val[IDS + 1], n = 0;
		uint8_t ref[IDS + 1];
		struct idset s;

		memset(ref, 0, sizeof(ref));
		assert_int_equal(idset_init(&s, caps[c]), 0);
		for (uint32_t op = 0; op < OPS; op++) {
			uint32_t id;

			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			/* ids 1..IDS, at most caps[c] present */
			id = (uint32_t)(rng >> 20) % IDS + 1;
			if ((rng >> 8) & 3 && n < caps[c]) {
				if ((rng >> 10) & 1) {
					assert_int_equal(idset_add(&s, id), !ref[id]);
					if (!ref[id])
						val[id] = 0;
				} else {
					val[id] = (uint32_t)(rng >> 32);
					assert_int_equal(idset_put(&s, id, val[id]), !ref[id]);
				}
				n += !ref[id];
				ref[id] = 1;
			} else {
				assert_int_equal(idset_del(&s, id), ref[id]);
				n -= ref[id];
				ref[id] = 0;
			}
			assert_int_equal(s.n, n);
			if (op % 97 == 0)
				for (uint32_t i = 1; i <= IDS; i++) {
					uint32_t v;

					assert_int_equal(idset_has(&s, i), ref[i]);
					assert_int_equal(idset_get(&s, i, &v), ref[i]);
					if (ref[i])
						assert_int_equal(v, val[i]);
				}
		}
		assert_false(idset_has(&s, 0));
		assert_int_equal(idset_add(&s, 0), 0);
		assert_int_equal(idset_put(&s, 0, 1), -1);
		idset_clear(&s);
		assert_int_equal(s.n, 0);
		assert_false(idset_has(&s, 1));
		idset_free(&s);
	}
}

static void test_slots_lifecycle(void **state)
{
	struct slots s;
	uint32_t a;

	(void)state;
	assert_int_equal(slots_init(&s, 3), 0);
	for (uint32_t i = 0; i < 3; i++) {
		assert_int_equal(slots_take(&s, &a), 0);
		assert_int_equal(a, i);			/* lowest first */
	}
	assert_int_equal(slots_take(&s, &a), -ENOSPC);
	/* named by the active version only: pending until a grace period */
	slots_unref(&s, 1, 1);
	assert_int_equal(slots_take(&s, &a), -EAGAIN);
	slots_grace_done(&s);
	assert_int_equal(slots_take(&s, &a), 0);
	assert_int_equal(a, 1);
	/* named by both versions: free only when neither does */
	slots_ref(&s, 2);
	slots_unref(&s, 2, 1);
	assert_int_equal(slots_take(&s, &a), -ENOSPC);
	slots_unref(&s, 2, 0);				/* the inactive one: at once */
	assert_int_equal(slots_take(&s, &a), 0);
	assert_int_equal(a, 2);
	/* out of range and extra unrefs change nothing */
	slots_ref(&s, 7);
	slots_unref(&s, 7, 0);
	/* rebuilt: only slot 1 named */
	slots_reset(&s);
	slots_ref(&s, 1);
	slots_settle(&s);
	assert_int_equal(slots_take(&s, &a), 0);
	assert_int_equal(a, 0);
	assert_int_equal(slots_take(&s, &a), 0);
	assert_int_equal(a, 2);
	assert_int_equal(slots_take(&s, &a), -ENOSPC);
	slots_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches_reference),
		cmocka_unit_test(test_slots_lifecycle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
