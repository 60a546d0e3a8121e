/*
 * store.c - SQLite storage: the schema, the connection settings, and every
 * SQL statement of the program, prepared once from one table.
 */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "err.h"
#include "store.h"
#include "banned.h"

/* 'CVLT': lets `file` and this program tell a vault from any SQLite file. */
#define CV_APPLICATION_ID 0x43564c54
#define CV_SCHEMA_VERSION 1

static const char schema_sql[] =
	"CREATE TABLE meta ("
	" key TEXT PRIMARY KEY,"
	" value BLOB NOT NULL) STRICT;"
	"CREATE TABLE users ("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	" role TEXT NOT NULL CHECK (role IN ('counselor','supervisor','admin')),"
	" status TEXT NOT NULL CHECK (status IN ('active','disabled')),"
	" box_pk BLOB NOT NULL,"
	" sign_pk BLOB NOT NULL,"
	" creator_id INTEGER NOT NULL,"
	" cert_sig BLOB NOT NULL,"
	" status_version INTEGER NOT NULL,"
	" status_signer_id INTEGER NOT NULL,"
	" status_sig BLOB NOT NULL,"
	" kdf_alg INTEGER NOT NULL,"
	" kdf_t INTEGER NOT NULL,"
	" kdf_m INTEGER NOT NULL,"
	" kdf_p INTEGER NOT NULL,"
	" kdf_salt BLOB NOT NULL,"
	" key_nonce BLOB NOT NULL,"
	" key_box BLOB NOT NULL,"
	" created TEXT NOT NULL) STRICT;"
	"CREATE TABLE audit ("
	" seq INTEGER PRIMARY KEY,"
	" time TEXT NOT NULL,"
	" actor TEXT NOT NULL,"
	" action TEXT NOT NULL,"
	" object TEXT NOT NULL,"
	" outcome TEXT NOT NULL,"
	" detail TEXT NOT NULL,"
	" prev_hash BLOB NOT NULL,"
	" hash BLOB NOT NULL,"
	" sig BLOB) STRICT;";

enum stmt_id {
	S_META_PUT,
	S_META_GET,
	S_USER_NEXT_ID,
	S_USER_INSERT,
	S_USER_UPDATE_STATUS,
	S_USER_UPDATE_KEYS,
	S_USER_BY_NAME,
	S_USER_BY_ID,
	S_USER_ALL,
	S_AUDIT_HEAD,
	S_AUDIT_INSERT,
	S_AUDIT_GET,
	S_AUDIT_QUERY,
	S__COUNT
};

#define USER_COLS                                                                              \
	"id, name, role, status, box_pk, sign_pk, creator_id, cert_sig, status_version, "        \
	"status_signer_id, status_sig, kdf_alg, kdf_t, kdf_m, kdf_p, kdf_salt, key_nonce, "     \
	"key_box, created"
#define AUDIT_COLS "seq, time, actor, action, object, outcome, detail, prev_hash, hash, sig"

