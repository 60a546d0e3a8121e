/*
 * test_case.c - cases through the public API (cv_case_open/list/find/show/
 * close/reopen/share/handover/shred, cv_user_reset): who may open and read
 * a case (R3) and the 'denied' rows of every refusal, each refusal's
 * status and reason code (and the log detail it leaves), unknown ids,
 * input validation that writes nothing, the duplicate-student warning, closing rules (R4),
 * crypto proof that ciphertexts and sealed keys moved with the sqlite3
 * library no longer open, handover and passphrase reset that lose nothing,
 * shredding (R10) that leaves no key or ciphertext on disk, and a whole
 * counselor's day after which the vault's bytes hold no plaintext.
 */
#define FIXTURE_TAG "case"
#include "case_fixture.h"
#include "access.h"
#include "keyholder.h"
#include "recovery.h"

/* Fails unless err holds status st and reason code want. */
#define assert_code(e, st, want)                                                                   \
	do {                                                                                       \
		assert_int_equal((e).status, (st));                                                \
		if (strcmp((e).code, (want)) != 0)                                                 \
			fail_msg("code '%s', want '%s' (%s)", (e).code, (want), (e).msg);          \
	} while (0)

/* Fails unless st is CV_ENOTFOUND "agent.none" (no agent runs). */
#define assert_code_none(st, e)                                                                    \
	do {                                                                                       \
		assert_int_equal((st), CV_ENOTFOUND);                                              \
		assert_code((e), CV_ENOTFOUND, "agent.none");                                      \
	} while (0)

/* Audit rows of this actor, action and outcome on case_id whose detail is
 * exactly detail. */
static int64_t detail_rows(const char *path, const char *actor, const char *action,
			   const char *outcome, const char *case_id, const char *detail)
{
	sqlite3 *db = raw_open(path, SQLITE_OPEN_READONLY);
	sqlite3_stmt *s = NULL;
	char object[32];
	int64_t n = -1;

	snprintf(object, sizeof(object), "case:%s", case_id);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT count(*) FROM audit WHERE actor = ?1 AND"
					    " action = ?2 AND outcome = ?3 AND object = ?4 AND"
					    " detail = ?5",
					    -1, &s, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(s, 1, actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, outcome, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, object, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, detail, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

/* Whether the file at path holds the bytes needle (0 when it is absent). */
static int file_has(const char *path, const void *needle, size_t n)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf;
	long size;
	int found;

	if (!fp)
		return 0;
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	size = ftell(fp);
	assert_true(size >= 0);
	rewind(fp);
	buf = malloc((size_t)size + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)size, fp), (size_t)size);
	fclose(fp);
	found = memmem(buf, (size_t)size, needle, n) != NULL;
	free(buf);
	return found;
}

static int on_disk(const char *path, const void *needle, size_t n)
{
	static const char *const suffix[] = {"", "-wal", "-journal"};
	char p[256];

	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
		if (file_has(p, needle, n))
			return 1;
	}
	return 0;
}

/* Fails when the vault file, its -wal or -journal holds needle. */
static void assert_not_on_disk(const char *path, const void *needle, size_t n, const char *what)
{
	static const char *const suffix[] = {"", "-wal", "-journal"};
	char p[256];

	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
		if (file_has(p, needle, n))
			fail_msg("'%s' holds %s", p, what);
	}
}

static void note_ok(cv_session *s, const char *case_id, const char *kind, const char *text,
		    char id[CV_CASE_ID_MAX])
{
	cv_err err = {0};

	if (cv_note_add(s, case_id, kind, text, strlen(text), NULL, id, &err) != CV_OK)
		fail_msg("note add failed: %s", err.msg);
	assert_id_shape(id, 'N', 6);
}

static void final_note(cv_session *s, const char *case_id, const char *kind, const char *text,
		       char id[CV_CASE_ID_MAX])
{
	cv_err err = {0};

	note_ok(s, case_id, kind, text, id);
	if (cv_note_finalize(s, id, &err) != CV_OK)
		fail_msg("note finalize failed: %s", err.msg);
}

/* What cv_note_show delivered. */
struct note_read {
	int calls;
	char text[512];
	size_t len;
	int signature_ok;
};

static int note_cb(const cv_note_info *n, void *arg)
{
	struct note_read *r = arg;

	r->calls++;
	assert_non_null(n->text);
	r->len = n->text_len;
	snprintf(r->text, sizeof(r->text), "%.*s", (int)n->text_len, n->text);
	r->signature_ok = n->signature_ok;
	return 0;
}

static cv_status note_read(cv_session *s, const char *id, struct note_read *r, cv_err *err)
{
	memset(r, 0, sizeof(*r));
	return cv_note_show(s, id, note_cb, r, err);
}

static void assert_note_text(cv_session *s, const char *id, const char *text)
{
	struct note_read r;
	cv_err err = {0};

	if (note_read(s, id, &r, &err) != CV_OK)
		fail_msg("note show '%s' failed: %s", id, err.msg);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.len, strlen(text));
	assert_string_equal(r.text, text);
}

/* What cv_case_show, cv_case_list and cv_case_find delivered. */
struct shown {
	int cases;
	struct {
		char id[CV_CASE_ID_MAX];
		char status[16];
		char name[64];
		char student_id[32];
		char class_name[32];
		char phone[32];
		char opened_by[CV_NAME_MAX + 1];
		char closed_at[32];
		int minor;
	} c[8];
	int notes;
	char note_ids[8][CV_CASE_ID_MAX];
};

static int case_cb(const cv_case_info *c, void *arg)
{
	struct shown *w = arg;

	if (w->cases < 8) {
		snprintf(w->c[w->cases].id, sizeof(w->c[0].id), "%s", c->id);
		snprintf(w->c[w->cases].status, sizeof(w->c[0].status), "%s", c->status);
		snprintf(w->c[w->cases].name, sizeof(w->c[0].name), "%s", c->name);
		snprintf(w->c[w->cases].student_id, sizeof(w->c[0].student_id), "%s",
			 c->student_id);
		snprintf(w->c[w->cases].class_name, sizeof(w->c[0].class_name), "%s",
			 c->class_name);
		snprintf(w->c[w->cases].phone, sizeof(w->c[0].phone), "%s", c->guardian_phone);
		snprintf(w->c[w->cases].opened_by, sizeof(w->c[0].opened_by), "%s", c->opened_by);
		snprintf(w->c[w->cases].closed_at, sizeof(w->c[0].closed_at), "%s", c->closed_at);
		w->c[w->cases].minor = c->minor;
	}
	w->cases++;
	return 0;
}

static int show_note_cb(const cv_note_info *n, void *arg)
{
	struct shown *w = arg;

	assert_null(n->text); /* lists never carry note text */
	if (w->notes < 8)
		snprintf(w->note_ids[w->notes], CV_CASE_ID_MAX, "%s", n->id);
	w->notes++;
	return 0;
}

static cv_status show(cv_session *s, const char *id, struct shown *w, cv_err *err)
{
	cv_case_visitor vis = {.on_case = case_cb, .on_note = show_note_cb};

	memset(w, 0, sizeof(*w));
	return cv_case_show(s, id, 0, NULL, &vis, w, err);
}

static cv_status list(cv_session *s, int all, struct shown *w, cv_err *err)
{
	memset(w, 0, sizeof(*w));
	return cv_case_list(s, all, case_cb, w, err);
}

static cv_status find(cv_session *s, const char *sid, struct shown *w, cv_err *err)
{
	memset(w, 0, sizeof(*w));
	return cv_case_find(s, sid, case_cb, w, err);
}

static int shown_has(const struct shown *w, const char *id)
{
	for (int i = 0; i < w->cases && i < 8; i++)
		if (strcmp(w->c[i].id, id) == 0)
			return 1;
	return 0;
}

/* ---- opening ------------------------------------------------------------------ */

static void test_open_by_counselor(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	cv_case_input in = student("S-2024-0117", "Zhang Wei");
	char id[CV_CASE_ID_MAX];
	struct shown w;
	cv_err err = {0};
	int dup = -1;

	in.born = "2011-05-04";
	assert_int_equal(cv_case_open(c, &in, id, &dup, &err), CV_OK);
	assert_id_shape(id, 'C', 5);
	assert_int_equal(dup, 0);
	assert_int_equal(case_rows(f->path, "carol", "case.open", "ok", id), 1);
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM cases WHERE id = '%s'"
			       " AND status = 'open'",
			       id),
			 1);
	/* Sealed to the opener only. */
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM grants WHERE case_id = '%s'", id), 1);

	assert_int_equal(show(c, id, &w, &err), CV_OK);
	assert_int_equal(w.cases, 1);
	assert_string_equal(w.c[0].id, id);
	assert_string_equal(w.c[0].status, "open");
	assert_string_equal(w.c[0].name, "Zhang Wei");
	assert_string_equal(w.c[0].student_id, "S-2024-0117");
	assert_string_equal(w.c[0].class_name, "8-3");
	assert_string_equal(w.c[0].phone, "13800001111");
	assert_string_equal(w.c[0].opened_by, "carol");
	assert_string_equal(w.c[0].closed_at, "");
	assert_int_equal(w.c[0].minor, 1);
	assert_int_equal(case_rows(f->path, "carol", "case.show", "ok", id), 1);
	logout(c);
}

