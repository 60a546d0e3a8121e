/*
 * test_store.c - the storage module (store.c and its SQLite backend) on real
 * files: creating and opening vault files (mode, no overwrite, no symlinks,
 * refusing files that are not vaults), the meta table, audit rows and their
 * filters, malformed user and audit rows edited in with the sqlite3 library,
 * and the connection settings (PRAGMAs) of an opened vault.  Then the
 * operations table (a fake backend receives every call), the walk guard
 * (no store call from a walk callback with strict walks), statements that
 * hold no words of their own, and erasure: a shred is all or nothing and
 * leaves an empty write-ahead log once committed.
 */
#include <fcntl.h>

#include "helpers.h"
#include "store.h"
#include "store_ops.h"

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
	assert_string_equal(err.code, "vault.exists");
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
	assert_string_equal(err.code, "vault.exists");
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
	assert_string_equal(err.code, "vault.not-found");
	assert_msg_has(err, f->path);
	assert_msg_has(err, "casevault init");
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
	assert_string_equal(err.code, "vault.not-a-vault");
	assert_msg_has(err, "not a casevault vault");

	/* The right application id but an unknown format version. */
	snprintf(other, sizeof(other), "%s/future.db", f->dir);
	make_store(other);
	raw_sql(other, "PRAGMA user_version = %d;", CV_VAULT_FORMAT + 1);
	st = (cv_store *)1;
	assert_int_equal(cv_store_open(other, &st, &err), CV_EINTEGRITY);
	assert_null(st);
	assert_string_equal(err.code, "vault.version");
	{
		char want[96];

		snprintf(want, sizeof(want),
			 "has vault format %d, which this casevault (format %d)",
			 CV_VAULT_FORMAT + 1, CV_VAULT_FORMAT);
		assert_msg_has(err, want);
	}
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
	assert_string_equal(err.code, "vault.symlink");
	assert_msg_has(err, link);
	assert_msg_has(err, "not a regular file");
	/* A directory is refused the same way, under its own code. */
	st = (cv_store *)1;
	assert_int_equal(cv_store_open(f->dir, &st, &err), CV_EUSAGE);
	assert_null(st);
	assert_string_equal(err.code, "vault.not-a-file");
	assert_msg_has(err, "not a regular file");
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
	assert_int_equal(sqlite3_column_int64(s, 0), CV_VAULT_FORMAT);
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
	assert_string_equal(err.code, "vault.setting-malformed");
	assert_msg_has(err, "'vault_id'");
	assert_int_equal(cv_store_meta_put(st, "short", small, sizeof(small), &err), CV_OK);
	assert_int_equal(cv_store_meta_get(st, "short", back, sizeof(back), &err), CV_EINTEGRITY);

	/* Missing. */
	assert_int_equal(cv_store_meta_get(st, "nope", back, sizeof(back), &err), CV_ENOTFOUND);
	assert_string_equal(err.code, "vault.setting-missing");
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
	assert_string_equal(err.code, "log.row-not-found");
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
	q.outcome_not = "ok";
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
	assert_string_equal(err.code, "log.row-malformed");
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
	assert_string_equal(err.code, "log.row-malformed");
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
	/* carol's keys are her own, made at enrolment: self-signed. */
	b.creator_id = 2;
	b.has_self_sig = 1;
	randombytes_buf(b.self_sig, sizeof(b.self_sig));
	assert_int_equal(cv_store_user_insert(st, &a, &err), CV_OK);
	assert_int_equal(cv_store_user_insert(st, &b, &err), CV_OK);
	assert_int_equal(cv_store_user_next_id(st, &next, &err), CV_OK);
	assert_int_equal(next, 3);

	/* A pending account: an enrolment certificate with its expiry. */
	make_user(&got, 3, "erin", "counselor");
	snprintf(got.status, sizeof(got.status), "pending");
	snprintf(got.expires, sizeof(got.expires), "2024-03-08T08:00:00Z");
	assert_int_equal(cv_store_user_insert(st, &got, &err), CV_OK);
	{
		cv_user_rec back;

		assert_int_equal(cv_store_user_by_id(st, 3, &back, &err), CV_OK);
		assert_memory_equal(&got, &back, sizeof(got));
	}

	/* Round trip of every field. */
	assert_int_equal(cv_store_user_by_name(st, "carol", &got, &err), CV_OK);
	assert_memory_equal(&got, &b, sizeof(got));
	assert_int_equal(cv_store_user_by_id(st, 1, &got, &err), CV_OK);
	assert_memory_equal(&got, &a, sizeof(got));
	assert_int_equal(cv_store_user_by_name(st, "nobody", &got, &err), CV_ENOTFOUND);
	assert_string_equal(err.code, "user.not-found");
	assert_msg_has(err, "'nobody'");
	assert_int_equal(cv_store_user_by_id(st, 9, &got, &err), CV_ENOTFOUND);

	/* Names are unique. */
	make_user(&got, 4, "carol", "admin");
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
	assert_int_equal(n, 3);
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
	assert_string_equal(err.code, "user.malformed");
	assert_msg_has(err, "'carol'");
	assert_int_equal(cv_store_user_by_id(st, 2, &got, &err), CV_EINTEGRITY);
	assert_int_equal(cv_store_user_each(st, count_users, &n, &err), CV_EINTEGRITY);
	assert_int_equal(n, 1); /* alice, then the walk stopped at carol */
	assert_string_equal(err.code, "user.malformed");
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
	    "UPDATE users SET self_sig = zeroblob(63) WHERE id = 2",
	    "UPDATE users SET expires = CAST(X'32300032' AS TEXT) WHERE id = 2",
	    "UPDATE users SET expires = '2024-03-08T08:00:00Z-and-more' WHERE id = 2",
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

/* ---- the operations table: a fake backend ------------------------------- */

/* What the fake backend saw: the name of every operation, in order. */
static struct fake_log {
	char op[80][24];
	int n;
	char word[32]; /* the status given to case_shred */
	char path[64];
} flog;

static cv_status hit(const char *op)
{
	if (flog.n < 80)
		snprintf(flog.op[flog.n++], sizeof(flog.op[0]), "%s", op);
	return CV_OK;
}

static int fake_seen(const char *op)
{
	for (int i = 0; i < flog.n; i++)
		if (strcmp(flog.op[i], op) == 0)
			return 1;
	return 0;
}

