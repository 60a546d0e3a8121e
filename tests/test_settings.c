/*
 * test_settings.c - signed settings through the public API (cv_config_set,
 * cv_config_list): the defaults, what an admin may set and how it reads
 * back (signed by that admin), the refusals (role, unknown name, values
 * out of range or not numbers, unknown time zones) which change nothing,
 * the one audit row each set leaves, a setting taking effect (adult_age
 * and the guardian's consent, R1), and stored settings tampered with
 * through the sqlite3 library, which every read that depends on them must
 * refuse as an integrity failure -- never a silent default.
 */
#define FIXTURE_TAG "settings"
#include "case_fixture.h"
#include "session.h"
#include "keyholder.h"
#include "vocab.h"

#define N_SETTINGS 13

/* The settings, in the order cv_config_list gives them, with defaults. */
static const char *const names[N_SETTINGS] = {
    "adult_age",   "archive_days", "referral_days", "duty_hours",	    "timezone",
    "term_autumn", "term_spring",  "alert_denials", "alert_denial_minutes", "alert_logins",
    "alert_cases", "alert_hours",  "school"};
static const char *const defaults[N_SETTINGS] = {
    "18", "7", "14", "10", "", "09..01", "02..07", "5", "10", "5", "20", "07:00-19:00", ""};

/* ---- reading ------------------------------------------------------------- */

struct listing {
	int n;
	struct {
		char name[32], value[128], dflt[128], signer[CV_NAME_MAX + 8];
		int is_default;
	} s[N_SETTINGS + 1];
};

static int list_cb(const cv_setting_info *i, void *arg)
{
	struct listing *l = arg;

	if (l->n <= N_SETTINGS) {
		snprintf(l->s[l->n].name, sizeof(l->s[0].name), "%s", i->name);
		snprintf(l->s[l->n].value, sizeof(l->s[0].value), "%s", i->value);
		snprintf(l->s[l->n].dflt, sizeof(l->s[0].dflt), "%s", i->dflt);
		snprintf(l->s[l->n].signer, sizeof(l->s[0].signer), "%s", i->signer);
		l->s[l->n].is_default = i->is_default;
	}
	l->n++;
	return 0;
}

static void list_ok(cv_session *s, struct listing *l)
{
	cv_err err = {0};

	memset(l, 0, sizeof(*l));
	if (cv_config_list(s, list_cb, l, &err) != CV_OK)
		fail_msg("config list failed: %s", err.msg);
	assert_int_equal(l->n, N_SETTINGS);
	for (int i = 0; i < N_SETTINGS; i++) {
		assert_string_equal(l->s[i].name, names[i]);
		assert_string_equal(l->s[i].dflt, defaults[i]);
	}
}