static void test_open_denied_for_supervisor_and_admin(void **state)
{
	struct fix *f = *state;
	const char *who[] = {"sam", "alice"}, *pw[] = {PW_SAM, PW_ALICE};
	cv_case_input in = student("S-1", "Zhang Wei");

	for (int i = 0; i < 2; i++) {
		cv_session *s = login_ok(f->v, who[i], pw[i]);
		char id[CV_CASE_ID_MAX] = "junk";
		cv_err err = {0};
		int dup = -1;

		assert_int_equal(cv_case_open(s, &in, id, &dup, &err), CV_EDENIED);
		assert_int_equal(err.status, CV_EDENIED);
		assert_msg_has(err, "only counselors may use 'case open'");
		assert_string_equal(id, "");
		assert_int_equal(audit_rows(f->path, who[i], "case.open", "denied", "case:new"), 1);
		logout(s);
	}
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM cases"), 0);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM grants"), 0);
}

static void test_open_bad_input(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	static char long_name[260];
	struct {
		const char *what;
		cv_case_input in;
		const char *msg;
		const char *code; /* this module's reason code, or NULL: a field check's */
	} bad[24];
	size_t n = 0;

	memset(long_name, 'a', sizeof(long_name) - 1);
#define BAD(field, value, m, c)                                                                    \
	do {                                                                                       \
		bad[n].what = #field "=" #value;                                                   \
		bad[n].in = student("S-77", "Wang Fang");                                          \
		bad[n].in.field = value;                                                           \
		bad[n].msg = m;                                                                    \
		bad[n].code = c;                                                                   \
		n++;                                                                               \
	} while (0)
	BAD(gender, "female", "gender must be F, M or X", "case.gender-invalid");
	BAD(gender, "f", "gender must be F, M or X", "case.gender-invalid");
	BAD(gender, NULL, "gender must be F, M or X", "case.gender-invalid");
	BAD(grade, 0, "grade must be a number from 1 to 12", "case.grade-invalid");
	BAD(grade, 13, "grade must be a number from 1 to 12", "case.grade-invalid");
	BAD(category, "sadness", "unknown category 'sadness'; use academic, emotion",
	    "case.category-unknown");
	BAD(category, NULL, "unknown category", "case.category-unknown");
	BAD(name, "Wang\tFang", "name has a control character at byte offset 4", NULL);
	BAD(name, "Wang \xff\xfe", "name is not valid UTF-8 (byte offset 5)", NULL);
	BAD(name, "Wang \xc3", "not valid UTF-8", NULL);
	BAD(name, long_name, "the limit is 200", NULL);
	BAD(class_name, "8-3\n", "class has a control character", NULL);
	BAD(student_id, "", "student id is empty", NULL);
	/* Blanks and dashes only: nothing is left to index. */
	BAD(student_id, " - ", "student id is empty; give the school's number",
	    "case.student-id-empty");
	BAD(born, "2010-13-01", "birth date '2010-13-01' is not a date", NULL);
	BAD(born, "2010/01/01", "is not a date", NULL);
	BAD(guardian_phone, "138\x7f", "guardian phone has a control character", NULL);
#undef BAD
	for (size_t i = 0; i < n; i++) {
		char id[CV_CASE_ID_MAX] = "junk";
		cv_err err = {0};
		int dup = -1;
		cv_status st = cv_case_open(c, &bad[i].in, id, &dup, &err);

		if (st != CV_EUSAGE)
			fail_msg("%s: status %d, want usage (%s)", bad[i].what, st, err.msg);
		assert_msg_has(err, bad[i].msg);
		if (bad[i].code)
			assert_code(err, CV_EUSAGE, bad[i].code);
		assert_string_equal(id, "");
	}
	/* Nothing was written but the refusals themselves. */
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM cases"), 0);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM grants"), 0);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM records"), 0);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE action = 'case.open'"
					" AND outcome = 'ok'"),
			 0);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE action = 'case.open'"
					" AND outcome = 'failed' AND actor = 'carol'"),
			 (int64_t)n);
	/* A usage refusal logs its code alone: the arguments may quote what
	 * was typed. */
	assert_int_equal(audit_rows(f->path, "carol", "case.open", "failed", "case:new"),
			 (int64_t)n);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE action = 'case.open'"
					" AND detail = 'case.gender-invalid'"),
			 3);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE action = 'case.open'"
					" AND detail = 'case.category-unknown'"),
			 2);
	assert_int_equal(
	    q_int(f->path, "SELECT count(*) FROM audit WHERE instr(detail, 'sadness')"), 0);
	logout(c);
}

static void test_duplicate_open_warns(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL), *d;
	cv_case_input in = student("S-2024-0117", "Zhang Wei");
	char a[CV_CASE_ID_MAX], b[CV_CASE_ID_MAX], x[CV_CASE_ID_MAX], y[CV_CASE_ID_MAX];
	cv_err err = {0};
	int dup = -1;

	assert_int_equal(cv_case_open(c, &in, a, &dup, &err), CV_OK);
	assert_int_equal(dup, 0);
	/* The same number typed differently is the same student. */
	in.student_id = "s 2024 0117";
	assert_int_equal(cv_case_open(c, &in, b, &dup, &err), CV_OK);
	assert_int_equal(dup, 1);
	assert_string_not_equal(a, b);
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM audit WHERE action = 'case.open'"
			       " AND object = 'case:%s'"
			       " AND detail = 'duplicate=1'",
			       b),
			 1);
	/* Another student: no warning. */
	in.student_id = "S-2024-0118";
	assert_int_equal(cv_case_open(c, &in, x, &dup, &err), CV_OK);
	assert_int_equal(dup, 0);
	logout(c);
	/* The warning counts every open case of the student, whoever opened it. */
	d = login_ok(f->v, "dave", PW_DAVE);
	in.student_id = "S20240117";
	assert_int_equal(cv_case_open(d, &in, y, &dup, &err), CV_OK);
	assert_int_equal(dup, 2);
	logout(d);
}

/* ---- reading: list, find, show, share ------------------------------------------ */

static void test_list_and_find_only_granted(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	cv_session *d = login_ok(f->v, "dave", PW_DAVE);
	char a[CV_CASE_ID_MAX], b[CV_CASE_ID_MAX], x[CV_CASE_ID_MAX];
	struct shown w;
	cv_err err = {0};

	open_new(c, "S-100", "Chen Jing", a);
	open_new(c, "S-200", "Liu Yang", b);
	open_new(d, "S-100", "Chen Jing", x);

	assert_int_equal(list(c, 0, &w, &err), CV_OK);
	assert_int_equal(w.cases, 2);
	assert_true(shown_has(&w, a) && shown_has(&w, b));
	assert_int_equal(list(d, 0, &w, &err), CV_OK);
	assert_int_equal(w.cases, 1);
	assert_string_equal(w.c[0].id, x);
	assert_string_equal(w.c[0].name, "Chen Jing");

	assert_int_equal(find(c, "s-100", &w, &err), CV_OK);
	assert_int_equal(w.cases, 1);
	assert_string_equal(w.c[0].id, a);
	assert_int_equal(find(d, "S100", &w, &err), CV_OK);
	assert_int_equal(w.cases, 1);
	assert_string_equal(w.c[0].id, x);
	assert_int_equal(find(d, "S-200", &w, &err), CV_OK);
	assert_int_equal(w.cases, 0);
	assert_int_equal(find(c, "S-999", &w, &err), CV_OK);
	assert_int_equal(w.cases, 0);
	assert_int_equal(find(c, "", &w, &err), CV_EUSAGE);

	/* Shared: now dave finds both cases of the student. */
	assert_int_equal(cv_case_share(c, a, "dave", &err), CV_OK);
	assert_int_equal(find(d, "S-100", &w, &err), CV_OK);
	assert_int_equal(w.cases, 2);
	assert_true(shown_has(&w, a) && shown_has(&w, x));
	assert_int_equal(list(d, 0, &w, &err), CV_OK);
	assert_int_equal(w.cases, 2);
	logout(c);
	logout(d);

	/* Supervisors and admins list and find nothing. */
	{
		const char *who[] = {"sam", "alice"}, *pw[] = {PW_SAM, PW_ALICE};

		for (int i = 0; i < 2; i++) {
			cv_session *s = login_ok(f->v, who[i], pw[i]);

			assert_int_equal(list(s, 1, &w, &err), CV_EDENIED);
			assert_int_equal(find(s, "S-100", &w, &err), CV_EDENIED);
			assert_int_equal(w.cases, 0);
			assert_int_equal(
			    audit_rows(f->path, who[i], "case.list", "denied", "cases"), 1);
			assert_int_equal(
			    audit_rows(f->path, who[i], "case.find", "denied", "cases"), 1);
			logout(s);
		}
	}
}

