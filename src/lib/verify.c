/*
 * verify.c - commands: reading the access log (audit log), verifying it
 * against the users table and external checkpoints (audit verify), and
 * writing a checkpoint to keep outside the vault (audit checkpoint).
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "buf.h"
#include "cert.h"
#include "crypt.h"
#include "err.h"
#include "log.h"
#include "msum.h"
#include "policy.h"
#include "csv.h"
#include "localday.h"
#include "recovery.h"
#include "review.h"
#include "settings.h"
#include "text.h"
#include "verify.h"
#include "banned.h"

#define CHECKPOINT_ACTION "checkpoint"
static const char external_magic[] = "casevault checkpoint v1";

/* ---- listing ---------------------------------------------------------- */

struct list_ctx {
	cv_audit_cb cb;
	void *arg;
	int crisis;		     /* only the rows of the crisis exception */
	int64_t marked;		     /* the seq of the last crisis row seen, 0 if none */
	char actor[CV_NAME_MAX + 1]; /* its actor */
};

static int list_row(const cv_audit_rec *r, void *arg)
{
	struct list_ctx *c = arg;
	cv_audit_row row = {r->seq,    r->time,	   r->actor,  r->action,
			    r->object, r->outcome, r->detail, r->has_sig};

	if (c->crisis) {
		/* A crisis row marks the row its transaction writes next: the
		 * action done under the exception (docs/FORMAT.md §8). */
		int mark = strcmp(r->action, cv_action_name(CV_ACT_CRISIS)) == 0;
		int marked =
		    c->marked && r->seq == c->marked + 1 && strcmp(r->actor, c->actor) == 0;

		if (mark) {
			c->marked = r->seq;
			snprintf(c->actor, sizeof(c->actor), "%s", r->actor);
		}
		if (!mark && !marked)
			return 0;
	}
	return c->cb(&row, c->arg);
}

cv_status cv_audit_log(cv_session *s, const cv_audit_filter *f, cv_audit_cb cb, void *arg,
		       cv_err *err)
{
	CV_ERR_GUARD(err);
	char since[CV_TIME_LEN], until[CV_TIME_LEN], object[CV_ID_MAX + 8];
	char zone[CV_LOCAL_TZ_CAP];
	cv_store_audit_query q = {0};
	struct list_ctx c = {cb, arg, f->crisis, 0, ""};
	const char *tz = NULL;
	cv_status st;

	st = cv_policy_check(s, CV_ACT_AUDIT_LOG, "audit", err);
	if (st != CV_OK)
		return st;
	/* Dates are local dates in the vault's time zone. */
	if ((f->since || f->until) && (st = cv_local_zone(s->v, zone, &tz, err)) != CV_OK)
		return cv_op_fail(s, CV_ACT_AUDIT_LOG, "audit", err);
	if ((f->since && cv_local_bound(tz, f->since, 0, since, err) != CV_OK) ||
	    (f->until && cv_local_bound(tz, f->until, 1, until, err) != CV_OK))
		return cv_op_fail(s, CV_ACT_AUDIT_LOG, "audit", err);
	if (f->crisis && f->action) {
		cv_fail(err, CV_EUSAGE, "audit.crisis-action",
			"--crisis shows the crisis rows and the actions they marked; give it "
			"without --action");
		return cv_op_fail(s, CV_ACT_AUDIT_LOG, "audit", err);
	}
	if (f->outcome && cv_word_parse(&cv_outcomes, f->outcome) <= 0) {
		cv_fail(err, CV_EUSAGE, "audit.outcome",
			"'{1}' is not an outcome; use ok, denied or failed", f->outcome);
		return cv_op_fail(s, CV_ACT_AUDIT_LOG, "audit", err);
	}
	if (f->case_id && (f->case_id[0] != 'C' || !cv_id_ok(f->case_id))) {
		cv_fail(err, CV_EUSAGE, "audit.case", "'{1}' is not a case id (C-XXXXX)",
			f->case_id);
		return cv_op_fail(s, CV_ACT_AUDIT_LOG, "audit", err);
	}
	if (f->case_id)
		cv_object_name(object, sizeof(object), "case", f->case_id);
	q.outcome = f->outcome;
	q.object = f->case_id ? object : NULL;
	q.actor = f->user;
	q.action = f->action;
	q.since = f->since ? since : NULL;
	q.until = f->until ? until : NULL;
	q.outcome_not = f->denied_only ? "ok" : NULL;
	/* Log the read first; what is shown is the log up to and including it. */
	st = cv_op_begin(s, err);
	if (st == CV_OK)
		st = cv_op_log(s, CV_ACT_AUDIT_LOG, "audit", CV_OUT_OK, "", err);
	if (st == CV_OK)
		st = cv_op_commit(s, err);
	if (st != CV_OK)
		return st;
	return cv_store_audit_each(s->v->st, &q, list_row, &c, err);
}

/* ---- CSV ---------------------------------------------------------------- */

struct cv_audit_csv {
	cv_csv w;
};

cv_status cv_audit_csv_open(FILE *fp, cv_audit_csv **out, cv_err *err)
{
	static const char *const head[] = {"seq",    "time",	"actor",  "action",
					   "object", "outcome", "detail", "signed"};
	cv_audit_csv *c = calloc(1, sizeof(*c));
	cv_status st = CV_OK;

	*out = NULL;
	if (!c)
		return cv_err_set(err, CV_ERROR, "out of memory");
	cv_csv_file(&c->w, fp, 0);
	for (size_t i = 0; i < ARRAY_SIZE(head) && st == CV_OK; i++)
		st = cv_csv_str(&c->w, head[i], err);
	if (st == CV_OK)
		st = cv_csv_end(&c->w, err);
	if (st != CV_OK) {
		cv_csv_free(&c->w);
		free(c);
		return st;
	}
	*out = c;
	return CV_OK;
}

cv_status cv_audit_csv_row(cv_audit_csv *c, const cv_audit_row *r, cv_err *err)
{
	const char *cols[] = {r->time, r->actor, r->action, r->object, r->outcome, r->detail};
	cv_status st = cv_csv_int(&c->w, r->seq, err);

	for (size_t i = 0; i < ARRAY_SIZE(cols) && st == CV_OK; i++)
		st = cv_csv_str(&c->w, cols[i], err);
	if (st == CV_OK)
		st = cv_csv_int(&c->w, r->signed_checkpoint ? 1 : 0, err);
	if (st == CV_OK)
		st = cv_csv_end(&c->w, err);
	return st;
}

cv_status cv_audit_csv_close(cv_audit_csv *c, cv_err *err)
{
	cv_status st;

	if (!c)
		return CV_OK;
	st = cv_csv_finish(&c->w, err);
	free(c);
	return st;
}

/* ---- verification ----------------------------------------------------- */

/* One identity a user has held, checked along its signing chain. */
struct ident {
	int64_t cert_seq;
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	int ok;
	int role; /* cv_role, as the certificate says */
};

struct signer {
	char name[CV_NAME_MAX + 1];
	int64_t id;
	struct ident *ids; /* newest first */
	size_t nids;
	int64_t rec_cert_seq, rec_status_seq, rec_keys_seq; /* as the users row says */
	int64_t log_cert_seq, log_status_seq, log_keys_seq; /* as the log says */
	int disabled;					    /* from the users row */
};

/* One commitment of the log to a row (docs/FORMAT.md §7.6), kept by the
 * exact comparison only (verify_ctx exact). */
struct commit {
	int64_t rowid;
	int64_t seq;	/* the log row that made it */
	int64_t signer; /* the row's signer before the change (cases, records) */
	int32_t by;	/* its actor: an index into the signers, or -1 */
	uint16_t table; /* an index into the table names (verify_ctx) */
	uint8_t deleted;
	uint8_t had_old; /* the row existed before the change: old is its hash */
	uint8_t hash[CV_HASH_LEN];
	uint8_t old[CV_HASH_LEN];
};

/* What the commitments say of one table's rows: the sum over the rows as
 * committed minus the sum over the versions later changes replaced
 * (rows); for cases and records, the same with each version's signer
 * (signers); and how many rows that leaves. */
struct tsum {
	cv_msum rows, signers;
	int64_t n;
};

/* The table names the commitments name, each kept once: a commitment
 * holds its index (a log of 100,000 cases holds about 250,000
 * commitments, and a dozen names). */
#define TABLE_NAME_MAX 32
#define TABLE_NAMES_MAX 65535

/* Checkpoint signatures are checked in batches, spread over the
 * processors (threads of their own): a batch of this many is checked when
 * it is full, when the walk stops and when it ends, and the first failing
 * row wins over any later finding, so the report is what a row-by-row
 * check would give. */
#define SIG_BATCH 4096
#define SIG_THREADS_MAX 8

struct sig_job {
	int64_t seq;
	char actor[CV_NAME_MAX + 1];
	uint8_t msg[CV_CHECKPOINT_MSG_LEN];
	uint8_t sig[crypto_sign_BYTES];
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	int bad;
};

struct sig_batch {
	struct sig_job *v;
	size_t n;
};

struct sig_slice {
	struct sig_batch *b;
	size_t first, step;
};

struct verify_ctx {
	struct sig_batch sigs;
	cv_vault *v;
	cv_audit_report *rep;
	cv_err *err;
	uint8_t prev[CV_HASH_LEN];
	int64_t expect;
	struct signer *signers;
	size_t nsigners;
	struct signer *last_signer;	 /* find_signer's last find, or NULL */
	char seg_actor[CV_NAME_MAX + 1]; /* who wrote the rows since the last checkpoint */
	/* exact: every commitment is kept (commits), sorted and compared row by
	 * row; else each table's sums (sums, beside the names) are, and the
	 * rows are compared with them (§7.6) */
	int exact;
	struct commit *commits;
	size_t ncommits, capcommits;
	char (*tables)[TABLE_NAME_MAX];
	struct tsum *sums;
	size_t ntables, captables;
	uint8_t key[CV_MSUM_KEY_LEN]; /* the sums' key, drawn for this verification */
	int64_t seg_start;
	/* Rows up to this seq were verified in full by a supervisor's earlier
	 * verification (the anchor, find_anchor): their checkpoint signatures
	 * are not checked again.  0: every signature is checked. */
	int64_t vouched;
	uint8_t anchor_sigs[CV_HASH_LEN]; /* what the anchor says of them */
	/* BLAKE2b-256 over the sig of every checkpoint walked, in order */
	crypto_generichash_state sigs_h;
	cv_status st;
};