/* Index of name in names. */
static int idx(const char *name)
{
	for (int i = 0; i < N_SETTINGS; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	fail_msg("no setting '%s'", name);
	return -1;
}

/* Everything stored in the settings table, as one string. */
static void settings_table(const char *path, char *out, size_t cap)
{
	q_text(path, out, cap,
	       "SELECT ifnull(group_concat(name || '=' || value || '@' || seq || '/' ||"
	       " signer_id || ':' || hex(sig), ';'), '') FROM (SELECT * FROM settings"
	       " ORDER BY name)");
}

static int64_t ok_sets(const char *path)
{
	return q_int(path, "SELECT count(*) FROM audit WHERE action = 'config.set'"
			   " AND outcome = 'ok'");
}

static void set_ok(cv_session *s, const char *name, const char *value)
{
	cv_err err = {0};

	if (cv_config_set(s, name, value, &err) != CV_OK)
		fail_msg("config set %s=%s failed: %s", name, value, err.msg);
}

/* ---- defaults ------------------------------------------------------------ */

static void test_defaults_listed(void **state)
{
	struct fix *f = *state;
	static const struct {
		const char *name, *pass;
	} who[] = {{"carol", PW_CAROL}, {"sam", PW_SAM}, {"alice", PW_ALICE}};
	struct listing l;

	/* Anyone may list; nothing is stored yet, and every value is its
	 * default, signed by no one. */
	for (size_t u = 0; u < ARRAY_SIZE(who); u++) {
		cv_session *s = login_ok(f->v, who[u].name, who[u].pass);

		list_ok(s, &l);
		for (int i = 0; i < N_SETTINGS; i++) {
			assert_string_equal(l.s[i].value, defaults[i]);
			assert_int_equal(l.s[i].is_default, 1);
			assert_string_equal(l.s[i].signer, "");
		}
		logout(s);
	}
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM settings"), 0);
}

/* The names completion offers: exactly the settings, in the same order. */
static void test_setting_names(void **state)
{
	size_t n = 0;
	const char *const *got = cv_setting_names(&n);

	(void)state;
	assert_int_equal(n, N_SETTINGS);
	for (size_t i = 0; i < N_SETTINGS; i++)
		assert_string_equal(got[i], names[i]);
	assert_null(got[N_SETTINGS]);
}

/* The words of the new sets: roles, log outcomes, actions, seasons. */
static void test_more_words(void **state)
{
	size_t n = 0;
	const char *const *w;

	(void)state;
	w = cv_words(CV_WORDS_ROLE, &n);
	assert_int_equal(n, 3);
	assert_string_equal(w[0], "counselor");
	assert_string_equal(w[2], "admin");
	assert_null(w[3]);
	w = cv_words(CV_WORDS_OUTCOME, &n);
	assert_int_equal(n, 3);
	assert_string_equal(w[1], "denied");
	w = cv_words(CV_WORDS_ACTION, &n);
	assert_int_equal(n, cv_actions.n - 1);
	assert_string_equal(w[CV_ACT_CASE_OPEN - 1], "case.open");
	assert_null(w[n]);
	w = cv_words(CV_WORDS_SEASON, &n);
	assert_int_equal(n, 2);
	assert_string_equal(w[0], "autumn");
	assert_string_equal(w[1], "spring");
	assert_null(w[2]);
}

/* ---- setting ------------------------------------------------------------- */

static void test_admin_sets_each(void **state)
{
	struct fix *f = *state;
	static const char *const values[N_SETTINGS] = {"16",
						       "30",
						       "21",
						       "12",
						       "Asia/Shanghai",
						       "08..12",
						       "01..06",
						       "4",
						       "15",
						       "6",
						       "30",
						       "22:00-06:00",
						       "第一中学 No. 1 Middle School"};
	cv_session *a = login_ok(f->v, "alice", PW_ALICE), *c;
	int64_t alice = q_int(f->path, "SELECT id FROM users WHERE name = 'alice'");
	struct listing l;

	for (int i = 0; i < N_SETTINGS; i++)
		set_ok(a, names[i], values[i]);
	list_ok(a, &l);
	logout(a);
	for (int i = 0; i < N_SETTINGS; i++) {
		assert_string_equal(l.s[i].value, values[i]);
		assert_int_equal(l.s[i].is_default, 0);
		assert_string_equal(l.s[i].signer, "alice");
	}
	/* Everyone reads the same, signed by alice. */
	c = login_ok(f->v, "carol", PW_CAROL);
	list_ok(c, &l);
	logout(c);
	for (int i = 0; i < N_SETTINGS; i++) {
		assert_string_equal(l.s[i].value, values[i]);
		assert_string_equal(l.s[i].signer, "alice");
	}

	/* Each set is one audit row, "setting:NAME" with "value=V", and the
	 * stored value names that row and its signer. */
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE action = 'config.set'"),
			 N_SETTINGS);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM settings"), N_SETTINGS);
	for (int i = 0; i < N_SETTINGS; i++) {
		char detail[160], object[48];

		snprintf(detail, sizeof(detail), "value=%s", values[i]);
		snprintf(object, sizeof(object), "setting:%s", names[i]);
		assert_int_equal(audit_rows(f->path, "alice", "config.set", "ok", object), 1);
		assert_int_equal(q_int(f->path,
				       "SELECT count(*) FROM audit a, settings s WHERE"
				       " a.action = 'config.set' AND a.object = '%s' AND"
				       " a.detail = '%s' AND s.name = '%s' AND s.value = '%s'"
				       " AND s.seq = a.seq AND s.signer_id = %lld",
				       object, detail, names[i], values[i], (long long)alice),
				 1);
	}
}