/* What cv_agent_case_ids and cv_access_granted_clear gave. */
struct ids_seen {
	size_t n;
	char id[4][CV_CASE_ID_MAX];
	char status[4][12];
};

static int see_id(const char *id, const char *status, void *arg)
{
	struct ids_seen *w = arg;

	if (w->n < 4) {
		snprintf(w->id[w->n], sizeof(w->id[0]), "%s", id);
		snprintf(w->status[w->n], sizeof(w->status[0]), "%s", status);
	}
	w->n++;
	return 0;
}

/* The state seen for id, or "" when it was not given. */
static const char *seen_state(const struct ids_seen *w, const char *id)
{
	for (size_t i = 0; i < w->n && i < 4; i++)
		if (strcmp(w->id[i], id) == 0)
			return w->status[i];
	return "";
}

/* Case ids for completion: only the user's granted cases, with their
 * state, from clear columns, nothing logged; through the agent only
 * while the user's agent runs. */
static void test_case_ids_for_completion(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	cv_session *d = login_ok(f->v, "dave", PW_DAVE);
	char a[CV_CASE_ID_MAX], b[CV_CASE_ID_MAX], x[CV_CASE_ID_MAX], run[TEST_PATH_MAX];
	struct ids_seen w = {0};
	cv_agent_info info;
	cv_err err = {0};
	int64_t rows;

	open_new(c, "S-100", "Chen Jing", a);
	open_new(c, "S-200", "Liu Yang", b);
	open_new(d, "S-300", "Wang Fang", x);
	logout(d);
	snprintf(run, sizeof(run), "%s/run", f->dir);
	assert_int_equal(mkdir(run, 0700), 0);
	assert_int_equal(setenv("XDG_RUNTIME_DIR", run, 1), 0);
	rows = q_int(f->path, "SELECT count(*) FROM audit");

	assert_int_equal(cv_access_granted_clear(f->v, "carol", see_id, &w, &err), CV_OK);
	assert_int_equal(w.n, 2);
	assert_string_equal(seen_state(&w, a), "open");
	assert_string_equal(seen_state(&w, b), "open");
	memset(&w, 0, sizeof(w));
	assert_int_equal(cv_access_granted_clear(f->v, "dave", see_id, &w, &err), CV_OK);
	assert_int_equal(w.n, 1);
	assert_string_equal(w.id[0], x);
	memset(&w, 0, sizeof(w));
	assert_int_equal(cv_access_granted_clear(f->v, "sam", see_id, &w, &err), CV_OK);
	assert_int_equal(w.n, 0);
	assert_int_equal(cv_access_granted_clear(f->v, "nobody", see_id, &w, &err), CV_ENOTFOUND);
	raw_sql(f->path, "UPDATE cases SET status = 'closed' WHERE id = '%s'", b);
	memset(&w, 0, sizeof(w));
	assert_int_equal(cv_access_granted_clear(f->v, "carol", see_id, &w, &err), CV_OK);
	assert_string_equal(seen_state(&w, b), "closed");
	raw_sql(f->path, "UPDATE cases SET status = 'open' WHERE id = '%s'", b);

	/* No agent: nothing, though carol has cases. */
	memset(&w, 0, sizeof(w));
	assert_code_none(cv_agent_case_ids(f->v, "carol", see_id, &w, &err), err);
	assert_int_equal(w.n, 0);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit"), rows);

	/* carol unlocked: her cases, and still nothing for dave. */
	assert_int_equal(cv_agent_start(c, f->path, 60, 60, &info, &err), CV_OK);
	rows = q_int(f->path, "SELECT count(*) FROM audit");
	memset(&w, 0, sizeof(w));
	assert_int_equal(cv_agent_case_ids(f->v, "carol", see_id, &w, &err), CV_OK);
	assert_int_equal(w.n, 2);
	assert_string_equal(seen_state(&w, a), "open");
	assert_string_equal(seen_state(&w, b), "open");
	memset(&w, 0, sizeof(w));
	assert_code_none(cv_agent_case_ids(f->v, "dave", see_id, &w, &err), err);
	assert_int_equal(w.n, 0);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit"), rows);

	/* Locked: nothing again. */
	assert_int_equal(cv_agent_lock(f->v, "carol", &err), CV_OK);
	memset(&w, 0, sizeof(w));
	assert_code_none(cv_agent_case_ids(f->v, "carol", see_id, &w, &err), err);
	assert_int_equal(w.n, 0);
	logout(c);
	unsetenv("XDG_RUNTIME_DIR");
}

static void test_unshared_case_denied_until_shared(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	cv_session *d = login_ok(f->v, "dave", PW_DAVE);
	char a[CV_CASE_ID_MAX], n[CV_CASE_ID_MAX];
	struct note_read r;
	struct shown w;
	cv_err err = {0};

	open_new(c, "S-300", "Huang Lei", a);
	consent_all(c, a);
	note_ok(c, a, NULL, "first session", n);

	assert_int_equal(show(d, a, &w, &err), CV_EDENIED);
	assert_msg_has(err, "is not shared with 'dave'");
	assert_code(err, CV_EDENIED, "case.not-shared");
	{
		char want[160], detail[64];

		snprintf(want, sizeof(want),
			 "case '%s' is not shared with 'dave'; a counselor on the case can share "
			 "it with 'casevault case share %s dave'",
			 a, a);
		assert_string_equal(err.msg, want);
		/* A refusal that names only ids and users keeps its arguments. */
		snprintf(detail, sizeof(detail), "case.not-shared [\"%s\",\"dave\"]", a);
		assert_int_equal(detail_rows(f->path, "dave", "case.show", "denied", a, detail), 1);
	}
	assert_int_equal(w.cases, 0);
	assert_int_equal(case_rows(f->path, "dave", "case.show", "denied", a), 1);
	assert_int_equal(note_read(d, n, &r, &err), CV_EDENIED);
	assert_int_equal(r.calls, 0);
	assert_int_equal(case_rows(f->path, "dave", "note.show", "denied", a), 1);
	/* Dave cannot grant himself what he was not given. */
	assert_int_equal(cv_case_share(d, a, "dave", &err), CV_EDENIED);
	assert_int_equal(case_rows(f->path, "dave", "case.share", "denied", a), 1);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM grants WHERE case_id = '%s'", a), 1);

	/* Cases are shared only with active counselors. */
	assert_int_equal(cv_case_share(c, a, "sam", &err), CV_EDENIED);
	assert_msg_has(err, "'sam' is a supervisor; cases are shared only with counselors");
	assert_code(err, CV_EDENIED, "grant.not-counselor");
	assert_int_equal(detail_rows(f->path, "carol", "case.share", "denied", a,
				     "grant.not-counselor [\"sam\",\"a supervisor\"]"),
			 1);
	assert_int_equal(cv_case_share(c, a, "alice", &err), CV_EDENIED);
	assert_code(err, CV_EDENIED, "grant.not-counselor");
	assert_int_equal(case_rows(f->path, "carol", "case.share", "denied", a), 2);
	assert_int_equal(cv_case_share(c, a, "nobody", &err), CV_ENOTFOUND);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM grants WHERE case_id = '%s'", a), 1);

	assert_int_equal(cv_case_share(c, a, "dave", &err), CV_OK);
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM audit WHERE actor = 'carol' AND"
			       " action = 'case.share' AND object = 'case:%s' AND"
			       " outcome = 'ok' AND detail = 'to=dave'",
			       a),
			 1);
	assert_int_equal(show(d, a, &w, &err), CV_OK);
	assert_int_equal(w.cases, 1);
	assert_string_equal(w.c[0].name, "Huang Lei");
	assert_int_equal(w.notes, 1);
	assert_note_text(d, n, "first session");
	logout(c);
	logout(d);
}

static void test_supervisor_and_admin_never_read(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	const char *who[] = {"sam", "alice"}, *pw[] = {PW_SAM, PW_ALICE};
	char a[CV_CASE_ID_MAX], n[CV_CASE_ID_MAX];

	open_new(c, "S-400", "Zhao Min", a);
	consent_all(c, a);
	final_note(c, a, "analysis", "private analysis", n);
	logout(c);

	for (int i = 0; i < 2; i++) {
		cv_session *s = login_ok(f->v, who[i], pw[i]);
		struct note_read r;
		struct shown w;
		cv_err err = {0};

		assert_int_equal(show(s, a, &w, &err), CV_EDENIED);
		assert_msg_has(err, "only counselors granted on a case may use 'case show'");
		assert_int_equal(w.cases, 0);
		assert_int_equal(case_rows(f->path, who[i], "case.show", "denied", a), 1);
		assert_int_equal(note_read(s, n, &r, &err), CV_EDENIED);
		assert_int_equal(r.calls, 0);
		assert_int_equal(case_rows(f->path, who[i], "note.show", "denied", a), 1);
		assert_int_equal(cv_case_share(s, a, who[i], &err), CV_EDENIED);
		logout(s);
	}
	/* Not even the recovery key lets an admin hand a case to themselves. */
	{
		cv_session *s = login_ok(f->v, "alice", PW_ALICE);
		cv_err err = {0};

		assert_int_equal(cv_case_handover(s, a, "alice", recovery, &err), CV_EDENIED);
		assert_int_equal(case_rows(f->path, "alice", "case.handover", "denied", a), 1);
		assert_int_equal(cv_case_handover(s, a, "sam", recovery, &err), CV_EDENIED);
		logout(s);
	}
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM grants g JOIN users u"
					" ON u.id = g.user_id WHERE u.role <> 'counselor'"),
			 0);
}