static cv_status f_create(const char *path, void **be, cv_err *err)
{
	(void)err;
	snprintf(flog.path, sizeof(flog.path), "%s", path);
	*be = &flog;
	return hit("create");
}
static cv_status f_open(const char *path, void **be, cv_err *err)
{
	(void)err;
	snprintf(flog.path, sizeof(flog.path), "%s", path);
	*be = &flog;
	return hit("open");
}
static void f_close(void *be)
{
	assert_ptr_equal(be, &flog);
	hit("close");
}
static cv_status f_begin(void *be, cv_err *err)
{
	(void)be, (void)err;
	return hit("begin");
}
static cv_status f_commit(void *be, cv_err *err)
{
	(void)be, (void)err;
	return hit("commit");
}
static void f_rollback(void *be)
{
	(void)be;
	hit("rollback");
}
static cv_status f_meta_put(void *be, const char *key, const void *val, size_t len, cv_err *err)
{
	(void)be, (void)key, (void)val, (void)len, (void)err;
	return hit("meta_put");
}
static cv_status f_meta_get(void *be, const char *key, void *val, size_t len, cv_err *err)
{
	(void)be, (void)key, (void)val, (void)len, (void)err;
	return hit("meta_get");
}
static cv_status f_user_next_id(void *be, int64_t *id, cv_err *err)
{
	(void)be, (void)err;
	*id = 1;
	return hit("user_next_id");
}
static cv_status f_user_insert(void *be, const cv_user_rec *r, cv_err *err)
{
	(void)be, (void)r, (void)err;
	return hit("user_insert");
}
static cv_status f_user_update_status(void *be, const cv_user_rec *r, cv_err *err)
{
	(void)be, (void)r, (void)err;
	return hit("user_update_status");
}
static cv_status f_user_update_keys(void *be, const cv_user_rec *r, cv_err *err)
{
	(void)be, (void)r, (void)err;
	return hit("user_update_keys");
}
static cv_status f_user_update_identity(void *be, const cv_user_rec *r, cv_err *err)
{
	(void)be, (void)r, (void)err;
	return hit("user_update_identity");
}
static cv_status f_history_insert(void *be, const cv_user_rec *r, int64_t retired, cv_err *err)
{
	(void)be, (void)r, (void)retired, (void)err;
	return hit("history_insert");
}
static cv_status f_cert_at(void *be, int64_t id, int64_t at, cv_user_rec *r, cv_err *err)
{
	(void)be, (void)id, (void)at, (void)r, (void)err;
	return hit("cert_at");
}
static cv_status f_user_by_name(void *be, const char *name, cv_user_rec *r, cv_err *err)
{
	(void)be, (void)name, (void)r, (void)err;
	return hit("user_by_name");
}
static cv_status f_user_by_id(void *be, int64_t id, cv_user_rec *r, cv_err *err)
{
	(void)be, (void)id, (void)r, (void)err;
	return hit("user_by_id");
}
/* The fake walks yield one item each. */
static cv_status f_user_each(void *be, cv_store_user_cb cb, void *arg, cv_err *err)
{
	cv_user_rec r;

	(void)be, (void)err;
	memset(&r, 0, sizeof(r));
	hit("user_each");
	cb(&r, arg);
	return CV_OK;
}
static cv_status f_audit_head(void *be, int64_t *seq, uint8_t hash[CV_HASH_LEN], cv_err *err)
{
	(void)be, (void)hash, (void)err;
	*seq = 0;
	return hit("audit_head");
}
static cv_status f_audit_insert(void *be, const cv_audit_rec *r, cv_err *err)
{
	(void)be, (void)r, (void)err;
	return hit("audit_insert");
}
static cv_status f_audit_last_seq(void *be, const char *object, const char *outcome,
				  const char *const *actions, size_t n, int64_t *seq, cv_err *err)
{
	(void)be, (void)object, (void)outcome, (void)actions, (void)n, (void)err;
	*seq = 0;
	return hit("audit_last_seq");
}
static cv_status f_audit_get(void *be, int64_t seq, cv_store_audit_cb cb, void *arg, cv_err *err)
{
	cv_audit_rec r;

	(void)be, (void)err;
	memset(&r, 0, sizeof(r));
	r.seq = seq;
	hit("audit_get");
	cb(&r, arg);
	return CV_OK;
}
static cv_status f_audit_each(void *be, const cv_store_audit_query *q, cv_store_audit_cb cb,
			      void *arg, cv_err *err)
{
	cv_audit_rec r;

	(void)be, (void)q, (void)err;
	memset(&r, 0, sizeof(r));
	hit("audit_each");
	cb(&r, arg);
	return CV_OK;
}
static cv_status f_vkey_put(void *be, const char *name, const cv_key_copy *c, cv_err *err)
{
	(void)be, (void)name, (void)c, (void)err;
	return hit("vkey_put");
}
static cv_status f_vkey_get(void *be, const char *name, int64_t user_id, cv_key_copy *c,
			    cv_err *err)
{
	(void)be, (void)name, (void)user_id, (void)c, (void)err;
	return hit("vkey_get");
}
static cv_status f_keys_delete_user(void *be, int64_t user_id, cv_err *err)
{
	(void)be, (void)user_id, (void)err;
	return hit("keys_delete_user");
}
static cv_status f_case_insert(void *be, const cv_case_rec *c, cv_err *err)
{
	(void)be, (void)c, (void)err;
	return hit("case_insert");
}
static cv_status f_case_get(void *be, const char *id, cv_case_rec *c, cv_err *err)
{
	(void)be, (void)id, (void)err;
	memset(c, 0, sizeof(*c));
	return hit("case_get");
}
static cv_status f_case_update(void *be, const cv_case_rec *c, cv_err *err)
{
	(void)be, (void)c, (void)err;
	return hit("case_update");
}
static cv_status f_case_find(void *be, const uint8_t tag[CV_HASH_LEN], cv_store_id_cb cb, void *arg,
			     cv_err *err)
{
	(void)be, (void)tag, (void)err;
	hit("case_find");
	cb("C-AAAAA", arg);
	return CV_OK;
}
static cv_status f_case_granted(void *be, int64_t user_id, cv_store_id_cb cb, void *arg,
				cv_err *err)
{
	(void)be, (void)user_id, (void)err;
	hit("case_granted");
	cb("C-AAAAA", arg);
	return CV_OK;
}
static cv_status f_case_shred(void *be, const cv_case_rec *tomb, cv_err *err)
{
	(void)be, (void)err;
	snprintf(flog.word, sizeof(flog.word), "%s", tomb->status);
	return hit("case_shred");
}
static cv_status f_grant_put(void *be, const char *case_id, const cv_key_copy *c, cv_err *err)
{
	(void)be, (void)case_id, (void)c, (void)err;
	return hit("grant_put");
}
static cv_status f_grant_get(void *be, const char *case_id, int64_t user_id, cv_key_copy *c,
			     cv_err *err)
{
	(void)be, (void)case_id, (void)user_id, (void)c, (void)err;
	return hit("grant_get");
}
static cv_status f_grant_each_user(void *be, int64_t user_id, cv_store_grant_cb cb, void *arg,
				   cv_err *err)
{
	(void)be, (void)user_id, (void)err;
	hit("grant_each_user");
	cb("C-AAAAA", arg);
	return CV_OK;
}
static cv_status f_record_insert(void *be, const cv_record *r, cv_err *err)
{
	(void)be, (void)r, (void)err;
	return hit("record_insert");
}
static cv_status f_record_update(void *be, const cv_record *r, cv_err *err)
{
	(void)be, (void)r, (void)err;
	return hit("record_update");
}
static cv_status f_record_get(void *be, const char *id, cv_record *r, cv_err *err)
{
	(void)be, (void)id, (void)err;
	memset(r, 0, sizeof(*r));
	return hit("record_get");
}
static cv_status f_record_each_case(void *be, const char *case_id, const char *type,
				    cv_store_record_cb cb, void *arg, cv_err *err)
{
	cv_record r;

	(void)be, (void)case_id, (void)type, (void)err;
	memset(&r, 0, sizeof(r));
	hit("record_each_case");
	cb(&r, arg);
	return CV_OK;
}
static cv_status f_record_each_granted(void *be, int64_t user_id, const char *type,
				       cv_store_record_cb cb, void *arg, cv_err *err)
{
	cv_record r;

	(void)be, (void)user_id, (void)type, (void)err;
	memset(&r, 0, sizeof(r));
	hit("record_each_granted");
	cb(&r, arg);
	return CV_OK;
}
static cv_status f_id_taken(void *be, const char *id, int *taken, cv_err *err)
{
	(void)be, (void)id, (void)err;
	*taken = 0;
	return hit("id_taken");
}