static void test_set_again_replaces(void **state)
{
	struct fix *f = *state;
	cv_session *a = login_ok(f->v, "alice", PW_ALICE);
	struct listing l;

	/* The bounds are allowed, and the last value set is in force. */
	set_ok(a, "adult_age", "30");
	set_ok(a, "adult_age", "1");
	set_ok(a, "archive_days", "365");
	set_ok(a, "referral_days", "1");
	set_ok(a, "duty_hours", "168");
	set_ok(a, "timezone", "Etc/UTC");
	set_ok(a, "timezone", "Asia/Shanghai");
	list_ok(a, &l);
	assert_string_equal(l.s[idx("timezone")].value, "Asia/Shanghai");
	/* An empty time zone is the system's again; an empty number is not
	 * a value. */
	set_ok(a, "timezone", "");
	list_ok(a, &l);
	assert_string_equal(l.s[idx("timezone")].value, "");
	{
		cv_err err = {0};

		assert_int_equal(cv_config_set(a, "adult_age", "", &err), CV_EUSAGE);
		assert_string_equal(err.code, "field.empty");
	}
	set_ok(a, "timezone", "Asia/Shanghai");
	list_ok(a, &l);
	logout(a);
	assert_string_equal(l.s[idx("adult_age")].value, "1");
	assert_string_equal(l.s[idx("archive_days")].value, "365");
	assert_string_equal(l.s[idx("referral_days")].value, "1");
	assert_string_equal(l.s[idx("duty_hours")].value, "168");
	assert_string_equal(l.s[idx("timezone")].value, "Asia/Shanghai");
	/* The five set above, each once however often; the others keep their
	 * defaults, stored nowhere. */
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM settings"), 5);
	assert_int_equal(audit_rows(f->path, "alice", "config.set", "ok", "setting:adult_age"), 2);
	assert_int_equal(q_int(f->path, "SELECT s.seq = max(a.seq) FROM settings s, audit a"
					" WHERE s.name = 'adult_age' AND a.object ="
					" 'setting:adult_age' AND a.detail = 'value=1'"),
			 1);
}

/* ---- refusals: each leaves the settings as they were --------------------- */

/* alice sets adult_age to 16: a stored value for the refusals to leave
 * alone; its table snapshot goes to out. */
static void one_set(struct fix *f, char *out, size_t cap)
{
	cv_session *a = login_ok(f->v, "alice", PW_ALICE);

	set_ok(a, "adult_age", "16");
	logout(a);
	settings_table(f->path, out, cap);
	assert_true(strstr(out, "adult_age=16@") == out);
}

/* Expects the settings table to hold what it held (before), adult_age
 * still 16 by alice, and no other successful set. */
static void unchanged(struct fix *f, const char *before, const char *what)
{
	char now[1024];
	struct listing l;
	cv_session *s = login_ok(f->v, "sam", PW_SAM);

	settings_table(f->path, now, sizeof(now));
	if (strcmp(now, before) != 0)
		fail_msg("after %s the settings changed:\n  was %s\n  now %s", what, before, now);
	assert_int_equal(ok_sets(f->path), 1);
	list_ok(s, &l);
	logout(s);
	assert_string_equal(l.s[idx("adult_age")].value, "16");
	assert_string_equal(l.s[idx("adult_age")].signer, "alice");
	for (int i = 1; i < N_SETTINGS; i++)
		assert_int_equal(l.s[i].is_default, 1);
}

