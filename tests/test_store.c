/*
 * test_store.c - the storage module (store.c) on real files: creating and
 * opening vault files (mode, no overwrite, no symlinks, refusing files that
 * are not vaults), the meta table, audit rows and their filters, malformed
 * user and audit rows edited in with the sqlite3 library, and the
 * connection settings (PRAGMAs) of an opened vault.
 */
#include <fcntl.h>

#include "helpers.h"
#include "store.h"

#define CV_APP_ID 0x43564c54

struct fix {
	char dir[TEST_DIR_MAX];
	char path[TEST_PATH_MAX];
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	*state = f;
	if (tmpdir_make(f->dir, sizeof(f->dir), "store") != 0)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/vault.db", f->dir);
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	int rc = tmpdir_remove(f->dir);

	free(f);
	return rc;
}

static void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static size_t read_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, cap);
	close(fd);
	assert_true(n >= 0);
	return (size_t)n;
}

static void make_store(const char *path)
{
	cv_store *st = NULL;
	cv_err err = {0};

	assert_int_equal(cv_store_create(path, &st, &err), CV_OK);
	assert_non_null(st);
	cv_store_close(st);
}

/* ---- creating ----------------------------------------------------------- */

static void test_create_mode_0600(void **state)
{
	struct fix *f = *state;
	cv_store *st = NULL;
	cv_err err = {0};
	char wal[TEST_PATH_MAX];
	struct stat sb;
	mode_t old = umask(0); /* the mode must not depend on the caller's umask */

	assert_int_equal(cv_store_create(f->path, &st, &err), CV_OK);
	umask(old);
	assert_non_null(st);
	assert_int_equal(lstat(f->path, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0600);
	/* SQLite's side files take the database's mode. */
	tmpdir_file(wal, sizeof(wal), f->dir, "vault.db-wal");
	if (lstat(wal, &sb) == 0)
		assert_int_equal(sb.st_mode & 07777, 0600);
	cv_store_close(st);
}

static void test_create_refuses_existing(void **state)
{
	struct fix *f = *state;
	static const char precious[] = "someone's data, not a vault\n";
	cv_store *st = (cv_store *)1;
	cv_err err = {0};
	char back[64];
	size_t n;

	write_file(f->path, precious, sizeof(precious) - 1);
	assert_int_equal(cv_store_create(f->path, &st, &err), CV_EUSAGE);
	assert_null(st);
	assert_int_equal(err.status, CV_EUSAGE);
	assert_msg_has(err, "already exists");
	assert_msg_has(err, f->path);
	n = read_file(f->path, back, sizeof(back));
	assert_int_equal(n, sizeof(precious) - 1);
	assert_memory_equal(back, precious, n);

	/* An existing vault is not overwritten either. */
	unlink(f->path);
	make_store(f->path);
	assert_int_equal(cv_store_create(f->path, &st, &err), CV_EUSAGE);
	assert_null(st);
	assert_int_equal(cv_store_open(f->path, &st, &err), CV_OK);
	cv_store_close(st);
}

static void test_create_refuses_symlink(void **state)
{
	struct fix *f = *state;
	static const char precious[] = "target content\n";
	char target[TEST_PATH_MAX], link[TEST_PATH_MAX], back[64];
	cv_store *st = (cv_store *)1;
	cv_err err = {0};
	struct stat sb;
	size_t n;

	/* A dangling link: following it would create the target. */
	snprintf(target, sizeof(target), "%s/target.db", f->dir);
	snprintf(link, sizeof(link), "%s/link.db", f->dir);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(cv_store_create(link, &st, &err), CV_EUSAGE);
	assert_null(st);
	assert_int_equal(err.status, CV_EUSAGE);
	assert_msg_has(err, "already exists");
	assert_int_equal(lstat(target, &sb), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(lstat(link, &sb), 0);
	assert_true(S_ISLNK(sb.st_mode));

	/* A link to an existing file: the file stays as it was. */
	write_file(target, precious, sizeof(precious) - 1);
	assert_int_equal(cv_store_create(link, &st, &err), CV_EUSAGE);
	assert_null(st);
	n = read_file(target, back, sizeof(back));
	assert_int_equal(n, sizeof(precious) - 1);
	assert_memory_equal(back, precious, n);
}

/* ---- opening ------------------------------------------------------------ */

static void test_open_missing(void **state)
{
	struct fix *f = *state;
	cv_store *st = (cv_store *)1;
	cv_err err = {0};
	struct stat sb;

	assert_int_equal(cv_store_open(f->path, &st, &err), CV_ENOTFOUND);
	assert_null(st);
	assert_int_equal(err.status, CV_ENOTFOUND);
	assert_msg_has(err, f->path);
	/* Opening must not have created the file. */
	assert_int_equal(lstat(f->path, &sb), -1);
}

static void test_open_not_sqlite(void **state)
{
	struct fix *f = *state;
	cv_store *st = (cv_store *)1;
	cv_err err = {0};
	char text[4096];

	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = "this is not a database\n"[i % 23];
	write_file(f->path, text, sizeof(text));
	assert_int_equal(cv_store_open(f->path, &st, &err), CV_EINTEGRITY);
	assert_null(st);

	/* A short non-SQLite file. */
	write_file(f->path, "hello\n", 6);
	st = (cv_store *)1;
	assert_int_equal(cv_store_open(f->path, &st, &err), CV_EINTEGRITY);
	assert_null(st);

	/* An empty file is an empty SQLite database, still not a vault. */
	write_file(f->path, "", 0);
	st = (cv_store *)1;
	assert_int_equal(cv_store_open(f->path, &st, &err), CV_EINTEGRITY);
	assert_null(st);
}

static void test_open_sqlite_not_vault(void **state)
{
	struct fix *f = *state;
	cv_store *st = (cv_store *)1;
	cv_err err = {0};
	char other[TEST_PATH_MAX];

	raw_sql(f->path, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);"
			 "INSERT INTO notes (body) VALUES ('hello');");
	assert_int_equal(cv_store_open(f->path, &st, &err), CV_EINTEGRITY);
	assert_null(st);
	assert_msg_has(err, "not a casevault vault");

	/* The right application id but an unknown format version. */
	snprintf(other, sizeof(other), "%s/future.db", f->dir);
	make_store(other);
	raw_sql(other, "PRAGMA user_version = 2;");
	st = (cv_store *)1;
	assert_int_equal(cv_store_open(other, &st, &err), CV_EINTEGRITY);
	assert_null(st);
	assert_msg_has(err, "format");
}

static void test_open_refuses_symlink(void **state)
{
	struct fix *f = *state;
	cv_store *st = (cv_store *)1;
	cv_err err = {0};
	char link[TEST_PATH_MAX];

	make_store(f->path);
	snprintf(link, sizeof(link), "%s/link.db", f->dir);
	assert_int_equal(symlink(f->path, link), 0);
	assert_int_equal(cv_store_open(link, &st, &err), CV_EUSAGE);
	assert_null(st);
	assert_int_equal(err.status, CV_EUSAGE);
	assert_msg_has(err, link);
	/* The real path opens. */
	assert_int_equal(cv_store_open(f->path, &st, &err), CV_OK);
	assert_non_null(st);
	cv_store_close(st);
}

static void test_header_of_created_vault(void **state)
{
	struct fix *f = *state;
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;

	make_store(f->path);
	assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA application_id", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(s, 0), CV_APP_ID);
	sqlite3_finalize(s);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(s, 0), 1);
	sqlite3_finalize(s);
	sqlite3_close(db);
}