static const struct cv_store_ops fake_ops = {
    .name = "fake",
    .create = f_create,
    .open = f_open,
    .close = f_close,
    .begin = f_begin,
    .commit = f_commit,
    .rollback = f_rollback,
    .meta_put = f_meta_put,
    .meta_get = f_meta_get,
    .user_next_id = f_user_next_id,
    .user_insert = f_user_insert,
    .user_update_status = f_user_update_status,
    .user_update_keys = f_user_update_keys,
    .user_update_identity = f_user_update_identity,
    .history_insert = f_history_insert,
    .cert_at = f_cert_at,
    .user_by_name = f_user_by_name,
    .user_by_id = f_user_by_id,
    .user_each = f_user_each,
    .audit_head = f_audit_head,
    .audit_insert = f_audit_insert,
    .audit_last_seq = f_audit_last_seq,
    .audit_get = f_audit_get,
    .audit_each = f_audit_each,
    .vkey_put = f_vkey_put,
    .vkey_get = f_vkey_get,
    .keys_delete_user = f_keys_delete_user,
    .case_insert = f_case_insert,
    .case_get = f_case_get,
    .case_update = f_case_update,
    .case_find = f_case_find,
    .case_granted = f_case_granted,
    .case_shred = f_case_shred,
    .grant_put = f_grant_put,
    .grant_get = f_grant_get,
    .grant_each_user = f_grant_each_user,
    .record_insert = f_record_insert,
    .record_update = f_record_update,
    .record_get = f_record_get,
    .record_each_case = f_record_each_case,
    .record_each_granted = f_record_each_granted,
    .id_taken = f_id_taken,
};

static int no_user(const cv_user_rec *r, void *arg)
{
	(void)r, (void)arg;
	return 0;
}
static int no_audit(const cv_audit_rec *r, void *arg)
{
	(void)r, (void)arg;
	return 0;
}
static int no_id(const char *id, void *arg)
{
	(void)id, (void)arg;
	return 0;
}
static int no_record(const cv_record *r, void *arg)
{
	(void)r, (void)arg;
	return 0;
}

/* Every cv_store_* call reaches the backend's operation of the same name,
 * with its arguments. */
static void test_ops_table_dispatch(void **state)
{
	static const char *const want[] = {"create",
					   "close",
					   "open",
					   "begin",
					   "commit",
					   "rollback",
					   "meta_put",
					   "meta_get",
					   "user_next_id",
					   "user_insert",
					   "user_update_status",
					   "user_update_keys",
					   "user_update_identity",
					   "history_insert",
					   "cert_at",
					   "user_by_name",
					   "user_by_id",
					   "user_each",
					   "audit_head",
					   "audit_insert",
					   "audit_last_seq",
					   "audit_get",
					   "audit_each",
					   "vkey_put",
					   "vkey_get",
					   "keys_delete_user",
					   "case_insert",
					   "case_get",
					   "case_update",
					   "case_find",
					   "case_granted",
					   "case_shred",
					   "grant_put",
					   "grant_get",
					   "grant_each_user",
					   "record_insert",
					   "record_update",
					   "record_get",
					   "record_each_case",
					   "record_each_granted",
					   "id_taken",
					   "close"};
	static const char *const acts[] = {"a"};
	cv_store *st = NULL;
	cv_err err = {0};
	cv_user_rec u;
	cv_audit_rec a;
	cv_store_audit_query q = {0};
	cv_case_rec c;
	cv_record r;
	cv_key_copy copy = {0};
	uint8_t hash[CV_HASH_LEN] = {0}, b = 0;
	int64_t n = 0;
	int taken = 1;

	(void)state;
	memset(&flog, 0, sizeof(flog));
	memset(&u, 0, sizeof(u));
	memset(&a, 0, sizeof(a));
	memset(&c, 0, sizeof(c));
	memset(&r, 0, sizeof(r));
	assert_int_equal(cv_store_create_with(&fake_ops, "fake:new", &st, &err), CV_OK);
	assert_string_equal(flog.path, "fake:new");
	cv_store_close(st);
	assert_int_equal(cv_store_open_with(&fake_ops, "fake:vault", &st, &err), CV_OK);
	assert_string_equal(flog.path, "fake:vault");
	assert_int_equal(cv_store_begin(st, &err), CV_OK);
	assert_int_equal(cv_store_commit(st, &err), CV_OK);
	cv_store_rollback(st);
	assert_int_equal(cv_store_meta_put(st, "k", &b, 1, &err), CV_OK);
	assert_int_equal(cv_store_meta_get(st, "k", &b, 1, &err), CV_OK);
	assert_int_equal(cv_store_user_next_id(st, &n, &err), CV_OK);
	assert_int_equal(cv_store_user_insert(st, &u, &err), CV_OK);
	assert_int_equal(cv_store_user_update_status(st, &u, &err), CV_OK);
	assert_int_equal(cv_store_user_update_keys(st, &u, &err), CV_OK);
	assert_int_equal(cv_store_user_update_identity(st, &u, &err), CV_OK);
	assert_int_equal(cv_store_history_insert(st, &u, 3, &err), CV_OK);
	assert_int_equal(cv_store_cert_at(st, 1, 2, &u, &err), CV_OK);
	assert_int_equal(cv_store_user_by_name(st, "x", &u, &err), CV_OK);
	assert_int_equal(cv_store_user_by_id(st, 1, &u, &err), CV_OK);
	assert_int_equal(cv_store_user_each(st, no_user, NULL, &err), CV_OK);
	assert_int_equal(cv_store_audit_head(st, &n, hash, &err), CV_OK);
	assert_int_equal(cv_store_audit_insert(st, &a, &err), CV_OK);
	assert_int_equal(cv_store_audit_last_seq(st, "o", "w", acts, 1, &n, &err), CV_OK);
	assert_int_equal(cv_store_audit_get(st, 1, no_audit, NULL, &err), CV_OK);
	assert_int_equal(cv_store_audit_each(st, &q, no_audit, NULL, &err), CV_OK);
	assert_int_equal(cv_store_vkey_put(st, "stats", &copy, &err), CV_OK);
	assert_int_equal(cv_store_vkey_get(st, "stats", 1, &copy, &err), CV_OK);
	assert_int_equal(cv_store_keys_delete_user(st, 1, &err), CV_OK);
	assert_int_equal(cv_store_case_insert(st, &c, &err), CV_OK);
	assert_int_equal(cv_store_case_get(st, "C-AAAAA", &c, &err), CV_OK);
	assert_int_equal(cv_store_case_update(st, &c, &err), CV_OK);
	assert_int_equal(cv_store_case_find(st, hash, no_id, NULL, &err), CV_OK);
	assert_int_equal(cv_store_case_granted(st, 1, no_id, NULL, &err), CV_OK);
	snprintf(c.status, sizeof(c.status), "tombstone");
	assert_int_equal(cv_store_case_shred(st, &c, &err), CV_OK);
	assert_int_equal(cv_store_grant_put(st, "C-AAAAA", &copy, &err), CV_OK);
	assert_int_equal(cv_store_grant_get(st, "C-AAAAA", 1, &copy, &err), CV_OK);
	assert_int_equal(cv_store_grant_each_user(st, 1, no_id, NULL, &err), CV_OK);
	assert_int_equal(cv_store_record_insert(st, &r, &err), CV_OK);
	assert_int_equal(cv_store_record_update(st, &r, &err), CV_OK);
	assert_int_equal(cv_store_record_get(st, "N-AAAAAA", &r, &err), CV_OK);
	assert_int_equal(cv_store_record_each_case(st, "C-AAAAA", NULL, no_record, NULL, &err),
			 CV_OK);
	assert_int_equal(cv_store_record_each_granted(st, 1, "note", no_record, NULL, &err), CV_OK);
	assert_int_equal(cv_store_id_taken(st, "C-AAAAA", &taken, &err), CV_OK);
	assert_int_equal(taken, 0);
	cv_store_close(st);

	assert_int_equal(flog.n, (int)(sizeof(want) / sizeof(want[0])));
	for (int i = 0; i < flog.n; i++)
		assert_string_equal(flog.op[i], want[i]);
	/* The state word is the caller's, passed through untouched. */
	assert_string_equal(flog.word, "tombstone");
}