static void test_role_refused(void **state)
{
	struct fix *f = *state;
	static const struct {
		const char *name, *pass, *role;
	} who[] = {{"carol", PW_CAROL, "counselor"}, {"sam", PW_SAM, "supervisor"}};
	char before[1024], sub[64];
	cv_err err;

	one_set(f, before, sizeof(before));
	for (size_t u = 0; u < ARRAY_SIZE(who); u++) {
		cv_session *s = login_ok(f->v, who[u].name, who[u].pass);

		memset(&err, 0, sizeof(err));
		assert_int_equal(cv_config_set(s, "adult_age", "12", &err), CV_EDENIED);
		assert_int_equal(err.status, CV_EDENIED);
		snprintf(sub, sizeof(sub), "'%s'", who[u].name);
		assert_msg_has(err, sub);
		assert_msg_has(err, who[u].role);
		assert_msg_has(err, "only an admin");
		assert_int_equal(cv_config_set(s, "timezone", "Asia/Shanghai", &err), CV_EDENIED);
		logout(s);
		assert_int_equal(
		    audit_rows(f->path, who[u].name, "config.set", "denied", "setting:adult_age"),
		    1);
		assert_int_equal(
		    audit_rows(f->path, who[u].name, "config.set", "denied", "setting:timezone"),
		    1);
		unchanged(f, before, who[u].name);
	}
}

static void test_unknown_name_refused(void **state)
{
	struct fix *f = *state;
	static const char *const bad[] = {"colour", "adult-age", "ADULT_AGE", "adult_age ",
					  "",	    "adult",	 "timezones"};
	cv_session *a;
	char before[1024];
	cv_err err;

	one_set(f, before, sizeof(before));
	a = login_ok(f->v, "alice", PW_ALICE);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(&err, 0, sizeof(err));
		if (cv_config_set(a, bad[i], "16", &err) != CV_EUSAGE)
			fail_msg("setting '%s' gave %s, expected %s: %s", bad[i],
				 cv_status_name(err.status), cv_status_name(CV_EUSAGE), err.msg);
		assert_int_equal(err.status, CV_EUSAGE);
	}
	memset(&err, 0, sizeof(err));
	assert_int_equal(cv_config_set(a, NULL, "16", &err), CV_EUSAGE);
	assert_int_equal(cv_config_set(a, "colour", "16", &err), CV_EUSAGE);
	assert_msg_has(err, "'colour'");
	logout(a);
	unchanged(f, before, "unknown names");
}

/* A term's months come from its setting; the two terms share none. */
static void test_terms(void **state)
{
	struct fix *f = *state;
	cv_session *a = login_ok(f->v, "alice", PW_ALICE);
	char from[CV_STATS_MONTH_LEN], to[CV_STATS_MONTH_LEN];
	cv_err err = {0};

	assert_int_equal(cv_stats_term(f->v, "2026-autumn", from, to, &err), CV_OK);
	assert_string_equal(from, "2026-09");
	assert_string_equal(to, "2027-01");
	assert_int_equal(cv_stats_term(f->v, "2027-spring", from, to, &err), CV_OK);
	assert_string_equal(from, "2027-02");
	assert_string_equal(to, "2027-07");
	assert_int_equal(cv_stats_term(f->v, "2026-winter", from, to, &err), CV_EUSAGE);

	set_ok(a, "term_autumn", "08..12");
	assert_int_equal(cv_config_set(a, "term_spring", "12..03", &err), CV_EUSAGE);
	assert_string_equal(err.code, "config.term-overlap");
	set_ok(a, "term_spring", "01..06");
	assert_int_equal(cv_stats_term(f->v, "2026-autumn", from, to, &err), CV_OK);
	assert_string_equal(from, "2026-08");
	assert_string_equal(to, "2026-12");
	assert_int_equal(cv_stats_term(f->v, "2027-spring", from, to, &err), CV_OK);
	assert_string_equal(from, "2027-01");
	assert_string_equal(to, "2027-06");
	logout(a);

	/* A stored term that fails verification is an integrity error, not
	 * the default. */
	raw_exec(f->path, "UPDATE settings SET value = '07..12' WHERE name = 'term_autumn'");
	assert_int_equal(cv_stats_term(f->v, "2026-autumn", from, to, &err), CV_EINTEGRITY);
}

