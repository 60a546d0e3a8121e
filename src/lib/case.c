/*
 * case.c - the access choke point, consent evaluation, and the case
 * commands: open, list, find, show, close, reopen, share, handover, shred.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "case.h"
#include "crypt.h"
#include "err.h"
#include "recovery.h"
#include "text.h"
#include "user.h"
#include "vkeys.h"
#include "banned.h"

#define FIELD_MAX 200 /* single-line fields, in bytes */

static const char *const scope_words[] = {"individual", "group", "testing", "guardian-contact",
					  "referral-disclosure"};
static const char *const scope_prose[] = {"individual counseling", "group counseling",
					  "psychological testing", "contact with guardians",
					  "disclosure to a referral institution"};
static const char *const categories[] = {"academic", "emotion",  "relationships",
					 "family",   "adolescence", "behavior",
					 "self-harm-risk", "other"};

/* ---- small helpers ------------------------------------------------------ */

cv_status cv_scope_parse(const char *list, unsigned *bits, cv_err *err)
{
	const char *p = list;

	*bits = 0;
	if (!list || !*list)
		return cv_err_set(err, CV_EUSAGE,
				  "no consent scope given; use one or more of individual, group, "
				  "testing, guardian-contact, referral-disclosure");
	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		int found = 0;

		for (size_t i = 0; i < 5; i++) {
			if (strlen(scope_words[i]) == n && strncmp(p, scope_words[i], n) == 0) {
				*bits |= 1u << i;
				found = 1;
			}
		}
		if (!found)
			return cv_err_set(err, CV_EUSAGE,
					  "unknown consent scope '%.*s'; use individual, group, "
					  "testing, guardian-contact or referral-disclosure",
					  (int)(n > 40 ? 40 : n), p);
		p += n;
		if (*p == ',')
			p++;
	}
	return CV_OK;
}

void cv_scope_format(unsigned bits, char *out, size_t cap)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < 5; i++) {
		if (bits & (1u << i)) {
			int n = snprintf(out + o, cap - o, "%s%s", o ? "," : "", scope_words[i]);
			if (n < 0 || (size_t)n >= cap - o)
				return;
			o += (size_t)n;
		}
	}
}

static const char *scope_name(unsigned bit)
{
	for (size_t i = 0; i < 5; i++)
		if (bit == 1u << i)
			return scope_prose[i];
	return "this work";
}

static const char *scope_word(unsigned bit)
{
	for (size_t i = 0; i < 5; i++)
		if (bit == 1u << i)
			return scope_words[i];
	return "individual";
}

void cv_today(char out[11])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

cv_status cv_date_check(const char *what, const char *d, cv_err *err)
{
	char full[CV_TIME_LEN];

	if (!d || strlen(d) != 10 || cv_time_bound(d, 0, full, NULL) != CV_OK)
		return cv_err_set(err, CV_EUSAGE, "%s '%.40s' is not a date; use YYYY-MM-DD", what,
				  d ? d : "");
	return CV_OK;
}