/* Unknown and malformed ids are one refusal, named by its kind; a typed
 * name where an id belongs reaches no column of the log. */
static void test_unknown_ids(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL), *a;
	struct shown w;
	cv_err err = {0};

	assert_int_equal(show(c, "C-00000", &w, &err), CV_ENOTFOUND);
	assert_code(err, CV_ENOTFOUND, "case.not-found");
	assert_string_equal(err.msg, "no case 'C-00000'; see 'casevault case list' for your cases");
	assert_int_equal(
	    detail_rows(f->path, "carol", "case.show", "failed", "C-00000", "case.not-found"), 1);
	/* A name where the id belongs: no such case either way. */
	assert_int_equal(show(c, "Zhang Wei", &w, &err), CV_ENOTFOUND);
	assert_code(err, CV_ENOTFOUND, "case.not-found");
	assert_int_equal(show(c, "Zhang Wei of class 8-3", &w, &err), CV_ENOTFOUND);
	assert_code(err, CV_ENOTFOUND, "case.not-found");
	assert_string_equal(err.msg,
			    "no case 'Zhang Wei of class 8-3'; case ids look like C-7KQ2M");
	assert_int_equal(
	    detail_rows(f->path, "carol", "case.show", "failed", "?", "case.not-found"), 2);
	assert_int_equal(w.cases, 0);

	/* Asking first refuses the same way. */
	assert_int_equal(
	    cv_may_case(c, CV_ACT_NOTE_ADD, "Zhang Wei of class 8-3", NULL, NULL, &err),
	    CV_ENOTFOUND);
	assert_code(err, CV_ENOTFOUND, "case.not-found");
	assert_int_equal(cv_may_case(c, CV_ACT_NOTE_SHOW, "N-000000", NULL, NULL, &err),
			 CV_ENOTFOUND);
	assert_code(err, CV_ENOTFOUND, "note.not-found");
	assert_string_equal(err.msg, "no note 'N-000000'");
	assert_int_equal(cv_may_case(c, CV_ACT_REFERRAL_UPDATE, "Zhang Wei", NULL, NULL, &err),
			 CV_ENOTFOUND);
	assert_code(err, CV_ENOTFOUND, "referral.not-found");
	assert_int_equal(audit_rows(f->path, "carol", "referral.update", "failed", "referral:?"),
			 1);
	logout(c);
	a = login_ok(f->v, "alice", PW_ALICE);
	assert_int_equal(cv_may_case(a, CV_ACT_CASE_SHRED, "C-00000", NULL, NULL, &err),
			 CV_ENOTFOUND);
	assert_code(err, CV_ENOTFOUND, "case.not-found");
	assert_int_equal(
	    detail_rows(f->path, "alice", "case.shred", "failed", "C-00000", "case.not-found"), 1);
	logout(a);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE instr(actor || action ||"
					" object || outcome || detail, 'Zhang') > 0"),
			 0);
}

/* A list that meets a case that fails verification shows the others, logs
 * the one that failed and then refuses as a whole. */
static void test_list_with_a_tampered_case(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char a[CV_CASE_ID_MAX], b[CV_CASE_ID_MAX], want[200], detail[80];
	struct shown w;
	cv_err err = {0};

	open_new(c, "S-710", "Guo Hua", a);
	open_new(c, "S-711", "Tang Yu", b);
	raw_exec(f->path,
		 "UPDATE cases SET data_nonce = (SELECT data_nonce FROM cases WHERE id = '%s'),"
		 " data_box = (SELECT data_box FROM cases WHERE id = '%s') WHERE id = '%s'",
		 b, b, a);
	assert_int_equal(list(c, 1, &w, &err), CV_EINTEGRITY);
	assert_code(err, CV_EINTEGRITY, "case.unverified");
	snprintf(want, sizeof(want),
		 "1 case(s) failed verification and were not shown (first: '%s'); the vault was "
		 "tampered with: run 'casevault audit verify'",
		 a);
	assert_string_equal(err.msg, want);
	assert_int_equal(w.cases, 1);
	assert_string_equal(w.c[0].id, b);
	/* The moved box breaks the row's signature, which covers its hash. */
	snprintf(detail, sizeof(detail), "case.forged [\"%s\"]", a);
	assert_int_equal(detail_rows(f->path, "carol", "case.read", "failed", a, detail), 1);
	assert_int_equal(case_rows(f->path, "carol", "case.read", "ok", b), 1);
	logout(c);
}

/* A counselor without the index key cannot open a case, and is told how
 * the key reaches her: a colleague who holds it passes it on at login. */
static void test_vault_key_missing(void **state)
{
	struct fix *f = *state;
	cv_session *c;
	cv_case_input in = student("S-720", "Lin Tao");
	char id[CV_CASE_ID_MAX];
	cv_err err = {0};
	int dup = -1;

	raw_exec(f->path, "DELETE FROM vault_keys WHERE name = 'index' AND user_id ="
			  " (SELECT id FROM users WHERE name = 'carol')");
	c = login_ok(f->v, "carol", PW_CAROL);
	assert_int_equal(cv_case_open(c, &in, id, &dup, &err), CV_EDENIED);
	assert_code(err, CV_EDENIED, "vkey.not-delivered");
	assert_string_equal(err.msg,
			    "'carol' holds no copy of the index key yet; a colleague who holds it "
			    "passes it on when they next log in, or an admin delivers it with "
			    "'casevault vault keys --deliver' and the recovery code");
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM cases"), 0);
	assert_int_equal(audit_rows(f->path, "carol", "case.open", "denied", "case:new"), 1);
	logout(c);
	/* dave holds it: his login passes it on, signed by him. */
	logout(login_ok(f->v, "dave", PW_DAVE));
	assert_int_equal(audit_rows(f->path, "dave", "vkey.share", "ok", "user:carol"), 1);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM vault_keys WHERE name = 'index' AND"
					" user_id = (SELECT id FROM users WHERE name = 'carol') AND"
					" sender_id = (SELECT id FROM users WHERE name = 'dave')"),
			 1);
	c = login_ok(f->v, "carol", PW_CAROL);
	open_ok(c, &in, id);
	logout(c);
	/* Nobody else was waiting: a second login writes nothing. */
	logout(login_ok(f->v, "dave", PW_DAVE));
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE action = 'vkey.share'"
					" AND actor = 'dave'"),
			 1);
}

/* ---- closing (R4) ----------------------------------------------------------------- */