static const char *const stmt_sql[S__COUNT] = {
	[S_META_PUT] = "INSERT INTO meta (key, value) VALUES (?1, ?2)"
		       " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
	[S_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[S_USER_NEXT_ID] = "SELECT coalesce(max(id), 0) + 1 FROM users",
	[S_USER_INSERT] = "INSERT INTO users (" USER_COLS ")"
			  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
			  " ?14, ?15, ?16, ?17, ?18, ?19)",
	[S_USER_UPDATE_STATUS] = "UPDATE users SET status = ?2, status_version = ?3,"
				 " status_signer_id = ?4, status_sig = ?5 WHERE id = ?1",
	[S_USER_UPDATE_KEYS] = "UPDATE users SET kdf_alg = ?2, kdf_t = ?3, kdf_m = ?4,"
			       " kdf_p = ?5, kdf_salt = ?6, key_nonce = ?7, key_box = ?8"
			       " WHERE id = ?1",
	[S_USER_BY_NAME] = "SELECT " USER_COLS " FROM users WHERE name = ?1",
	[S_USER_BY_ID] = "SELECT " USER_COLS " FROM users WHERE id = ?1",
	[S_USER_ALL] = "SELECT " USER_COLS " FROM users ORDER BY id",
	[S_AUDIT_HEAD] = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
	[S_AUDIT_INSERT] = "INSERT INTO audit (" AUDIT_COLS ")"
			   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[S_AUDIT_GET] = "SELECT " AUDIT_COLS " FROM audit WHERE seq = ?1",
	[S_AUDIT_QUERY] = "SELECT " AUDIT_COLS " FROM audit"
			  " WHERE (?1 IS NULL OR actor = ?1)"
			  " AND (?2 IS NULL OR action = ?2"
			  "      OR (substr(?2, -1) = '.' AND substr(action, 1, length(?2)) = ?2))"
			  " AND (?3 IS NULL OR time >= ?3)"
			  " AND (?4 IS NULL OR time <= ?4)"
			  " AND (?5 = 0 OR outcome <> 'ok')"
			  " ORDER BY seq",
};

struct cv_store {
	sqlite3 *db;
	sqlite3_stmt *stmt[S__COUNT];
};

static cv_status db_error(cv_store *st, int rc, const char *doing, cv_err *err)
{
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return cv_err_set(err, CV_ERROR,
				  "the vault is busy (another casevault command is using it); "
				  "try again");
	if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB)
		return cv_err_set(err, CV_EINTEGRITY,
				  "the vault file is damaged (%s); restore it from a backup",
				  sqlite3_errstr(rc));
	if (rc == SQLITE_FULL)
		return cv_err_set(err, CV_ERROR, "the disk is full while %s; nothing was changed",
				  doing);
	return cv_err_set(err, CV_ERROR, "database error while %s: %s", doing,
			  st && st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
}

/* Returns the prepared, reset statement id, preparing it on first use. */
static sqlite3_stmt *stmt(cv_store *st, enum stmt_id id, cv_err *err)
{
	int rc;

	if (!st->stmt[id]) {
		rc = sqlite3_prepare_v3(st->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
					&st->stmt[id], NULL);
		if (rc != SQLITE_OK) {
			db_error(st, rc, "preparing a statement", err);
			return NULL;
		}
	}
	return st->stmt[id];
}

static void done(sqlite3_stmt *s)
{
	if (s) {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
	}
}

static cv_status exec(cv_store *st, const char *sql, cv_err *err)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return db_error(st, rc, "configuring the vault", err);
	return CV_OK;
}

static cv_status configure(cv_store *st, cv_err *err)
{
	cv_status s;

	sqlite3_busy_timeout(st->db, 5000);
	sqlite3_extended_result_codes(st->db, 0);
	s = exec(st,
		 "PRAGMA journal_mode = WAL;"
		 "PRAGMA synchronous = FULL;"
		 "PRAGMA secure_delete = ON;"
		 "PRAGMA temp_store = MEMORY;"
		 "PRAGMA foreign_keys = ON;"
		 "PRAGMA trusted_schema = OFF;",
		 err);
	if (s != CV_OK)
		return s;
	/* Refuse the features a crafted vault file could use against us. */
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_ENABLE_VIEW, 0, NULL);
	return CV_OK;
}

static cv_status open_db(const char *path, int flags, cv_store **out, cv_err *err)
{
	cv_store *st = calloc(1, sizeof(*st));
	int rc;

	*out = NULL;
	if (!st)
		return cv_err_set(err, CV_ERROR, "out of memory");
	rc = sqlite3_open_v2(path, &st->db, flags | SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc != SQLITE_OK) {
		cv_status s = db_error(st, rc, "opening the vault", err);
		cv_store_close(st);
		return s;
	}
	*out = st;
	return CV_OK;
}

cv_status cv_store_create(const char *path, cv_store **out, cv_err *err)
{
	cv_store *st = NULL;
	cv_status s;
	int fd;

	*out = NULL;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			return cv_err_set(err, CV_EUSAGE,
					  "'%s' already exists; casevault never overwrites a "
					  "file: choose another path or remove it yourself",
					  path);
		return cv_err_set(err, CV_ERROR, "cannot create '%s': %s", path,
				  strerror(errno));
	}
	close(fd);
	s = open_db(path, SQLITE_OPEN_READWRITE, &st, err);
	if (s != CV_OK)
		goto fail;
	s = configure(st, err);
	if (s != CV_OK)
		goto fail;
	s = exec(st, "BEGIN IMMEDIATE", err);
	if (s != CV_OK)
		goto fail;
	s = exec(st, schema_sql, err);
	if (s == CV_OK)
		s = exec(st,
			 "PRAGMA application_id = 1129729108;" /* CV_APPLICATION_ID */
			 "PRAGMA user_version = 1;",
			 err);
	if (s == CV_OK)
		s = exec(st, "COMMIT", err);
	if (s != CV_OK)
		goto fail;
	*out = st;
	return CV_OK;