/* ---- connection settings ------------------------------------------------ */

/* The store keeps its connection private; an auto-extension sees every new
 * connection, which lets the test query the store's own one. */
static sqlite3 *captured_db;

static int capture_db(sqlite3 *db, char **errmsg, const sqlite3_api_routines *api)
{
	(void)errmsg;
	(void)api;
	if (!captured_db)
		captured_db = db;
	return SQLITE_OK;
}

static void pragma_text(sqlite3 *db, const char *sql, char *out, size_t cap)
{
	sqlite3_stmt *s = NULL;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	snprintf(out, cap, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
}

static int64_t pragma_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static void test_pragmas_in_effect(void **state)
{
	struct fix *f = *state;
	cv_store *st = NULL;
	cv_err err = {0};
	sqlite3 *db2 = NULL;
	char mode[32];
	int on = -1;

	make_store(f->path);
	captured_db = NULL;
	assert_int_equal(sqlite3_auto_extension((void (*)(void))capture_db), SQLITE_OK);
	assert_int_equal(cv_store_open(f->path, &st, &err), CV_OK);
	sqlite3_cancel_auto_extension((void (*)(void))capture_db);
	assert_non_null(captured_db);

	pragma_text(captured_db, "PRAGMA journal_mode", mode, sizeof(mode));
	assert_string_equal(mode, "wal");
	assert_int_equal(pragma_int(captured_db, "PRAGMA secure_delete"), 1);
	assert_int_equal(pragma_int(captured_db, "PRAGMA foreign_keys"), 1);
	assert_int_equal(pragma_int(captured_db, "PRAGMA synchronous"), 2); /* FULL */
	assert_int_equal(pragma_int(captured_db, "PRAGMA trusted_schema"), 0);
	assert_int_equal(pragma_int(captured_db, "PRAGMA temp_store"), 2); /* MEMORY */
	assert_int_equal(sqlite3_db_config(captured_db, SQLITE_DBCONFIG_DEFENSIVE, -1, &on),
			 SQLITE_OK);
	assert_int_equal(on, 1);
	on = -1;
	assert_int_equal(sqlite3_db_config(captured_db, SQLITE_DBCONFIG_ENABLE_TRIGGER, -1, &on),
			 SQLITE_OK);
	assert_int_equal(on, 0);

	/* WAL is a property of the file: a second connection sees it too. */
	assert_int_equal(sqlite3_open_v2(f->path, &db2, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	pragma_text(db2, "PRAGMA journal_mode", mode, sizeof(mode));
	assert_string_equal(mode, "wal");
	sqlite3_close(db2);

	captured_db = NULL;
	cv_store_close(st);
}

/* ---- meta and transactions ---------------------------------------------- */

static void test_meta_put_get(void **state)
{
	struct fix *f = *state;
	cv_store *st = NULL;
	cv_err err = {0};
	uint8_t val[16], back[16], small[4] = {1, 2, 3, 4};

	randombytes_buf(val, sizeof(val));
	assert_int_equal(cv_store_create(f->path, &st, &err), CV_OK);
	assert_int_equal(cv_store_meta_put(st, "vault_id", val, sizeof(val), &err), CV_OK);
	memset(back, 0, sizeof(back));
	assert_int_equal(cv_store_meta_get(st, "vault_id", back, sizeof(back), &err), CV_OK);
	assert_memory_equal(back, val, sizeof(val));

	/* Wrong length, either way, is a malformed value. */
	assert_int_equal(cv_store_meta_get(st, "vault_id", small, sizeof(small), &err),
			 CV_EINTEGRITY);
	assert_msg_has(err, "'vault_id'");
	assert_int_equal(cv_store_meta_put(st, "short", small, sizeof(small), &err), CV_OK);
	assert_int_equal(cv_store_meta_get(st, "short", back, sizeof(back), &err), CV_EINTEGRITY);

	/* Missing. */
	assert_int_equal(cv_store_meta_get(st, "nope", back, sizeof(back), &err), CV_ENOTFOUND);
	assert_msg_has(err, "'nope'");

	/* Overwrite keeps one value, the new one. */
	val[0] ^= 0xff;
	assert_int_equal(cv_store_meta_put(st, "vault_id", val, sizeof(val), &err), CV_OK);
	assert_int_equal(cv_store_meta_get(st, "vault_id", back, sizeof(back), &err), CV_OK);
	assert_memory_equal(back, val, sizeof(val));
	cv_store_close(st);

	/* Persisted across close and open. */
	assert_int_equal(cv_store_open(f->path, &st, &err), CV_OK);
	assert_int_equal(cv_store_meta_get(st, "vault_id", back, sizeof(back), &err), CV_OK);
	assert_memory_equal(back, val, sizeof(val));
	cv_store_close(st);

	/* A value edited to another length from outside. */
	raw_exec(f->path, "UPDATE meta SET value = zeroblob(17) WHERE key = 'vault_id'");
	assert_int_equal(cv_store_open(f->path, &st, &err), CV_OK);
	assert_int_equal(cv_store_meta_get(st, "vault_id", back, sizeof(back), &err),
			 CV_EINTEGRITY);
	cv_store_close(st);
}

static void test_transaction_rollback(void **state)
{
	struct fix *f = *state;
	cv_store *st = NULL;
	cv_err err = {0};
	uint8_t v = 7, back = 0;

	assert_int_equal(cv_store_create(f->path, &st, &err), CV_OK);
	cv_store_rollback(st); /* no transaction open: harmless */
	assert_int_equal(cv_store_begin(st, &err), CV_OK);
	assert_int_equal(cv_store_meta_put(st, "k", &v, 1, &err), CV_OK);
	cv_store_rollback(st);
	assert_int_equal(cv_store_meta_get(st, "k", &back, 1, &err), CV_ENOTFOUND);
	assert_int_equal(cv_store_begin(st, &err), CV_OK);
	assert_int_equal(cv_store_meta_put(st, "k", &v, 1, &err), CV_OK);
	assert_int_equal(cv_store_commit(st, &err), CV_OK);
	assert_int_equal(cv_store_meta_get(st, "k", &back, 1, &err), CV_OK);
	assert_int_equal(back, 7);
	cv_store_close(st);
}

/* ---- audit rows ---------------------------------------------------------- */

struct arow {
	int64_t seq;
	const char *time, *actor, *action, *outcome;
	int sig;
};

static const struct arow rows[] = {
    {1, "2024-03-01T08:00:00Z", "alice", "vault.init", "ok", 0},
    {2, "2024-03-01T08:00:00Z", "alice", "checkpoint", "ok", 1},
    {3, "2024-03-02T09:30:00Z", "alice", "user.add", "ok", 0},
    {4, "2024-03-02T23:59:59Z", "carol", "user.disable", "denied", 0},
    {5, "2024-03-03T00:00:00Z", "carol", "login", "failed", 0},
    {6, "2024-03-03T12:00:00Z", "bob", "users", "ok", 0},
    {7, "2024-03-04T12:00:00Z", "bob", "user", "ok", 0},
    {8, "2024-03-05T12:00:00Z", "bob", "usera.x", "ok", 0},
    {9, "2024-03-06T12:00:00Z", "alice", "user.passwd", "ok", 0},
    {10, "2024-03-06T12:00:01Z", "alice", "checkpoint", "ok", 1},
};
#define NROWS (sizeof(rows) / sizeof(rows[0]))

static void fill_rec(const struct arow *a, cv_audit_rec *r, char *detail, size_t cap)
{
	memset(r, 0, sizeof(*r));
	snprintf(detail, cap, "detail of row %lld", (long long)a->seq);
	r->seq = a->seq;
	r->time = a->time;
	r->actor = a->actor;
	r->action = a->action;
	r->object = "audit";
	r->outcome = a->outcome;
	r->detail = detail;
	memset(r->prev_hash, (int)a->seq - 1, CV_HASH_LEN);
	memset(r->hash, (int)a->seq, CV_HASH_LEN);
	if (a->sig) {
		r->has_sig = 1;
		memset(r->sig, 0xa0 + (int)a->seq, sizeof(r->sig));
	}
}

struct collect {
	int64_t seq[32];
	int n;
	int stop_after; /* 0: never */
};

static int collect_cb(const cv_audit_rec *r, void *arg)
{
	struct collect *c = arg;

	if (c->n < 32)
		c->seq[c->n] = r->seq;
	c->n++;
	return c->stop_after && c->n >= c->stop_after;
}

static void expect_seqs(cv_store *st, const cv_store_audit_query *q, const int64_t *want, int nwant)
{
	struct collect c = {0};
	cv_err err = {0};

	assert_int_equal(cv_store_audit_each(st, q, collect_cb, &c, &err), CV_OK);
	if (c.n != nwant)
		fail_msg("query returned %d rows, expected %d", c.n, nwant);
	for (int i = 0; i < nwant; i++)
		assert_int_equal(c.seq[i], want[i]);
}

static void insert_rows(cv_store *st)
{
	cv_audit_rec r;
	cv_err err = {0};
	char detail[64];

	for (size_t i = 0; i < NROWS; i++) {
		fill_rec(&rows[i], &r, detail, sizeof(detail));
		assert_int_equal(cv_store_audit_insert(st, &r, &err), CV_OK);
	}
}

struct got_row {
	int n;
	cv_audit_rec r;
	char time[32], actor[40], action[40], object[40], outcome[16], detail[64];
};

static int get_cb(const cv_audit_rec *r, void *arg)
{
	struct got_row *g = arg;

	g->n++;
	g->r = *r;
	snprintf(g->time, sizeof(g->time), "%s", r->time);
	snprintf(g->actor, sizeof(g->actor), "%s", r->actor);
	snprintf(g->action, sizeof(g->action), "%s", r->action);
	snprintf(g->object, sizeof(g->object), "%s", r->object);
	snprintf(g->outcome, sizeof(g->outcome), "%s", r->outcome);
	snprintf(g->detail, sizeof(g->detail), "%s", r->detail);
	return 0;
}

static void test_audit_insert_head_get(void **state)
{
	struct fix *f = *state;
	cv_store *st = NULL;
	cv_err err = {0};
	uint8_t hash[CV_HASH_LEN], want[CV_HASH_LEN];
	int64_t seq = -1;
	struct got_row g = {0};
	cv_audit_rec dup;
	char detail[64];

	assert_int_equal(cv_store_create(f->path, &st, &err), CV_OK);
	assert_int_equal(cv_store_audit_head(st, &seq, hash, &err), CV_OK);
	assert_int_equal(seq, 0);

	insert_rows(st);
	assert_int_equal(cv_store_audit_head(st, &seq, hash, &err), CV_OK);
	assert_int_equal(seq, 10);
	memset(want, 10, sizeof(want));
	assert_memory_equal(hash, want, CV_HASH_LEN);

	/* One row back, every column. */
	assert_int_equal(cv_store_audit_get(st, 4, get_cb, &g, &err), CV_OK);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.r.seq, 4);
	assert_string_equal(g.time, "2024-03-02T23:59:59Z");
	assert_string_equal(g.actor, "carol");
	assert_string_equal(g.action, "user.disable");
	assert_string_equal(g.object, "audit");
	assert_string_equal(g.outcome, "denied");
	assert_string_equal(g.detail, "detail of row 4");
	memset(want, 3, sizeof(want));
	assert_memory_equal(g.r.prev_hash, want, CV_HASH_LEN);
	memset(want, 4, sizeof(want));
	assert_memory_equal(g.r.hash, want, CV_HASH_LEN);
	assert_int_equal(g.r.has_sig, 0);

	/* A signed row keeps its signature. */
	memset(&g, 0, sizeof(g));
	assert_int_equal(cv_store_audit_get(st, 2, get_cb, &g, &err), CV_OK);
	assert_int_equal(g.r.has_sig, 1);
	for (size_t i = 0; i < sizeof(g.r.sig); i++)
		assert_int_equal(g.r.sig[i], 0xa2);

	/* Missing row. */
	memset(&g, 0, sizeof(g));
	assert_int_equal(cv_store_audit_get(st, 11, get_cb, &g, &err), CV_ENOTFOUND);
	assert_int_equal(g.n, 0);

	/* A seq cannot be written twice. */
	fill_rec(&rows[2], &dup, detail, sizeof(detail));
	assert_int_equal(cv_store_audit_insert(st, &dup, &err), CV_ERROR);
	cv_store_close(st);
}

static void test_audit_filters(void **state)
{
	struct fix *f = *state;
	cv_store *st = NULL;
	cv_err err = {0};
	cv_store_audit_query q;
	struct collect c = {0};

	assert_int_equal(cv_store_create(f->path, &st, &err), CV_OK);
	insert_rows(st);

	memset(&q, 0, sizeof(q));
	expect_seqs(st, &q, (const int64_t[]){1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 10);

	memset(&q, 0, sizeof(q));
	q.actor = "carol";
	expect_seqs(st, &q, (const int64_t[]){4, 5}, 2);
	q.actor = "car"; /* exact, not a prefix */
	expect_seqs(st, &q, NULL, 0);

	memset(&q, 0, sizeof(q));
	q.action = "user.add";
	expect_seqs(st, &q, (const int64_t[]){3}, 1);
	q.action = "user"; /* no dot: exact only */
	expect_seqs(st, &q, (const int64_t[]){7}, 1);
	q.action = "user."; /* prefix: not "users", "user" or "usera.x" */
	expect_seqs(st, &q, (const int64_t[]){3, 4, 9}, 3);
	q.action = "user.ad"; /* not a prefix without the dot */
	expect_seqs(st, &q, NULL, 0);
	q.action = "%."; /* no wildcards */
	expect_seqs(st, &q, NULL, 0);
	q.action = "checkpoint";
	expect_seqs(st, &q, (const int64_t[]){2, 10}, 2);

	memset(&q, 0, sizeof(q));
	q.since = "2024-03-02T23:59:59Z"; /* inclusive */
	expect_seqs(st, &q, (const int64_t[]){4, 5, 6, 7, 8, 9, 10}, 7);
	q.since = NULL;
	q.until = "2024-03-02T23:59:59Z"; /* inclusive */
	expect_seqs(st, &q, (const int64_t[]){1, 2, 3, 4}, 4);
	q.since = "2024-03-02T00:00:00Z";
	q.until = "2024-03-03T23:59:59Z";
	expect_seqs(st, &q, (const int64_t[]){3, 4, 5, 6}, 4);
	q.since = "2024-03-07T00:00:00Z";
	q.until = NULL;
	expect_seqs(st, &q, NULL, 0);

	memset(&q, 0, sizeof(q));
	q.not_ok_only = 1;
	expect_seqs(st, &q, (const int64_t[]){4, 5}, 2);
	q.action = "login";
	expect_seqs(st, &q, (const int64_t[]){5}, 1);

	/* Combined. */
	memset(&q, 0, sizeof(q));
	q.actor = "alice";
	q.action = "user.";
	q.since = "2024-03-03T00:00:00Z";
	expect_seqs(st, &q, (const int64_t[]){9}, 1);

	/* A non-zero callback return stops the walk. */
	memset(&q, 0, sizeof(q));
	c.stop_after = 3;
	assert_int_equal(cv_store_audit_each(st, &q, collect_cb, &c, &err), CV_OK);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.seq[2], 3);
	cv_store_close(st);
}

static void test_audit_malformed_row(void **state)
{
	struct fix *f = *state;
	cv_store *st = NULL;
	cv_err err = {0};
	cv_store_audit_query q = {0};
	struct collect c = {0};
	struct got_row g = {0};
	uint8_t hash[CV_HASH_LEN];
	int64_t seq;

	assert_int_equal(cv_store_create(f->path, &st, &err), CV_OK);
	insert_rows(st);
	cv_store_close(st);
	raw_exec(f->path, "UPDATE audit SET hash = zeroblob(31) WHERE seq = 4;"
			  "UPDATE audit SET prev_hash = zeroblob(33) WHERE seq = 10;");
	assert_int_equal(cv_store_open(f->path, &st, &err), CV_OK);

	assert_int_equal(cv_store_audit_each(st, &q, collect_cb, &c, &err), CV_EINTEGRITY);
	assert_int_equal(c.n, 3); /* rows 1..3 were delivered, then the walk stopped */
	assert_msg_has(err, "audit row 4 ");
	assert_int_equal(cv_store_audit_get(st, 4, get_cb, &g, &err), CV_EINTEGRITY);
	assert_int_equal(g.n, 0);
	assert_int_equal(cv_store_audit_get(st, 10, get_cb, &g, &err), CV_EINTEGRITY);
	assert_msg_has(err, "audit row 10 ");
	cv_store_close(st);

	/* A malformed head is reported, not used. */
	raw_exec(f->path, "UPDATE audit SET prev_hash = zeroblob(32) WHERE seq = 10;"
			  "UPDATE audit SET hash = x'0102' WHERE seq = 10;");
	assert_int_equal(cv_store_open(f->path, &st, &err), CV_OK);
	assert_int_equal(cv_store_audit_head(st, &seq, hash, &err), CV_EINTEGRITY);
	assert_msg_has(err, "audit row 10 ");
	cv_store_close(st);
}

/* ---- users --------------------------------------------------------------- */

static void make_user(cv_user_rec *r, int64_t id, const char *name, const char *role)
{
	memset(r, 0, sizeof(*r));
	r->id = id;
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->role, sizeof(r->role), "%s", role);
	snprintf(r->status, sizeof(r->status), "active");
	randombytes_buf(r->box_pk, sizeof(r->box_pk));
	randombytes_buf(r->sign_pk, sizeof(r->sign_pk));
	r->creator_id = 1;
	randombytes_buf(r->cert_sig, sizeof(r->cert_sig));
	r->cert_seq = id;
	r->status_seq = id;
	r->status_signer_id = 1;
	randombytes_buf(r->status_sig, sizeof(r->status_sig));
	r->kdf_alg = 1;
	r->kdf.t_cost = 2;
	r->kdf.m_cost_kib = 19456;
	r->kdf.parallelism = 1;
	randombytes_buf(r->salt, sizeof(r->salt));
	randombytes_buf(r->key_nonce, sizeof(r->key_nonce));
	randombytes_buf(r->key_box, sizeof(r->key_box));
	snprintf(r->created, sizeof(r->created), "2024-03-01T08:00:00Z");
}

static int count_users(const cv_user_rec *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
	return 0;
}

static void test_user_rows(void **state)
{
	struct fix *f = *state;
	cv_store *st = NULL;
	cv_err err = {0};
	cv_user_rec a, b, got;
	int64_t next = 0;
	int n = 0;

	assert_int_equal(cv_store_create(f->path, &st, &err), CV_OK);
	assert_int_equal(cv_store_user_next_id(st, &next, &err), CV_OK);
	assert_int_equal(next, 1);
	make_user(&a, 1, "alice", "admin");
	make_user(&b, 2, "carol", "counselor");
	assert_int_equal(cv_store_user_insert(st, &a, &err), CV_OK);
	assert_int_equal(cv_store_user_insert(st, &b, &err), CV_OK);
	assert_int_equal(cv_store_user_next_id(st, &next, &err), CV_OK);
	assert_int_equal(next, 3);

	/* Round trip of every field. */
	assert_int_equal(cv_store_user_by_name(st, "carol", &got, &err), CV_OK);
	assert_memory_equal(&got, &b, sizeof(got));
	assert_int_equal(cv_store_user_by_id(st, 1, &got, &err), CV_OK);
	assert_memory_equal(&got, &a, sizeof(got));
	assert_int_equal(cv_store_user_by_name(st, "nobody", &got, &err), CV_ENOTFOUND);
	assert_msg_has(err, "'nobody'");
	assert_int_equal(cv_store_user_by_id(st, 9, &got, &err), CV_ENOTFOUND);

	/* Names are unique. */
	make_user(&got, 3, "carol", "admin");
	assert_int_equal(cv_store_user_insert(st, &got, &err), CV_ERROR);

	/* Status and key updates touch only their columns. */
	snprintf(b.status, sizeof(b.status), "disabled");
	b.status_seq = 7;
	b.status_signer_id = 1;
	randombytes_buf(b.status_sig, sizeof(b.status_sig));
	assert_int_equal(cv_store_user_update_status(st, &b, &err), CV_OK);
	randombytes_buf(b.salt, sizeof(b.salt));
	randombytes_buf(b.key_nonce, sizeof(b.key_nonce));
	randombytes_buf(b.key_box, sizeof(b.key_box));
	b.kdf.t_cost = 3;
	assert_int_equal(cv_store_user_update_keys(st, &b, &err), CV_OK);
	assert_int_equal(cv_store_user_by_id(st, 2, &got, &err), CV_OK);
	assert_memory_equal(&got, &b, sizeof(got));

	assert_int_equal(cv_store_user_each(st, count_users, &n, &err), CV_OK);
	assert_int_equal(n, 2);
	cv_store_close(st);
}

/* Edits one column of carol's row to a wrong size; every read refuses it. */
static void check_malformed_user(const char *path, const char *sql)
{
	cv_store *st = NULL;
	cv_err err = {0};
	cv_user_rec got;
	int n = 0;

	raw_exec(path, "%s", sql);
	assert_int_equal(cv_store_open(path, &st, &err), CV_OK);
	memset(&err, 0, sizeof(err));
	if (cv_store_user_by_name(st, "carol", &got, &err) != CV_EINTEGRITY)
		fail_msg("after '%s' reading carol gave %d (%s)", sql, err.status, err.msg);
	assert_msg_has(err, "'carol'");
	assert_int_equal(cv_store_user_by_id(st, 2, &got, &err), CV_EINTEGRITY);
	assert_int_equal(cv_store_user_each(st, count_users, &n, &err), CV_EINTEGRITY);
	assert_int_equal(n, 1); /* alice, then the walk stopped at carol */
	assert_msg_has(err, "#2");
	/* The other user still reads. */
	assert_int_equal(cv_store_user_by_name(st, "alice", &got, &err), CV_OK);
	cv_store_close(st);
}

static void test_user_wrong_size_blobs(void **state)
{
	struct fix *f = *state;
	static const char *const edits[] = {
	    "UPDATE users SET box_pk = zeroblob(31) WHERE id = 2",
	    "UPDATE users SET sign_pk = zeroblob(33) WHERE id = 2",
	    "UPDATE users SET cert_sig = zeroblob(63) WHERE id = 2",
	    "UPDATE users SET status_sig = zeroblob(65) WHERE id = 2",
	    "UPDATE users SET kdf_salt = zeroblob(15) WHERE id = 2",
	    "UPDATE users SET key_nonce = zeroblob(23) WHERE id = 2",
	    "UPDATE users SET key_box = zeroblob(111) WHERE id = 2",
	    "UPDATE users SET kdf_m = -1 WHERE id = 2",
	    "UPDATE users SET kdf_t = 4294967296 WHERE id = 2",
	};
	cv_store *st = NULL;
	cv_err err = {0};
	cv_user_rec a, b;
	char copy[TEST_PATH_MAX];

	assert_int_equal(cv_store_create(f->path, &st, &err), CV_OK);
	make_user(&a, 1, "alice", "admin");
	make_user(&b, 2, "carol", "counselor");
	assert_int_equal(cv_store_user_insert(st, &a, &err), CV_OK);
	assert_int_equal(cv_store_user_insert(st, &b, &err), CV_OK);
	cv_store_close(st);

	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		snprintf(copy, sizeof(copy), "%s/copy%zu.db", f->dir, i);
		copy_db(f->path, copy);
		check_malformed_user(copy, edits[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_create_mode_0600, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_create_refuses_existing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_create_refuses_symlink, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open_missing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open_not_sqlite, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open_sqlite_not_vault, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open_refuses_symlink, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_header_of_created_vault, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pragmas_in_effect, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_meta_put_get, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_transaction_rollback, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_audit_insert_head_get, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_audit_filters, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_audit_malformed_row, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_user_rows, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_user_wrong_size_blobs, setup, teardown),
	};
	cv_err err = {0};

	if (cv_init(&err) != CV_OK) {
		fprintf(stderr, "cv_init: %s\n", err.msg);
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