static void test_close_rules_and_reopen(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char a[CV_CASE_ID_MAX], s1[CV_CASE_ID_MAX], an[CV_CASE_ID_MAX], oc[CV_CASE_ID_MAX];
	char x[CV_CASE_ID_MAX];
	struct shown w;
	cv_err err = {0};

	open_new(c, "S-500", "Sun Li", a);
	consent_all(c, a);
	assert_int_equal(cv_case_close(c, a, &err), CV_EDENIED);
	assert_msg_has(err, "without a final analysis note");
	assert_code(err, CV_EDENIED, "case.close-needs-note");
	{
		char want[400];

		snprintf(want, sizeof(want),
			 "case '%s' cannot be closed without a final analysis note (R4: records "
			 "need an analysis and plan, and an evaluation of the outcome); add one "
			 "with 'casevault note add %s --kind analysis' and finalize it",
			 a, a);
		assert_string_equal(err.msg, want);
	}
	/* A draft analysis does not count. */
	note_ok(c, a, "analysis", "analysis and plan", an);
	assert_int_equal(cv_case_close(c, a, &err), CV_EDENIED);
	assert_msg_has(err, "analysis");
	assert_code(err, CV_EDENIED, "case.close-needs-note");
	assert_int_equal(cv_note_finalize(c, an, &err), CV_OK);
	assert_int_equal(cv_case_close(c, a, &err), CV_EDENIED);
	assert_msg_has(err, "without a final outcome note");
	assert_msg_has(err, "--kind outcome'");
	assert_code(err, CV_EDENIED, "case.close-needs-note");
	final_note(c, a, "outcome", "outcome evaluation", oc);
	note_ok(c, a, "session", "a late session note", s1);
	assert_int_equal(cv_case_close(c, a, &err), CV_EDENIED);
	assert_msg_has(err, "1 note(s) that are drafts");
	assert_code(err, CV_EDENIED, "case.close-drafts");
	assert_int_equal(case_rows(f->path, "carol", "case.close", "denied", a), 4);
	{
		char detail[64];

		snprintf(detail, sizeof(detail), "case.close-needs-note [\"%s\",\"analysis\"]", a);
		assert_int_equal(detail_rows(f->path, "carol", "case.close", "denied", a, detail),
				 2);
		snprintf(detail, sizeof(detail), "case.close-needs-note [\"%s\",\"outcome\"]", a);
		assert_int_equal(detail_rows(f->path, "carol", "case.close", "denied", a, detail),
				 1);
		snprintf(detail, sizeof(detail), "case.close-drafts [\"%s\",\"1\"]", a);
		assert_int_equal(detail_rows(f->path, "carol", "case.close", "denied", a, detail),
				 1);
	}
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM cases WHERE id = '%s'"
			       " AND status = 'open'",
			       a),
			 1);

	assert_int_equal(cv_note_finalize(c, s1, &err), CV_OK);
	assert_int_equal(cv_case_close(c, a, &err), CV_OK);
	assert_int_equal(case_rows(f->path, "carol", "case.close", "ok", a), 1);
	assert_int_equal(show(c, a, &w, &err), CV_OK);
	assert_string_equal(w.c[0].status, "closed");
	assert_int_equal(strlen(w.c[0].closed_at), 20);
	/* Closed cases leave the default list. */
	assert_int_equal(list(c, 0, &w, &err), CV_OK);
	assert_int_equal(w.cases, 0);
	assert_int_equal(list(c, 1, &w, &err), CV_OK);
	assert_int_equal(w.cases, 1);
	/* No new work on a closed case, and it cannot be closed twice. */
	assert_int_equal(cv_note_add(c, a, NULL, "more", 4, NULL, x, &err), CV_EDENIED);
	assert_msg_has(err, "is closed; reopen it with 'casevault case reopen");
	assert_code(err, CV_EDENIED, "case.closed");
	assert_string_equal(x, "");
	assert_int_equal(cv_case_close(c, a, &err), CV_EDENIED);
	assert_code(err, CV_EDENIED, "case.closed");

	assert_int_equal(cv_case_reopen(c, a, &err), CV_OK);
	assert_int_equal(case_rows(f->path, "carol", "case.reopen", "ok", a), 1);
	assert_int_equal(cv_case_reopen(c, a, &err), CV_EUSAGE);
	assert_msg_has(err, "already open");
	assert_code(err, CV_EUSAGE, "case.already-open");
	assert_int_equal(
	    detail_rows(f->path, "carol", "case.reopen", "failed", a, "case.already-open"), 1);
	assert_int_equal(show(c, a, &w, &err), CV_OK);
	assert_string_equal(w.c[0].status, "open");
	assert_string_equal(w.c[0].closed_at, "");
	assert_string_equal(w.c[0].name, "Sun Li");
	note_ok(c, a, NULL, "after reopening", x);
	logout(c);
}

/* ---- crypto proof: moved ciphertexts and keys do not open ------------------------- */

static void test_note_box_moved_within_case(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char a[CV_CASE_ID_MAX], n1[CV_CASE_ID_MAX], n2[CV_CASE_ID_MAX];
	struct note_read r;
	cv_err err = {0};

	open_new(c, "S-600", "Ma Jun", a);
	consent_all(c, a);
	note_ok(c, a, NULL, "note one: the real text", n1);
	note_ok(c, a, NULL, "note two: other words", n2);
	/* Same case, same key, same kind and version: only the row id differs. */
	raw_exec(f->path,
		 "UPDATE records SET nonce = (SELECT nonce FROM records WHERE id = '%s'),"
		 " box = (SELECT box FROM records WHERE id = '%s') WHERE id = '%s'",
		 n1, n1, n2);
	assert_int_equal(note_read(c, n2, &r, &err), CV_EINTEGRITY);
	assert_int_equal(r.calls, 0);
	/* The row's signature covers the hash of its nonce and box. */
	assert_code(err, CV_EINTEGRITY, "record.forged");
	{
		char want[200];

		snprintf(want, sizeof(want),
			 "record '%s' of case '%s' is not signed by the counselor", n2, a);
		assert_msg_has(err, want);
		/* Every record of a case is checked when it is read (consent
		 * is their fold): the forged row refuses the whole case. */
		assert_int_equal(note_read(c, n1, &r, &err), CV_EINTEGRITY);
		assert_int_equal(r.calls, 0);
		assert_msg_has(err, want);
	}
	logout(c);
}

static void test_note_box_moved_across_cases(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char a[CV_CASE_ID_MAX], b[CV_CASE_ID_MAX], na[CV_CASE_ID_MAX], nb[CV_CASE_ID_MAX];
	char na2[CV_CASE_ID_MAX];
	struct note_read r;
	cv_err err = {0};

	open_new(c, "S-601", "Ma Jun", a);
	open_new(c, "S-602", "He Ping", b);
	consent_all(c, a);
	consent_all(c, b);
	note_ok(c, a, NULL, "case a text", na);
	note_ok(c, a, NULL, "case a second text", na2);
	note_ok(c, b, NULL, "case b text", nb);
	raw_exec(f->path,
		 "UPDATE records SET nonce = (SELECT nonce FROM records WHERE id = '%s'),"
		 " box = (SELECT box FROM records WHERE id = '%s') WHERE id = '%s'",
		 nb, nb, na);
	assert_int_equal(note_read(c, na, &r, &err), CV_EINTEGRITY);
	assert_int_equal(r.calls, 0);
	/* Moving the whole row to the other case does not help either. */
	raw_exec(f->path, "UPDATE records SET case_id = '%s' WHERE id = '%s'", b, na2);
	assert_int_equal(note_read(c, na2, &r, &err), CV_EINTEGRITY);
	assert_int_equal(r.calls, 0);
	/* Nor does changing the version it was written at. */
	raw_exec(f->path, "UPDATE records SET version = 2 WHERE id = '%s'", nb);
	assert_int_equal(note_read(c, nb, &r, &err), CV_EINTEGRITY);
	assert_int_equal(r.calls, 0);
	logout(c);
}

static void test_case_data_moved(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char a[CV_CASE_ID_MAX], b[CV_CASE_ID_MAX];
	struct shown w;
	cv_err err = {0};

	open_new(c, "S-700", "Guo Hua", a);
	open_new(c, "S-701", "Tang Yu", b);
	raw_exec(f->path,
		 "UPDATE cases SET data_nonce = (SELECT data_nonce FROM cases WHERE id = '%s'),"
		 " data_box = (SELECT data_box FROM cases WHERE id = '%s') WHERE id = '%s'",
		 b, b, a);
	assert_int_equal(show(c, a, &w, &err), CV_EINTEGRITY);
	assert_code(err, CV_EINTEGRITY, "case.forged");
	assert_int_equal(w.cases, 0);
	assert_int_equal(case_rows(f->path, "carol", "case.show", "failed", a), 1);
	/* An integrity failure keeps its arguments in the log. */
	{
		char detail[80];

		snprintf(detail, sizeof(detail), "case.forged [\"%s\"]", a);
		assert_int_equal(detail_rows(f->path, "carol", "case.show", "failed", a, detail),
				 1);
	}
	assert_int_equal(show(c, b, &w, &err), CV_OK);
	assert_string_equal(w.c[0].name, "Tang Yu");
	logout(c);
}

/* Copies the grant columns of (case src, user from) over, or into, the
 * grant of (case dst, user to). */
#define GRANT_COLS "sender_id, sent_at, nonce, box, sig"
#define USER_ID(name) "(SELECT id FROM users WHERE name = '" name "')"

static void test_grant_key_replaced(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	cv_session *d = login_ok(f->v, "dave", PW_DAVE);
	char a2[CV_CASE_ID_MAX], a3[CV_CASE_ID_MAX], b[CV_CASE_ID_MAX], want[160];
	struct shown w;
	cv_err err = {0};

	open_new(c, "S-802", "Case Two", a2);
	open_new(c, "S-803", "Case Three", a3);
	open_new(c, "S-804", "Case Four", b);

	/* Dave's copy (his own signed row, sealed to him) in place of carol's. */
	assert_int_equal(cv_case_share(c, a2, "dave", &err), CV_OK);
	raw_exec(f->path,
		 "UPDATE grants SET (" GRANT_COLS ") = (SELECT " GRANT_COLS " FROM grants WHERE"
		 " case_id = '%s' AND user_id = " USER_ID("dave") ") WHERE case_id = '%s' AND"
								  " user_id = " USER_ID("carol"),
		 a2, a2);
	assert_int_equal(show(c, a2, &w, &err), CV_EINTEGRITY);
	assert_code(err, CV_EINTEGRITY, "case.grant-forged");
	snprintf(want, sizeof(want), "the key of case '%s' held by 'carol' fails verification", a2);
	assert_msg_has(err, want);
	assert_int_equal(w.cases, 0);
	assert_int_equal(show(d, a2, &w, &err), CV_OK);
	assert_string_equal(w.c[0].name, "Case Two");

	/* Carol's own, validly signed copy of another case: its signature
	 * names that case. */
	raw_exec(f->path,
		 "UPDATE grants SET (" GRANT_COLS ") = (SELECT " GRANT_COLS " FROM grants WHERE"
		 " case_id = '%s' AND user_id = " USER_ID("carol") ") WHERE case_id = '%s' AND"
								   " user_id = " USER_ID("carol"),
		 b, a3);
	assert_int_equal(show(c, a3, &w, &err), CV_EINTEGRITY);
	assert_code(err, CV_EINTEGRITY, "case.grant-forged");
	assert_int_equal(w.cases, 0);
	assert_int_equal(case_rows(f->path, "carol", "case.show", "failed", a3), 1);

	/* A grant row dave writes for himself from carol's gives him nothing:
	 * it is sealed to carol and signed for her. */
	raw_exec(f->path,
		 "INSERT INTO grants (case_id, user_id, " GRANT_COLS
		 ") SELECT case_id, " USER_ID("dave") ", " GRANT_COLS
						      " FROM grants WHERE case_id = '%s'",
		 b);
	assert_int_equal(show(d, b, &w, &err), CV_EINTEGRITY);
	assert_code(err, CV_EINTEGRITY, "case.grant-forged");
	assert_int_equal(w.cases, 0);
	assert_int_equal(show(c, b, &w, &err), CV_OK);
	assert_string_equal(w.c[0].name, "Case Four");
	logout(c);
	logout(d);
}