fail:
	cv_store_close(st);
	unlink(path);
	return s;
}

static cv_status pragma_int(cv_store *st, const char *sql, int64_t *v, cv_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		*v = sqlite3_column_int64(s, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_OK)
		return db_error(st, rc, "reading the vault header", err);
	return CV_OK;
}

cv_status cv_store_open(const char *path, cv_store **out, cv_err *err)
{
	cv_store *st = NULL;
	struct stat sb;
	int64_t app = 0, ver = 0;
	cv_status s;

	*out = NULL;
	if (lstat(path, &sb) != 0) {
		if (errno == ENOENT)
			return cv_err_set(err, CV_ENOTFOUND,
					  "no vault at '%s'; create one with 'casevault init' or "
					  "give --vault PATH",
					  path);
		return cv_err_set(err, CV_ERROR, "cannot open '%s': %s", path, strerror(errno));
	}
	if (!S_ISREG(sb.st_mode))
		return cv_err_set(err, CV_EUSAGE,
				  "'%s' is not a regular file (symbolic links are refused); "
				  "give the vault's real path",
				  path);
	s = open_db(path, SQLITE_OPEN_READWRITE, &st, err);
	if (s != CV_OK)
		return s;
	s = pragma_int(st, "PRAGMA application_id", &app, err);
	if (s == CV_OK && app != CV_APPLICATION_ID)
		s = cv_err_set(err, CV_EINTEGRITY, "'%s' is not a casevault vault", path);
	if (s == CV_OK)
		s = pragma_int(st, "PRAGMA user_version", &ver, err);
	if (s == CV_OK && ver != CV_SCHEMA_VERSION)
		s = cv_err_set(err, CV_EINTEGRITY,
			       "'%s' has vault format %lld, which this casevault (format %d) "
			       "does not know; use a matching casevault version",
			       path, (long long)ver, CV_SCHEMA_VERSION);
	if (s == CV_OK)
		s = configure(st, err);
	if (s != CV_OK) {
		cv_store_close(st);
		return s;
	}
	*out = st;
	return CV_OK;
}

void cv_store_close(cv_store *st)
{
	if (!st)
		return;
	for (int i = 0; i < S__COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	free(st);
}

cv_status cv_store_begin(cv_store *st, cv_err *err)
{
	return exec(st, "BEGIN IMMEDIATE", err);
}

cv_status cv_store_commit(cv_store *st, cv_err *err)
{
	int rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);

	if (rc != SQLITE_OK) {
		cv_status s = db_error(st, rc, "committing", err);
		cv_store_rollback(st);
		return s;
	}
	return CV_OK;
}