/* ---- the walk guard ------------------------------------------------------ */

struct nested {
	cv_store *st;
	cv_err err; /* what the call made from the callback returned */
	cv_status got;
	int calls;
	int walk;     /* 1: the callback starts another walk instead */
	int rollback; /* 1: the callback rolls back (no status to check) */
};

static int call_from_user_cb(const cv_user_rec *r, void *arg)
{
	struct nested *x = arg;
	uint8_t b;

	(void)r;
	x->calls++;
	if (x->rollback)
		cv_store_rollback(x->st);
	else if (x->walk)
		x->got = cv_store_case_granted(x->st, 1, no_id, NULL, &x->err);
	else
		x->got = cv_store_meta_get(x->st, "k", &b, 1, &x->err);
	return 0; /* goes on as if nothing happened */
}

/* A fake backend sees the refused call never; the walk fails even though
 * its callback swallowed the error. */
static void test_walk_guard_fake(void **state)
{
	cv_store *st = NULL;
	cv_err err = {0};
	struct nested x;

	(void)state;
	memset(&flog, 0, sizeof(flog));
	assert_int_equal(cv_store_open_with(&fake_ops, "fake:vault", &st, &err), CV_OK);

	/* On by default; turned off, the call is interleaved. */
	cv_store_strict_walks(st, 0);
	memset(&x, 0, sizeof(x));
	x.st = st;
	assert_int_equal(cv_store_user_each(st, call_from_user_cb, &x, &err), CV_OK);
	assert_int_equal(x.got, CV_OK);
	assert_true(fake_seen("meta_get"));

	cv_store_strict_walks(st, 1);
	for (int mode = 0; mode < 3; mode++) {
		memset(&flog, 0, sizeof(flog));
		memset(&x, 0, sizeof(x));
		memset(&err, 0, sizeof(err));
		x.st = st;
		x.walk = mode == 1;
		x.rollback = mode == 2;
		assert_int_equal(cv_store_user_each(st, call_from_user_cb, &x, &err), CV_ERROR);
		assert_string_equal(err.msg, "internal error: the store was called during a walk");
		assert_int_equal(x.calls, 1);
		if (mode < 2) {
			assert_int_equal(x.got, CV_ERROR);
			assert_string_equal(x.err.msg,
					    "internal error: the store was called during a walk");
		}
		assert_false(fake_seen("meta_get"));
		assert_false(fake_seen("case_granted"));
		assert_false(fake_seen("rollback"));
	}

	/* After the walk the store answers again. */
	memset(&flog, 0, sizeof(flog));
	assert_int_equal(cv_store_meta_get(st, "k", &(uint8_t){0}, 1, &err), CV_OK);
	assert_true(fake_seen("meta_get"));
	/* A walk whose callback leaves the store alone is fine. */
	assert_int_equal(cv_store_user_each(st, no_user, NULL, &err), CV_OK);
	cv_store_close(st);
}

/* Each kind of walk: its callback calls the store once. */
static int poke(void *arg)
{
	struct nested *x = arg;
	uint8_t b;

	x->calls++;
	x->got = cv_store_meta_get(x->st, "k", &b, 1, &x->err);
	return 0;
}
static int poke_user(const cv_user_rec *r, void *arg)
{
	(void)r;
	return poke(arg);
}
static int poke_audit(const cv_audit_rec *r, void *arg)
{
	(void)r;
	return poke(arg);
}
static int poke_id(const char *id, void *arg)
{
	(void)id;
	return poke(arg);
}
static int poke_record(const cv_record *r, void *arg)
{
	(void)r;
	return poke(arg);
}

static void test_every_walk_guarded(void **state)
{
	cv_store *st = NULL;
	cv_err err = {0};
	cv_store_audit_query q = {0};
	uint8_t tag[CV_HASH_LEN] = {0};
	struct nested x;

	(void)state;
	assert_int_equal(cv_store_open_with(&fake_ops, "fake:vault", &st, &err), CV_OK);
	cv_store_strict_walks(st, 1);
	for (int w = 0; w < 8; w++) {
		cv_status got = CV_OK;

		memset(&flog, 0, sizeof(flog));
		memset(&x, 0, sizeof(x));
		memset(&err, 0, sizeof(err));
		x.st = st;
		switch (w) {
		case 0:
			got = cv_store_user_each(st, poke_user, &x, &err);
			break;
		case 1:
			got = cv_store_audit_get(st, 1, poke_audit, &x, &err);
			break;
		case 2:
			got = cv_store_audit_each(st, &q, poke_audit, &x, &err);
			break;
		case 3:
			got = cv_store_case_find(st, tag, poke_id, &x, &err);
			break;
		case 4:
			got = cv_store_case_granted(st, 1, poke_id, &x, &err);
			break;
		case 5:
			got = cv_store_grant_each_user(st, 1, poke_id, &x, &err);
			break;
		case 6:
			got = cv_store_record_each_case(st, "C-AAAAA", NULL, poke_record, &x, &err);
			break;
		default:
			got = cv_store_record_each_granted(st, 1, "note", poke_record, &x, &err);
			break;
		}
		if (got != CV_ERROR || x.calls != 1 || x.got != CV_ERROR || fake_seen("meta_get"))
			fail_msg("walk %d: returned %d, callback ran %d times, its call gave %d", w,
				 got, x.calls, x.got);
		assert_msg_has(err, "during a walk");
	}
	cv_store_close(st);
}

/* ---- the SQLite backend: walks, words, erasure -------------------------- */

static uint8_t data_box[48], stats_box[40], note_box[64];

static void make_case(cv_case_rec *c, const char *id, int64_t opened_by)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->id, sizeof(c->id), "%s", id);
	snprintf(c->status, sizeof(c->status), "open");
	c->opened_by = opened_by;
	snprintf(c->opened_at, sizeof(c->opened_at), "2024-03-01T09:00:00Z");
	c->version = 1;
	memset(c->index_tag, 0x5a, sizeof(c->index_tag));
	randombytes_buf(c->recovery_key, sizeof(c->recovery_key));
	randombytes_buf(c->data_nonce, sizeof(c->data_nonce));
	randombytes_buf(data_box, sizeof(data_box));
	c->data_box = data_box;
	c->data_len = sizeof(data_box);
	randombytes_buf(c->key_commit, sizeof(c->key_commit));
	randombytes_buf(stats_box, sizeof(stats_box));
	c->stats_box = stats_box;
	c->stats_len = sizeof(stats_box);
	c->signer_id = opened_by;
	randombytes_buf(c->mac, sizeof(c->mac));
	randombytes_buf(c->sig, sizeof(c->sig));
}

/* A key copy of random bytes held by user_id. */
static void make_copy(cv_key_copy *k, int64_t user_id)
{
	memset(k, 0, sizeof(*k));
	k->user_id = user_id;
	k->sender_id = user_id;
	snprintf(k->sent_at, sizeof(k->sent_at), "2024-03-01T09:00:00Z");
	randombytes_buf(k->nonce, sizeof(k->nonce));
	randombytes_buf(k->box, sizeof(k->box));
	randombytes_buf(k->sig, sizeof(k->sig));
	k->has_sig = 1;
}