/* ---- handover and reset ------------------------------------------------------------- */

static void test_handover_reads_every_note(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL), *a, *d;
	static const char *const texts[] = {"session one", "analysis and plan", "a draft note",
					    "addendum text"};
	char cs[CV_CASE_ID_MAX], n[4][CV_CASE_ID_MAX];
	struct shown w;
	cv_err err = {0};

	open_new(c, "S-900", "Xu Ling", cs);
	consent_all(c, cs);
	final_note(c, cs, NULL, texts[0], n[0]);
	final_note(c, cs, "analysis", texts[1], n[1]);
	note_ok(c, cs, NULL, texts[2], n[2]);
	assert_int_equal(cv_note_amend(c, n[0], texts[3], strlen(texts[3]), NULL, n[3], &err),
			 CV_OK);
	logout(c);

	a = login_ok(f->v, "alice", PW_ALICE);
	assert_int_equal(cv_case_handover(a, cs, "dave", recovery, &err), CV_OK);
	logout(a);
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM audit WHERE actor = 'alice' AND"
			       " action = 'case.handover' AND object = 'case:%s' AND"
			       " outcome = 'ok' AND detail = 'to=dave'",
			       cs),
			 1);

	d = login_ok(f->v, "dave", PW_DAVE);
	assert_int_equal(show(d, cs, &w, &err), CV_OK);
	assert_string_equal(w.c[0].name, "Xu Ling");
	assert_int_equal(w.notes, 4);
	for (int i = 0; i < 4; i++)
		assert_note_text(d, n[i], texts[i]);
	logout(d);
}

static void test_handover_refusals(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL), *a, *s;
	char cs[CV_CASE_ID_MAX], wrong[CV_RECOVERY_CODE_LEN + 1];
	char *other = sodium_malloc(CV_RECOVERY_CODE_LEN + 1);
	char opath[TEST_PATH_MAX];
	cv_err err = {0};

	assert_non_null(other);
	open_new(c, "S-901", "Xu Ling", cs);
	/* A counselor, even with the code, may not hand over. */
	assert_int_equal(cv_case_handover(c, cs, "dave", recovery, &err), CV_EDENIED);
	assert_int_equal(case_rows(f->path, "carol", "case.handover", "denied", cs), 1);
	logout(c);
	s = login_ok(f->v, "sam", PW_SAM);
	assert_int_equal(cv_case_handover(s, cs, "dave", recovery, &err), CV_EDENIED);
	assert_int_equal(case_rows(f->path, "sam", "case.handover", "denied", cs), 1);
	logout(s);

	a = login_ok(f->v, "alice", PW_ALICE);
	/* One digit mistyped. */
	memcpy(wrong, recovery, sizeof(wrong));
	wrong[0] = wrong[0] == '0' ? '1' : '0';
	assert_int_equal(cv_case_handover(a, cs, "dave", wrong, &err), CV_EAUTH);
	assert_msg_has(err, "recovery code");
	assert_code(err, CV_EAUTH, "recovery.mistyped");
	assert_int_equal(cv_case_handover(a, cs, "dave", "", &err), CV_EAUTH);
	assert_code(err, CV_EAUTH, "recovery.mistyped");
	/* A well-formed code of another vault. */
	snprintf(opath, sizeof(opath), "%s/other.db", f->dir);
	assert_int_equal(
	    cv_vault_create(opath, "olga", PW_ALICE, strlen(PW_ALICE), &cheap_kdf, other, &err),
	    CV_OK);
	assert_int_equal(cv_case_handover(a, cs, "dave", other, &err), CV_EAUTH);
	assert_msg_has(err, "another vault");
	assert_code(err, CV_EAUTH, "recovery.other-vault");
	assert_int_equal(
	    detail_rows(f->path, "alice", "case.handover", "failed", cs, "recovery.other-vault"),
	    1);
	assert_int_equal(case_rows(f->path, "alice", "case.handover", "failed", cs), 3);
	/* Nothing was granted. */
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM grants g JOIN users u ON"
					" u.id = g.user_id WHERE u.name = 'dave'"),
			 0);
	/* A case that does not exist. */
	assert_int_equal(cv_case_handover(a, "C-00000", "dave", recovery, &err), CV_ENOTFOUND);
	assert_msg_has(err, "no case 'C-00000'");
	assert_code(err, CV_ENOTFOUND, "case.not-found");
	assert_int_equal(
	    detail_rows(f->path, "alice", "case.handover", "failed", "C-00000", "case.not-found"),
	    1);
	/* A counselor who has left. */
	assert_int_equal(cv_user_disable(a, "dave", &err), CV_OK);
	assert_int_equal(cv_case_handover(a, cs, "dave", recovery, &err), CV_EDENIED);
	assert_msg_has(err, "'dave' is disabled; cases go to active counselors");
	assert_code(err, CV_EDENIED, "grant.user-disabled");
	assert_int_equal(case_rows(f->path, "alice", "case.handover", "denied", cs), 1);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM grants g JOIN users u ON"
					" u.id = g.user_id WHERE u.name = 'dave'"),
			 0);
	logout(a);
	sodium_free(other);
}

static void audit_verify_ok(cv_vault *v, const char *who, const char *pass)
{
	cv_session *s = login_ok(v, who, pass);
	cv_audit_report rep = {0};
	cv_err err = {0};

	if (cv_audit_verify(s, NULL, &rep, &err) != CV_OK)
		fail_msg("audit verify by '%s' failed: %s", who, err.msg);
	assert_int_equal(rep.bad_seq, 0);
	assert_true(rep.checkpoints > 0);
	logout(s);
}