static time_t date_time(const char *d)
{
	struct tm tm = {0};

	if (sscanf(d, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_hour = 12;
	return timegm(&tm);
}

void cv_date_add_days(const char *d, int days, char out[11])
{
	time_t t = date_time(d) + (time_t)days * 86400;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

long cv_date_diff(const char *a, const char *b)
{
	return (long)((date_time(b) - date_time(a)) / 86400);
}

/* Age in whole years on date `on` of someone born on `born`. */
static int age_on(const char *born, const char *on)
{
	int by, bm, bd, y, m, d, age;

	if (sscanf(born, "%4d-%2d-%2d", &by, &bm, &bd) != 3 ||
	    sscanf(on, "%4d-%2d-%2d", &y, &m, &d) != 3)
		return 0;
	age = y - by;
	if (m < bm || (m == bm && d < bd))
		age--;
	return age;
}

static int adult_age(cv_vault *v)
{
	uint8_t a = 18;

	if (cv_store_meta_get(v->st, "adult_age", &a, 1, NULL) != CV_OK)
		return 18;
	return a;
}

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* ---- the choke point ------------------------------------------------------- */

void cv_case_free(struct cv_case *c)
{
	if (!c)
		return;
	cv_case_rec_clear(&c->rec);
	free(c->notes);
	sodium_free(c->key);
	json_decref(c->data);
	sodium_memzero(c, sizeof(*c));
	free(c);
}

static cv_status open_json(cv_session *s, const uint8_t *key, const cv_place *at,
			   const uint8_t *nonce, const uint8_t *box, size_t len, json_t **out,
			   cv_err *err)
{
	uint8_t *pt = NULL;
	size_t n = 0;
	json_error_t jerr;
	cv_status st = cv_aead_open(s->v, key, at, nonce, box, len, &pt, &n, err);

	*out = NULL;
	if (st != CV_OK)
		return st;
	*out = json_loadb((const char *)pt, n, 0, &jerr);
	sodium_free(pt);
	if (!*out || !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return cv_err_set(err, CV_EINTEGRITY, "the %s of case '%s' is not valid JSON",
				  at->type, at->case_id);
	}
	return CV_OK;
}

/* Encrypts a JSON object; *box is malloc'd. */
static cv_status seal_json(cv_session *s, const uint8_t *key, const cv_place *at, json_t *o,
			   uint8_t nonce[CV_AEAD_NONCE_LEN], uint8_t **box, size_t *len,
			   cv_err *err)
{
	char *txt = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	cv_status st;

	if (!txt)
		return cv_err_set(err, CV_ERROR, "out of memory");
	st = cv_aead_seal(s->v, key, at, (const uint8_t *)txt, strlen(txt), nonce, box, len, err);
	json_free_t f;
	json_get_alloc_funcs(NULL, &f);
	sodium_memzero(txt, strlen(txt));
	f(txt);
	return st;
}

cv_status cv_record_put(cv_session *s, struct cv_case *c, cv_record *r, json_t *body,
			const char *text, size_t textlen, int insert, cv_err *err)
{
	cv_place at = {r->type, c->rec.id, r->id, r->version};
	uint8_t *box = NULL;
	size_t len = 0;
	cv_status st;

	if (text)
		st = cv_aead_seal(s->v, c->key, &at, (const uint8_t *)text, textlen, r->nonce, &box,
				  &len, err);
	else
		st = seal_json(s, c->key, &at, body, r->nonce, &box, &len, err);
	if (st != CV_OK)
		return st;
	r->box = box;
	r->box_len = len;
	st = insert ? cv_store_record_insert(s->v->st, r, err) : cv_store_record_update(s->v->st, r, err);
	free(box);
	r->box = NULL;
	r->box_len = 0;
	return st;
}

cv_status cv_record_open_json(cv_session *s, struct cv_case *c, const cv_record *r, json_t **body,
			      cv_err *err)
{
	cv_place at = {r->type, c->rec.id, r->id, r->version};

	return open_json(s, c->key, &at, r->nonce, r->box, r->box_len, body, err);
}

cv_status cv_record_open_text(cv_session *s, struct cv_case *c, const cv_record *r,
			      uint8_t **text, size_t *len, cv_err *err)
{
	cv_place at = {r->type, c->rec.id, r->id, r->version};

	return cv_aead_open(s->v, c->key, &at, r->nonce, r->box, r->box_len, text, len, err);
}

struct consent_fold {
	cv_session *s;
	struct cv_case *c;
	cv_err *err;
	cv_status st;
};

static unsigned json_scopes(json_t *o)
{
	unsigned bits = 0;
	size_t i;
	json_t *w;

	json_array_foreach(json_object_get(o, "scopes"), i, w)
	{
		for (size_t k = 0; k < 5; k++)
			if (json_is_string(w) && strcmp(json_string_value(w), scope_words[k]) == 0)
				bits |= 1u << k;
	}
	return bits;
}

int cv_case_note_before_withdrawal(const struct cv_case *c, const char *id)
{
	for (size_t i = 0; i < c->nnotes_withdrawn; i++)
		if (strcmp(c->notes[i], id) == 0)
			return 1;
	return 0;
}

static int fold_consent(const cv_record *r, void *arg)
{
	struct consent_fold *f = arg;
	json_t *o = NULL;
	const char *by;
	unsigned bits;

	if (strcmp(r->type, "note") == 0) {
		char(*p)[CV_ID_MAX] = realloc(f->c->notes, (f->c->nnotes + 1) * sizeof(*p));

		if (!p) {
			f->st = cv_err_set(f->err, CV_ERROR, "out of memory");
			return 1;
		}
		f->c->notes = p;
		snprintf(p[f->c->nnotes++], CV_ID_MAX, "%s", r->id);
		return 0;
	}
	if (strcmp(r->type, "consent") != 0)
		return 0;

	f->st = cv_record_open_json(f->s, f->c, r, &o, f->err);
	if (f->st != CV_OK)
		return 1;
	bits = json_scopes(o);
	by = jstr(o, "by");
	if (strcmp(jstr(o, "action"), "record") == 0) {
		if (strcmp(by, "student") == 0)
			f->c->student_scopes |= bits;
		else if (strcmp(by, "guardian") == 0)
			f->c->guardian_scopes |= bits;
	} else {
		if (strcmp(by, "guardian") != 0)
			f->c->student_scopes &= ~bits;
		if (strcmp(by, "student") != 0)
			f->c->guardian_scopes &= ~bits;
		f->c->withdrawn = 1;
		f->c->nnotes_withdrawn = f->c->nnotes;
		snprintf(f->c->withdrawn_on, sizeof(f->c->withdrawn_on), "%s", jstr(o, "date"));
		snprintf(f->c->withdrawn_at, sizeof(f->c->withdrawn_at), "%s", r->created_at);
	}
	f->c->consent_events++;
	json_decref(o);
	return 0;
}

static cv_status load_consent(cv_session *s, struct cv_case *c, cv_err *err)
{
	struct consent_fold f = {s, c, err, CV_OK};
	char today[11];
	const char *born = jstr(c->data, "born");
	cv_status st;

	cv_today(today);
	c->minor = !*born || age_on(born, today) < adult_age(s->v);
	st = cv_store_record_each_case(s->v->st, c->rec.id, NULL, fold_consent, &f, err);
	return st != CV_OK ? st : f.st;
}

/* R1: the consent an operation needs, or R2's crisis exception. */
static cv_status check_consent(struct cv_case *c, unsigned scope, const char *crisis,
			       cv_err *err)
{
	unsigned missing_student = scope & ~c->student_scopes;
	unsigned missing_guardian = c->minor ? scope & ~c->guardian_scopes : 0;
	const char *who;

	if (!missing_student && !missing_guardian)
		return CV_OK;
	if (crisis) {
		c->crisis = crisis;
		c->crisis_scope = scope;
		return CV_OK;
	}
	who = missing_student ? "student" : "guardian";
	return cv_err_set(err, CV_EDENIED,
			  "case '%s' has no %s consent from the %s%s for %s; record it with "
			  "'casevault consent record %s --by %s --method written|oral --date "
			  "YYYY-MM-DD --scope %s', or act under --crisis \"justification\" if there "
			  "is a risk of harm",
			  c->rec.id, c->withdrawn ? "current (withdrawn)" : "recorded", who,
			  !missing_student ? " (the student is a minor)" : "",
			  scope_name(missing_student ? missing_student : missing_guardian),
			  c->rec.id, who, scope_word(missing_student ? missing_student : missing_guardian));
}

static cv_status case_load(cv_session *s, const char *case_id, unsigned need,
			   cv_keyholder *recovery, struct cv_case *c, cv_err *err)
{
	uint8_t sealed[CV_SEALED_KEY_LEN];
	cv_place at;
	cv_status st;

	if (cv_field_check("case id", case_id, CV_ID_MAX - 1, NULL) != CV_OK)
		return cv_err_set(err, CV_ENOTFOUND, "no case '%.20s'; case ids look like C-7KQ2M",
				  case_id ? case_id : "");
	st = cv_store_case_get(s->v->st, case_id, &c->rec, err);
	if (st != CV_OK)
		return st;
	if (strcmp(c->rec.status, "shredded") == 0)
		return cv_err_set(err, CV_ENOTFOUND,
				  "case '%s' was shredded: nothing of it can be read any more",
				  case_id);
	if (need & CV_NEED_META)
		return CV_OK;
	if (need & CV_NEED_RECOVERY) {
		if (s->role != CV_ROLE_ADMIN)
			return cv_err_set(err, CV_EDENIED, "only an admin may use the recovery key");
		st = cv_key_unseal(recovery, c->rec.recovery_key, &c->key, err);
		if (st != CV_OK)
			return cv_err_set(err, CV_EINTEGRITY,
					  "the recovery copy of case '%s' does not open: it was "
					  "tampered with",
					  case_id);
	} else {
		if (s->role != CV_ROLE_COUNSELOR)
			return cv_err_set(err, CV_EDENIED,
					  "'%s' is %s; only counselors granted on a case read or "
					  "write its content (identity, notes, tests, referrals)",
					  s->me.name, cv_role_a(s->role));
		st = cv_store_grant_get(s->v->st, case_id, s->me.id, sealed, err);
		if (st == CV_ENOTFOUND)
			return cv_err_set(err, CV_EDENIED,
					  "case '%s' is not shared with '%s'; a counselor on the "
					  "case can share it with 'casevault case share %s %s'",
					  case_id, s->me.name, case_id, s->me.name);
		if (st != CV_OK)
			return st;
		st = cv_key_unseal(s->kh, sealed, &c->key, err);
		if (st != CV_OK)
			return cv_err_set(err, CV_EINTEGRITY,
					  "the key of case '%s' sealed to '%s' does not open: it "
					  "was tampered with",
					  case_id, s->me.name);
	}
	at = (cv_place){"case", c->rec.id, c->rec.id, c->rec.version};
	return open_json(s, c->key, &at, c->rec.data_nonce, c->rec.data_box, c->rec.data_len,
			 &c->data, err);
}

cv_status cv_case_enter(cv_session *s, const char *case_id, const char *action, unsigned need,
			unsigned scope, const char *crisis, cv_keyholder *recovery,
			struct cv_case **out, cv_err *err)
{
	char object[CV_ID_MAX + 8];
	struct cv_case *c;
	cv_status st;

	*out = NULL;
	cv_object_name(object, sizeof(object), "case", case_id ? case_id : "");
	if (crisis) {
		cv_err why = {0};
		size_t words = 0;

		/* Count words: a non-blank that follows a blank or the start. */
		for (const char *p = crisis; *p; p++)
			words += *p != ' ' && *p != '\t' && (p == crisis || p[-1] == ' ' || p[-1] == '\t');
		if (cv_field_check("the justification", crisis, 1000, &why) != CV_OK)
			return cv_err_set(err, CV_EUSAGE,
					  "--crisis needs a justification: say what risk of harm "
					  "makes acting without consent necessary (%s)",
					  why.msg);
		if (words < 3)
			return cv_err_set(err, CV_EUSAGE,
					  "--crisis needs a justification: say what risk of harm "
					  "makes acting without consent necessary");
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return cv_err_set(err, CV_ERROR, "out of memory");
	st = cv_op_begin(s, err);
	if (st != CV_OK) {
		free(c);
		return st;
	}
	st = case_load(s, case_id, need, recovery, c, err);
	if (st == CV_OK && (need & CV_NEED_OPEN) && strcmp(c->rec.status, "open") != 0)
		st = cv_err_set(err, CV_EDENIED,
				"case '%s' is closed; reopen it with 'casevault case reopen %s' first",
				case_id, case_id);
	if (st == CV_OK && c->data)
		st = load_consent(s, c, err);
	if (st == CV_OK && scope)
		st = check_consent(c, scope, crisis, err);
	if (st != CV_OK)
		return cv_case_abort(s, c, action, object, err);
	*out = c;
	return CV_OK;
}

cv_status cv_case_leave(cv_session *s, struct cv_case *c, const char *action, const char *object,
			const char *detail, cv_err *err)
{
	char now[CV_TIME_LEN], scopes[96], cobj[CV_ID_MAX + 8], cdetail[256];
	cv_status st = CV_OK;

	if (c->crisis) {
		/* R2: the justification is kept encrypted with the case; the log
		 * flags the event for supervisor review without its content. */
		json_t *o = json_pack("{s:s, s:s, s:s}", "justification", c->crisis, "action", action,
				      "object", object);
		cv_record r = {0};

		cv_time_now(now);
		st = cv_new_id(s->v, 'X', 6, r.id, err);
		snprintf(r.case_id, sizeof(r.case_id), "%s", c->rec.id);
		snprintf(r.type, sizeof(r.type), "crisis");
		snprintf(r.status, sizeof(r.status), "unreviewed");
		r.version = 1;
		r.author_id = s->me.id;
		snprintf(r.created_at, sizeof(r.created_at), "%s", now);
		snprintf(r.updated_at, sizeof(r.updated_at), "%s", now);
		if (!o && st == CV_OK)
			st = cv_err_set(err, CV_ERROR, "out of memory");
		if (st == CV_OK)
			st = cv_record_put(s, c, &r, o, NULL, 0, 1, err);
		json_decref(o);
		cv_scope_format(c->crisis_scope, scopes, sizeof(scopes));
		snprintf(cobj, sizeof(cobj), "case:%s", c->rec.id);
		snprintf(cdetail, sizeof(cdetail),
			 "break-glass %s for %s without %s consent; awaiting supervisor review",
			 r.id, action, scopes);
		if (st == CV_OK)
			st = cv_op_log(s, "crisis", cobj, "ok", cdetail, err);
	}
	if (st == CV_OK)
		st = cv_op_log(s, action, object, "ok", detail, err);
	if (st == CV_OK)
		st = cv_op_commit(s, err);
	if (st != CV_OK)
		cv_store_rollback(s->v->st);
	return st;
}

cv_status cv_case_abort(cv_session *s, struct cv_case *c, const char *action, const char *object,
			cv_err *err)
{
	cv_case_free(c);
	return cv_op_fail(s, action, object, err);
}

/* ---- opening a case -------------------------------------------------------- */

/* Student numbers are compared after removing spaces and dashes and
 * upper-casing ASCII letters. */
static cv_status normalize_student(const char *in, char *out, size_t cap, cv_err *err)
{
	size_t o = 0;

	if (cv_field_check("student id", in, 64, err) != CV_OK)
		return err->status;
	for (const char *p = in; *p; p++) {
		char ch = *p;
		if (ch == ' ' || ch == '-')
			continue;
		if (ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 32);
		if (o + 1 >= cap)
			break;
		out[o++] = ch;
	}
	out[o] = '\0';
	if (!o)
		return cv_err_set(err, CV_EUSAGE, "student id is empty; give the school's number");
	return CV_OK;
}

static cv_status blind_index(cv_session *s, const char *student, uint8_t tag[CV_HASH_LEN],
			     cv_err *err)
{
	static const char domain[] = "casevault-student-v1";
	char norm[80];
	uint8_t *key = NULL;
	crypto_generichash_state h;
	cv_status st;

	st = normalize_student(student, norm, sizeof(norm), err);
	if (st == CV_OK)
		st = cv_vkey_open(s, CV_VKEY_INDEX, &key, err);
	if (st != CV_OK)
		return st;
	crypto_generichash_init(&h, key, CV_KEY_LEN, CV_HASH_LEN);
	crypto_generichash_update(&h, (const uint8_t *)domain, sizeof(domain) - 1);
	crypto_generichash_update(&h, (const uint8_t *)norm, strlen(norm));
	crypto_generichash_final(&h, tag, CV_HASH_LEN);
	sodium_memzero(&h, sizeof(h)); /* it held the index key */
	sodium_free(key);
	sodium_memzero(norm, sizeof(norm));
	return CV_OK;
}

static cv_status check_input(const cv_case_input *in, cv_err *err)
{
	int cat = 0;

	if (cv_field_check("student id", in->student_id, 64, err) ||
	    cv_field_check("name", in->name, FIELD_MAX, err) ||
	    cv_field_check("class", in->class_name, FIELD_MAX, err))
		return err->status;
	if (!in->gender || (strcmp(in->gender, "F") && strcmp(in->gender, "M") &&
			    strcmp(in->gender, "X")))
		return cv_err_set(err, CV_EUSAGE, "gender must be F, M or X");
	if (in->grade < 1 || in->grade > 12)
		return cv_err_set(err, CV_EUSAGE, "grade must be a number from 1 to 12");
	for (size_t i = 0; i < sizeof(categories) / sizeof(categories[0]); i++)
		cat |= in->category && strcmp(in->category, categories[i]) == 0;
	if (!cat)
		return cv_err_set(err, CV_EUSAGE,
				  "unknown category '%.40s'; use academic, emotion, relationships, "
				  "family, adolescence, behavior, self-harm-risk or other",
				  in->category ? in->category : "");
	if (in->born && cv_date_check("birth date", in->born, err) != CV_OK)
		return err->status;
	if (in->guardian && cv_field_check("guardian", in->guardian, FIELD_MAX, err) != CV_OK)
		return err->status;
	if (in->guardian_phone &&
	    cv_field_check("guardian phone", in->guardian_phone, 40, err) != CV_OK)
		return err->status;
	return CV_OK;
}

/* The coarse attributes for statistics, under the stats key. */
static cv_status seal_stats(cv_session *s, cv_case_rec *rec, json_t *data, cv_err *err)
{
	cv_place at = {"case-stats", rec->id, rec->id, rec->version};
	uint8_t *key = NULL;
	char opened[11] = "", closed[11] = "";
	json_t *o;
	cv_status st;

	memcpy(opened, rec->opened_at, 10);
	memcpy(closed, rec->closed_at, rec->closed_at[0] ? 10 : 0); /* dates only: coarse */
	o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:b}", "grade",
		      json_integer_value(json_object_get(data, "grade")), "gender",
		      jstr(data, "gender"), "category", jstr(data, "category"), "opened", opened,
		      "closed", closed, "minor",
		      json_is_true(json_object_get(data, "minor_at_open")));
	if (!o)
		return cv_err_set(err, CV_ERROR, "out of memory");
	st = cv_vkey_open(s, CV_VKEY_STATS, &key, err);
	free(rec->stats_box);
	rec->stats_box = NULL;
	if (st == CV_OK)
		st = seal_json(s, key, &at, o, rec->stats_nonce, &rec->stats_box, &rec->stats_len,
			       err);
	sodium_free(key);
	json_decref(o);
	return st;
}

static cv_status seal_data(cv_session *s, cv_case_rec *rec, const uint8_t *key, json_t *data,
			   cv_err *err)
{
	cv_place at = {"case", rec->id, rec->id, rec->version};

	free(rec->data_box);
	rec->data_box = NULL;
	return seal_json(s, key, &at, data, rec->data_nonce, &rec->data_box, &rec->data_len, err);
}

struct count_open {
	cv_vault *v;
	int n;
};

static int count_open_case(const char *id, void *arg)
{
	struct count_open *c = arg;
	cv_case_rec r;

	if (cv_store_case_get(c->v->st, id, &r, NULL) == CV_OK) {
		c->n += strcmp(r.status, "open") == 0;
		cv_case_rec_clear(&r);
	}
	return 0;
}

cv_status cv_case_open(cv_session *s, const cv_case_input *in, char id[CV_CASE_ID_MAX],
		       int *already_open, cv_err *err)
{
	uint8_t rpk[crypto_box_PUBLICKEYBYTES], sealed[CV_SEALED_KEY_LEN];
	struct count_open co = {s->v, 0};
	cv_case_rec rec = {0};
	uint8_t *key = NULL;
	json_t *data = NULL;
	char today[11], object[CV_ID_MAX + 8] = "case:new";
	cv_status st;

	*already_open = 0;
	id[0] = '\0';
	st = cv_op_begin(s, err);
	if (st != CV_OK)
		return st;
	if (s->role != CV_ROLE_COUNSELOR)
		st = cv_err_set(err, CV_EDENIED, "'%s' is %s; only counselors open cases",
				s->me.name, cv_role_a(s->role));
	if (st == CV_OK)
		st = check_input(in, err);
	if (st == CV_OK)
		st = cv_new_id(s->v, 'C', 5, rec.id, err);
	if (st == CV_OK)
		st = blind_index(s, in->student_id, rec.index_tag, err);
	if (st == CV_OK)
		st = cv_store_case_find(s->v->st, rec.index_tag, count_open_case, &co, err);
	if (st == CV_OK)
		st = cv_recovery_pk(s->v, rpk, err);
	if (st == CV_OK)
		st = cv_key_new(&key, err);
	if (st != CV_OK)
		goto fail;
	snprintf(object, sizeof(object), "case:%s", rec.id);
	cv_today(today);
	data = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:b}", "student_id",
			 in->student_id, "name", in->name, "gender", in->gender, "grade",
			 (int)in->grade, "class", in->class_name, "category", in->category, "born",
			 in->born ? in->born : "", "guardian", in->guardian ? in->guardian : "",
			 "guardian_phone", in->guardian_phone ? in->guardian_phone : "",
			 "minor_at_open",
			 !in->born || age_on(in->born, today) < adult_age(s->v));
	if (!data) {
		st = cv_err_set(err, CV_ERROR, "out of memory");
		goto fail;
	}
	snprintf(rec.status, sizeof(rec.status), "open");
	rec.opened_by = s->me.id;
	cv_time_now(rec.opened_at);
	rec.version = 1;
	cv_seal_key(key, rpk, rec.recovery_key);
	st = seal_data(s, &rec, key, data, err);
	if (st == CV_OK)
		st = seal_stats(s, &rec, data, err);
	if (st == CV_OK)
		st = cv_store_case_insert(s->v->st, &rec, err);
	if (st == CV_OK) {
		cv_seal_key(key, s->kh->box_pk, sealed);
		st = cv_store_grant_put(s->v->st, rec.id, s->me.id, sealed, s->me.id, rec.opened_at,
					err);
	}
	if (st != CV_OK)
		goto fail;
	st = cv_op_log(s, "case.open", object, "ok", co.n ? "student has another open case" : "",
		       err);
	if (st == CV_OK)
		st = cv_op_commit(s, err);
	if (st == CV_OK) {
		snprintf(id, CV_CASE_ID_MAX, "%s", rec.id);
		*already_open = co.n;
	}
	goto out;
fail:
	st = cv_op_fail(s, "case.open", object, err);
out:
	json_decref(data);
	sodium_free(key);
	cv_case_rec_clear(&rec);
	return st;
}