/* Shreds case id into a tombstone with state word `word` at version 2. */
static cv_status shred(cv_store *st, const char *id, const char *word, cv_err *err)
{
	cv_case_rec tomb;

	make_case(&tomb, id, 1);
	snprintf(tomb.status, sizeof(tomb.status), "%s", word);
	tomb.version = 2;
	return cv_store_case_shred(st, &tomb, err);
}

static void make_record(cv_record *r, const char *id, const char *case_id, const char *type)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->id, sizeof(r->id), "%s", id);
	snprintf(r->case_id, sizeof(r->case_id), "%s", case_id);
	snprintf(r->type, sizeof(r->type), "%s", type);
	snprintf(r->status, sizeof(r->status), "draft");
	r->version = 1;
	r->author_id = 2;
	snprintf(r->created_at, sizeof(r->created_at), "2024-03-01T10:00:00Z");
	snprintf(r->updated_at, sizeof(r->updated_at), "2024-03-01T10:00:00Z");
	randombytes_buf(r->nonce, sizeof(r->nonce));
	randombytes_buf(note_box, sizeof(note_box));
	r->box = note_box;
	r->box_len = sizeof(note_box);
	r->signer_id = r->author_id;
	randombytes_buf(r->mac, sizeof(r->mac));
	randombytes_buf(r->sig, sizeof(r->sig));
}

/* alice (admin, 1) and carol (counselor, 2); carol's case C-AAAAA with her
 * grant, a stats key of hers, a note and a consent; one transaction. */
static void fill_vault(cv_store *st)
{
	cv_err err = {0};
	cv_user_rec u;
	cv_case_rec c;
	cv_record r;
	cv_key_copy copy;

	make_copy(&copy, 2);
	assert_int_equal(cv_store_begin(st, &err), CV_OK);
	make_user(&u, 1, "alice", "admin");
	assert_int_equal(cv_store_user_insert(st, &u, &err), CV_OK);
	make_user(&u, 2, "carol", "counselor");
	assert_int_equal(cv_store_user_insert(st, &u, &err), CV_OK);
	assert_int_equal(cv_store_vkey_put(st, "stats", &copy, &err), CV_OK);
	make_case(&c, "C-AAAAA", 2);
	assert_int_equal(cv_store_case_insert(st, &c, &err), CV_OK);
	assert_int_equal(cv_store_grant_put(st, "C-AAAAA", &copy, &err), CV_OK);
	make_record(&r, "N-AAAAAA", "C-AAAAA", "note");
	assert_int_equal(cv_store_record_insert(st, &r, &err), CV_OK);
	make_record(&r, "S-AAAAAA", "C-AAAAA", "consent");
	assert_int_equal(cv_store_record_insert(st, &r, &err), CV_OK);
	assert_int_equal(cv_store_commit(st, &err), CV_OK);
}

struct user_walk {
	cv_store *st;
	int n;
	cv_status got;
	cv_err err;
};

static int read_inside(const cv_user_rec *r, void *arg)
{
	struct user_walk *w = arg;
	cv_user_rec u;

	w->n++;
	w->got = cv_store_user_by_id(w->st, r->id, &u, &w->err);
	return w->got != CV_OK; /* stops on the refusal */
}

static int collect_ids(const cv_user_rec *r, void *arg)
{
	int64_t *ids = arg;

	ids[ids[0] + 1] = r->id;
	ids[0]++;
	return 0;
}

/* On the real backend: a read from inside a walk is refused with strict
 * walks; collecting first, then reading, works. */
static void test_walk_guard_sqlite(void **state)
{
	struct fix *f = *state;
	cv_store *st = NULL;
	cv_err err = {0};
	struct user_walk w;
	int64_t ids[4] = {0};
	cv_user_rec u;

	assert_int_equal(cv_store_create(f->path, &st, &err), CV_OK);
	fill_vault(st);

	cv_store_strict_walks(st, 0);
	memset(&w, 0, sizeof(w));
	w.st = st;
	assert_int_equal(cv_store_user_each(st, read_inside, &w, &err), CV_OK);
	assert_int_equal(w.n, 2); /* not strict: interleaved */

	cv_store_strict_walks(st, 1);
	memset(&w, 0, sizeof(w));
	w.st = st;
	assert_int_equal(cv_store_user_each(st, read_inside, &w, &err), CV_ERROR);
	assert_int_equal(w.n, 1);
	assert_int_equal(w.got, CV_ERROR);
	assert_msg_has(w.err, "the store was called during a walk");
	assert_msg_has(err, "the store was called during a walk");

	/* Collect, then act. */
	assert_int_equal(cv_store_user_each(st, collect_ids, ids, &err), CV_OK);
	assert_int_equal(ids[0], 2);
	for (int i = 1; i <= 2; i++) {
		assert_int_equal(cv_store_user_by_id(st, ids[i], &u, &err), CV_OK);
		assert_int_equal(u.id, i);
	}
	cv_store_close(st);
}

/* Every statement the backend prepares, after every operation has run:
 * none holds a quoted literal (a word); they come in as parameters. */