static void test_user_reset_loses_nothing(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL), *a, *s;
	char ca[CV_CASE_ID_MAX], cb[CV_CASE_ID_MAX], n[3][CV_CASE_ID_MAX], n4[CV_CASE_ID_MAX];
	char wrong[CV_RECOVERY_CODE_LEN + 1], code[CV_ENROL_CODE_LEN + 1];
	static const char *const texts[] = {"a final note signed before the reset",
					    "a draft from before", "on the other case"};
	struct note_read r;
	cv_err err = {0};

	open_new(c, "S-1001", "Deng Qian", ca);
	open_new(c, "S-1002", "Feng Rui", cb);
	consent_all(c, ca);
	consent_all(c, cb);
	final_note(c, ca, NULL, texts[0], n[0]);
	note_ok(c, ca, NULL, texts[1], n[1]);
	final_note(c, cb, NULL, texts[2], n[2]);
	logout(c);
	audit_verify_ok(f->v, "sam", PW_SAM);

	/* Refused: not an admin; a wrong code. Carol's passphrase still works. */
	s = login_ok(f->v, "sam", PW_SAM);
	assert_int_equal(cv_user_reset(s, "carol", recovery, 0, code, &err), CV_EDENIED);
	assert_int_equal(audit_rows(f->path, "sam", "user.reset", "denied", "user:carol"), 1);
	logout(s);
	a = login_ok(f->v, "alice", PW_ALICE);
	memcpy(wrong, recovery, sizeof(wrong));
	wrong[5] = wrong[5] == 'a' ? 'b' : 'a';
	assert_int_equal(cv_user_reset(a, "carol", wrong, 0, code, &err), CV_EAUTH);
	logout(login_ok(f->v, "carol", PW_CAROL));

	/* A new enrolment code: carol is pending until she enrols with it. */
	assert_int_equal(cv_user_reset(a, "carol", recovery, 0, code, &err), CV_OK);
	assert_int_equal(audit_rows(f->path, "alice", "user.reset", "ok", "user:carol"), 1);
	logout(a);
	c = NULL;
	assert_int_equal(cv_login(f->v, "carol", PW_CAROL, strlen(PW_CAROL), &c, &err), CV_EAUTH);
	assert_string_equal(err.code, "auth.pending");
	assert_null(c);
	assert_int_equal(
	    cv_user_enrol(f->v, "carol", code, PW_NEW, strlen(PW_NEW), &cheap_kdf, &err), CV_OK);
	sodium_memzero(code, sizeof(code));
	/* Her enrolment certificate and the keys she held before are history. */
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM key_history k JOIN users u"
					" ON u.id = k.user_id WHERE u.name = 'carol'"),
			 3);

	assert_int_equal(cv_login(f->v, "carol", PW_CAROL, strlen(PW_CAROL), &c, &err), CV_EAUTH);
	assert_null(c);
	c = login_ok(f->v, "carol", PW_NEW);
	for (int i = 0; i < 3; i++)
		assert_note_text(c, n[i], texts[i]);
	/* What the old key signed still verifies. */
	assert_int_equal(note_read(c, n[0], &r, &err), CV_OK);
	assert_int_equal(r.signature_ok, 1);
	/* And the new key works: finalize, share, open. */
	assert_int_equal(cv_note_finalize(c, n[1], &err), CV_OK);
	assert_int_equal(note_read(c, n[1], &r, &err), CV_OK);
	assert_int_equal(r.signature_ok, 1);
	note_ok(c, ca, NULL, "after the reset", n4);
	assert_int_equal(cv_case_share(c, cb, "dave", &err), CV_OK);
	/* The vault keys came back too: the index key (find) and the stats key
	 * (open). */
	{
		char cc[CV_CASE_ID_MAX];
		struct shown w;

		assert_int_equal(find(c, "S-1002", &w, &err), CV_OK);
		assert_int_equal(w.cases, 1);
		assert_string_equal(w.c[0].id, cb);
		open_new(c, "S-1003", "Pan Yue", cc);
		assert_int_equal(list(c, 0, &w, &err), CV_OK);
		assert_int_equal(w.cases, 3);
	}
	logout(c);

	audit_verify_ok(f->v, "sam", PW_SAM);
	audit_verify_ok(f->v, "alice", PW_ALICE);
}

/* ---- shredding (R10) ------------------------------------------------------------------- */

struct blobs {
	uint8_t b[8][16384];
	size_t n[8];
	const char *what[8];
	int count;
};

/* How many 32-byte pieces of blob are on disk: a long ciphertext spans
 * overflow pages, so it is searched for piece by piece. */
static int chunks_on_disk(const char *path, const uint8_t *blob, size_t n)
{
	int found = 0;

	for (size_t off = 0; off + 32 <= n; off += 32)
		found += on_disk(path, blob + off, 32);
	return found;
}

static void grab(struct blobs *k, const char *path, const char *what, const char *sql)
{
	size_t n = q_blob(path, k->b[k->count], sizeof(k->b[0]), "%s", sql);

	if (n < 48)
		fail_msg("%s: only %zu bytes", what, n);
	k->n[k->count] = n;
	k->what[k->count] = what;
	k->count++;
}

static void test_shred(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL), *a, *d;
	char cs[CV_CASE_ID_MAX], keep[CV_CASE_ID_MAX], n[CV_CASE_ID_MAX], t[CV_CASE_ID_MAX];
	char rid[CV_CASE_ID_MAX], nk[CV_CASE_ID_MAX], wrong[CV_RECOVERY_CODE_LEN + 1], sql[512];
	char long_note[10000];
	cv_referral_input ref = {"City Youth Clinic", "mental-health",	"emotion",
				 "routine",	      "sleep problems", NULL};
	struct blobs *k = calloc(1, sizeof(*k));
	struct note_read r;
	struct shown w;
	cv_err err = {0};

	assert_non_null(k);
	memset(long_note, 'q', sizeof(long_note) - 1);
	long_note[sizeof(long_note) - 1] = '\0';
	open_new(c, "S-1100", "Shred Student", cs);
	open_new(c, "S-1101", "Kept Student", keep);
	consent_all(c, cs);
	consent_all(c, keep);
	final_note(c, cs, NULL, long_note, n);
	assert_int_equal(cv_test_add(c, cs, "SCL-90", "1.9", "elevated", NULL, t, &err), CV_OK);
	assert_int_equal(cv_referral_add(c, cs, &ref, NULL, rid, &err), CV_OK);
	assert_int_equal(cv_watch_add(c, cs, "left-behind", 14, &err), CV_OK);
	assert_int_equal(cv_case_share(c, cs, "dave", &err), CV_OK);
	note_ok(c, keep, NULL, "the kept case's note", nk);
	logout(c);

	/* Every copy of the key and every ciphertext, as they are now. */
	snprintf(sql, sizeof(sql), "SELECT recovery_key FROM cases WHERE id = '%s'", cs);
	grab(k, f->path, "the recovery copy of the case key", sql);
	snprintf(sql, sizeof(sql), "SELECT data_box FROM cases WHERE id = '%s'", cs);
	grab(k, f->path, "the case's identity ciphertext", sql);
	/* Past its first 32 bytes: the writer's box public key, which stays
	 * in the users table (FORMAT.md §1, statsbox). */
	snprintf(sql, sizeof(sql), "SELECT substr(stats_box, 33) FROM cases WHERE id = '%s'", cs);
	grab(k, f->path, "the case's statistics ciphertext", sql);
	snprintf(sql, sizeof(sql),
		 "SELECT box FROM grants WHERE case_id = '%s' ORDER BY user_id LIMIT 1", cs);
	grab(k, f->path, "carol's sealed case key", sql);
	snprintf(sql, sizeof(sql),
		 "SELECT box FROM grants WHERE case_id = '%s' ORDER BY user_id DESC LIMIT 1", cs);
	grab(k, f->path, "dave's sealed case key", sql);
	snprintf(sql, sizeof(sql), "SELECT box FROM records WHERE id = '%s'", n);
	grab(k, f->path, "the note ciphertext", sql);
	snprintf(sql, sizeof(sql), "SELECT box FROM records WHERE id = '%s'", rid);
	grab(k, f->path, "the referral ciphertext", sql);

	/* The search sees them while they exist. */
	for (int i = 0; i < k->count; i++)
		if (chunks_on_disk(f->path, k->b[i], k->n[i]) == 0)
			fail_msg("%s is not found on disk before the shred", k->what[i]);

	/* Refusals first: a counselor; a wrong code; no reason. */
	c = login_ok(f->v, "carol", PW_CAROL);
	assert_int_equal(cv_case_shred(c, cs, "done", recovery, &err), CV_EDENIED);
	assert_int_equal(case_rows(f->path, "carol", "case.shred", "denied", cs), 1);
	logout(c);
	a = login_ok(f->v, "alice", PW_ALICE);
	memcpy(wrong, recovery, sizeof(wrong));
	wrong[10] = wrong[10] == 'f' ? 'e' : 'f';
	assert_int_equal(cv_case_shred(a, cs, "retention period ended", wrong, &err), CV_EAUTH);
	assert_int_equal(cv_case_shred(a, cs, "", recovery, &err), CV_EUSAGE);
	assert_int_equal(cv_case_shred(a, cs, "bad\nreason", recovery, &err), CV_EUSAGE);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM cases WHERE status = 'shredded'"), 0);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM grants WHERE case_id = '%s'", cs), 2);

	assert_int_equal(cv_case_shred(a, cs, "retention period ended", recovery, &err), CV_OK);
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM audit WHERE actor = 'alice' AND"
			       " action = 'case.shred' AND object = 'case:%s' AND"
			       " outcome = 'ok' AND detail LIKE 'reason=%%'",
			       cs),
			 1);
	/* The reason is in the log sealed to the recovery key: not in clear,
	 * and the recovery code opens it. */
	assert_int_equal(
	    q_int(f->path, "SELECT count(*) FROM audit WHERE instr(detail, 'retention')"), 0);
	{
		char b64[512];
		uint8_t box[256], plain[256];
		size_t blen = 0;
		cv_keyholder *kh = NULL;

		q_text(f->path, b64, sizeof(b64),
		       "SELECT substr(detail, 8) FROM audit WHERE action = 'case.shred'"
		       " AND object = 'case:%s' AND outcome = 'ok'",
		       cs);
		assert_int_equal(sodium_base642bin(box, sizeof(box), b64, strlen(b64), NULL, &blen,
						   NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
				 0);
		assert_int_equal(cv_recovery_open(f->v, recovery, &kh, &err), CV_OK);
		assert_int_equal(cv_keyholder_unseal(kh, box, blen, plain, &err), CV_OK);
		assert_memory_equal(plain, "retention period ended", 22);
		assert_int_equal(blen - crypto_box_SEALBYTES, 22);
		cv_keyholder_free(kh);
	}
	/* Not even the recovery code reads it now. */
	assert_int_equal(cv_case_handover(a, cs, "carol", recovery, &err), CV_ENOTFOUND);
	assert_msg_has(err, "shredded");
	assert_code(err, CV_ENOTFOUND, "case.shredded");
	assert_int_equal(cv_case_shred(a, cs, "again", recovery, &err), CV_ENOTFOUND);
	assert_code(err, CV_ENOTFOUND, "case.shredded");
	logout(a);

	c = login_ok(f->v, "carol", PW_CAROL);
	assert_int_equal(show(c, cs, &w, &err), CV_ENOTFOUND);
	assert_msg_has(err, "shredded");
	assert_code(err, CV_ENOTFOUND, "case.shredded");
	assert_int_equal(w.cases, 0);
	assert_int_equal(note_read(c, n, &r, &err), CV_ENOTFOUND);
	assert_int_equal(r.calls, 0);
	assert_int_equal(list(c, 1, &w, &err), CV_OK);
	assert_int_equal(w.cases, 1);
	assert_string_equal(w.c[0].id, keep);
	assert_int_equal(find(c, "S-1100", &w, &err), CV_OK);
	assert_int_equal(w.cases, 0);
	assert_note_text(c, nk, "the kept case's note");
	logout(c);
	d = login_ok(f->v, "dave", PW_DAVE);
	assert_int_equal(show(d, cs, &w, &err), CV_ENOTFOUND);
	logout(d);

	/* The raw tables: no grant, no record, empty boxes. */
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM grants WHERE case_id = '%s'", cs), 0);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM records WHERE case_id = '%s'", cs),
			 0);
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM cases WHERE id = '%s' AND"
			       " status = 'shredded' AND length(recovery_key) = 0 AND"
			       " length(data_box) = 0 AND length(data_nonce) = 0 AND"
			       " length(stats_box) = 0 AND index_tag = zeroblob(32) AND"
			       " key_commit = zeroblob(32) AND signer_id = (SELECT id FROM users"
			       " WHERE name = 'alice')",
			       cs),
			 1);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM records WHERE case_id = '%s'", keep),
			 3);

	/* Putting the status back gives nobody a key: the row is a tombstone
	 * (empty boxes), so reading it as an open case is an integrity
	 * failure. */
	raw_exec(f->path, "UPDATE cases SET status = 'open' WHERE id = '%s'", cs);
	c = login_ok(f->v, "carol", PW_CAROL);
	assert_int_equal(show(c, cs, &w, &err), CV_EINTEGRITY);
	assert_msg_has(err, "malformed");
	assert_code(err, CV_EINTEGRITY, "case.malformed");
	assert_int_equal(w.cases, 0);
	logout(c);
	a = login_ok(f->v, "alice", PW_ALICE);
	assert_int_equal(cv_case_handover(a, cs, "carol", recovery, &err), CV_EINTEGRITY);
	assert_msg_has(err, "malformed");
	assert_code(err, CV_EINTEGRITY, "case.malformed");
	logout(a);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM grants WHERE case_id = '%s'", cs), 0);

	/* On disk, no byte of any key copy or ciphertext survives. */
	cv_vault_close(f->v);
	f->v = NULL;
	for (int i = 0; i < k->count; i++) {
		int left = chunks_on_disk(f->path, k->b[i], k->n[i]);

		if (left)
			fail_msg("%d pieces of %s are still on disk", left, k->what[i]);
	}
	free(k);
}