void cv_store_rollback(cv_store *st)
{
	if (st && st->db && !sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Runs a statement that returns no rows. */
static cv_status run(cv_store *st, sqlite3_stmt *s, const char *doing, cv_err *err)
{
	int rc = sqlite3_step(s);

	done(s);
	if (rc != SQLITE_DONE)
		return db_error(st, rc, doing, err);
	return CV_OK;
}

cv_status cv_store_meta_put(cv_store *st, const char *key, const void *val, size_t len,
			    cv_err *err)
{
	sqlite3_stmt *s = stmt(st, S_META_PUT, err);

	if (!s)
		return CV_ERROR;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, val, (int)len, SQLITE_STATIC);
	return run(st, s, "writing vault settings", err);
}

/* Copies a blob column of exactly len bytes into out. */
static int col_blob(sqlite3_stmt *s, int col, void *out, size_t len)
{
	const void *p = sqlite3_column_blob(s, col);

	if (sqlite3_column_type(s, col) != SQLITE_BLOB ||
	    (size_t)sqlite3_column_bytes(s, col) != len || !p)
		return -1;
	memcpy(out, p, len);
	return 0;
}

/* Copies a text column of at most cap - 1 bytes into out. */
static int col_text(sqlite3_stmt *s, int col, char *out, size_t cap)
{
	const unsigned char *p = sqlite3_column_text(s, col);
	size_t n = (size_t)sqlite3_column_bytes(s, col);

	if (sqlite3_column_type(s, col) != SQLITE_TEXT || !p || n >= cap || strlen((const char *)p) != n)
		return -1;
	memcpy(out, p, n + 1);
	return 0;
}

cv_status cv_store_meta_get(cv_store *st, const char *key, void *val, size_t len, cv_err *err)
{
	sqlite3_stmt *s = stmt(st, S_META_GET, err);
	cv_status res = CV_OK;
	int rc;

	if (!s)
		return CV_ERROR;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		res = cv_err_set(err, CV_ENOTFOUND, "vault setting '%s' is missing", key);
	else if (rc != SQLITE_ROW)
		res = db_error(st, rc, "reading vault settings", err);
	else if (col_blob(s, 0, val, len) != 0)
		res = cv_err_set(err, CV_EINTEGRITY, "vault setting '%s' is malformed", key);
	done(s);
	return res;
}

cv_status cv_store_user_next_id(cv_store *st, int64_t *id, cv_err *err)
{
	sqlite3_stmt *s = stmt(st, S_USER_NEXT_ID, err);
	int rc;

	if (!s)
		return CV_ERROR;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(s, 0);
	done(s);
	if (rc != SQLITE_ROW)
		return db_error(st, rc, "adding a user", err);
	return CV_OK;
}

cv_status cv_store_user_insert(cv_store *st, const cv_user_rec *r, cv_err *err)
{
	sqlite3_stmt *s = stmt(st, S_USER_INSERT, err);

	if (!s)
		return CV_ERROR;
	sqlite3_bind_int64(s, 1, r->id);
	sqlite3_bind_text(s, 2, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, r->role, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, r->status, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 5, r->box_pk, sizeof(r->box_pk), SQLITE_STATIC);
	sqlite3_bind_blob(s, 6, r->sign_pk, sizeof(r->sign_pk), SQLITE_STATIC);
	sqlite3_bind_int64(s, 7, r->creator_id);
	sqlite3_bind_blob(s, 8, r->cert_sig, sizeof(r->cert_sig), SQLITE_STATIC);
	sqlite3_bind_int64(s, 9, r->status_version);
	sqlite3_bind_int64(s, 10, r->status_signer_id);
	sqlite3_bind_blob(s, 11, r->status_sig, sizeof(r->status_sig), SQLITE_STATIC);
	sqlite3_bind_int64(s, 12, r->kdf_alg);
	sqlite3_bind_int64(s, 13, r->kdf.t_cost);
	sqlite3_bind_int64(s, 14, r->kdf.m_cost_kib);
	sqlite3_bind_int64(s, 15, r->kdf.parallelism);
	sqlite3_bind_blob(s, 16, r->salt, sizeof(r->salt), SQLITE_STATIC);
	sqlite3_bind_blob(s, 17, r->key_nonce, sizeof(r->key_nonce), SQLITE_STATIC);
	sqlite3_bind_blob(s, 18, r->key_box, sizeof(r->key_box), SQLITE_STATIC);
	sqlite3_bind_text(s, 19, r->created, -1, SQLITE_STATIC);
	return run(st, s, "adding a user", err);
}

cv_status cv_store_user_update_status(cv_store *st, const cv_user_rec *r, cv_err *err)
{
	sqlite3_stmt *s = stmt(st, S_USER_UPDATE_STATUS, err);

	if (!s)
		return CV_ERROR;
	sqlite3_bind_int64(s, 1, r->id);
	sqlite3_bind_text(s, 2, r->status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, r->status_version);
	sqlite3_bind_int64(s, 4, r->status_signer_id);
	sqlite3_bind_blob(s, 5, r->status_sig, sizeof(r->status_sig), SQLITE_STATIC);
	return run(st, s, "updating a user", err);
}

cv_status cv_store_user_update_keys(cv_store *st, const cv_user_rec *r, cv_err *err)
{
	sqlite3_stmt *s = stmt(st, S_USER_UPDATE_KEYS, err);

	if (!s)
		return CV_ERROR;
	sqlite3_bind_int64(s, 1, r->id);
	sqlite3_bind_int64(s, 2, r->kdf_alg);
	sqlite3_bind_int64(s, 3, r->kdf.t_cost);
	sqlite3_bind_int64(s, 4, r->kdf.m_cost_kib);
	sqlite3_bind_int64(s, 5, r->kdf.parallelism);
	sqlite3_bind_blob(s, 6, r->salt, sizeof(r->salt), SQLITE_STATIC);
	sqlite3_bind_blob(s, 7, r->key_nonce, sizeof(r->key_nonce), SQLITE_STATIC);
	sqlite3_bind_blob(s, 8, r->key_box, sizeof(r->key_box), SQLITE_STATIC);
	return run(st, s, "changing a passphrase", err);
}

/* Fills r from a users row; -1 when a column is not of its documented
 * type and size (a damaged or edited row). */
static int read_user(sqlite3_stmt *s, cv_user_rec *r)
{
	int64_t t, m, p, alg;

	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(s, 0);
	if (col_text(s, 1, r->name, sizeof(r->name)) || col_text(s, 2, r->role, sizeof(r->role)) ||
	    col_text(s, 3, r->status, sizeof(r->status)) ||
	    col_blob(s, 4, r->box_pk, sizeof(r->box_pk)) ||
	    col_blob(s, 5, r->sign_pk, sizeof(r->sign_pk)) ||
	    col_blob(s, 7, r->cert_sig, sizeof(r->cert_sig)) ||
	    col_blob(s, 10, r->status_sig, sizeof(r->status_sig)) ||
	    col_blob(s, 15, r->salt, sizeof(r->salt)) ||
	    col_blob(s, 16, r->key_nonce, sizeof(r->key_nonce)) ||
	    col_blob(s, 17, r->key_box, sizeof(r->key_box)) ||
	    col_text(s, 18, r->created, sizeof(r->created)))
		return -1;
	r->creator_id = sqlite3_column_int64(s, 6);
	r->status_version = sqlite3_column_int64(s, 8);
	r->status_signer_id = sqlite3_column_int64(s, 9);
	alg = sqlite3_column_int64(s, 11);
	t = sqlite3_column_int64(s, 12);
	m = sqlite3_column_int64(s, 13);
	p = sqlite3_column_int64(s, 14);
	if (alg < 0 || alg > UINT32_MAX || t < 0 || t > UINT32_MAX || m < 0 || m > UINT32_MAX ||
	    p < 0 || p > UINT32_MAX)
		return -1;
	r->kdf_alg = (uint32_t)alg;
	r->kdf.t_cost = (uint32_t)t;
	r->kdf.m_cost_kib = (uint32_t)m;
	r->kdf.parallelism = (uint32_t)p;
	return 0;
}

static cv_status user_one(cv_store *st, sqlite3_stmt *s, const char *what, cv_user_rec *r,
			  cv_err *err)
{
	cv_status res = CV_OK;
	int rc = sqlite3_step(s);

	if (rc == SQLITE_DONE)
		res = cv_err_set(err, CV_ENOTFOUND, "no user '%s' in this vault; see 'casevault user list'",
				 what);
	else if (rc != SQLITE_ROW)
		res = db_error(st, rc, "reading a user", err);
	else if (read_user(s, r) != 0)
		res = cv_err_set(err, CV_EINTEGRITY,
				 "the record of user '%s' is malformed (tampered or damaged); "
				 "run 'casevault audit verify'",
				 what);
	done(s);
	return res;
}

cv_status cv_store_user_by_name(cv_store *st, const char *name, cv_user_rec *r, cv_err *err)
{
	sqlite3_stmt *s = stmt(st, S_USER_BY_NAME, err);

	if (!s)
		return CV_ERROR;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	return user_one(st, s, name, r, err);
}

cv_status cv_store_user_by_id(cv_store *st, int64_t id, cv_user_rec *r, cv_err *err)
{
	sqlite3_stmt *s = stmt(st, S_USER_BY_ID, err);
	char what[32];

	if (!s)
		return CV_ERROR;
	snprintf(what, sizeof(what), "#%lld", (long long)id);
	sqlite3_bind_int64(s, 1, id);
	return user_one(st, s, what, r, err);
}

cv_status cv_store_user_each(cv_store *st, cv_store_user_cb cb, void *arg, cv_err *err)
{
	sqlite3_stmt *s = stmt(st, S_USER_ALL, err);
	cv_status res = CV_OK;
	cv_user_rec r;
	int rc;

	if (!s)
		return CV_ERROR;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (read_user(s, &r) != 0) {
			res = cv_err_set(err, CV_EINTEGRITY,
					 "the record of user #%lld is malformed (tampered or "
					 "damaged)",
					 (long long)sqlite3_column_int64(s, 0));
			break;
		}
		if (cb(&r, arg) != 0)
			break;
	}
	if (res == CV_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
		res = db_error(st, rc, "listing users", err);
	done(s);
	return res;
}

cv_status cv_store_audit_head(cv_store *st, int64_t *seq, uint8_t hash[CV_HASH_LEN],
			      cv_err *err)
{
	sqlite3_stmt *s = stmt(st, S_AUDIT_HEAD, err);
	cv_status res = CV_OK;
	int rc;

	if (!s)
		return CV_ERROR;
	rc = sqlite3_step(s);
	*seq = 0;
	if (rc == SQLITE_ROW) {
		*seq = sqlite3_column_int64(s, 0);
		if (col_blob(s, 1, hash, CV_HASH_LEN) != 0)
			res = cv_err_set(err, CV_EINTEGRITY,
					 "audit row %lld has a malformed hash; run 'casevault "
					 "audit verify'",
					 (long long)*seq);
	} else if (rc != SQLITE_DONE) {
		res = db_error(st, rc, "reading the audit log", err);
	}
	done(s);
	return res;
}

cv_status cv_store_audit_insert(cv_store *st, const cv_audit_rec *r, cv_err *err)
{
	sqlite3_stmt *s = stmt(st, S_AUDIT_INSERT, err);

	if (!s)
		return CV_ERROR;
	sqlite3_bind_int64(s, 1, r->seq);
	sqlite3_bind_text(s, 2, r->time, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, r->actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, r->action, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, r->object, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, r->outcome, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, r->detail, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 8, r->prev_hash, CV_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 9, r->hash, CV_HASH_LEN, SQLITE_STATIC);
	if (r->has_sig)
		sqlite3_bind_blob(s, 10, r->sig, sizeof(r->sig), SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 10);
	return run(st, s, "writing the audit log", err);
}

/* Reads an audit row.  A malformed row is still passed up with empty
 * strings and zero hashes, so that verification reports it by seq. */
static void read_audit(sqlite3_stmt *s, cv_audit_rec *r, int *malformed)
{
	static const char *const empty = "";
	const char **txt[] = {&r->time, &r->actor, &r->action, &r->object, &r->outcome, &r->detail};

	memset(r, 0, sizeof(*r));
	*malformed = 0;
	r->seq = sqlite3_column_int64(s, 0);
	for (int i = 0; i < 6; i++) {
		const char *p = (const char *)sqlite3_column_text(s, i + 1);
		if (sqlite3_column_type(s, i + 1) != SQLITE_TEXT || !p ||
		    strlen(p) != (size_t)sqlite3_column_bytes(s, i + 1)) {
			*malformed = 1;
			p = empty;
		}
		*txt[i] = p;
	}
	if (col_blob(s, 7, r->prev_hash, CV_HASH_LEN) || col_blob(s, 8, r->hash, CV_HASH_LEN))
		*malformed = 1;
	if (sqlite3_column_type(s, 9) != SQLITE_NULL) {
		r->has_sig = 1;
		if (col_blob(s, 9, r->sig, sizeof(r->sig)))
			*malformed = 1;
	}
}

static cv_status audit_walk(cv_store *st, sqlite3_stmt *s, cv_store_audit_cb cb, void *arg,
			    int *count, cv_err *err)
{
	cv_status res = CV_OK;
	cv_audit_rec r;
	int rc, malformed;

	*count = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		read_audit(s, &r, &malformed);
		(*count)++;
		if (malformed) {
			res = cv_err_set(err, CV_EINTEGRITY,
					 "audit row %lld is malformed (a column has the wrong type "
					 "or size): the log was tampered with or damaged",
					 (long long)r.seq);
			break;
		}
		if (cb(&r, arg) != 0)
			break;
	}
	if (res == CV_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
		res = db_error(st, rc, "reading the audit log", err);
	done(s);
	return res;
}

cv_status cv_store_audit_get(cv_store *st, int64_t seq, cv_store_audit_cb cb, void *arg,
			     cv_err *err)
{
	sqlite3_stmt *s = stmt(st, S_AUDIT_GET, err);
	cv_status res;
	int count;

	if (!s)
		return CV_ERROR;
	sqlite3_bind_int64(s, 1, seq);
	res = audit_walk(st, s, cb, arg, &count, err);
	if (res == CV_OK && count == 0)
		res = cv_err_set(err, CV_ENOTFOUND, "audit row %lld does not exist", (long long)seq);
	return res;
}

cv_status cv_store_audit_each(cv_store *st, const cv_store_audit_query *q, cv_store_audit_cb cb,
			      void *arg, cv_err *err)
{
	sqlite3_stmt *s = stmt(st, S_AUDIT_QUERY, err);
	const char *p[4] = {q->actor, q->action, q->since, q->until};
	int count;

	if (!s)
		return CV_ERROR;
	for (int i = 0; i < 4; i++) {
		if (p[i])
			sqlite3_bind_text(s, i + 1, p[i], -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(s, i + 1);
	}
	sqlite3_bind_int(s, 5, q->not_ok_only ? 1 : 0);
	return audit_walk(st, s, cb, arg, &count, err);
}