static void test_bad_values_refused(void **state)
{
	struct fix *f = *state;
	static const struct {
		const char *name, *value;
	} bad[] = {
	    {"adult_age", "0"},
	    {"adult_age", "31"},
	    {"adult_age", "x"},
	    {"adult_age", "17 "},
	    {"adult_age", " 17"},
	    {"adult_age", ""},
	    {"adult_age", "-1"},
	    {"adult_age", "+17"},
	    {"adult_age", "17.0"},
	    {"adult_age", "1e1"},
	    {"adult_age", "0x10"},
	    {"adult_age", "99999999999"},
	    {"adult_age", "17\n"},
	    {"adult_age", "\xef\xbc\x91\xef\xbc\x97"},
	    {"archive_days", "0"},
	    {"archive_days", "366"},
	    {"referral_days", "0"},
	    {"referral_days", "366"},
	    {"duty_hours", "0"},
	    {"duty_hours", "169"},
	    {"duty_hours", "ten"},
	    {"timezone", "17"},
	    {"term_autumn", "9..1"},
	    {"term_autumn", "13..01"},
	    {"term_spring", "00..05"},
	    {"term_spring", "02-07"},
	    {"term_autumn", "09..01 "},
	    {"term_spring", ""},
	    /* a month of the other term (autumn is 09..01) */
	    {"term_spring", "01..06"},
	    {"term_spring", "12..03"},
	};
	cv_session *a;
	char before[1024];
	cv_err err;

	one_set(f, before, sizeof(before));
	a = login_ok(f->v, "alice", PW_ALICE);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		cv_status st;

		memset(&err, 0, sizeof(err));
		st = cv_config_set(a, bad[i].name, bad[i].value, &err);
		if (st != CV_EUSAGE)
			fail_msg("%s='%s' gave %s, expected %s: %s", bad[i].name, bad[i].value,
				 cv_status_name(st), cv_status_name(CV_EUSAGE), err.msg);
	}
	/* The range is in the message. */
	assert_int_equal(cv_config_set(a, "adult_age", "31", &err), CV_EUSAGE);
	assert_msg_has(err, "'adult_age'");
	assert_msg_has(err, "from 1 to 30");
	/* No value at all. */
	assert_int_equal(cv_config_set(a, "adult_age", NULL, &err), CV_EUSAGE);
	logout(a);
	unchanged(f, before, "bad values");
}

static void test_bad_timezones_refused(void **state)
{
	struct fix *f = *state;
	static const char *const bad[] = {
	    "Mars/Olympus",
	    "Asia/../Asia/Shanghai",
	    "../zoneinfo/Asia/Shanghai",
	    "Asia/Shanghai/..",
	    "/usr/share/zoneinfo/Asia/Shanghai",
	    "Asia",
	    "Asia/Shanghai ",
	    "asia/shanghai",
	    "Asia/Shanghai\n",
	};
	struct stat sb;
	cv_session *a;
	char before[1024];
	cv_err err;

	/* "Asia/../Asia/Shanghai" leads to a real zone file: it is refused
	 * for the ".." in it, not for naming no zone. */
	assert_int_equal(stat("/usr/share/zoneinfo/Asia/../Asia/Shanghai", &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	one_set(f, before, sizeof(before));
	a = login_ok(f->v, "alice", PW_ALICE);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		cv_status st;

		memset(&err, 0, sizeof(err));
		st = cv_config_set(a, "timezone", bad[i], &err);
		if (st != CV_EUSAGE)
			fail_msg("timezone '%s' gave %s, expected %s: %s", bad[i],
				 cv_status_name(st), cv_status_name(CV_EUSAGE), err.msg);
	}
	assert_int_equal(cv_config_set(a, "timezone", "Mars/Olympus", &err), CV_EUSAGE);
	assert_msg_has(err, "'Mars/Olympus'");
	assert_msg_has(err, "time zone");
	logout(a);
	unchanged(f, before, "bad time zones");
}

/* ---- a setting in force: adult_age and the guardian's consent (R1) ------- */

/* The date `years` years and `days` days before today (UTC). */
static void years_ago(int years, int days, char out[11])
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	tm.tm_year -= years;
	tm.tm_mday -= days;
	tm.tm_hour = 12;
	(void)timegm(&tm); /* normalizes the day */
	strftime(out, 11, "%Y-%m-%d", &tm);
}