static void test_statements_hold_no_words(void **state)
{
	struct fix *f = *state;
	static const char *const acts[] = {"user.add", "user.reset"};
	cv_store *st = NULL;
	cv_err err = {0};
	cv_user_rec u;
	cv_audit_rec a;
	cv_store_audit_query q = {0};
	cv_case_rec c;
	cv_record r;
	cv_id_list ids = {0};
	cv_key_copy copy;
	uint8_t hash[CV_HASH_LEN], b = 1;
	char detail[64];
	int64_t n = 0;
	int taken = 0, count = 0, users = 0;
	sqlite3_stmt *s;

	make_store(f->path);
	captured_db = NULL;
	assert_int_equal(sqlite3_auto_extension((void (*)(void))capture_db), SQLITE_OK);
	assert_int_equal(cv_store_open(f->path, &st, &err), CV_OK);
	sqlite3_cancel_auto_extension((void (*)(void))capture_db);
	assert_non_null(captured_db);

	fill_vault(st);
	assert_int_equal(cv_store_meta_put(st, "k", &b, 1, &err), CV_OK);
	assert_int_equal(cv_store_meta_get(st, "k", &b, 1, &err), CV_OK);
	assert_int_equal(cv_store_user_next_id(st, &n, &err), CV_OK);
	assert_int_equal(cv_store_user_by_name(st, "carol", &u, &err), CV_OK);
	assert_int_equal(cv_store_user_update_status(st, &u, &err), CV_OK);
	assert_int_equal(cv_store_user_update_keys(st, &u, &err), CV_OK);
	assert_int_equal(cv_store_history_insert(st, &u, 5, &err), CV_OK);
	u.cert_seq = 6;
	assert_int_equal(cv_store_user_update_identity(st, &u, &err), CV_OK);
	assert_int_equal(cv_store_cert_at(st, 2, 5, &u, &err), CV_OK);
	assert_int_equal(cv_store_user_by_id(st, 2, &u, &err), CV_OK);
	assert_int_equal(cv_store_user_each(st, count_users, &users, &err), CV_OK);
	insert_rows(st);
	assert_int_equal(cv_store_audit_head(st, &n, hash, &err), CV_OK);
	assert_int_equal(cv_store_audit_last_seq(st, "audit", "ok", acts, 2, &n, &err), CV_OK);
	assert_int_equal(n, 3);
	assert_int_equal(cv_store_audit_get(st, 1, collect_cb, &(struct collect){0}, &err), CV_OK);
	assert_int_equal(cv_store_audit_each(st, &q, collect_cb, &(struct collect){0}, &err),
			 CV_OK);
	assert_int_equal(cv_store_vkey_get(st, "stats", 2, &copy, &err), CV_OK);
	assert_int_equal(cv_store_case_get(st, "C-AAAAA", &c, &err), CV_OK);
	assert_int_equal(cv_store_case_update(st, &c, &err), CV_OK);
	assert_int_equal(cv_store_case_find(st, c.index_tag, cv_id_list_add, &ids, &err), CV_OK);
	cv_case_rec_clear(&c);
	assert_int_equal(cv_store_case_granted(st, 2, cv_id_list_add, &ids, &err), CV_OK);
	assert_int_equal(cv_store_grant_get(st, "C-AAAAA", 2, &copy, &err), CV_OK);
	assert_int_equal(cv_store_grant_each_user(st, 2, cv_id_list_add, &ids, &err), CV_OK);
	assert_int_equal(ids.n, 3);
	cv_id_list_free(&ids);
	assert_int_equal(cv_store_record_get(st, "N-AAAAAA", &r, &err), CV_OK);
	assert_int_equal(cv_store_record_update(st, &r, &err), CV_OK);
	cv_record_clear(&r);
	assert_int_equal(cv_store_record_each_case(st, "C-AAAAA", NULL, no_record, NULL, &err),
			 CV_OK);
	assert_int_equal(cv_store_record_each_granted(st, 2, "note", no_record, NULL, &err), CV_OK);
	assert_int_equal(cv_store_id_taken(st, "N-AAAAAA", &taken, &err), CV_OK);
	assert_int_equal(taken, 1);
	assert_int_equal(shred(st, "C-AAAAA", "shredded", &err), CV_OK);
	assert_int_equal(cv_store_keys_delete_user(st, 2, &err), CV_OK);
	memset(&a, 0, sizeof(a));
	fill_rec(&rows[0], &a, detail, sizeof(detail));
	a.seq = 11;
	assert_int_equal(cv_store_audit_insert(st, &a, &err), CV_OK);

	for (s = sqlite3_next_stmt(captured_db, NULL); s; s = sqlite3_next_stmt(captured_db, s)) {
		const char *sql = sqlite3_sql(s);

		count++;
		if (strchr(sql, '\'') || strchr(sql, '"'))
			fail_msg("a statement holds a literal: %s", sql);
	}
	/* 38 statements today; every one was prepared by the calls above. */
	assert_true(count >= 38);
	captured_db = NULL;
	cv_store_close(st);
}

/* Actions and outcomes are whatever words the caller uses. */
static void test_words_are_the_callers(void **state)
{
	struct fix *f = *state;
	static const struct arow mine[] = {
	    {1, "2024-03-01T08:00:00Z", "ann", "make", "fine", 0},
	    {2, "2024-03-01T08:00:01Z", "ann", "remake", "fine", 0},
	    {3, "2024-03-01T08:00:02Z", "ann", "make", "bad", 0},
	    {4, "2024-03-01T08:00:03Z", "ann", "stop", "fine", 0},
	    {5, "2024-03-01T08:00:04Z", "ann", "remake", "bad", 0},
	};
	static const char *const make[] = {"make", "remake"};
	static const char *const stop[] = {"stop", "x", "y", "z"};
	static const char *const seven[] = {"a", "b", "c", "d", "e", "f", "g"};
	cv_store *st = NULL;
	cv_err err = {0};
	cv_store_audit_query q = {0};
	cv_audit_rec r;
	char detail[64];
	int64_t seq = -1;

	assert_int_equal(cv_store_create(f->path, &st, &err), CV_OK);
	for (size_t i = 0; i < sizeof(mine) / sizeof(mine[0]); i++) {
		fill_rec(&mine[i], &r, detail, sizeof(detail));
		r.object = i == 4 ? "thing:y" : "thing:x";
		assert_int_equal(cv_store_audit_insert(st, &r, &err), CV_OK);
	}
	assert_int_equal(cv_store_audit_last_seq(st, "thing:x", "fine", make, 2, &seq, &err),
			 CV_OK);
	assert_int_equal(seq, 2);
	assert_int_equal(cv_store_audit_last_seq(st, "thing:x", "fine", make, 1, &seq, &err),
			 CV_OK);
	assert_int_equal(seq, 1);
	assert_int_equal(cv_store_audit_last_seq(st, "thing:x", "bad", make, 2, &seq, &err), CV_OK);
	assert_int_equal(seq, 3);
	assert_int_equal(cv_store_audit_last_seq(st, "thing:x", "fine", stop, 4, &seq, &err),
			 CV_OK);
	assert_int_equal(seq, 4);
	assert_int_equal(cv_store_audit_last_seq(st, "thing:y", "fine", make, 2, &seq, &err),
			 CV_OK);
	assert_int_equal(seq, 0);
	assert_int_equal(cv_store_audit_last_seq(st, "thing:x", "fine", seven, 7, &seq, &err),
			 CV_ERROR);
	assert_int_equal(cv_store_audit_last_seq(st, "thing:x", "fine", seven, 0, &seq, &err),
			 CV_ERROR);
	/* The first such row after a seq. */
	assert_int_equal(cv_store_audit_next_seq(st, "thing:x", "fine", make, 2, 0, &seq, &err),
			 CV_OK);
	assert_int_equal(seq, 1);
	assert_int_equal(cv_store_audit_next_seq(st, "thing:x", "fine", make, 2, 1, &seq, &err),
			 CV_OK);
	assert_int_equal(seq, 2);
	assert_int_equal(cv_store_audit_next_seq(st, "thing:x", "fine", make, 2, 2, &seq, &err),
			 CV_OK);
	assert_int_equal(seq, 0);
	assert_int_equal(cv_store_audit_next_seq(st, "thing:x", "bad", make, 2, 0, &seq, &err),
			 CV_OK);
	assert_int_equal(seq, 3);
	assert_int_equal(cv_store_audit_next_seq(st, "thing:y", "fine", make, 2, 0, &seq, &err),
			 CV_OK);
	assert_int_equal(seq, 0);
	assert_int_equal(cv_store_audit_next_seq(st, "thing:x", "fine", seven, 7, 0, &seq, &err),
			 CV_ERROR);

	q.outcome_not = "fine";
	expect_seqs(st, &q, (const int64_t[]){3, 5}, 2);
	q.outcome_not = "bad";
	expect_seqs(st, &q, (const int64_t[]){1, 2, 4}, 3);
	q.action = "re"; /* no dot: exact */
	expect_seqs(st, &q, NULL, 0);
	cv_store_close(st);
}

static off_t wal_size(const struct fix *f)
{
	char wal[sizeof(f->path) + 8];
	struct stat sb;

	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	if (stat(wal, &sb) != 0)
		return errno == ENOENT ? 0 : -1;
	return sb.st_size;
}

/* Shredding blanks the case and, once committed, leaves an empty WAL; a
 * commit that erased nothing leaves the WAL as SQLite keeps it. */