/* ---- reading cases ---------------------------------------------------------- */

static const char *user_name(cv_session *s, int64_t id, char *buf, size_t cap)
{
	cv_user_rec u;

	if (cv_store_user_by_id(s->v->st, id, &u, NULL) == CV_OK)
		snprintf(buf, cap, "%s", u.name);
	else
		snprintf(buf, cap, "#%lld", (long long)id);
	return buf;
}

static int emit_case(cv_session *s, struct cv_case *c, cv_case_cb cb, void *arg)
{
	char sc[96], gc[96], opener[CV_NAME_MAX + 8];
	cv_case_info i = {0};

	cv_scope_format(c->student_scopes, sc, sizeof(sc));
	cv_scope_format(c->guardian_scopes, gc, sizeof(gc));
	i.id = c->rec.id;
	i.status = c->rec.status;
	i.opened_at = c->rec.opened_at;
	i.closed_at = c->rec.closed_at;
	i.opened_by = user_name(s, c->rec.opened_by, opener, sizeof(opener));
	i.student_id = jstr(c->data, "student_id");
	i.name = jstr(c->data, "name");
	i.gender = jstr(c->data, "gender");
	i.grade = (unsigned)json_integer_value(json_object_get(c->data, "grade"));
	i.class_name = jstr(c->data, "class");
	i.category = jstr(c->data, "category");
	i.born = jstr(c->data, "born");
	i.guardian = jstr(c->data, "guardian");
	i.guardian_phone = jstr(c->data, "guardian_phone");
	i.minor = c->minor;
	i.student_consent = sc;
	i.guardian_consent = gc;
	i.withdrawn_on = c->withdrawn ? c->withdrawn_on : "";
	return cb(&i, arg);
}