static cv_status note_add(cv_session *s, const char *case_id, cv_err *err)
{
	static const char text[] = "what was said today";
	char id[CV_CASE_ID_MAX];

	memset(err, 0, sizeof(*err));
	return cv_note_add(s, case_id, NULL, text, sizeof(text) - 1, NULL, id, err);
}

static void set_as_alice(struct fix *f, const char *name, const char *value)
{
	cv_session *a = login_ok(f->v, "alice", PW_ALICE);

	set_ok(a, name, value);
	logout(a);
}

/* carol opens a case of a student born 17 years (and 100 days) ago, with
 * the student's own consent to individual counseling and no guardian's. */
static void open_seventeen(struct fix *f, const char *sid, char id[CV_CASE_ID_MAX])
{
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	cv_case_input in = student(sid, "Wu Hao");
	char born[11];

	years_ago(17, 100, born);
	in.born = born;
	open_ok(c, &in, id);
	consent_ok(c, id, "student", "individual");
	logout(c);
}

static void test_adult_age_takes_effect(void **state)
{
	struct fix *f = *state;
	char a[CV_CASE_ID_MAX], b[CV_CASE_ID_MAX];
	cv_session *c;
	cv_err err;

	/* Under the default (18) a seventeen-year-old is a minor. */
	open_seventeen(f, "S-1", a);
	c = login_ok(f->v, "carol", PW_CAROL);
	assert_int_equal(note_add(c, a, &err), CV_EDENIED);
	assert_msg_has(err, "guardian");
	logout(c);
	assert_int_equal(case_rows(f->path, "carol", "note.add", "denied", a), 1);

	/* With adult_age 16 the same note needs only the student. */
	set_as_alice(f, "adult_age", "16");
	c = login_ok(f->v, "carol", PW_CAROL);
	if (note_add(c, a, &err) != CV_OK)
		fail_msg("note on a seventeen-year-old's case with adult_age 16: %s", err.msg);
	logout(c);
	open_seventeen(f, "S-2", b);
	c = login_ok(f->v, "carol", PW_CAROL);
	assert_int_equal(note_add(c, b, &err), CV_OK);
	logout(c);

	/* Back to 18: refused again. */
	set_as_alice(f, "adult_age", "18");
	c = login_ok(f->v, "carol", PW_CAROL);
	assert_int_equal(note_add(c, b, &err), CV_EDENIED);
	assert_msg_has(err, "guardian");
	logout(c);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM records WHERE type = 'note'"), 2);
}

/* ---- a stored setting that fails verification ---------------------------- */

static void vault_close(struct fix *f)
{
	logout_all();
	cv_vault_close(f->v);
	f->v = NULL;
}

static void vault_reopen(struct fix *f)
{
	cv_err err = {0};

	assert_int_equal(cv_vault_open(f->path, &f->v, &err), CV_OK);
}

/* The state the tampering tests start from, saved at state (a path): alice
 * set adult_age to 16, carol opened case id (a seventeen-year-old with the
 * student's consent) and wrote a note. */
static void tamper_base(struct fix *f, char *state, size_t cap, char id[CV_CASE_ID_MAX])
{
	cv_session *c;
	cv_err err;

	set_as_alice(f, "adult_age", "16");
	open_seventeen(f, "S-1", id);
	c = login_ok(f->v, "carol", PW_CAROL);
	assert_int_equal(note_add(c, id, &err), CV_OK);
	logout(c);
	vault_close(f);
	tmpdir_file(state, cap, f->dir, "state.db");
	copy_db(f->path, state);
}