static void test_shred_truncates_wal(void **state)
{
	struct fix *f = *state;
	cv_store *st = NULL;
	cv_err err = {0};
	cv_case_rec c;
	cv_record r;
	cv_user_rec u;
	uint8_t zero[CV_SEALED_KEY_LEN] = {0};
	cv_key_copy copy;
	uint8_t b = 1; /* a new value each time: an unchanged row writes no page */

	assert_int_equal(cv_store_create(f->path, &st, &err), CV_OK);
	fill_vault(st);
	assert_true(wal_size(f) > 0);

	/* Inside a transaction: nothing happens to the WAL until the commit. */
	assert_int_equal(cv_store_begin(st, &err), CV_OK);
	assert_int_equal(shred(st, "C-AAAAA", "shredded", &err), CV_OK);
	b++;
	assert_int_equal(cv_store_meta_put(st, "k", &b, 1, &err), CV_OK);
	assert_true(wal_size(f) > 0);
	assert_int_equal(cv_store_commit(st, &err), CV_OK);
	assert_int_equal(wal_size(f), 0);

	/* What is left of the case. */
	assert_int_equal(cv_store_case_get(st, "C-AAAAA", &c, &err), CV_OK);
	assert_string_equal(c.status, "shredded");
	assert_int_equal(c.version, 2);
	assert_int_equal(c.data_len, 0);
	assert_int_equal(c.stats_len, 0);
	assert_true(c.blank);
	assert_memory_equal(c.recovery_key, zero, sizeof(c.recovery_key));
	assert_memory_equal(c.key_commit, zero, sizeof(c.key_commit));
	assert_memory_equal(c.index_tag, zero, sizeof(c.index_tag));
	cv_case_rec_clear(&c);
	assert_int_equal(cv_store_grant_get(st, "C-AAAAA", 2, &copy, &err), CV_ENOTFOUND);
	assert_string_equal(err.code, "grant.not-found");
	assert_int_equal(cv_store_record_get(st, "N-AAAAAA", &r, &err), CV_ENOTFOUND);
	assert_string_equal(err.code, "record.not-found");
	assert_int_equal(cv_store_case_get(st, "C-ZZZZZ", &c, &err), CV_ENOTFOUND);
	assert_string_equal(err.code, "case.not-found");
	assert_msg_has(err, "no case 'C-ZZZZZ'");
	assert_int_equal(cv_store_record_get(st, "S-AAAAAA", &r, &err), CV_ENOTFOUND);

	/* A plain commit keeps its frames in the WAL. */
	assert_int_equal(cv_store_begin(st, &err), CV_OK);
	b++;
	assert_int_equal(cv_store_meta_put(st, "k", &b, 1, &err), CV_OK);
	assert_int_equal(cv_store_commit(st, &err), CV_OK);
	assert_true(wal_size(f) > 0);

	/* Deleting a user's keys outside a transaction truncates at once. */
	assert_int_equal(cv_store_keys_delete_user(st, 2, &err), CV_OK);
	assert_int_equal(wal_size(f), 0);
	assert_int_equal(cv_store_vkey_get(st, "stats", 2, &copy, &err), CV_ENOTFOUND);
	assert_string_equal(err.code, "vkey.not-found");

	/* So does rewrapping a user's keys (the old wrapping is gone). */
	b++;
	assert_int_equal(cv_store_meta_put(st, "k", &b, 1, &err), CV_OK);
	assert_true(wal_size(f) > 0);
	make_user(&u, 1, "alice", "admin");
	assert_int_equal(cv_store_begin(st, &err), CV_OK);
	assert_int_equal(cv_store_user_update_keys(st, &u, &err), CV_OK);
	assert_int_equal(cv_store_commit(st, &err), CV_OK);
	assert_int_equal(wal_size(f), 0);

	/* A rolled-back erasure leaves the WAL alone. */
	b++;
	assert_int_equal(cv_store_meta_put(st, "k", &b, 1, &err), CV_OK);
	assert_true(wal_size(f) > 0);
	assert_int_equal(cv_store_begin(st, &err), CV_OK);
	assert_int_equal(cv_store_keys_delete_user(st, 1, &err), CV_OK);
	cv_store_rollback(st);
	assert_int_equal(cv_store_begin(st, &err), CV_OK);
	b++;
	assert_int_equal(cv_store_meta_put(st, "k", &b, 1, &err), CV_OK);
	assert_int_equal(cv_store_commit(st, &err), CV_OK);
	assert_true(wal_size(f) > 0);
	cv_store_close(st);
}

/* A shred that fails part way (the schema refuses the state word) changes
 * nothing. */
static void test_shred_all_or_nothing(void **state)
{
	struct fix *f = *state;
	cv_store *st = NULL;
	cv_err err = {0};
	cv_case_rec c;
	cv_record r;
	cv_key_copy copy;

	assert_int_equal(cv_store_create(f->path, &st, &err), CV_OK);
	fill_vault(st);
	assert_int_equal(cv_store_begin(st, &err), CV_OK);
	assert_int_equal(shred(st, "C-AAAAA", "gone", &err), CV_ERROR);
	assert_int_equal(cv_store_commit(st, &err), CV_OK);
	assert_int_equal(shred(st, "C-AAAAA", "gone", &err), CV_ERROR);

	assert_int_equal(cv_store_case_get(st, "C-AAAAA", &c, &err), CV_OK);
	assert_string_equal(c.status, "open");
	assert_int_equal(c.version, 1);
	assert_int_equal(c.data_len, sizeof(data_box));
	cv_case_rec_clear(&c);
	assert_int_equal(cv_store_grant_get(st, "C-AAAAA", 2, &copy, &err), CV_OK);
	assert_int_equal(cv_store_record_get(st, "N-AAAAAA", &r, &err), CV_OK);
	cv_record_clear(&r);
	cv_store_close(st);
}

/* ---- the structure check beside a walk ------------------------------------ */

/* A vault whose log has rows with objects (audit_by_object indexes them). */
static void make_logged_store(const char *path)
{
	make_store(path);
	raw_sql(path, "WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v <"
		      " 50) INSERT INTO audit (seq, time, actor, action, object, outcome, detail,"
		      " prev_hash, hash, sig, rows) SELECT v, '2026-01-01T00:00:00Z', 'a',"
		      " 'case.show', 'case:C-' || v, 'ok', '', zeroblob(32), zeroblob(32), NULL,"
		      " '' FROM n");
}

/* Rebuilds the index of the log by object without row 7 (a partial index
 * for a moment, then the schema's text put back), as one with the file
 * can. */
static void hide_row_7(const char *path)
{
	raw_sql(path, "PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = 'CREATE INDEX"
		      " audit_by_object ON audit (object, seq) WHERE seq <> 7' WHERE name ="
		      " 'audit_by_object'; PRAGMA writable_schema = OFF;");
	raw_sql(path, "REINDEX audit_by_object");
	raw_sql(path, "PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = 'CREATE INDEX"
		      " audit_by_object ON audit (object, seq)' WHERE name = 'audit_by_object';"
		      " PRAGMA writable_schema = OFF;");
}

/* Runs start and finish in a write transaction; *started says whether the
 * check ran beside (a thread of its own) or not at all. */
static cv_status check_beside(const char *path, int *started, cv_err *err)
{
	cv_store *st = NULL;
	cv_store_check *k = NULL;
	cv_status s;

	assert_int_equal(cv_store_open(path, &st, err), CV_OK);
	assert_int_equal(cv_store_begin(st, err), CV_OK);
	assert_int_equal(cv_store_structure_start(st, &k, err), CV_OK);
	*started = k != NULL;
	/* not started (one processor): the caller checks on its one
	 * connection, as store.h says */
	s = k ? cv_store_structure_finish(k, err) : cv_store_structure_check(st, err);
	cv_store_rollback(st);
	cv_store_close(st);
	return s;
}

/*
 * Beside the walk (with two processors or more): the same finding as the
 * check on the one connection, for a sound file and for an index rebuilt
 * without a row.  Outside a write transaction it does not start (another
 * writer could commit between the two snapshots).
 */