/* Logs a read of many cases, then decrypts and shows each granted one. */
static cv_status list_cases(cv_session *s, cv_id_list *ids, int all, const char *action,
			    cv_case_cb cb, void *arg, cv_err *err)
{
	char detail[48];
	cv_status st;

	snprintf(detail, sizeof(detail), "cases=%zu", ids->n);
	st = cv_op_begin(s, err);
	if (st == CV_OK)
		st = cv_op_log(s, action, "cases", "ok", detail, err);
	if (st == CV_OK)
		st = cv_op_commit(s, err);
	for (size_t i = 0; i < ids->n && st == CV_OK; i++) {
		struct cv_case *c = calloc(1, sizeof(*c));
		int stop = 0;

		if (!c)
			return cv_err_set(err, CV_ERROR, "out of memory");
		st = case_load(s, ids->ids[i], CV_NEED_CONTENT, NULL, c, err);
		if (st == CV_ENOTFOUND) { /* shredded, or not ours after all */
			st = CV_OK;
		} else if (st == CV_OK) {
			st = load_consent(s, c, err);
			if (st == CV_OK && (all || strcmp(c->rec.status, "open") == 0))
				stop = emit_case(s, c, cb, arg);
		}
		cv_case_free(c);
		if (stop)
			break;
	}
	return st;
}