/* Adds r as a signer with every identity it has held (read before the log
 * walk, which may not call the store). */
static cv_status add_signer(struct verify_ctx *c, const cv_user_rec *r)
{
	struct signer *n = realloc(c->signers, (c->nsigners + 1) * sizeof(*n));
	int64_t at = INT64_MAX;
	cv_user_rec cert;
	cv_err ignored;

	c->last_signer = NULL; /* the signers may have moved */
	if (!n)
		return cv_err_set(c->err, CV_ERROR, "out of memory");
	c->signers = n;
	n = &n[c->nsigners++];
	memset(n, 0, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "%s", r->name);
	n->id = r->id;
	n->rec_cert_seq = r->cert_seq;
	n->rec_status_seq = r->status_seq;
	n->rec_keys_seq = r->keys_seq;
	n->disabled = cv_word_parse(&cv_user_states, r->status) != CV_USER_ACTIVE;
	n->log_cert_seq = n->log_status_seq = n->log_keys_seq = 1;
	while (cv_store_cert_at(c->v->st, r->id, at, &cert, &ignored) == CV_OK) {
		struct ident *ids = realloc(n->ids, (n->nids + 1) * sizeof(*ids));

		if (!ids)
			return cv_err_set(c->err, CV_ERROR, "out of memory");
		n->ids = ids;
		ids[n->nids].cert_seq = cert.cert_seq;
		ids[n->nids].role = cv_user_role(&cert);
		memcpy(ids[n->nids].pk, cert.sign_pk, sizeof(ids->pk));
		ids[n->nids].ok = cv_user_cert_verify(c->v, &cert, &ignored) == CV_OK;
		n->nids++;
		if (cert.cert_seq <= 1 || n->nids > CV_IDENTITIES_MAX)
			break;
		at = cert.cert_seq - 1;
	}
	return CV_OK;
}

static void free_signers(struct verify_ctx *c)
{
	for (size_t i = 0; i < c->nsigners; i++)
		free(c->signers[i].ids);
	free(c->signers);
}

static struct signer *find_signer(struct verify_ctx *c, const char *name)
{
	/* The log comes in segments by one actor: the last one found first. */
	if (c->last_signer && strcmp(c->last_signer->name, name) == 0)
		return c->last_signer;
	for (size_t i = 0; i < c->nsigners; i++)
		if (strcmp(c->signers[i].name, name) == 0)
			return c->last_signer = &c->signers[i];
	return NULL;
}

/* Rows that may stand outside any signed segment, because no key was at
 * hand: failed logins, and refusals by role before login (cv_may).
 * action: r's, as cv_word_parse(&cv_actions) gives it. */
static int is_unsigned_row(const cv_audit_rec *r, int action)
{
	static const char *const why[] = {CV_CODE_AUTH_UNKNOWN,	   CV_CODE_AUTH_MALFORMED,
					  CV_CODE_AUTH_UNVERIFIED, CV_CODE_AUTH_DISABLED,
					  CV_CODE_AUTH_PASSPHRASE, CV_CODE_AUTH_KEYS,
					  CV_CODE_AUTH_PENDING,	   CV_CODE_AUTH_VKEY};
	/* A failed enrolment: no key of the user's is at hand either. */
	static const char *const enrol_why[] = {
	    CV_CODE_AUTH_UNKNOWN,  CV_CODE_AUTH_MALFORMED,    CV_CODE_AUTH_UNVERIFIED,
	    CV_CODE_AUTH_DISABLED, CV_CODE_ENROL_MISTYPED,    CV_CODE_ENROL_CODE,
	    CV_CODE_ENROL_EXPIRED, CV_CODE_ENROL_NOT_PENDING, CV_CODE_ENROL_FAILED};
	int known = 0;

	if (strcmp(r->outcome, cv_outcome_name(CV_OUT_DENIED)) == 0 &&
	    strcmp(r->detail, CV_CODE_POLICY_ROLE) == 0)
		return action > CV_ACT_CASE_READ;
	if (strncmp(r->object, "user:", 5) != 0 || strcmp(r->object + 5, r->actor) != 0)
		return 0;
	if ((action != CV_ACT_LOGIN && action != CV_ACT_USER_ENROL) ||
	    strcmp(r->outcome, cv_outcome_name(CV_OUT_OK)) == 0)
		return 0;
	if (action == CV_ACT_USER_ENROL) {
		for (size_t i = 0; i < ARRAY_SIZE(enrol_why); i++)
			known |= strcmp(r->detail, enrol_why[i]) == 0;
		return known;
	}
	for (size_t i = 0; i < ARRAY_SIZE(why); i++)
		known |= strcmp(r->detail, why[i]) == 0;
	return known;
}

/* Notes the rows that change a user's identity or status, so the users
 * table can be compared with the log afterwards. */
static void track_user_event(struct verify_ctx *c, const cv_audit_rec *r, int a)
{
	struct signer *sg;
	int identity, status, keys;

	if (strcmp(r->outcome, cv_outcome_name(CV_OUT_OK)) != 0 ||
	    strncmp(r->object, "user:", 5) != 0)
		return;
	identity = a == CV_ACT_USER_ADD || a == CV_ACT_USER_RESET || a == CV_ACT_USER_ENROL ||
		   a == CV_ACT_USER_ROTATE;
	status = a == CV_ACT_USER_ADD || a == CV_ACT_USER_RESET || a == CV_ACT_USER_ENROL ||
		 a == CV_ACT_USER_DISABLE;
	keys = identity || a == CV_ACT_USER_PASSWD;
	if (!(identity || status || keys) || !(sg = find_signer(c, r->object + 5)))
		return;
	if (identity)
		sg->log_cert_seq = r->seq;
	if (status)
		sg->log_status_seq = r->seq;
	if (keys)
		sg->log_keys_seq = r->seq;
}

/* The verified signing key `name` held at audit row seq, or NULL. */
static const uint8_t *signer_key(struct verify_ctx *c, const char *name, int64_t seq)
{
	struct signer *sg = find_signer(c, name);

	for (size_t i = 0; sg && i < sg->nids; i++)
		if (sg->ids[i].cert_seq <= seq)
			return sg->ids[i].ok ? sg->ids[i].pk : NULL;
	return NULL;
}

/* The role of the verified identity `name` held at audit row seq, or -1. */
static int signer_role(struct verify_ctx *c, const char *name, int64_t seq)
{
	struct signer *sg = find_signer(c, name);

	for (size_t i = 0; sg && i < sg->nids; i++)
		if (sg->ids[i].cert_seq <= seq)
			return sg->ids[i].ok ? sg->ids[i].role : -1;
	return -1;
}

/* Whether a successful row of this action may commit to deleting a row
 * of table: only an admin disabling a user (their key copies and grants)
 * or shredding a case (its records and grants) deletes anything, so a
 * signed row that claims any other deletion is a forgery by its signer. */
static int may_delete(struct verify_ctx *c, const cv_audit_rec *r, const char *table)
{
	int action = cv_word_parse(&cv_actions, r->action);

	if (strcmp(r->outcome, cv_outcome_name(CV_OUT_OK)) != 0 ||
	    signer_role(c, r->actor, r->seq) != CV_ROLE_ADMIN)
		return 0;
	if (action == CV_ACT_USER_DISABLE)
		return !strcmp(table, "vault_keys") || !strcmp(table, "grants");
	if (action == CV_ACT_CASE_SHRED)
		return !strcmp(table, "records") || !strcmp(table, "grants");
	return 0;
}

/* The index of table name p (n bytes) in c->tables, added when new; -1
 * when there are too many names, or out of memory (c->st set). */
static int table_index(struct verify_ctx *c, const char *p, size_t n)
{
	for (size_t i = c->ntables; i-- > 0;)
		if (strncmp(c->tables[i], p, n) == 0 && c->tables[i][n] == '\0')
			return (int)i;
	if (c->ntables == TABLE_NAMES_MAX)
		return -1;
	if (c->ntables == c->captables) {
		size_t cap = c->captables ? 2 * c->captables : 16;
		char(*m)[TABLE_NAME_MAX] = realloc(c->tables, cap * sizeof(*m));
		struct tsum *sums = m ? realloc(c->sums, cap * sizeof(*sums)) : NULL;

		if (m)
			c->tables = m;
		if (!sums) {
			c->st = cv_err_set(c->err, CV_ERROR, "out of memory");
			return -1;
		}
		c->sums = sums;
		c->captables = cap;
	}
	memcpy(c->tables[c->ntables], p, n);
	c->tables[c->ntables][n] = '\0';
	memset(&c->sums[c->ntables], 0, sizeof(*c->sums));
	return (int)c->ntables++;
}

/* The tables whose commitments name the signer of the row as it was
 * (§7.6): rows signed by whoever wrote them last (§13). */
static int signed_table(const char *table)
{
	return strcmp(table, "cases") == 0 || strcmp(table, "records") == 0;
}

/* One entry of a row's commitments, "TABLE:ROWID:NEW:OLD" with
 * ":SIGNER" for a signed table (§7.6), parsed. */
struct entry {
	int table; /* index into c->tables */
	int64_t rowid, signer;
	int has_new, has_old;
	uint8_t new_hash[CV_HASH_LEN], old_hash[CV_HASH_LEN];
};