static void test_structure_beside(void **state)
{
	struct fix *f = *state;
	int beside = sysconf(_SC_NPROCESSORS_ONLN) >= 2, started = 0;
	cv_store *st = NULL;
	cv_store_check *k = NULL;
	cv_err err = {0};

	make_logged_store(f->path);
	assert_int_equal(check_beside(f->path, &started, &err), CV_OK);
	assert_int_equal(started, beside);
	/* not in a transaction: not started */
	assert_int_equal(cv_store_open(f->path, &st, &err), CV_OK);
	assert_int_equal(cv_store_structure_start(st, &k, &err), CV_OK);
	assert_null(k);
	assert_int_equal(cv_store_structure_check(st, &err), CV_OK);
	cv_store_close(st);
	hide_row_7(f->path);
	memset(&err, 0, sizeof(err));
	assert_int_equal(check_beside(f->path, &started, &err), CV_EINTEGRITY);
	assert_string_equal(err.code, "vault.structure");
	assert_non_null(strstr(err.msg, "audit_by_object"));
	assert_int_equal(started, beside);
	memset(&err, 0, sizeof(err));
	assert_int_equal(cv_store_open(f->path, &st, &err), CV_OK);
	assert_int_equal(cv_store_structure_check(st, &err), CV_EINTEGRITY);
	assert_string_equal(err.code, "vault.structure");
	cv_store_close(st);
}

/*
 * A sound copy renamed over the vault's path while a tampered vault is open
 * (one with the directory can): the second connection would open the copy
 * and pass it.  It does not start; the check on the first connection, the
 * file the walk reads, finds the tampering.
 */
static void test_structure_beside_refuses_another_file(void **state)
{
	struct fix *f = *state;
	char sound[TEST_PATH_MAX];
	cv_store *st = NULL;
	cv_store_check *k = NULL;
	cv_err err = {0};

	make_logged_store(f->path);
	tmpdir_file(sound, sizeof(sound), f->dir, "sound.db");
	copy_db(f->path, sound);
	hide_row_7(f->path);
	assert_int_equal(cv_store_open(f->path, &st, &err), CV_OK);
	assert_int_equal(cv_store_begin(st, &err), CV_OK);
	assert_int_equal(rename(sound, f->path), 0);
	assert_int_equal(cv_store_structure_start(st, &k, &err), CV_OK);
	assert_null(k);
	assert_int_equal(cv_store_structure_check(st, &err), CV_EINTEGRITY);
	assert_string_equal(err.code, "vault.structure");
	cv_store_rollback(st);
	cv_store_close(st);
}

/* Every row a walk gives, as text, one line each. */
struct walked {
	char text[8192];
	size_t len;
};

static int note_row(const char *table, int64_t rowid, const uint8_t hash[CV_HASH_LEN],
		    int64_t signer, void *arg)
{
	(void)signer;
	struct walked *w = arg;
	char hex[2 * CV_HASH_LEN + 1];
	int n;

	sodium_bin2hex(hex, sizeof(hex), hash, CV_HASH_LEN);
	n = snprintf(w->text + w->len, sizeof(w->text) - w->len, "%s:%lld:%s\n", table,
		     (long long)rowid, hex);
	assert_true(n > 0 && (size_t)n < sizeof(w->text) - w->len);
	w->len += (size_t)n;
	return 0;
}

/* A walk of the rows on check's third connection, in cv_store_beside's
 * thread. */
struct beside_walk {
	cv_store_check *k;
	const char *const *skip;
	struct walked *w;
	cv_status st;
};

static void walk_there(void *arg)
{
	struct beside_walk *b = arg;
	cv_err err = {0};

	b->st = cv_store_check_row_each(b->k, b->skip, note_row, b->w, &err);
}

/*
 * The rows walk beside (with two processors or more, in a write
 * transaction, in cv_store_beside's thread) gives every row and hash the
 * walk on the first connection gives, in the same order, but for the
 * tables it is told to skip; one thread at a time; without a check
 * started it does not start.
 */
static void test_rows_beside(void **state)
{
	struct fix *f = *state;
	int beside = sysconf(_SC_NPROCESSORS_ONLN) >= 2;
	struct walked here = {0}, there = {0};
	struct beside_walk b = {NULL, NULL, &there, CV_ERROR};
	cv_store *st = NULL;
	cv_store_check *k = NULL;
	cv_err err = {0};

	make_logged_store(f->path);
	raw_sql(f->path, "INSERT INTO meta (key, value) VALUES ('a', x'01'), ('b', x'02')");
	raw_sql(f->path, "INSERT INTO settings (name, value, seq, signer_id, sig) VALUES"
			 " ('x', 'y', 1, 1, x'00')");
	assert_int_equal(cv_store_beside(NULL, walk_there, &b), -1);
	cv_store_beside_wait(NULL);
	assert_int_equal(cv_store_open(f->path, &st, &err), CV_OK);
	assert_int_equal(cv_store_row_each(st, note_row, &here, &err), CV_OK);
	assert_true(here.len > 0);
	assert_int_equal(cv_store_begin(st, &err), CV_OK);
	assert_int_equal(cv_store_structure_start(st, &k, &err), CV_OK);
	assert_int_equal(k != NULL, beside);
	if (k) {
		b.k = k;
		assert_int_equal(cv_store_beside(k, walk_there, &b), 0);
		/* one thread at a time */
		assert_int_equal(cv_store_beside(k, walk_there, &b), -1);
		cv_store_beside_wait(k);
		assert_int_equal(b.st, CV_OK);
		assert_string_equal(there.text, here.text);
		/* skipping meta: every line but meta's */
		{
			static const char *const skip[] = {"meta", NULL};
			struct walked rest = {0};
			char *p = here.text;

			while (*p) {
				char *nl = strchr(p, '\n');

				if (strncmp(p, "meta:", 5) != 0) {
					memcpy(rest.text + rest.len, p, (size_t)(nl - p + 1));
					rest.len += (size_t)(nl - p + 1);
				}
				p = nl + 1;
			}
			assert_true(rest.len > 0 && rest.len < here.len);
			there.len = 0;
			there.text[0] = '\0';
			b.skip = skip;
			b.st = CV_ERROR;
			assert_int_equal(cv_store_beside(k, walk_there, &b), 0);
			cv_store_beside_wait(k);
			assert_int_equal(b.st, CV_OK);
			assert_string_equal(there.text, rest.text);
		}
		/* and again, after the first was waited for */
		there.len = 0;
		there.text[0] = '\0';
		b.skip = NULL;
		assert_int_equal(cv_store_beside(k, walk_there, &b), 0);
	}
	/* finish waits for a thread still running */
	assert_int_equal(cv_store_structure_finish(k, &err), CV_OK);
	if (k)
		assert_string_equal(there.text, here.text);
	cv_store_rollback(st);
	cv_store_close(st);
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
	    cmocka_unit_test(test_ops_table_dispatch),
	    cmocka_unit_test(test_walk_guard_fake),
	    cmocka_unit_test(test_every_walk_guarded),
	    cmocka_unit_test_setup_teardown(test_walk_guard_sqlite, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_statements_hold_no_words, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_words_are_the_callers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_shred_truncates_wal, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_shred_all_or_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_structure_beside, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_structure_beside_refuses_another_file, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_rows_beside, setup, teardown),
	};
	cv_err err = {0};

	if (cv_init(&err) != CV_OK) {
		fprintf(stderr, "cv_init: %s\n", err.msg);
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