static cv_status need_counselor(cv_session *s, const char *action, const char *object,
				cv_err *err)
{
	if (s->role == CV_ROLE_COUNSELOR)
		return CV_OK;
	cv_err_set(err, CV_EDENIED,
		   "'%s' is %s; only counselors read case content (identity, notes, tests, "
		   "referrals)",
		   s->me.name, cv_role_a(s->role));
	return cv_op_fail(s, action, object, err);
}

cv_status cv_case_list(cv_session *s, int all, cv_case_cb cb, void *arg, cv_err *err)
{
	cv_id_list ids = {0};
	cv_status st = need_counselor(s, "case.list", "cases", err);

	if (st == CV_OK)
		st = cv_store_case_granted(s->v->st, s->me.id, cv_id_list_add, &ids, err);
	if (st == CV_OK && ids.oom)
		st = cv_err_set(err, CV_ERROR, "out of memory");
	if (st == CV_OK)
		st = list_cases(s, &ids, all, "case.list", cb, arg, err);
	cv_id_list_free(&ids);
	return st;
}

struct find_ctx {
	cv_session *s;
	cv_id_list *ids;
};

static int collect_granted(const char *id, void *arg)
{
	struct find_ctx *f = arg;
	uint8_t sealed[CV_SEALED_KEY_LEN];

	if (cv_store_grant_get(f->s->v->st, id, f->s->me.id, sealed, NULL) == CV_OK)
		return cv_id_list_add(id, f->ids);
	return 0;
}