/* Expects every read that depends on adult_age to fail with CV_EINTEGRITY
 * naming it, and no note to be added. */
static void reads_refused(struct fix *f, const char *id, const char *what, const char *why)
{
	int64_t notes = q_int(f->path, "SELECT count(*) FROM records WHERE type = 'note'");
	struct listing l;
	cv_session *s;
	cv_err err;
	cv_status st;

	vault_reopen(f);
	s = login_ok(f->v, "carol", PW_CAROL);
	st = note_add(s, id, &err);
	if (st != CV_EINTEGRITY)
		fail_msg("after %s note add gave %s, expected %s: %s", what, cv_status_name(st),
			 cv_status_name(CV_EINTEGRITY), err.msg);
	assert_msg_has(err, "'adult_age'");
	assert_msg_has(err, why);
	memset(&l, 0, sizeof(l));
	memset(&err, 0, sizeof(err));
	st = cv_config_list(s, list_cb, &l, &err);
	if (st != CV_EINTEGRITY)
		fail_msg("after %s config list gave %s, expected %s: %s", what, cv_status_name(st),
			 cv_status_name(CV_EINTEGRITY), err.msg);
	assert_msg_has(err, "'adult_age'");
	/* Nothing was read from the default instead. */
	assert_int_equal(l.n, 0);
	logout(s);
	vault_close(f);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM records WHERE type = 'note'"), notes);
}

/* The control: the untampered state reads. */
static void reads_fine(struct fix *f, const char *id)
{
	struct listing l;
	cv_session *s;
	cv_err err;

	vault_reopen(f);
	s = login_ok(f->v, "carol", PW_CAROL);
	if (note_add(s, id, &err) != CV_OK)
		fail_msg("untampered: note add failed: %s", err.msg);
	list_ok(s, &l);
	assert_string_equal(l.s[idx("adult_age")].value, "16");
	logout(s);
	vault_close(f);
}

static void test_tampered_setting_refused(void **state)
{
	struct fix *f = *state;
	static const struct {
		const char *sql, *why;
	} edits[] = {
	    {"UPDATE settings SET value = '15' WHERE name = 'adult_age'",
	     "signature does not match"},
	    {"UPDATE settings SET value = '18' WHERE name = 'adult_age'",
	     "signature does not match"},
	    {"UPDATE settings SET sig = randomblob(64) WHERE name = 'adult_age'",
	     "signature does not match"},
	    {"UPDATE settings SET seq = seq - 2 WHERE name = 'adult_age'",
	     "signature does not match"},
	    {"UPDATE settings SET signer_id = (SELECT id FROM users WHERE name = 'carol')"
	     " WHERE name = 'adult_age'",
	     "not signed by an admin"},
	    {"UPDATE settings SET signer_id = 99 WHERE name = 'adult_age'",
	     "signer did not exist then"},
	};
	char path[TEST_PATH_MAX], id[CV_CASE_ID_MAX];

	tamper_base(f, path, sizeof(path), id);
	for (size_t i = 0; i < ARRAY_SIZE(edits); i++) {
		copy_db(path, f->path);
		reads_fine(f, id);
		copy_db(path, f->path);
		raw_exec(f->path, "%s", edits[i].sql);
		reads_refused(f, id, edits[i].sql, edits[i].why);
	}
}

/* "casevault-setting-v1" || vault_id || lp(name) || lp(value) ||
 * u64be(seq) || u64be(signer_id), lp = u32be(length) || bytes. */