/* field: the next ':'-separated field of [p, end) into *f, *fn; p moves
 * past it and its ':'.  0, or -1 when there is none. */
static int field(const char **p, const char *end, const char **f, size_t *fn)
{
	const char *colon;

	if (*p > end)
		return -1;
	colon = memchr(*p, ':', (size_t)(end - *p));
	*f = *p;
	*fn = colon ? (size_t)(colon - *p) : (size_t)(end - *p);
	*p = colon ? colon + 1 : end + 1;
	return 0;
}

/* A 64-bit signed integer as the store writes one (%lld): an optional
 * '-', then digits with no leading zero (0 alone; no "-0"), in range. */
static int decimal(const char *f, size_t n, int64_t *out)
{
	int neg = n > 0 && f[0] == '-';
	uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;

	f += neg;
	n -= (size_t)neg;
	if (n == 0 || n > 19 || (f[0] == '0' && (n > 1 || neg)))
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(f[i] - '0');

		if (f[i] < '0' || f[i] > '9' || v > (limit - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
	return 0;
}

/* A hash field: 64 lowercase hex digits (1 into *has), or "-" (0). */
static int hash_field(const char *f, size_t n, uint8_t out[CV_HASH_LEN], int *has)
{
	if (n == 1 && f[0] == '-') {
		*has = 0;
		return 0;
	}
	*has = 1;
	if (n != 2 * CV_HASH_LEN || strspn(f, "0123456789abcdef") < n)
		return -1;
	return sodium_hex2bin(out, CV_HASH_LEN, f, n, NULL, NULL, NULL) == 0 ? 0 : -1;
}

/* Parses one entry [p, end) of row r into *e; -1 when malformed, when r
 * may not delete what it deletes or commit to meta, or out of memory
 * (c->st set for the latter). */
static int parse_entry(struct verify_ctx *c, const cv_audit_rec *r, const char *p, const char *end,
		       struct entry *e)
{
	const char *f;
	size_t n;
	int t;

	if (field(&p, end, &f, &n) != 0 || n == 0 || n >= TABLE_NAME_MAX || memchr(f, '\0', n) ||
	    (t = table_index(c, f, n)) < 0)
		return -1;
	/* Only the vault's creation writes meta (the vault id, the keys'
	 * public halves, §3.1): a later row that commits to a meta row is a
	 * forgery by its signer. */
	if (r->seq != 1 && strcmp(c->tables[t], "meta") == 0)
		return -1;
	e->table = t;
	if (field(&p, end, &f, &n) != 0 || decimal(f, n, &e->rowid) != 0)
		return -1;
	if (field(&p, end, &f, &n) != 0 || hash_field(f, n, e->new_hash, &e->has_new) != 0)
		return -1;
	if (field(&p, end, &f, &n) != 0 || hash_field(f, n, e->old_hash, &e->has_old) != 0)
		return -1;
	e->signer = 0;
	if (signed_table(c->tables[t])) {
		if (field(&p, end, &f, &n) != 0)
			return -1;
		if (e->has_old ? decimal(f, n, &e->signer) != 0 : (n != 1 || f[0] != '-'))
			return -1;
	}
	if (p <= end) /* a field too many */
		return -1;
	/* nothing, then nothing: not a change */
	if (!e->has_new && !e->has_old)
		return -1;
	if (!e->has_new && !may_delete(c, r, c->tables[t]))
		return -1;
	return 0;
}

/* Adds entry e of row r, by the signer w (NULL: none), to the sums. */
static void sum_entry(struct verify_ctx *c, const struct entry *e, const struct signer *w)
{
	struct tsum *ts = &c->sums[e->table];
	const char *table = c->tables[e->table];
	int signers = signed_table(table);
	cv_msum x;

	if (e->has_new) {
		cv_msum_member(c->key, 0, table, e->rowid, e->new_hash, 0, &x);
		cv_msum_add(&ts->rows, &x);
		if (signers) {
			cv_msum_member(c->key, 1, table, e->rowid, e->new_hash, w ? w->id : 0, &x);
			cv_msum_add(&ts->signers, &x);
		}
		ts->n++;
	}
	if (e->has_old) {
		cv_msum_member(c->key, 0, table, e->rowid, e->old_hash, 0, &x);
		cv_msum_sub(&ts->rows, &x);
		if (signers) {
			cv_msum_member(c->key, 1, table, e->rowid, e->old_hash, e->signer, &x);
			cv_msum_sub(&ts->signers, &x);
		}
		ts->n--;
	}
}

/* Keeps entry e of row r (exact comparison); -1 out of memory. */
static int keep_entry(struct verify_ctx *c, const cv_audit_rec *r, const struct entry *e,
		      int32_t by)
{
	struct commit *k;

	if (c->ncommits == c->capcommits) {
		size_t cap = c->capcommits ? 2 * c->capcommits : 256;
		struct commit *m = realloc(c->commits, cap * sizeof(*m));

		if (!m) {
			c->st = cv_err_set(c->err, CV_ERROR, "out of memory");
			return -1;
		}
		c->commits = m;
		c->capcommits = cap;
	}
	k = &c->commits[c->ncommits++];
	memset(k, 0, sizeof(*k));
	k->rowid = e->rowid;
	k->seq = r->seq;
	k->signer = e->signer;
	k->by = by;
	k->table = (uint16_t)e->table;
	k->deleted = !e->has_new;
	k->had_old = (uint8_t)e->has_old;
	memcpy(k->hash, e->new_hash, CV_HASH_LEN);
	memcpy(k->old, e->old_hash, CV_HASH_LEN);
	return 0;
}

/* Parses the commitments of row r (space-separated entries) into the sums,
 * or with exact into c->commits; -1 when malformed, when r may not delete
 * what it says it deleted, or out of memory (c->st set for the latter). */
static int add_commits(struct verify_ctx *c, const cv_audit_rec *r)
{
	const char *p = r->rows;
	const struct signer *w = find_signer(c, r->actor);
	int32_t by = w ? (int32_t)(w - c->signers) : -1;
	struct entry last = {-1, 0, 0, 0, 0, {0}, {0}};

	while (*p) {
		const char *end = strchr(p, ' ');
		struct entry e;
		int order;

		if (!end)
			end = p + strlen(p);
		if (parse_entry(c, r, p, end, &e) != 0)
			return -1;
		/* one entry a row, sorted by table name (bytewise), then rowid */
		order = last.table < 0 ? 1 : strcmp(c->tables[e.table], c->tables[last.table]);
		if (order < 0 || (order == 0 && e.rowid <= last.rowid))
			return -1;
		last = e;
		if (c->exact) {
			if (keep_entry(c, r, &e, by) != 0)
				return -1;
		} else {
			sum_entry(c, &e, w);
		}
		/* separated by one space, none after the last */
		if (*end == ' ' && (end[1] == '\0' || end[1] == ' '))
			return -1;
		p = *end == ' ' ? end + 1 : end;
	}
	return 0;
}

static int cmp_commit(const void *a, const void *b)
{
	const struct commit *x = a, *y = b;
	/* table: a rank in name order once check_rows has sorted the names */
	if (x->table != y->table)
		return (x->table > y->table) - (x->table < y->table);
	if (x->rowid != y->rowid)
		return (x->rowid > y->rowid) - (x->rowid < y->rowid);
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Comparing the stored rows (in table, rowid order) with the log: with
 * the latest commitment to each, merged (exact), or with each table's
 * sums. */
struct row_check {
	struct verify_ctx *c; /* read only: the walk may run in a thread */
	size_t next;	      /* the next latest commitment not yet matched */
	cv_status st;
	cv_err *err; /* the finding, and the audit row it names */
	int64_t bad_seq;
	/* The tables the walk leaves out (NULL-terminated; NULL: none): the
	 * statistics count checks their rows (vouched_tables) */
	const char *const *skip;
	/* Without exact: the table being walked (cur, "" before the first),
	 * its rows' sums (got), and which of c's tables were compared
	 * (checked, beside c->tables) */
	char cur[TABLE_NAME_MAX];
	struct tsum got;
	uint8_t *checked;
	int differ; /* the sums differ: the exact comparison names the row */
};

/* The tables whose rows the statistics export's count reads, hashes and
 * checks itself, every one (§7.5 step 8's last paragraph; access.c
 * cv_access_all_stats): its step 7 walks the others. */
static const char *const vouched_tables[] = {"cases", "records", NULL};

static int skipped_table(const struct row_check *k, const char *table)
{
	for (const char *const *s = k->skip; s && *s; s++)
		if (strcmp(*s, table) == 0)
			return 1;
	return 0;
}

static cv_status row_finding(struct row_check *k, const char *code, const char *what,
			     const char *table, int64_t rowid, int64_t seq)
{
	char id[24], at[24];

	k->bad_seq = seq;
	return k->st = cv_fail(k->err, CV_EINTEGRITY, code,
			       "row {2} of table '{1}' {3} (audit row {4}): the vault was tampered "
			       "with or rolled back; restore it from a backup",
			       table, cv_num(id, rowid), what, cv_num(at, seq));
}

/* The id of the user who wrote commitment m, or 0. */
static int64_t writer_id(const struct verify_ctx *c, const struct commit *m)
{
	return m->by >= 0 ? c->signers[m->by].id : 0;
}

/* A committed row that is not in the store (below rowid of table, or at
 * the end): missing unless deleted. */
static int check_missing_before(struct row_check *k, const char *table, int64_t rowid)
{
	struct verify_ctx *c = k->c;

	while (k->next < c->ncommits) {
		const struct commit *m = &c->commits[k->next];
		int t = table ? strcmp(c->tables[m->table], table) : -1;

		if (t > 0 || (t == 0 && m->rowid >= rowid))
			return 0;
		k->next++;
		if (!m->deleted && !skipped_table(k, c->tables[m->table])) {
			row_finding(k, "rows.missing",
				    CV_PHRASE("is missing, though the log committed to it"),
				    c->tables[m->table], m->rowid, m->seq);
			return 1;
		}
	}
	return 0;
}

static int check_row(const char *table, int64_t rowid, const uint8_t hash[CV_HASH_LEN],
		     int64_t signer, void *arg)
{
	struct row_check *k = arg;
	struct verify_ctx *c = k->c;
	const struct commit *m;

	if (check_missing_before(k, table, rowid))
		return 1;
	m = k->next < c->ncommits ? &c->commits[k->next] : NULL;
	if (!m || strcmp(c->tables[m->table], table) != 0 || m->rowid != rowid) {
		row_finding(k, "rows.uncommitted", CV_PHRASE("is not in the log: it was planted"),
			    table, rowid, 0);
		return 1;
	}
	k->next++;
	if (m->deleted) {
		row_finding(k, "rows.deleted", CV_PHRASE("was deleted by the log, but is back"),
			    table, rowid, m->seq);
		return 1;
	}
	if (sodium_memcmp(m->hash, hash, CV_HASH_LEN) != 0) {
		row_finding(k, "rows.changed", CV_PHRASE("is not the version the log committed to"),
			    table, rowid, m->seq);
		return 1;
	}
	if (signed_table(table) && signer != writer_id(c, m)) {
		row_finding(k, "rows.signer",
			    CV_PHRASE("is signed by another user than the one who wrote it"), table,
			    rowid, m->seq);
		return 1;
	}
	return 0;
}

/* Compares the rows of table k->cur, summed in k->got, with what the log
 * says of them; 1 when they differ. */
static int sums_table_end(struct row_check *k)
{
	struct verify_ctx *c = k->c;
	struct tsum want = {{0, 0}, {0, 0}, 0};
	int t = -1;

	if (!k->cur[0])
		return 0;
	for (size_t i = 0; i < c->ntables && t < 0; i++)
		if (strcmp(c->tables[i], k->cur) == 0)
			t = (int)i;
	if (t >= 0) {
		want = c->sums[t];
		k->checked[t] = 1;
	}
	if (want.n != k->got.n || !cv_msum_equal(&want.rows, &k->got.rows) ||
	    (signed_table(k->cur) && !cv_msum_equal(&want.signers, &k->got.signers)))
		k->differ = 1;
	k->cur[0] = '\0';
	memset(&k->got, 0, sizeof(k->got));
	return k->differ;
}

static int sum_row(const char *table, int64_t rowid, const uint8_t hash[CV_HASH_LEN],
		   int64_t signer, void *arg)
{
	struct row_check *k = arg;
	cv_msum x;

	if (strcmp(k->cur, table) != 0) {
		if (sums_table_end(k))
			return 1;
		if (strlen(table) >= TABLE_NAME_MAX) {
			k->differ = 1; /* no commitment can name it */
			return 1;
		}
		snprintf(k->cur, sizeof(k->cur), "%s", table);
	}
	cv_msum_member(k->c->key, 0, table, rowid, hash, 0, &x);
	cv_msum_add(&k->got.rows, &x);
	if (signed_table(table)) {
		cv_msum_member(k->c->key, 1, table, rowid, hash, signer, &x);
		cv_msum_add(&k->got.signers, &x);
	}
	k->got.n++;
	return 0;
}

/* The callback that compares the rows, as c compares them. */
static cv_store_row_cb row_cb(const struct verify_ctx *c)
{
	return c->exact ? check_row : sum_row;
}

/* Starts k, for c's comparison of the rows but those of skip. */
static cv_status row_check_init(struct row_check *k, struct verify_ctx *c, cv_err *finding,
				const char *const *skip, cv_err *err)
{
	memset(k, 0, sizeof(*k));
	k->c = c;
	k->err = finding;
	k->skip = skip;
	if (!c->exact && c->ntables && !(k->checked = calloc(c->ntables, 1)))
		return cv_err_set(err, CV_ERROR, "out of memory");
	return CV_OK;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Sorts c->tables by name (bytewise, as the store walks the tables) and
 * gives every commitment its name's new index, so that commitments sort
 * by table with an integer comparison. */
static cv_status rank_tables(struct verify_ctx *c)
{
	char(*sorted)[TABLE_NAME_MAX];
	uint16_t *rank;

	if (c->ntables < 2)
		return CV_OK;
	sorted = malloc(c->ntables * sizeof(*sorted));
	rank = malloc(c->ntables * sizeof(*rank));
	if (!sorted || !rank) {
		free(sorted);
		free(rank);
		return cv_err_set(c->err, CV_ERROR, "out of memory");
	}
	memcpy(sorted, c->tables, c->ntables * sizeof(*sorted));
	qsort(sorted, c->ntables, sizeof(*sorted), cmp_name);
	for (size_t i = 0; i < c->ntables; i++) {
		const char(*at)[TABLE_NAME_MAX] =
		    bsearch(c->tables[i], sorted, c->ntables, sizeof(*sorted), cmp_name);

		rank[i] = (uint16_t)(at - sorted); /* names are distinct: found */
	}
	for (size_t i = 0; i < c->ncommits; i++)
		c->commits[i].table = rank[c->commits[i].table];
	memcpy(c->tables, sorted, c->ntables * sizeof(*sorted));
	free(sorted);
	free(rank);
	return CV_OK;
}

/* A break in the chain of a row's commitments: m's old version is not the
 * one its previous commitment (prev, NULL: none) left, or, in a signed
 * table, not signed by that commitment's writer. */
static cv_status chain_finding(struct verify_ctx *c, const struct commit *prev,
			       const struct commit *m)
{
	struct row_check k = {0};
	const char *table = c->tables[m->table];

	k.c = c;
	k.err = c->err;
	if (!m->had_old
		? prev && !prev->deleted
		: !prev || prev->deleted || sodium_memcmp(prev->hash, m->old, CV_HASH_LEN) != 0)
		row_finding(&k, "rows.changed",
			    CV_PHRASE("was changed outside the log before this change"), table,
			    m->rowid, m->seq);
	else if (m->had_old && signed_table(table) && m->signer != writer_id(c, prev))
		row_finding(&k, "rows.signer",
			    CV_PHRASE("was signed by another user than the one who wrote it"),
			    table, m->rowid, prev->seq);
	else
		return CV_OK;
	c->rep->bad_seq = k.bad_seq;
	return k.st;
}

/* Sorts the commitments by row, checks each row's chain of versions, and
 * keeps the latest commitment to each. */
static cv_status latest_commits(struct verify_ctx *c)
{
	size_t n = 0;
	cv_status st = rank_tables(c);

	if (st != CV_OK)
		return st;
	qsort(c->commits, c->ncommits, sizeof(*c->commits), cmp_commit);
	for (size_t i = 0; i < c->ncommits; i++) {
		const struct commit *prev = NULL;

		if (n && c->commits[n - 1].table == c->commits[i].table &&
		    c->commits[n - 1].rowid == c->commits[i].rowid)
			prev = &c->commits[--n];
		st = chain_finding(c, prev, &c->commits[i]);
		if (st != CV_OK)
			return st;
		c->commits[n++] = c->commits[i];
	}
	c->ncommits = n;
	return CV_OK;
}

/* The rows the log keeps: the latest commitments that are not deletions,
 * or the tables' counts. */
static int64_t committed_rows(const struct verify_ctx *c)
{
	int64_t n = 0;

	if (c->exact)
		for (size_t i = 0; i < c->ncommits; i++)
			n += !c->commits[i].deleted;
	else
		for (size_t i = 0; i < c->ntables; i++)
			n += c->sums[i].n;
	return n;
}

/* After the walk of the stored rows (st: the walk's own result): the
 * finding, or the committed rows never walked.  Without exact, a
 * difference is CV_EINTEGRITY with k->differ set: the exact comparison
 * names it (verify_located). */
static cv_status rows_result(struct row_check *k, cv_status st)
{
	struct verify_ctx *c = k->c;

	if (!c->exact && st == CV_OK && !k->differ) {
		sums_table_end(k);
		for (size_t i = 0; i < c->ntables && !k->differ; i++)
			if (!k->checked[i] && !skipped_table(k, c->tables[i]) &&
			    (c->sums[i].n || c->sums[i].rows.lo || c->sums[i].rows.hi ||
			     c->sums[i].signers.lo || c->sums[i].signers.hi))
				k->differ = 1;
	}
	if (!c->exact && (st == CV_OK || st == CV_EINTEGRITY) && k->differ)
		st = cv_fail(k->err, CV_EINTEGRITY, "rows.changed",
			     "the vault's rows are not the ones the log committed to: the vault "
			     "was tampered with or rolled back; restore it from a backup");
	free(k->checked);
	k->checked = NULL;
	if (st == CV_OK)
		st = k->st;
	if (st == CV_OK && c->exact && check_missing_before(k, NULL, 0))
		st = k->st;
	if (k->bad_seq)
		c->rep->bad_seq = k->bad_seq;
	if (st == CV_OK)
		c->rep->rows_committed = committed_rows(c);
	return st;
}

/* §7.5 step 7: the store against the log's latest commitment to each row. */
static cv_status check_rows(struct verify_ctx *c, int *differ)
{
	struct row_check k;
	cv_status st = c->exact ? latest_commits(c) : CV_OK;

	if (st == CV_OK)
		st = row_check_init(&k, c, c->err, NULL, c->err);
	if (st != CV_OK)
		return st;
	st = cv_store_row_each(c->v->st, row_cb(c), &k, c->err);
	st = rows_result(&k, st);
	if (differ)
		*differ = k.differ;
	return st;
}

static void *sig_worker(void *arg)
{
	struct sig_slice *s = arg;

	for (size_t i = s->first; i < s->b->n; i += s->step) {
		struct sig_job *j = &s->b->v[i];

		j->bad = crypto_sign_verify_detached(j->sig, j->msg, sizeof(j->msg), j->pk) != 0;
	}
	return NULL;
}

/* Checks the batched signatures; the first that fails becomes the finding
 * unless one at an earlier row was already reported.  0, or 1 after a
 * failure. */
static int sig_flush(struct verify_ctx *c)
{
	struct sig_slice slices[SIG_THREADS_MAX];
	pthread_t tid[SIG_THREADS_MAX];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nthreads = cpus < 1 ? 1 : cpus > SIG_THREADS_MAX ? SIG_THREADS_MAX : (size_t)cpus;
	size_t started = 0;
	char seq[24];

	if (!c->sigs.n)
		return 0;
	if (nthreads > c->sigs.n)
		nthreads = c->sigs.n;
	for (size_t t = 0; t < nthreads; t++)
		slices[t] = (struct sig_slice){&c->sigs, t, nthreads};
	/* Slice 0 runs here; the others in threads (here too when a thread
	 * cannot start). */
	for (size_t t = 1; t < nthreads; t++)
		if (pthread_create(&tid[t], NULL, sig_worker, &slices[t]) == 0)
			started |= (size_t)1 << t;
		else
			sig_worker(&slices[t]);
	sig_worker(&slices[0]);
	for (size_t t = 1; t < nthreads; t++)
		if (started & ((size_t)1 << t))
			pthread_join(tid[t], NULL);
	for (size_t i = 0; i < c->sigs.n; i++) {
		const struct sig_job *j = &c->sigs.v[i];

		if (!j->bad)
			continue;
		c->sigs.n = 0;
		if (c->st != CV_OK && c->rep->bad_seq && c->rep->bad_seq < j->seq)
			return 1;
		c->rep->bad_seq = j->seq;
		c->st = cv_fail(c->err, CV_EINTEGRITY, "log.checkpoint-signature",
				"audit row {1} is a checkpoint whose signature by '{2}' "
				"does not verify",
				cv_num(seq, j->seq), j->actor);
		return 1;
	}
	c->sigs.n = 0;
	return 0;
}

/* Queues the signature of checkpoint row r by key pk; 1 when a batch it
 * filled held a bad one. */
static int sig_queue(struct verify_ctx *c, const cv_audit_rec *r, const uint8_t *pk)
{
	struct sig_job *j;

	if (!c->sigs.v && !(c->sigs.v = malloc(SIG_BATCH * sizeof(*c->sigs.v)))) {
		c->st = cv_err_set(c->err, CV_ERROR, "out of memory");
		return 1;
	}
	j = &c->sigs.v[c->sigs.n++];
	j->seq = r->seq;
	snprintf(j->actor, sizeof(j->actor), "%s", r->actor);
	cv_checkpoint_msg(c->v->vault_id, c->v->recovery_pk, r->seq, r->hash, j->msg);
	memcpy(j->sig, r->sig, sizeof(j->sig));
	memcpy(j->pk, pk, sizeof(j->pk));
	j->bad = 0;
	return c->sigs.n == SIG_BATCH ? sig_flush(c) : 0;
}

static int verify_row(const cv_audit_rec *r, void *arg)
{
	struct verify_ctx *c = arg;
	char seq[24], other[24]; /* seq: formatted for a finding only */
	uint8_t h[CV_HASH_LEN];
	int action, unsigned_row;

	if (r->seq != c->expect) {
		c->rep->bad_seq = c->expect;
		cv_num(other, c->expect);
		c->st = r->seq > c->expect
			    ? cv_fail(c->err, CV_EINTEGRITY, "log.row-missing",
				      "audit row {1} is missing (the log jumps to row {2}): rows "
				      "were deleted",
				      other, cv_num(seq, r->seq))
			    : cv_fail(c->err, CV_EINTEGRITY, "log.row-order",
				      "audit row {1} is out of order (found row {2})", other,
				      cv_num(seq, r->seq));
		return 1;
	}
	if (sodium_memcmp(r->prev_hash, c->prev, CV_HASH_LEN) != 0) {
		c->rep->bad_seq = r->seq;
		c->st = cv_fail(c->err, CV_EINTEGRITY, "log.prev-hash",
				"audit row {1} does not follow row {2} (prev_hash differs): rows "
				"were deleted, reordered or edited",
				cv_num(seq, r->seq), cv_num(other, r->seq - 1));
		return 1;
	}
	cv_audit_hash(r, h);
	if (sodium_memcmp(h, r->hash, CV_HASH_LEN) != 0) {
		c->rep->bad_seq = r->seq;
		c->st = cv_fail(c->err, CV_EINTEGRITY, "log.row-altered",
				"audit row {1} was altered: its hash does not match its contents",
				cv_num(seq, r->seq));
		return 1;
	}
	action = cv_word_parse(&cv_actions, r->action);
	unsigned_row = is_unsigned_row(r, action);
	if (!unsigned_row) {
		const struct signer *w = find_signer(c, r->actor);

		if (!w) {
			c->rep->bad_seq = r->seq;
			c->st = cv_fail(c->err, CV_EINTEGRITY, "log.actor-unknown",
					"audit row {1} was written by '{2}', who is not a user of "
					"this vault",
					cv_num(seq, r->seq), r->actor);
			return 1;
		}
		if (w->disabled && w->rec_status_seq < r->seq) {
			c->rep->bad_seq = r->seq;
			c->st = cv_fail(c->err, CV_EINTEGRITY, "log.actor-disabled",
					"audit row {1} was written by '{2}', whose account was "
					"already disabled",
					cv_num(seq, r->seq), r->actor);
			return 1;
		}
	}
	if (strcmp(r->action, CHECKPOINT_ACTION) == 0) {
		const uint8_t *pk = signer_key(c, r->actor, r->seq);

		if (r->has_sig && pk && r->seq > c->vouched && sig_queue(c, r, pk))
			return 1;
		if (!r->has_sig || !pk) {
			c->rep->bad_seq = r->seq;
			c->st = cv_fail(c->err, CV_EINTEGRITY, "log.checkpoint-signature",
					"audit row {1} is a checkpoint whose signature by '{2}' "
					"does not verify",
					cv_num(seq, r->seq), r->actor);
			return 1;
		}
		crypto_generichash_update(&c->sigs_h, r->sig, crypto_sign_BYTES);
		if (c->seg_actor[0] && strcmp(c->seg_actor, r->actor) != 0) {
			c->rep->bad_seq = c->seg_start;
			c->st =
			    cv_fail(c->err, CV_EINTEGRITY, "log.segment-signer",
				    "audit rows {1} to {2} are signed by '{3}' but were written "
				    "by '{4}': rows were replaced or spliced in",
				    cv_num(other, c->seg_start), cv_num(seq, r->seq), r->actor,
				    c->seg_actor);
			return 1;
		}
		c->seg_actor[0] = '\0';
		if (r->seq > c->vouched)
			c->rep->checkpoints++;
		c->rep->unsigned_tail = 0;
	} else {
		if (r->has_sig) {
			c->rep->bad_seq = r->seq;
			c->st = cv_fail(c->err, CV_EINTEGRITY, "log.stray-signature",
					"audit row {1} carries a signature but is not a checkpoint",
					cv_num(seq, r->seq));
			return 1;
		}
		c->rep->unsigned_tail++;
		if (!unsigned_row) {
			if (!c->seg_actor[0]) {
				snprintf(c->seg_actor, sizeof(c->seg_actor), "%s", r->actor);
				c->seg_start = r->seq;
			} else if (strcmp(c->seg_actor, r->actor) != 0) {
				c->rep->bad_seq = r->seq;
				c->st = cv_fail(c->err, CV_EINTEGRITY, "log.segment-splice",
						"audit row {1} by '{2}' sits among rows by '{3}' "
						"that one checkpoint signs: rows were spliced in",
						cv_num(seq, r->seq), r->actor, c->seg_actor);
				return 1;
			}
		}
		track_user_event(c, r, action);
	}
	if (r->rows[0] && (unsigned_row || add_commits(c, r) != 0)) {
		if (c->st == CV_OK) {
			c->rep->bad_seq = r->seq;
			c->st = cv_fail(c->err, CV_EINTEGRITY, "log.rows-malformed",
					"audit row {1} holds row commitments it may not hold, or "
					"malformed ones: the log was tampered with",
					cv_num(seq, r->seq));
		}
		return 1;
	}
	memcpy(c->prev, r->hash, CV_HASH_LEN);
	c->expect++;
	c->rep->rows++;
	if (r->seq == c->vouched) {
		/* The signatures not checked again are the ones the anchor's
		 * verification checked: a sig is not hashed (§7.1), so the
		 * anchor names them all by one digest. */
		crypto_generichash_state now = c->sigs_h;
		uint8_t d[CV_HASH_LEN];

		crypto_generichash_final(&now, d, sizeof(d));
		if (sodium_memcmp(d, c->anchor_sigs, sizeof(d)) != 0) {
			c->rep->bad_seq = r->seq;
			c->st = cv_fail(c->err, CV_EINTEGRITY, "log.anchor-sigs",
					"a checkpoint signature among audit rows 1 to {1} "
					"changed after they were verified: the log was "
					"tampered with",
					cv_num(seq, r->seq));
			return 1;
		}
	}
	return 0;
}

/* The external checkpoint: parsed fields. */
struct ext_checkpoint {
	uint8_t vault_id[CV_VAULT_ID_LEN];
	int64_t size;
	uint8_t head[CV_HASH_LEN];
	char signer[CV_NAME_MAX + 1];
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t sig[crypto_sign_BYTES];
};

/* Reads "label: hex" exactly; returns the text after the line or NULL. */
static const char *hex_line(const char *p, const char *label, uint8_t *out, size_t len)
{
	size_t l = strlen(label), got = 0;
	const char *end;

	if (strncmp(p, label, l) != 0 || p[l] != ':' || p[l + 1] != ' ')
		return NULL;
	p += l + 2;
	end = strchr(p, '\n');
	if (!end || (size_t)(end - p) != 2 * len)
		return NULL;
	if (sodium_hex2bin(out, len, p, (size_t)(end - p), NULL, &got, NULL) != 0 || got != len)
		return NULL;
	return end + 1;
}

static const char *text_line(const char *p, const char *label, char *out, size_t cap)
{
	size_t l = strlen(label);
	const char *end;

	if (strncmp(p, label, l) != 0 || p[l] != ':' || p[l + 1] != ' ')
		return NULL;
	p += l + 2;
	end = strchr(p, '\n');
	if (!end || end == p || (size_t)(end - p) >= cap)
		return NULL;
	memcpy(out, p, (size_t)(end - p));
	out[end - p] = '\0';
	return end + 1;
}

static cv_status parse_external(const char *text, struct ext_checkpoint *x, cv_err *err)
{
	char size[24];
	const char *p = text;
	char *endp;
	size_t l = strlen(external_magic);

	if (strncmp(p, external_magic, l) != 0 || p[l] != '\n')
		goto bad;
	p += l + 1;
	if (!(p = hex_line(p, "vault", x->vault_id, sizeof(x->vault_id))))
		goto bad;
	if (!(p = text_line(p, "size", size, sizeof(size))))
		goto bad;
	x->size = strtoll(size, &endp, 10);
	if (*endp || x->size < 1 || size[0] == '0')
		goto bad;
	if (!(p = hex_line(p, "head", x->head, sizeof(x->head))) ||
	    !(p = text_line(p, "signer", x->signer, sizeof(x->signer))) ||
	    !(p = hex_line(p, "key", x->pk, sizeof(x->pk))) ||
	    !(p = hex_line(p, "signature", x->sig, sizeof(x->sig))) || *p)
		goto bad;
	return CV_OK;
bad:
	return cv_fail(err, CV_EUSAGE, "checkpoint.format",
		       "the checkpoint file is not in the format 'casevault audit checkpoint' "
		       "writes; give the file it wrote, unmodified");
}

struct at_row {
	int found;
	uint8_t hash[CV_HASH_LEN];
};

static int grab_row(const cv_audit_rec *r, void *arg)
{
	struct at_row *a = arg;

	a->found = 1;
	memcpy(a->hash, r->hash, CV_HASH_LEN);
	return 0;
}

static cv_status check_external(cv_vault *v, const char *text, int64_t log_size, cv_err *err)
{
	struct ext_checkpoint x;
	uint8_t msg[CV_CHECKPOINT_MSG_LEN];
	struct at_row at = {0};
	char a[24], b[24];
	cv_user_rec u;
	cv_status st;

	st = parse_external(text, &x, err);
	if (st != CV_OK)
		return st;
	if (sodium_memcmp(x.vault_id, v->vault_id, CV_VAULT_ID_LEN) != 0)
		return cv_fail(err, CV_EINTEGRITY, "checkpoint.vault",
			       "the checkpoint names another vault: either it is the wrong file, "
			       "or this vault was replaced by another one");
	cv_checkpoint_msg(x.vault_id, v->recovery_pk, x.size, x.head, msg);
	if (crypto_sign_verify_detached(x.sig, msg, sizeof(msg), x.pk) != 0)
		return cv_fail(err, CV_EINTEGRITY, "checkpoint.signature",
			       "the checkpoint file's signature does not verify: the file was "
			       "altered");
	st = cv_store_user_by_name(v->st, x.signer, &u, err);
	if (st == CV_OK)
		st = cv_store_cert_at(v->st, u.id, x.size, &u, err);
	if (st == CV_ENOTFOUND || (st == CV_OK && sodium_memcmp(u.sign_pk, x.pk, sizeof(x.pk))))
		return cv_fail(err, CV_EINTEGRITY, "checkpoint.signer",
			       "the checkpoint was signed by '{1}', whose key is no longer in "
			       "the vault: the user records were replaced",
			       x.signer);
	if (st != CV_OK)
		return st;
	if (log_size < x.size)
		return cv_fail(err, CV_EINTEGRITY, "log.truncated",
			       "the log ends at row {1} but the checkpoint covers {2} rows: "
			       "the log was truncated or rolled back",
			       cv_num(a, log_size), cv_num(b, x.size));
	st = cv_store_audit_get(v->st, x.size, grab_row, &at, err);
	if (st != CV_OK)
		return st;
	if (sodium_memcmp(at.hash, x.head, CV_HASH_LEN) != 0)
		return cv_fail(err, CV_EINTEGRITY, "log.rewritten",
			       "audit row {1} differs from the checkpoint: the log up to it was "
			       "rewritten",
			       cv_num(a, x.size));
	return CV_OK;
}

/* The users table must agree with the log: each record's identity and
 * status were set by the last row that changed them (an older copy of a
 * record, put back, does not). */
static cv_status check_users_against_log(struct verify_ctx *c)
{
	char rec[24], logged[24];

	for (size_t i = 0; i < c->nsigners; i++) {
		struct signer *sg = &c->signers[i];
		int64_t mine = 0, theirs = 0;

		if (sg->rec_status_seq != sg->log_status_seq)
			mine = sg->rec_status_seq, theirs = sg->log_status_seq;
		else if (sg->rec_cert_seq != sg->log_cert_seq)
			mine = sg->rec_cert_seq, theirs = sg->log_cert_seq;
		else if (sg->rec_keys_seq != sg->log_keys_seq)
			mine = sg->rec_keys_seq, theirs = sg->log_keys_seq;
		if (mine || theirs)
			return cv_fail(c->err, CV_EINTEGRITY, "users.mismatch",
				       "the record of user '{1}' does not match the log: it was "
				       "last changed at row {2}, but the log's last change to it "
				       "is row {3} (an old copy of the record was put back)",
				       sg->name, cv_num(rec, mine), cv_num(logged, theirs));
	}
	return CV_OK;
}

/* The sums of table (zero when no commitment names it). */
static struct tsum table_sums(const struct verify_ctx *c, const char *table)
{
	struct tsum none = {{0, 0}, {0, 0}, 0};

	for (size_t i = 0; i < c->ntables; i++)
		if (strcmp(c->tables[i], table) == 0)
			return c->sums[i];
	return none;
}

/* The vouch (verify.h cv_vouch_begin) from the walk's sums: the key, what
 * the cases and records rows must sum to, and each user's role (-1 when
 * their identities do not all name one role, or none verifies). */
static void vouch_fill_sums(const struct verify_ctx *c, struct cv_vouch *v)
{
	struct tsum cs = table_sums(c, "cases"), rs = table_sums(c, "records");

	v->want[0] = cs.signers;
	v->want[1] = rs.signers;
	v->live[0] = cs.n;
	v->live[1] = rs.n;
	v->summed = 1;
}

/* The vouch's key and users, which the count needs from its start; the
 * sums follow once the walk of the log is done (vouch_fill_sums). */
static cv_status vouch_fill(struct verify_ctx *c, struct cv_vouch *v, cv_err *err)
{
	memcpy(v->key, c->key, sizeof(v->key));
	v->users = c->nsigners ? malloc(c->nsigners * sizeof(*v->users)) : NULL;
	if (c->nsigners && !v->users)
		return cv_err_set(err, CV_ERROR, "out of memory");
	v->nusers = c->nsigners;
	for (size_t i = 0; i < c->nsigners; i++) {
		const struct signer *sg = &c->signers[i];
		int role = sg->nids ? sg->ids[0].role : -1, signs = 0;

		/* The identity a commitment's writer held at its row signed the
		 * checkpoint after it (§7.5 step 4.6a): a verified one, whose
		 * role is then the user's, when all their identities (their
		 * enrolment certificates too) name the same. */
		for (size_t j = 0; j < sg->nids; j++) {
			signs |= sg->ids[j].ok;
			if (sg->ids[j].role != role)
				role = -1;
		}
		if (!signs)
			role = -1;
		v->users[i].id = sg->id;
		v->users[i].role = role;
	}
	v->filled = 1;
	return CV_OK;
}

void cv_vouch_begin(cv_vault *v)
{
	cv_vouch_end(v);
	v->vouch = calloc(1, sizeof(*v->vouch));
	if (v->vouch)
		v->vouch->wanted = 1;
}

void cv_vouch_end(cv_vault *v)
{
	if (!v->vouch)
		return;
	free(v->vouch->users);
	sodium_memzero(v->vouch, sizeof(*v->vouch));
	free(v->vouch);
	v->vouch = NULL;
}

/* The anchor: the latest successful audit.verify row written by a
 * supervisor in the transaction of the verification it reports, so that
 * its detail's "rows=N" is exactly the rows before it (N = seq - 1).
 * Such a row is written only after rows 1..N verified in full in the same
 * transaction (cv_audit_verify, the statistics export), and the chain
 * binds rows 1..N to it: the checkpoint that signs it (after N, so always
 * checked) signs them too.  Rows 1..N then need their chain, hashes,
 * segments and commitments checked, not their signatures again
 * (docs/FORMAT.md §7.7). */
struct anchor_find {
	struct verify_ctx *c;
	int64_t seq;
	uint8_t sigs[CV_HASH_LEN];
	char actor[CV_NAME_MAX + 1];
	char time[CV_TIME_LEN];
};

static int anchor_row(const cv_audit_rec *r, void *arg)
{
	struct anchor_find *a = arg;
	char want[32];
	size_t n = (size_t)snprintf(want, sizeof(want), "rows=%lld", (long long)(r->seq - 1));

	const char *h = strstr(r->detail, " sigs=");
	uint8_t sigs[CV_HASH_LEN];

	if (strncmp(r->detail, want, n) != 0 || r->detail[n] != ' ' || r->seq < 2 ||
	    signer_role(a->c, r->actor, r->seq) != CV_ROLE_SUPERVISOR || !h ||
	    strspn(h + 6, "0123456789abcdef") != 2 * CV_HASH_LEN ||
	    (h[6 + 2 * CV_HASH_LEN] != ' ' && h[6 + 2 * CV_HASH_LEN] != '\0') ||
	    sodium_hex2bin(sigs, sizeof(sigs), h + 6, 2 * CV_HASH_LEN, NULL, NULL, NULL) != 0)
		return 0;
	a->seq = r->seq;
	memcpy(a->sigs, sigs, sizeof(sigs));
	snprintf(a->actor, sizeof(a->actor), "%s", r->actor);
	snprintf(a->time, sizeof(a->time), "%s", r->time);
	return 0;
}

static cv_status find_anchor(struct verify_ctx *c, cv_err *err)
{
	struct anchor_find a = {c, 0, {0}, "", ""};
	cv_store_audit_query q = {0};
	cv_status st;

	q.action = cv_action_name(CV_ACT_AUDIT_VERIFY);
	q.outcome = cv_outcome_name(CV_OUT_OK);
	st = cv_store_audit_each(c->v->st, &q, anchor_row, &a, err);
	if (st == CV_OK && a.seq) {
		c->vouched = a.seq - 1;
		memcpy(c->anchor_sigs, a.sigs, sizeof(a.sigs));
		c->rep->vouched = a.seq - 1;
		c->rep->anchor_seq = a.seq;
		snprintf(c->rep->anchor_by, sizeof(c->rep->anchor_by), "%s", a.actor);
		snprintf(c->rep->anchor_at, sizeof(c->rep->anchor_at), "%s", a.time);
	}
	return st;
}

/* A verification whose steps 7 and 8 go on beside its caller
 * (cv_verify_in_op_begin): what they read, and their threads. */
struct cv_verify_pending {
	struct verify_ctx c;
	struct row_check rows;
	cv_err rows_err;
	cv_store_check *structure;
	const char *const *skip; /* the tables the caller's count checks */
	cv_status st;		 /* steps 4 to 7, as the thread found them */
};

static void ctx_free(struct verify_ctx *c)
{
	free(c->commits);
	free(c->tables);
	free(c->sums);
	sodium_memzero(c->key, sizeof(c->key));
	free(c->sigs.v);
	free_signers(c);
}

/* §7.5 steps 4 to 6: the walk of the log, through the vault's connection
 * or (beside: not NULL) through the third, and what follows it. */
static cv_status walk_log(struct verify_ctx *c, cv_store_check *beside)
{
	cv_store_audit_query q = {0};
	cv_status st = beside ? cv_store_check_audit_each(beside, verify_row, c, c->err)
			      : cv_store_audit_each(c->v->st, &q, verify_row, c, c->err);

	if (st == CV_EINTEGRITY && !c->rep->bad_seq) /* a malformed row */
		c->rep->bad_seq = c->expect;
	/* What is still queued: an earlier bad signature is the finding. */
	if ((st == CV_OK || st == CV_EINTEGRITY) && sig_flush(c) && c->st != CV_OK)
		st = c->st;
	if (st == CV_OK)
		st = c->st;
	if (st == CV_OK && c->seg_actor[0]) {
		char a[24], b[24];

		c->rep->bad_seq = c->seg_start;
		st = cv_fail(c->err, CV_EINTEGRITY, "log.unsigned-tail",
			     "audit rows {1} to {2} are signed by no checkpoint: the log's end "
			     "was cut off or rows were appended",
			     cv_num(a, c->seg_start), cv_num(b, c->expect - 1));
	}
	if (st == CV_OK)
		st = check_users_against_log(c);
	return st;
}

/* The thread beside the caller (cv_store_beside): steps 4 to 7 on the
 * third connection, step 7 but for the tables p->skip names. */
static void walk_beside(void *arg)
{
	cv_verify_pending *p = arg;
	struct verify_ctx *c = &p->c;
	cv_status st = walk_log(c, p->structure);

	if (st == CV_OK)
		st = row_check_init(&p->rows, c, &p->rows_err, p->skip, &p->rows_err);
	if (st == CV_OK) {
		st = cv_store_check_row_each(p->structure, p->skip, row_cb(c), &p->rows,
					     &p->rows_err);
		st = rows_result(&p->rows, st);
	}
	p->st = st;
}

/*
 * The steps of §7.5.  With pending (not NULL), when the store can work
 * beside (store.h cv_store_beside): steps 4 to 8 are left running and
 * *pending holds them (verify_finish); the vouch gets its key and users at
 * once, its sums when they are waited for.  Otherwise *pending stays NULL
 * and every step is done here (exact: keeping every commitment, §7.6;
 * *differ, when not NULL, says whether the sums of step 7 differed).
 */
static cv_status verify_all(cv_vault *v, const char *checkpoint_text, int full, int exact,
			    cv_audit_report *rep, cv_verify_pending **pending, int *differ,
			    cv_err *err)
{
	uint8_t rpk[crypto_box_PUBLICKEYBYTES];
	struct verify_ctx c = {0};
	cv_user_rec *users = NULL;
	cv_store_check *structure = NULL;
	size_t nusers = 0;
	cv_status st;

	if (pending)
		*pending = NULL;
	c.v = v;
	c.rep = rep;
	c.err = err;
	c.expect = 1;
	c.exact = exact;
	randombytes_buf(c.key, sizeof(c.key));
	if (differ)
		*differ = 0;
	crypto_generichash_init(&c.sigs_h, NULL, 0, CV_HASH_LEN);
	cv_audit_genesis(v->vault_id, c.prev);
	/* A log shorter than the saved checkpoint is the finding to report
	 * first, whatever else the cut left behind. */
	if (checkpoint_text) {
		uint8_t head[CV_HASH_LEN];
		int64_t size = 0;

		st = cv_store_audit_head(v->st, &size, head, err);
		if (st == CV_OK)
			st = check_external(v, checkpoint_text, size, err);
		if (st != CV_OK)
			return st;
	}
	st = cv_user_all(v, &users, &nusers, err);
	for (size_t i = 0; i < nusers && st == CV_OK; i++) {
		st = cv_user_verify(v, &users[i], err);
		if (st == CV_OK)
			rep->users++;
	}
	if (st == CV_OK)
		st = cv_recovery_pk(v, rpk, err);
	if (st == CV_OK)
		st = cv_settings_verify(v, NULL, err);
	if (st == CV_OK)
		st = cv_reviews_verify(v, NULL, err);
	for (size_t i = 0; i < nusers && st == CV_OK; i++)
		st = add_signer(&c, &users[i]);
	if (st == CV_OK && !full)
		st = find_anchor(&c, err);
	/* Step 8 runs beside the walk when it can (store.h): it reads the
	 * same snapshot on a connection of its own. */
	if (st == CV_OK)
		st = cv_store_structure_start(v->st, &structure, err);
	/* For the caller's count, steps 4 to 7 go on beside it, on a third
	 * connection of the same snapshot: the count needs only the vouch's
	 * key and users from the start, and the sums at its end. */
	if (st == CV_OK && pending && structure && !c.exact) {
		cv_verify_pending *p = calloc(1, sizeof(*p));
		int vouching = v->vouch && v->vouch->wanted;

		if (p && vouching)
			st = vouch_fill(&c, v->vouch, err);
		if (p && st == CV_OK) {
			p->c = c;
			p->c.err = &p->rows_err; /* the thread's */
			p->structure = structure;
			p->skip = vouching ? vouched_tables : NULL;
			if (vouching)
				v->vouch->wanted = 0;
			if (cv_store_beside(structure, walk_beside, p) == 0) {
				sodium_memzero(c.key, sizeof(c.key)); /* p's now */
				free(users);
				*pending = p;
				return CV_OK;
			}
			if (vouching) {
				v->vouch->wanted = 1;
				v->vouch->filled = 0;
				free(v->vouch->users);
				v->vouch->users = NULL;
			}
		}
		free(p);
	}
	if (st == CV_OK)
		st = walk_log(&c, NULL);
	if (st == CV_OK)
		st = check_rows(&c, differ);
	/* The rows are the log's, read in rowid order; what reads them
	 * through an index must see the same ones (§7.5 step 8).  An
	 * earlier finding stands: the check is waited for, not reported. */
	if (structure) {
		cv_err later = {0};
		cv_status s8 = cv_store_structure_finish(structure, st == CV_OK ? err : &later);

		if (st == CV_OK)
			st = s8;
	} else if (st == CV_OK) {
		st = cv_store_structure_check(v->st, err);
	}
	if (st == CV_OK && !c.exact && v->vouch && v->vouch->wanted) {
		st = vouch_fill(&c, v->vouch, err);
		vouch_fill_sums(&c, v->vouch);
		v->vouch->wanted = 0;
	}
	if (st == CV_OK)
		crypto_generichash_final(&c.sigs_h, rep->sigs, sizeof(rep->sigs));
	ctx_free(&c);
	free(users);
	return st;
}

/* Waits for the steps verify_all left running and frees p: the first
 * finding of step 7, else of step 8, as verify_all would give them. */
static cv_status verify_finish(cv_verify_pending *p, const struct cv_audit_head *head,
			       cv_audit_report *rep, cv_err *err)
{
	cv_err later = {0};
	cv_vault *v = p->c.v;
	cv_status st, s8;

	cv_store_beside_wait(p->structure); /* the thread's end */
	st = p->st;
	if (st != CV_OK)
		*err = p->rows_err;
	/* The log the walk verified, on its connection, is the one the
	 * caller's rows go on from (read on the other at its transaction's
	 * start): its last row, by seq and hash.  Otherwise one who wrote the
	 * file between the two reads would have the verification vouch for a
	 * log it never read. */
	if (st == CV_OK && (head->seq != p->c.expect - 1 ||
			    sodium_memcmp(head->hash, p->c.prev, CV_HASH_LEN) != 0))
		st = cv_fail(err, CV_EINTEGRITY, "log.prev-hash",
			     "the log's last row changed while it was verified: the vault was "
			     "tampered with; restore it from a backup");
	if (st == CV_OK) {
		crypto_generichash_final(&p->c.sigs_h, rep->sigs, sizeof(rep->sigs));
		if (p->skip && v->vouch && v->vouch->filled)
			vouch_fill_sums(&p->c, v->vouch);
	}
	s8 = cv_store_structure_finish(p->structure, st == CV_OK ? err : &later);
	if (st == CV_OK)
		st = s8;
	ctx_free(&p->c);
	free(p);
	return st;
}

/* verify_all from the anchor (unless full); when that finds something,
 * again in full: the walk from the anchor may only see that a later
 * signature fails, where a full walk names the first bad row. */
static cv_status verify_located(cv_vault *v, const char *checkpoint_text, int full,
				cv_audit_report *rep, cv_err *err)
{
	cv_status st;
	int differ = 0;

	memset(rep, 0, sizeof(*rep));
	st = verify_all(v, checkpoint_text, full, 0, rep, NULL, &differ, err);
	if (st == CV_EINTEGRITY && (rep->vouched || differ)) {
		cv_err_clear(err);
		memset(rep, 0, sizeof(*rep));
		st = verify_all(v, checkpoint_text, 1, 1, rep, NULL, NULL, err);
		if (st == CV_OK && differ) /* cannot be: the same rule, compared row by row */
			st = cv_fail(err, CV_EINTEGRITY, "rows.changed",
				     "the vault's rows are not the ones the log committed to: "
				     "the vault was tampered with or rolled back; restore it "
				     "from a backup");
		else if (st == CV_OK) /* cannot be: the same rows, more checks */
			st = cv_fail(err, CV_EINTEGRITY, "log.anchor",
				     "the log verifies in full but not from its last "
				     "supervisor's verification, which vouches for rows it "
				     "never checked: the vault was tampered with; restore it "
				     "from a backup");
	}
	return st;
}

cv_status cv_verify_vault(cv_vault *v, cv_audit_report *rep, cv_err *err)
{
	return verify_located(v, NULL, 0, rep, err);
}

/* The audit.verify row of a verification that found nothing. */
static cv_status log_verified(cv_session *s, const char *checkpoint_text,
			      const cv_audit_report *rep, cv_err *err)
{
	char detail[CV_LOG_DETAIL_MAX], anchor[40] = "", sigs[2 * CV_HASH_LEN + 1];

	if (rep->anchor_seq)
		snprintf(anchor, sizeof(anchor), " anchor=%lld", (long long)rep->anchor_seq);
	sodium_bin2hex(sigs, sizeof(sigs), rep->sigs, sizeof(rep->sigs));
	snprintf(detail, sizeof(detail), "rows=%lld checkpoints=%lld users=%lld sigs=%s%s%s",
		 (long long)rep->rows, (long long)rep->checkpoints, (long long)rep->users, sigs,
		 anchor, checkpoint_text ? " external=ok" : "");
	return cv_op_log(s, CV_ACT_AUDIT_VERIFY, "audit", CV_OUT_OK, detail, err);
}

cv_status cv_verify_in_op(cv_session *s, const char *checkpoint_text, int full,
			  cv_audit_report *rep, cv_err *err)
{
	cv_status st = verify_located(s->v, checkpoint_text, full, rep, err);

	if (st != CV_OK)
		return st;
	return log_verified(s, checkpoint_text, rep, err);
}

cv_status cv_verify_in_op_begin(cv_session *s, cv_verify_pending **pending, cv_audit_report *rep,
				cv_err *err)
{
	cv_status st;
	int differ = 0;

	memset(rep, 0, sizeof(*rep));
	st = verify_all(s->v, NULL, 0, 0, rep, pending, &differ, err);
	if (st == CV_EINTEGRITY && (rep->vouched || differ)) {
		cv_err_clear(err);
		st = verify_located(s->v, NULL, 0, rep, err);
	}
	return st;
}

/* The caller's count, once it read every cases and records row (vouch
 * counted): what it summed must be what the log keeps, and each table,
 * counted on its own b-tree, must hold as many rows as the log keeps (a
 * row no walk of the count reaches, such as a record of no case, was
 * planted). */
static cv_status count_check(cv_session *s, cv_err *err)
{
	struct cv_vouch *w = s->v->vouch;
	cv_status st;

	if (!w->summed)
		return cv_err_set(err, CV_ERROR, "the verification did not finish");
	st = cv_vouch_check(s->v, err);
	if (st == CV_OK)
		st = cv_access_rows_kept(s, w->live[0], w->live[1], err);
	return st;
}

cv_status cv_verify_in_op_end(cv_session *s, cv_verify_pending *pending, cv_status counted,
			      cv_audit_report *rep, cv_err *err)
{
	cv_status st = CV_OK;
	int left = 0; /* rows were left to the caller's reading */
	struct cv_vouch *w = s->v->vouch;

	if (pending) {
		left = pending->skip != NULL;
		st = verify_finish(pending, &s->head, rep, err);
		/* Found beside: found again here, in order, as cv_verify_in_op
		 * would report it. */
		if (st == CV_EINTEGRITY) {
			cv_err_clear(err);
			st = verify_located(s->v, NULL, 0, rep, err);
			if (st == CV_OK) /* cannot be: the same rows */
				st = cv_fail(err, CV_EINTEGRITY, "rows.changed",
					     "the vault's rows changed while they were verified: "
					     "restore it from a backup");
		}
	}
	/* What the count read, compared with the log now that its sums are
	 * known; a difference is looked into as any finding of the count's. */
	if (st == CV_OK && counted == CV_OK && w && w->filled && w->counted) {
		counted = count_check(s, err);
		if (counted != CV_OK) {
			cv_err mine = {0};
			cv_status again = verify_located(s->v, NULL, 0, rep, &mine);

			w->counted = 0;
			if (again != CV_OK) {
				*err = mine;
				return again;
			}
			return counted; /* the count's own finding (err) */
		}
	}
	if (st != CV_OK || !left || (counted == CV_OK && w && w->filled && w->counted))
		return st == CV_OK ? log_verified(s, NULL, rep, err) : st;
	/* Told the rows were counted when the count did not read them all
	 * (it was asked to stop): nothing it counted may be used. */
	if (counted == CV_OK)
		return cv_err_set(err, CV_ERROR, "the statistics did not read every row");
	/* The rows left to the caller were not all read and checked: nothing
	 * says the vault verified.  Why the caller failed (a finding, or an
	 * error such as memory running out over planted rows) is named as the
	 * verification on the one connection names it, when it does. */
	if (counted != CV_OK) {
		cv_err mine = {0};

		st = verify_located(s->v, NULL, 0, rep, &mine);
		if (st != CV_OK)
			*err = mine;
	}
	return st;
}

static cv_status audit_verify(cv_session *s, const char *checkpoint_text, int full,
			      cv_audit_report *rep, cv_err *err)
{
	cv_status st;

	memset(rep, 0, sizeof(*rep));
	st = cv_policy_check(s, CV_ACT_AUDIT_VERIFY, "audit", err);
	if (st != CV_OK)
		return st;
	/* One write transaction: the rows checked are one snapshot, and the
	 * audit.verify row follows the last of them (it is an anchor, §7.7). */
	st = cv_op_begin(s, err);
	if (st == CV_OK)
		st = cv_verify_in_op(s, checkpoint_text, full, rep, err);
	if (st == CV_OK)
		st = cv_op_commit(s, err);
	if (st != CV_OK)
		return cv_op_fail(s, CV_ACT_AUDIT_VERIFY, "audit", err);
	return CV_OK;
}

cv_status cv_audit_verify(cv_session *s, const char *checkpoint_text, cv_audit_report *rep,
			  cv_err *err)
{
	CV_ERR_GUARD(err);
	return audit_verify(s, checkpoint_text, 0, rep, err);
}

cv_status cv_audit_verify_full(cv_session *s, const char *checkpoint_text, cv_audit_report *rep,
			       cv_err *err)
{
	CV_ERR_GUARD(err);
	return audit_verify(s, checkpoint_text, 1, rep, err);
}

cv_status cv_audit_checkpoint(cv_session *s, char **out, cv_err *err)
{
	CV_ERR_GUARD(err);
	char vid[2 * CV_VAULT_ID_LEN + 1], head[2 * CV_HASH_LEN + 1];
	char pk[2 * crypto_sign_PUBLICKEYBYTES + 1], sig[2 * crypto_sign_BYTES + 1];
	cv_status st;
	size_t cap = 512;
	char *text;

	*out = NULL;
	st = cv_policy_check(s, CV_ACT_AUDIT_CHECKPOINT, "audit", err);
	if (st != CV_OK)
		return st;
	st = cv_op_begin(s, err);
	if (st == CV_OK)
		st = cv_op_log(s, CV_ACT_AUDIT_CHECKPOINT, "audit", CV_OUT_OK, "", err);
	if (st == CV_OK)
		st = cv_op_commit(s, err);
	if (st != CV_OK)
		return st;
	text = malloc(cap);
	if (!text)
		return cv_err_set(err, CV_ERROR, "out of memory");
	sodium_bin2hex(vid, sizeof(vid), s->v->vault_id, CV_VAULT_ID_LEN);
	sodium_bin2hex(head, sizeof(head), s->last.hash, CV_HASH_LEN);
	sodium_bin2hex(pk, sizeof(pk), s->kh->sign_pk, crypto_sign_PUBLICKEYBYTES);
	sodium_bin2hex(sig, sizeof(sig), s->last.sig, crypto_sign_BYTES);
	snprintf(text, cap,
		 "%s\nvault: %s\nsize: %lld\nhead: %s\nsigner: %s\nkey: %s\nsignature: %s\n",
		 external_magic, vid, (long long)s->last.seq, head, s->me.name, pk, sig);
	*out = text;
	return CV_OK;
}