cv_status cv_case_find(cv_session *s, const char *student_id, cv_case_cb cb, void *arg,
		       cv_err *err)
{
	uint8_t tag[CV_HASH_LEN];
	cv_id_list ids = {0};
	struct find_ctx f = {s, &ids};
	cv_status st = need_counselor(s, "case.find", "cases", err);

	if (st == CV_OK && blind_index(s, student_id, tag, err) != CV_OK)
		st = cv_op_fail(s, "case.find", "cases", err);
	if (st == CV_OK)
		st = cv_store_case_find(s->v->st, tag, collect_granted, &f, err);
	if (st == CV_OK && ids.oom)
		st = cv_err_set(err, CV_ERROR, "out of memory");
	if (st == CV_OK)
		st = list_cases(s, &ids, 1, "case.find", cb, arg, err);
	cv_id_list_free(&ids);
	return st;
}

/* ---- case show --------------------------------------------------------------- */

struct show_ctx {
	cv_session *s;
	struct cv_case *c;
	const cv_case_visitor *vis;
	void *arg;
	int include_tests;
	const char *as_of;
	int64_t consent_seq;
	cv_err *err;
	cv_status st;
};

int cv_note_emit(cv_session *s, struct cv_case *c, const cv_record *r, const char *as_of,
		 int with_text, int (*cb)(const cv_note_info *n, void *arg), void *arg,
		 cv_status *st, cv_err *err);
int cv_referral_emit(cv_session *s, struct cv_case *c, const cv_record *r, const char *as_of,
		     int (*cb)(const cv_referral_info *n, void *arg), void *arg, cv_status *st,
		     cv_err *err);
int cv_watch_emit(cv_session *s, struct cv_case *c, const cv_record *r, const char *as_of,
		  int (*cb)(const cv_watch_info *w, void *arg), void *arg, cv_status *st,
		  cv_err *err);