static size_t setting_msg(const char *path, const char *name, const char *value, int64_t seq,
			  int64_t signer, uint8_t *out, size_t cap)
{
	static const char domain[] = "casevault-setting-v1";
	const char *const parts[] = {name, value};
	size_t o = sizeof(domain) - 1;
	uint8_t vid[CV_VAULT_ID_LEN];
	uint64_t n[] = {(uint64_t)seq, (uint64_t)signer};

	assert_int_equal(
	    q_blob(path, vid, sizeof(vid), "SELECT value FROM meta WHERE key = 'vault_id'"),
	    CV_VAULT_ID_LEN);
	assert_true(o + CV_VAULT_ID_LEN + 8 + strlen(name) + strlen(value) + 16 <= cap);
	memcpy(out, domain, o);
	memcpy(out + o, vid, CV_VAULT_ID_LEN);
	o += CV_VAULT_ID_LEN;
	for (size_t p = 0; p < 2; p++) {
		uint32_t l = (uint32_t)strlen(parts[p]);

		for (int i = 0; i < 4; i++)
			out[o++] = (uint8_t)(l >> (24 - 8 * i));
		memcpy(out + o, parts[p], l);
		o += l;
	}
	for (size_t p = 0; p < 2; p++)
		for (int i = 0; i < 8; i++)
			out[o++] = (uint8_t)(n[p] >> (56 - 8 * i));
	return o;
}

/* Rewrites adult_age's signer to `who` and re-signs it with who's real
 * key (from a login on f->path). */
static void resign_setting(struct fix *f, const char *who, const char *pass)
{
	int64_t seq = q_int(f->path, "SELECT seq FROM settings WHERE name = 'adult_age'");
	int64_t id = q_int(f->path, "SELECT id FROM users WHERE name = '%s'", who);
	uint8_t msg[256], sig[crypto_sign_BYTES];
	char value[128], hex[2 * crypto_sign_BYTES + 1];
	size_t len;
	cv_session *s;
	cv_err err = {0};

	q_text(f->path, value, sizeof(value),
	       "SELECT value FROM settings WHERE name = 'adult_age'");
	len = setting_msg(f->path, "adult_age", value, seq, id, msg, sizeof(msg));
	vault_reopen(f);
	s = login_ok(f->v, who, pass);
	assert_int_equal(cv_keyholder_sign(s->kh, msg, len, sig, &err), CV_OK);
	logout(s);
	vault_close(f);
	sodium_bin2hex(hex, sizeof(hex), sig, sizeof(sig));
	raw_exec(f->path,
		 "UPDATE settings SET signer_id = %lld, sig = X'%s' WHERE name = 'adult_age'",
		 (long long)id, hex);
}

static void test_setting_signed_by_counselor_refused(void **state)
{
	struct fix *f = *state;
	char path[TEST_PATH_MAX], id[CV_CASE_ID_MAX];

	tamper_base(f, path, sizeof(path), id);
	/* Re-signed by alice, as it was: the message is the one the library
	 * signs, so the refusal below is for the signer's role alone. */
	copy_db(path, f->path);
	resign_setting(f, "alice", PW_ALICE);
	reads_fine(f, id);
	/* Signed, genuinely, by carol, a counselor. */
	copy_db(path, f->path);
	resign_setting(f, "carol", PW_CAROL);
	reads_refused(f, id, "adult_age signed by carol", "not signed by an admin");
}

/* The signed row deleted while the log holds alice's config.set: the
 * default is not the value in force, and reading it would be a silent
 * default. */
static void test_deleted_setting_refused(void **state)
{
	struct fix *f = *state;
	char path[TEST_PATH_MAX], id[CV_CASE_ID_MAX];

	tamper_base(f, path, sizeof(path), id);
	copy_db(path, f->path);
	reads_fine(f, id);
	copy_db(path, f->path);
	raw_exec(f->path, "DELETE FROM settings WHERE name = 'adult_age'");
	reads_refused(f, id, "adult_age's row deleted", "adult_age");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_defaults_listed, setup, teardown),
	    cmocka_unit_test(test_setting_names),
	    cmocka_unit_test(test_more_words),
	    cmocka_unit_test_setup_teardown(test_admin_sets_each, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_set_again_replaces, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_role_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_name_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_values_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_terms, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_timezones_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_adult_age_takes_effect, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tampered_setting_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_setting_signed_by_counselor_refused, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_deleted_setting_refused, setup, teardown),
	};
	cv_err err = {0};

	if (cv_init(&err) != CV_OK) {
		fprintf(stderr, "cv_init: %s\n", err.msg);
		return 1;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