/* ---- a whole day, then the bytes on disk ---------------------------------------------- */

static const char *const secrets[] = {
    "Zebulon Quaxworth",				/* a distinctive ASCII name */
    "\xe6\xac\xa7\xe9\x98\xb3\xe6\x99\x93\xe6\xa2\x85", /* 欧阳晓梅 */
    "SID-77341902",
    "SID77341902", /* the normalized form the blind index hashes */
    "SID-55120986",
    "Class 9-Kestrel",
    "\xe4\xb9\x9d\xe5\xb9\xb4\xe7\xba\xa7\xe4\xb8\x89\xe7\x8f\xad", /* 九年级三班 */
    "+86-139-0571-2468",
    "13905712469",
    "Grandmother Quaxworth",
    "lighthouse dream and the marmalade plan",
    "\xe5\xa5\xb9\xe8\xaf\xb4\xe6\x9c\x80\xe8\xbf\x91\xe6\x80\xbb\xe6\x98\xaf"
    "\xe5\xa4\xb1\xe7\x9c\xa0", /* 她说最近总是失眠 */
    "an addendum about the ferry timetable",
    "panic on the number 42 bus",
    "scored high on the zephyr items",
    "followed up with the clinic about quinces",
    "crisis: she spoke of the quarry ledge",
};

static void assert_no_secret_on_disk(const char *path)
{
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		assert_not_on_disk(path, secrets[i], strlen(secrets[i]), secrets[i]);
}

static void test_whole_day_leaves_no_plaintext(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	cv_case_input in1 = {secrets[2], secrets[0],   "M",	   9,	      secrets[5],
			     "family",	 "2009-03-14", secrets[9], secrets[7]};
	cv_case_input in2 = {secrets[4], secrets[1], "F",  9,
			     secrets[6], "emotion",  NULL, "\xe6\xac\xa7\xe9\x98\xb3\xe5\xbc\xba",
			     secrets[8]};
	cv_referral_input ref = {
	    "City Youth Clinic", "mental-health", "emotion", "urgent", secrets[13], NULL};
	char a[CV_CASE_ID_MAX], b[CV_CASE_ID_MAX], n1[CV_CASE_ID_MAX], n2[CV_CASE_ID_MAX];
	char n3[CV_CASE_ID_MAX], an[CV_CASE_ID_MAX], oc[CV_CASE_ID_MAX], t[CV_CASE_ID_MAX];
	char rid[CV_CASE_ID_MAX], x[CV_CASE_ID_MAX];
	struct shown w;
	cv_err err = {0};

	open_ok(c, &in1, a);
	open_ok(c, &in2, b);
	consent_all(c, a);
	consent_all(c, b);
	note_ok(c, a, NULL, "draft first words", n1);
	assert_int_equal(cv_note_edit(c, n1, secrets[10], strlen(secrets[10]), NULL, &err), CV_OK);
	assert_int_equal(cv_note_finalize(c, n1, &err), CV_OK);
	assert_int_equal(cv_note_amend(c, n1, secrets[12], strlen(secrets[12]), NULL, n2, &err),
			 CV_OK);
	assert_int_equal(cv_note_finalize(c, n2, &err), CV_OK);
	note_ok(c, b, NULL, secrets[11], n3);
	assert_int_equal(cv_test_add(c, a, "PHQ-9", "17", secrets[14], NULL, t, &err), CV_OK);
	assert_int_equal(cv_referral_add(c, a, &ref, NULL, rid, &err), CV_OK);
	assert_int_equal(cv_referral_update(c, rid, "contacted", NULL, secrets[15], &err), CV_OK);
	assert_int_equal(cv_watch_add(c, a, "single-parent", 14, &err), CV_OK);
	assert_int_equal(cv_watch_done(c, a, NULL, &err), CV_OK);
	/* Break-glass on the second case, without testing consent recorded. */
	assert_int_equal(cv_consent_withdraw(c, b, NULL, "testing", NULL, &err), CV_OK);
	assert_int_equal(cv_test_add(c, b, "SCL-90", "2.1", NULL, secrets[16], x, &err), CV_OK);
	final_note(c, a, "analysis", "analysis and plan", an);
	final_note(c, a, "outcome", "outcome evaluation", oc);
	assert_int_equal(cv_case_close(c, a, &err), CV_OK);
	assert_int_equal(list(c, 1, &w, &err), CV_OK);
	assert_int_equal(w.cases, 2);
	assert_int_equal(find(c, "sid 77341902", &w, &err), CV_OK);
	assert_int_equal(w.cases, 1);
	assert_string_equal(w.c[0].name, secrets[0]);
	assert_note_text(c, n1, secrets[10]);
	assert_note_text(c, n3, secrets[11]);

	/* While the vault is open (its -wal holds the day's pages)... */
	assert_true(on_disk(f->path, "case.close", 10)); /* the search works */
	assert_no_secret_on_disk(f->path);
	logout(c);
	/* ...and once it is closed. */
	cv_vault_close(f->v);
	f->v = NULL;
	assert_true(file_has(f->path, "case.close", 10));
	assert_no_secret_on_disk(f->path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_open_by_counselor, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open_denied_for_supervisor_and_admin, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_open_bad_input, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_duplicate_open_warns, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list_and_find_only_granted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unshared_case_denied_until_shared, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_supervisor_and_admin_never_read, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_ids, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list_with_a_tampered_case, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_vault_key_missing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_close_rules_and_reopen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_note_box_moved_within_case, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_note_box_moved_across_cases, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_case_data_moved, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_grant_key_replaced, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_handover_reads_every_note, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_handover_refusals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_user_reset_loses_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_shred, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_case_ids_for_completion, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_whole_day_leaves_no_plaintext, setup, teardown),
	};
	cv_err err = {0};

	if (cv_init(&err) != CV_OK) {
		fprintf(stderr, "cv_init: %s\n", err.msg);
		return 1;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