static int show_record(const cv_record *r, void *arg)
{
	struct show_ctx *x = arg;
	char who[CV_NAME_MAX + 8], scopes[96];
	json_t *o = NULL;
	int stop = 0;

	if (strcmp(r->type, "note") == 0)
		return x->vis->on_note ? cv_note_emit(x->s, x->c, r, x->as_of, 0, x->vis->on_note,
						      x->arg, &x->st, x->err)
				       : 0;
	if (strcmp(r->type, "referral") == 0)
		return x->vis->on_referral ? cv_referral_emit(x->s, x->c, r, x->as_of,
							      x->vis->on_referral, x->arg, &x->st,
							      x->err)
					   : 0;
	if (strcmp(r->type, "watch") == 0)
		return x->vis->on_watch ? cv_watch_emit(x->s, x->c, r, x->as_of, x->vis->on_watch,
							x->arg, &x->st, x->err)
					: 0;
	if (strcmp(r->type, "test") == 0 && !(x->include_tests && x->vis->on_test))
		return 0;
	if (strcmp(r->type, "consent") && strcmp(r->type, "test") && strcmp(r->type, "followup"))
		return 0;
	x->st = cv_record_open_json(x->s, x->c, r, &o, x->err);
	if (x->st != CV_OK)
		return 1;
	user_name(x->s, r->author_id, who, sizeof(who));
	if (strcmp(r->type, "consent") == 0 && x->vis->on_consent) {
		cv_consent_event e = {++x->consent_seq, jstr(o, "action"), jstr(o, "by"),
				      jstr(o, "method"), jstr(o, "date"), scopes,
				      jstr(o, "verified_by"), who};
		cv_scope_format(json_scopes(o), scopes, sizeof(scopes));
		stop = x->vis->on_consent(&e, x->arg);
	} else if (strcmp(r->type, "test") == 0) {
		cv_test_info t = {r->id,	       r->created_at,	    who,
				  jstr(o, "scale"),    jstr(o, "score"),    jstr(o, "notes"),
				  json_is_true(json_object_get(o, "crisis"))};
		stop = x->vis->on_test(&t, x->arg);
	} else if (strcmp(r->type, "followup") == 0 && x->vis->on_followup) {
		cv_followup_info f = {r->parent, jstr(o, "date"), r->status, jstr(o, "note"), who};
		stop = x->vis->on_followup(&f, x->arg);
	}
	json_decref(o);
	return stop;
}

cv_status cv_case_show(cv_session *s, const char *id, int include_tests, const char *as_of,
		       const cv_case_visitor *vis, void *arg, cv_err *err)
{
	char object[CV_ID_MAX + 8], today[11];
	struct show_ctx x = {0};
	struct cv_case *c;
	cv_status st;

	if (as_of && cv_date_check("--as-of", as_of, err) != CV_OK)
		return err->status;
	cv_today(today);
	cv_object_name(object, sizeof(object), "case", id);
	st = cv_case_enter(s, id, "case.show", CV_NEED_CONTENT, 0, NULL, NULL, &c, err);
	if (st != CV_OK)
		return st;
	st = cv_case_leave(s, c, "case.show", object, include_tests ? "with tests" : "", err);
	if (st == CV_OK && vis->on_case && emit_case(s, c, vis->on_case, arg)) {
		cv_case_free(c);
		return CV_OK;
	}
	x = (struct show_ctx){s, c, vis, arg, include_tests, as_of ? as_of : today, 0, err, CV_OK};
	if (st == CV_OK)
		st = cv_store_record_each_case(s->v->st, c->rec.id, NULL, show_record, &x, err);
	if (st == CV_OK)
		st = x.st;
	cv_case_free(c);
	return st;
}

/* ---- close, reopen, share, handover, shred ------------------------------------ */

struct close_check {
	cv_session *s;
	int analysis, outcome, drafts;
};

static int tally_note(const cv_record *r, void *arg)
{
	struct close_check *k = arg;

	/* The clear kind and status count only with the author's signature,
	 * which covers them: an edited column cannot close a case. */
	if (strcmp(r->status, "final") != 0 || !cv_note_signature_ok(k->s, r)) {
		k->drafts++;
		return 0;
	}
	k->analysis += strcmp(r->kind, "analysis") == 0;
	k->outcome += strcmp(r->kind, "outcome") == 0;
	return 0;
}

static cv_status rewrite_case(cv_session *s, struct cv_case *c, cv_err *err)
{
	cv_status st;

	c->rec.version++;
	st = seal_data(s, &c->rec, c->key, c->data, err);
	if (st == CV_OK)
		st = seal_stats(s, &c->rec, c->data, err);
	if (st == CV_OK)
		st = cv_store_case_update(s->v->st, &c->rec, err);
	return st;
}

cv_status cv_case_close(cv_session *s, const char *id, cv_err *err)
{
	char object[CV_ID_MAX + 8];
	struct close_check k = {s, 0, 0, 0};
	struct cv_case *c;
	cv_status st;

	cv_object_name(object, sizeof(object), "case", id);
	st = cv_case_enter(s, id, "case.close", CV_NEED_CONTENT | CV_NEED_OPEN, 0, NULL, NULL, &c,
			   err);
	if (st != CV_OK)
		return st;
	st = cv_store_record_each_case(s->v->st, c->rec.id, "note", tally_note, &k, err);
	if (st == CV_OK && (!k.analysis || !k.outcome))
		st = cv_err_set(err, CV_EDENIED,
				"case '%s' cannot be closed without a final %s note (R4: records "
				"need an analysis and plan, and an evaluation of the outcome); add "
				"one with 'casevault note add %s --kind %s' and finalize it",
				id, !k.analysis ? "analysis" : "outcome", id,
				!k.analysis ? "analysis" : "outcome");
	if (st == CV_OK && k.drafts)
		st = cv_err_set(err, CV_EDENIED,
				"case '%s' has %d note(s) that are drafts or whose signature does not "
				"verify; finalize them before closing (see 'casevault note list %s')",
				id, k.drafts, id);
	if (st == CV_OK) {
		snprintf(c->rec.status, sizeof(c->rec.status), "closed");
		cv_time_now(c->rec.closed_at);
		st = rewrite_case(s, c, err);
	}
	if (st != CV_OK)
		return cv_case_abort(s, c, "case.close", object, err);
	st = cv_case_leave(s, c, "case.close", object, "", err);
	cv_case_free(c);
	return st;
}

cv_status cv_case_reopen(cv_session *s, const char *id, cv_err *err)
{
	char object[CV_ID_MAX + 8];
	struct cv_case *c;
	cv_status st;

	cv_object_name(object, sizeof(object), "case", id);
	st = cv_case_enter(s, id, "case.reopen", CV_NEED_CONTENT, 0, NULL, NULL, &c, err);
	if (st != CV_OK)
		return st;
	if (strcmp(c->rec.status, "open") == 0)
		st = cv_err_set(err, CV_EUSAGE, "case '%s' is already open", id);
	if (st == CV_OK) {
		snprintf(c->rec.status, sizeof(c->rec.status), "open");
		c->rec.closed_at[0] = '\0';
		st = rewrite_case(s, c, err);
	}
	if (st != CV_OK)
		return cv_case_abort(s, c, "case.reopen", object, err);
	st = cv_case_leave(s, c, "case.reopen", object, "", err);
	cv_case_free(c);
	return st;
}

/* Seals c's key to counselor `to` (verified, active). */
static cv_status grant_to(cv_session *s, struct cv_case *c, const char *to, cv_err *err)
{
	uint8_t sealed[CV_SEALED_KEY_LEN];
	char now[CV_TIME_LEN];
	cv_user_rec u;
	cv_status st;

	st = cv_name_check(to, err);
	if (st == CV_OK)
		st = cv_store_user_by_name(s->v->st, to, &u, err);
	if (st == CV_OK)
		st = cv_user_verify(s->v, &u, err);
	if (st != CV_OK)
		return st;
	if (cv_user_role(&u) != CV_ROLE_COUNSELOR)
		return cv_err_set(err, CV_EDENIED,
				  "'%s' is %s; cases are shared only with counselors", to,
				  cv_role_a(cv_user_role(&u)));
	if (strcmp(u.status, "active") != 0)
		return cv_err_set(err, CV_EDENIED, "'%s' is disabled; cases go to active counselors",
				  to);
	cv_seal_key(c->key, u.box_pk, sealed);
	cv_time_now(now);
	return cv_store_grant_put(s->v->st, c->rec.id, u.id, sealed, s->me.id, now, err);
}

cv_status cv_case_share(cv_session *s, const char *id, const char *user, cv_err *err)
{
	char object[CV_ID_MAX + 8], detail[CV_NAME_MAX + 8];
	struct cv_case *c;
	cv_status st;

	cv_object_name(object, sizeof(object), "case", id);
	st = cv_case_enter(s, id, "case.share", CV_NEED_CONTENT, 0, NULL, NULL, &c, err);
	if (st != CV_OK)
		return st;
	st = grant_to(s, c, user, err);
	if (st != CV_OK)
		return cv_case_abort(s, c, "case.share", object, err);
	snprintf(detail, sizeof(detail), "to=%s", user);
	st = cv_case_leave(s, c, "case.share", object, detail, err);
	cv_case_free(c);
	return st;
}

static cv_status need_admin_recovery(cv_session *s, const char *action, const char *object,
				     const char *code, cv_keyholder **recovery, cv_err *err)
{
	cv_status st;

	*recovery = NULL;
	if (s->role != CV_ROLE_ADMIN) {
		cv_err_set(err, CV_EDENIED, "'%s' is %s; only an admin with the recovery code may "
					    "use '%s'",
			   s->me.name, cv_role_a(s->role), action);
		return cv_op_fail(s, action, object, err);
	}
	st = cv_recovery_open(s->v, code ? code : "", recovery, err);
	if (st != CV_OK)
		return cv_op_fail(s, action, object, err);
	return CV_OK;
}

cv_status cv_case_handover(cv_session *s, const char *id, const char *to,
			   const char *recovery_code, cv_err *err)
{
	char object[CV_ID_MAX + 8], detail[CV_NAME_MAX + 8];
	cv_keyholder *recovery;
	struct cv_case *c;
	cv_status st;

	cv_object_name(object, sizeof(object), "case", id);
	st = need_admin_recovery(s, "case.handover", object, recovery_code, &recovery, err);
	if (st != CV_OK)
		return st;
	st = cv_case_enter(s, id, "case.handover", CV_NEED_RECOVERY, 0, NULL, recovery, &c, err);
	cv_keyholder_free(recovery);
	if (st != CV_OK)
		return st;
	st = grant_to(s, c, to, err);
	if (st != CV_OK)
		return cv_case_abort(s, c, "case.handover", object, err);
	snprintf(detail, sizeof(detail), "to=%s", to);
	st = cv_case_leave(s, c, "case.handover", object, detail, err);
	cv_case_free(c);
	return st;
}

cv_status cv_case_shred(cv_session *s, const char *id, const char *reason,
			const char *recovery_code, cv_err *err)
{
	char object[CV_ID_MAX + 8], detail[300];
	cv_keyholder *recovery;
	struct cv_case *c;
	cv_status st;

	cv_object_name(object, sizeof(object), "case", id);
	if (cv_field_check("reason", reason, 200, err) != CV_OK)
		return err->status;
	st = need_admin_recovery(s, "case.shred", object, recovery_code, &recovery, err);
	if (st != CV_OK)
		return st;
	/* Opening the recovery copy proves the code belongs to this case. */
	st = cv_case_enter(s, id, "case.shred", CV_NEED_RECOVERY, 0, NULL, recovery, &c, err);
	cv_keyholder_free(recovery);
	if (st != CV_OK)
		return st;
	st = cv_store_case_shred(s->v->st, c->rec.id, "shredded", err);
	if (st != CV_OK)
		return cv_case_abort(s, c, "case.shred", object, err);
	snprintf(detail, sizeof(detail), "reason: %s", reason);
	st = cv_case_leave(s, c, "case.shred", object, detail, err);
	cv_case_free(c);
	return st;
}
