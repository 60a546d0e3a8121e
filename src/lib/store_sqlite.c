/*
 * store_sqlite.c - the SQLite backend of the store: the schema, the
 * connection settings, and every SQL statement of the program, prepared once
 * from one table; filled into cv_store_sqlite_ops.
 *
 * Layer: storage backend, called only through the dispatcher (store.c).
 * No statement holds a business word (an action, outcome or state): those
 * are bound from the arguments.  The schema's CHECK constraints are the one
 * place that names the states a column may hold (docs/FORMAT.md).
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Debian's libsqlite3 is built with the pre-update hook (§7.6 needs the
 * rows as they were before a change) */
#define SQLITE_ENABLE_PREUPDATE_HOOK
#include <sqlite3.h>

#include "buf.h"
#include "err.h"
#include "store_ops.h"
#include "banned.h"

/* 'CVLT': lets `file` and this program tell a vault from any SQLite file. */
#define CV_APPLICATION_ID 0x43564c54
#define CV_SCHEMA_VERSION CV_VAULT_FORMAT

static const char schema_sql[] =
    "CREATE TABLE meta ("
    " key TEXT PRIMARY KEY,"
    " value BLOB NOT NULL) STRICT;"
    "CREATE TABLE settings ("
    " name TEXT PRIMARY KEY,"
    " value TEXT NOT NULL,"
    " seq INTEGER NOT NULL,"
    " signer_id INTEGER NOT NULL,"
    " sig BLOB NOT NULL) STRICT;"
    "CREATE TABLE users ("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE,"
    " role TEXT NOT NULL CHECK (role IN ('counselor','supervisor','admin')),"
    " status TEXT NOT NULL CHECK (status IN ('active','disabled','pending')),"
    " box_pk BLOB NOT NULL,"
    " sign_pk BLOB NOT NULL,"
    " cert_seq INTEGER NOT NULL,"
    " creator_id INTEGER NOT NULL,"
    " cert_sig BLOB NOT NULL,"
    " status_seq INTEGER NOT NULL,"
    " status_signer_id INTEGER NOT NULL,"
    " status_sig BLOB NOT NULL,"
    " kdf_alg INTEGER NOT NULL,"
    " kdf_t INTEGER NOT NULL,"
    " kdf_m INTEGER NOT NULL,"
    " kdf_p INTEGER NOT NULL,"
    " kdf_salt BLOB NOT NULL,"
    " key_nonce BLOB NOT NULL,"
    " key_box BLOB NOT NULL,"
    " created TEXT NOT NULL,"
    " keys_seq INTEGER NOT NULL,"
    " expires TEXT NOT NULL,"
    " self_sig BLOB NOT NULL) STRICT;"
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
    " sig BLOB,"
    " rows TEXT NOT NULL) STRICT;"
    "CREATE INDEX audit_by_object ON audit (object, seq);"
    "CREATE TABLE key_history ("
    " user_id INTEGER NOT NULL REFERENCES users (id),"
    " cert_seq INTEGER NOT NULL,"
    " role TEXT NOT NULL,"
    " box_pk BLOB NOT NULL,"
    " sign_pk BLOB NOT NULL,"
    " creator_id INTEGER NOT NULL,"
    " cert_sig BLOB NOT NULL,"
    " retired_seq INTEGER NOT NULL,"
    " expires TEXT NOT NULL,"
    " self_sig BLOB NOT NULL,"
    " PRIMARY KEY (user_id, cert_seq)) STRICT;"
    "CREATE TABLE vault_keys ("
    " name TEXT NOT NULL,"
    " user_id INTEGER NOT NULL,"
    " sender_id INTEGER NOT NULL,"
    " sent_at TEXT NOT NULL,"
    " nonce BLOB NOT NULL,"
    " box BLOB NOT NULL,"
    " sig BLOB,"
    " PRIMARY KEY (name, user_id)) STRICT;"
    "CREATE TABLE cases ("
    " id TEXT PRIMARY KEY,"
    " status TEXT NOT NULL CHECK (status IN ('open','closed','shredded')),"
    " opened_by INTEGER NOT NULL REFERENCES users (id),"
    " opened_at TEXT NOT NULL,"
    " closed_at TEXT NOT NULL,"
    " version INTEGER NOT NULL,"
    " index_tag BLOB NOT NULL,"
    " key_commit BLOB NOT NULL,"
    " recovery_key BLOB NOT NULL,"
    " data_nonce BLOB NOT NULL,"
    " data_box BLOB NOT NULL,"
    " stats_box BLOB NOT NULL,"
    " signer_id INTEGER NOT NULL,"
    " mac BLOB NOT NULL,"
    " sig BLOB NOT NULL) STRICT;"
    "CREATE INDEX cases_by_tag ON cases (index_tag);"
    "CREATE TABLE grants ("
    " case_id TEXT NOT NULL REFERENCES cases (id),"
    " user_id INTEGER NOT NULL REFERENCES users (id),"
    " sender_id INTEGER NOT NULL,"
    " sent_at TEXT NOT NULL,"
    " nonce BLOB NOT NULL,"
    " box BLOB NOT NULL,"
    " sig BLOB,"
    " PRIMARY KEY (case_id, user_id)) STRICT;"
    "CREATE INDEX grants_by_user ON grants (user_id, case_id);"
    "CREATE TABLE records ("
    " id TEXT PRIMARY KEY,"
    " case_id TEXT NOT NULL REFERENCES cases (id),"
    " type TEXT NOT NULL,"
    " parent TEXT NOT NULL,"
    " kind TEXT NOT NULL,"
    " status TEXT NOT NULL,"
    " version INTEGER NOT NULL,"
    " author_id INTEGER NOT NULL,"
    " created_at TEXT NOT NULL,"
    " updated_at TEXT NOT NULL,"
    " due TEXT NOT NULL,"
    " nonce BLOB NOT NULL,"
    " box BLOB NOT NULL,"
    " stats_box BLOB NOT NULL,"
    " signer_id INTEGER NOT NULL,"
    " mac BLOB NOT NULL,"
    " sig BLOB NOT NULL) STRICT;"
    "CREATE INDEX records_by_case ON records (case_id, type, created_at);"
    "CREATE TABLE stats_releases ("
    " id INTEGER PRIMARY KEY,"
    " period_from TEXT NOT NULL,"
    " period_to TEXT NOT NULL,"
    " term_from TEXT NOT NULL,"
    " term_to TEXT NOT NULL,"
    " k INTEGER NOT NULL,"
    " epsilon INTEGER NOT NULL,"
    " cells_hash BLOB NOT NULL,"
    " released_by INTEGER NOT NULL REFERENCES users (id),"
    " released_at TEXT NOT NULL) STRICT;"
    "CREATE TABLE reviews ("
    " event TEXT PRIMARY KEY,"
    " case_id TEXT NOT NULL,"
    " reviewer_id INTEGER NOT NULL REFERENCES users (id),"
    " reviewed_at TEXT NOT NULL,"
    " seq INTEGER NOT NULL,"
    " note_box BLOB NOT NULL,"
    " sig BLOB NOT NULL) STRICT;"
    "CREATE TABLE duty ("
    " id INTEGER PRIMARY KEY,"
    " counselor_id INTEGER NOT NULL REFERENCES users (id),"
    " room TEXT NOT NULL,"
    " status TEXT NOT NULL CHECK (status IN ('open','closed')),"
    " start_utc INTEGER NOT NULL,"
    " end_utc INTEGER NOT NULL,"
    " visits INTEGER NOT NULL,"
    " created_at TEXT NOT NULL,"
    " seq INTEGER NOT NULL,"
    " signer_id INTEGER NOT NULL,"
    " sig BLOB NOT NULL) STRICT;"
    "CREATE INDEX duty_by_start ON duty (start_utc);";

enum stmt_id {
	S_META_PUT,
	S_META_GET,
	S_SETTING_PUT,
	S_SETTING_GET,
	S_SETTING_ALL,
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
	S_USER_UPDATE_IDENTITY,
	S_HISTORY_INSERT,
	S_CERT_AT,
	S_VKEY_PUT,
	S_VKEY_GET,
	S_VKEY_DELETE_USER,
	S_GRANT_DELETE_USER,
	S_CASE_INSERT,
	S_CASE_GET,
	S_CASE_UPDATE,
	S_CASE_FIND,
	S_CASE_GRANTED,
	S_SHRED_RECORDS,
	S_SHRED_GRANTS,
	S_SHRED_CASE,
	S_GRANT_PUT,
	S_GRANT_GET,
	S_GRANT_EACH_USER,
	S_RECORD_INSERT,
	S_RECORD_UPDATE,
	S_RECORD_GET,
	S_RECORD_EACH_CASE,
	S_RECORD_EACH_GRANTED,
	S_ID_TAKEN,
	S_AUDIT_LAST_SEQ,
	S_AUDIT_NEXT_SEQ,
	S_CASE_ALL,
	S_CASE_PAGE,
	S_RECORD_RANGE,
	S_CASE_ROWS,
	S_RECORD_ROWS,
	S_RELEASE_INSERT,
	S_RELEASE_OVERLAP,
	S_RELEASE_SPENT,
	S_REVIEW_INSERT,
	S_REVIEW_GET,
	S_REVIEW_ALL,
	S_RECORD_EACH_TYPE,
	S_DUTY_NEXT_ID,
	S_DUTY_INSERT,
	S_DUTY_UPDATE,
	S_DUTY_EACH,
	S_DATA_VERSION,
	S__COUNT
};

#define USER_COLS                                                                                  \
	"id, name, role, status, box_pk, sign_pk, cert_seq, creator_id, cert_sig, status_seq, "    \
	"status_signer_id, status_sig, kdf_alg, kdf_t, kdf_m, kdf_p, kdf_salt, key_nonce, "        \
	"key_box, created, keys_seq, expires, self_sig"
#define CASE_COLS                                                                                  \
	"id, status, opened_by, opened_at, closed_at, version, index_tag, key_commit, "            \
	"recovery_key, data_nonce, data_box, stats_box, signer_id, mac, sig"
#define RECORD_COLS                                                                                \
	"id, case_id, type, parent, kind, status, version, author_id, created_at, updated_at, "    \
	"due, nonce, box, signer_id, mac, sig, stats_box"
#define DUTY_COLS                                                                                  \
	"id, counselor_id, room, status, start_utc, end_utc, visits, created_at, seq, signer_id, " \
	"sig"
#define COPY_COLS "user_id, sender_id, sent_at, nonce, box, sig"
#define REVIEW_COLS "event, case_id, reviewer_id, reviewed_at, seq, note_box, sig"
#define AUDIT_COLS "seq, time, actor, action, object, outcome, detail, prev_hash, hash, sig, rows"

static const char *const stmt_sql[S__COUNT] = {
    [S_DATA_VERSION] = "PRAGMA data_version",
    [S_META_PUT] = "INSERT INTO meta (key, value) VALUES (?1, ?2)"
		   " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    [S_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [S_SETTING_PUT] = "INSERT INTO settings (name, value, seq, signer_id, sig)"
		      " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (name) DO UPDATE SET"
		      " value = excluded.value, seq = excluded.seq,"
		      " signer_id = excluded.signer_id, sig = excluded.sig",
    [S_SETTING_GET] = "SELECT name, value, seq, signer_id, sig FROM settings WHERE name = ?1",
    [S_SETTING_ALL] = "SELECT name, value, seq, signer_id, sig FROM settings ORDER BY name",
    [S_USER_NEXT_ID] = "SELECT coalesce(max(id), 0) + 1 FROM users",
    [S_USER_INSERT] = "INSERT INTO users (" USER_COLS ")"
		      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
		      " ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)",
    [S_USER_UPDATE_STATUS] = "UPDATE users SET status = ?2, status_seq = ?3,"
			     " status_signer_id = ?4, status_sig = ?5 WHERE id = ?1",
    [S_USER_UPDATE_KEYS] = "UPDATE users SET kdf_alg = ?2, kdf_t = ?3, kdf_m = ?4,"
			   " kdf_p = ?5, kdf_salt = ?6, key_nonce = ?7, key_box = ?8,"
			   " keys_seq = ?9 WHERE id = ?1",
    [S_USER_BY_NAME] = "SELECT " USER_COLS " FROM users WHERE name = ?1",
    [S_USER_BY_ID] = "SELECT " USER_COLS " FROM users WHERE id = ?1",
    [S_USER_ALL] = "SELECT " USER_COLS " FROM users ORDER BY id",
    [S_AUDIT_HEAD] = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
    [S_AUDIT_INSERT] = "INSERT INTO audit (" AUDIT_COLS ")"
		       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    [S_USER_UPDATE_IDENTITY] = "UPDATE users SET role = ?2, box_pk = ?3, sign_pk = ?4,"
			       " cert_seq = ?5, creator_id = ?6, cert_sig = ?7, expires = ?8,"
			       " self_sig = ?9 WHERE id = ?1",
    [S_HISTORY_INSERT] = "INSERT INTO key_history (user_id, cert_seq, role, box_pk, sign_pk,"
			 " creator_id, cert_sig, retired_seq, expires, self_sig)"
			 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [S_CERT_AT] = "SELECT id, name, role, box_pk, sign_pk, cert_seq, creator_id, cert_sig,"
		  " expires, self_sig FROM users WHERE id = ?1 AND cert_seq <= ?2"
		  " UNION ALL"
		  " SELECT h.user_id, u.name, h.role, h.box_pk, h.sign_pk, h.cert_seq,"
		  " h.creator_id, h.cert_sig, h.expires, h.self_sig"
		  " FROM key_history h JOIN users u ON u.id = h.user_id"
		  " WHERE h.user_id = ?1 AND h.cert_seq <= ?2"
		  " ORDER BY 6 DESC LIMIT 1",
    [S_VKEY_PUT] = "INSERT INTO vault_keys (name, " COPY_COLS ") VALUES (?1, ?2, ?3, ?4, ?5,"
		   " ?6, ?7) ON CONFLICT (name, user_id) DO UPDATE SET"
		   " sender_id = excluded.sender_id, sent_at = excluded.sent_at,"
		   " nonce = excluded.nonce, box = excluded.box, sig = excluded.sig",
    [S_VKEY_GET] = "SELECT " COPY_COLS " FROM vault_keys WHERE name = ?1 AND user_id = ?2",
    [S_VKEY_DELETE_USER] = "DELETE FROM vault_keys WHERE user_id = ?1",
    [S_GRANT_DELETE_USER] = "DELETE FROM grants WHERE user_id = ?1",
    [S_CASE_INSERT] = "INSERT INTO cases (" CASE_COLS ")"
		      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    [S_CASE_GET] = "SELECT " CASE_COLS " FROM cases WHERE id = ?1",
    [S_CASE_UPDATE] = "UPDATE cases SET status = ?2, closed_at = ?5, version = ?6,"
		      " index_tag = ?7, data_nonce = ?10, data_box = ?11, stats_box = ?12,"
		      " signer_id = ?13, mac = ?14, sig = ?15 WHERE id = ?1",
    /* Also every row whose tag is not a blob (?2 = "blob") of ?3 bytes
     * (through the tag index too), flagged in column 1: a damaged index is
     * reported, not hidden. */
    [S_CASE_FIND] = "SELECT id, typeof(index_tag) = ?2 AND length(index_tag) = ?3"
		    " FROM cases WHERE index_tag = ?1 OR rowid IN (SELECT rowid FROM cases"
		    " WHERE typeof(index_tag) != ?2 OR length(index_tag) != ?3)"
		    " ORDER BY opened_at",
    [S_CASE_GRANTED] = "SELECT c.id FROM grants g JOIN cases c ON c.id = g.case_id"
		       " WHERE g.user_id = ?1 ORDER BY c.opened_at, c.id",
    [S_CASE_ALL] = "SELECT id FROM cases ORDER BY opened_at, id",
    [S_CASE_PAGE] = "SELECT " CASE_COLS ", rowid FROM cases WHERE id > ?1 ORDER BY id LIMIT ?2",
    [S_RECORD_RANGE] = "SELECT " RECORD_COLS ", rowid FROM records WHERE case_id BETWEEN ?1 AND ?2"
		       " ORDER BY case_id, created_at, rowid",
    /* NOT INDEXED: on the table's own b-tree (an index could miss a row) */
    [S_CASE_ROWS] = "SELECT count(*) FROM cases NOT INDEXED",
    [S_RECORD_ROWS] = "SELECT count(*) FROM records NOT INDEXED",
    [S_RELEASE_INSERT] = "INSERT INTO stats_releases (period_from, period_to, k, epsilon,"
			 " cells_hash, released_by, released_at, term_from, term_to) VALUES"
			 " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [S_RELEASE_OVERLAP] = "SELECT count(*) FROM stats_releases WHERE period_from <= ?2 AND"
			  " period_to >= ?1",
    [S_RELEASE_SPENT] = "SELECT coalesce(sum(epsilon), 0) FROM stats_releases"
			" WHERE (period_from <= ?2 AND period_to >= ?1) OR"
			" (term_from <= ?2 AND term_to >= ?1)",
    [S_SHRED_RECORDS] = "DELETE FROM records WHERE case_id = ?1",
    [S_SHRED_GRANTS] = "DELETE FROM grants WHERE case_id = ?1",
    [S_SHRED_CASE] = "UPDATE cases SET status = ?2, version = ?3,"
		     " index_tag = zeroblob(32), key_commit = zeroblob(32),"
		     " recovery_key = zeroblob(0), data_nonce = zeroblob(0),"
		     " data_box = zeroblob(0), stats_box = zeroblob(0),"
		     " signer_id = ?4, mac = ?5, sig = ?6 WHERE id = ?1",
    [S_GRANT_PUT] = "INSERT INTO grants (case_id, " COPY_COLS ") VALUES (?1, ?2, ?3, ?4, ?5,"
		    " ?6, ?7) ON CONFLICT (case_id, user_id) DO UPDATE SET"
		    " sender_id = excluded.sender_id, sent_at = excluded.sent_at,"
		    " nonce = excluded.nonce, box = excluded.box, sig = excluded.sig",
    [S_GRANT_GET] = "SELECT " COPY_COLS " FROM grants WHERE case_id = ?1 AND user_id = ?2",
    [S_GRANT_EACH_USER] = "SELECT case_id FROM grants WHERE user_id = ?1 ORDER BY case_id",
    [S_RECORD_INSERT] = "INSERT INTO records (" RECORD_COLS ")"
			" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
			" ?15, ?16, ?17)",
    [S_RECORD_UPDATE] = "UPDATE records SET parent = ?4, kind = ?5, status = ?6, version = ?7,"
			" author_id = ?8, created_at = ?9, updated_at = ?10, due = ?11,"
			" nonce = ?12, box = ?13, signer_id = ?14, mac = ?15, sig = ?16,"
			" stats_box = ?17 WHERE id = ?1",
    [S_RECORD_GET] = "SELECT " RECORD_COLS " FROM records WHERE id = ?1",
    [S_RECORD_EACH_CASE] = "SELECT " RECORD_COLS " FROM records WHERE case_id = ?1"
			   " AND (?2 IS NULL OR type = ?2) ORDER BY created_at, rowid",
    [S_RECORD_EACH_GRANTED] = "SELECT r.id, r.case_id, r.type, r.parent, r.kind, r.status,"
			      " r.version, r.author_id, r.created_at, r.updated_at, r.due,"
			      " r.nonce, r.box, r.signer_id, r.mac, r.sig, r.stats_box"
			      " FROM grants g"
			      " JOIN records r ON r.case_id = g.case_id"
			      " WHERE g.user_id = ?1 AND r.type = ?2"
			      " ORDER BY r.created_at, r.rowid",
    [S_ID_TAKEN] = "SELECT 1 FROM cases WHERE id = ?1 UNION ALL"
		   " SELECT 1 FROM records WHERE id = ?1 LIMIT 1",
    /* One slot per action; unused slots are NULL and match nothing. */
    [S_AUDIT_LAST_SEQ] = "SELECT coalesce(max(seq), 0) FROM audit WHERE object = ?1"
			 " AND outcome = ?2 AND action IN (?3, ?4, ?5, ?6, ?7, ?8)",
    [S_AUDIT_NEXT_SEQ] = "SELECT coalesce(min(seq), 0) FROM audit WHERE object = ?1"
			 " AND outcome = ?2 AND action IN (?3, ?4, ?5, ?6, ?7, ?8) AND seq > ?9",
    [S_AUDIT_GET] = "SELECT " AUDIT_COLS " FROM audit WHERE seq = ?1",
    [S_AUDIT_QUERY] = "SELECT " AUDIT_COLS " FROM audit"
		      " WHERE (?1 IS NULL OR actor = ?1)"
		      " AND (?2 IS NULL OR action = ?2)"
		      " AND (?6 IS NULL OR substr(action, 1, length(?6)) = ?6)"
		      " AND (?3 IS NULL OR time >= ?3)"
		      " AND (?4 IS NULL OR time <= ?4)"
		      " AND (?5 IS NULL OR outcome <> ?5)"
		      " AND (?7 IS NULL OR outcome = ?7)"
		      " AND (?8 IS NULL OR object = ?8)"
		      " ORDER BY seq",
    [S_REVIEW_INSERT] = "INSERT INTO reviews (" REVIEW_COLS ")"
			" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [S_REVIEW_GET] = "SELECT " REVIEW_COLS " FROM reviews WHERE event = ?1",
    [S_REVIEW_ALL] = "SELECT " REVIEW_COLS " FROM reviews ORDER BY event",
    [S_RECORD_EACH_TYPE] = "SELECT " RECORD_COLS " FROM records WHERE type = ?1"
			   " ORDER BY created_at, rowid",
    [S_DUTY_NEXT_ID] = "SELECT coalesce(max(id), 0) + 1 FROM duty",
    [S_DUTY_INSERT] = "INSERT INTO duty (" DUTY_COLS ")"
		      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    [S_DUTY_UPDATE] = "UPDATE duty SET room = ?3, status = ?4, start_utc = ?5, end_utc = ?6,"
		      " visits = ?7, created_at = ?8, seq = ?9, signer_id = ?10, sig = ?11"
		      " WHERE id = ?1 AND counselor_id = ?2",
    /* An open shift (end_utc 0) meets every range that starts after it. */
    [S_DUTY_EACH] = "SELECT " DUTY_COLS " FROM duty"
		    " WHERE (?1 = 0 OR counselor_id = ?1) AND (?2 IS NULL OR status = ?2)"
		    " AND start_utc < ?4 AND (end_utc > ?3 OR end_utc = 0)"
		    " ORDER BY start_utc, id",
};

/* The backend state behind a cv_store.  erasing: the open transaction
 * erased content; wal_dirty: a committed erasure whose old pages may still
 * be in the write-ahead log (the checkpoint did not run or failed). */
/* A row the open transaction inserted, changed or deleted since its last
 * audit row (from the pre-update hook), for the log's commitments: with
 * its columns as they were before the first of those changes (old, nold
 * values; NULL when the row did not exist then). */
struct touch {
	char table[32];
	sqlite3_int64 rowid;
	sqlite3_value **old;
	int nold;
};

struct sq {
	sqlite3 *db;
	sqlite3_stmt *stmt[S__COUNT];
	int erasing;
	int wal_dirty;
	struct touch *touched;
	size_t ntouched, cap;
	int touch_oom;	/* a touch could not be recorded: the commit must fail */
	cv_buf scratch; /* row hashes of the walks that give them */
};

static void sq_close(void *be);
static void sq_rollback(void *be);
static void touch_clear(struct sq *st);
static cv_status check_schema(struct sq *st, const char *path, cv_err *err);
static cv_status audit_walk(struct sq *st, sqlite3_stmt *s, cv_store_audit_cb cb, void *arg,
			    int *count, cv_err *err);

static cv_status db_error(struct sq *st, int rc, const char *doing, cv_err *err)
{
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return cv_err_set(err, CV_ERROR,
				  "the vault is busy (another casevault command is using it); "
				  "try again");
	if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB)
		return cv_fail(err, CV_EINTEGRITY, "error",
			       "the vault file is damaged ({1}); restore it from a backup",
			       sqlite3_errstr(rc));
	if (rc == SQLITE_FULL)
		return cv_fail(err, CV_ERROR, "error",
			       "the disk is full while {1}; nothing was changed", doing);
	return cv_fail(err, CV_ERROR, "error", "database error while {1}: {2}", doing,
		       st && st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
}

/* Returns the prepared, reset statement id, preparing it on first use. */
static sqlite3_stmt *stmt(struct sq *st, enum stmt_id id, cv_err *err)
{
	int rc;

	if (!st->stmt[id]) {
		rc = sqlite3_prepare_v3(st->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
					&st->stmt[id], NULL);
		if (rc != SQLITE_OK) {
			db_error(st, rc, CV_PHRASE("preparing a statement"), err);
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

static cv_status exec(struct sq *st, const char *sql, cv_err *err)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return db_error(st, rc, CV_PHRASE("configuring the vault"), err);
	return CV_OK;
}

static cv_status configure(struct sq *st, cv_err *err)
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

/* ---- row commitments ----------------------------------------------------- */

static int col_text(sqlite3_stmt *s, int col, char *out, size_t cap);

/* The first line of SQLite's integrity report kept for a finding. */
#define STRUCTURE_REPORT_MAX 160

#define LOG_TABLE "audit" /* the log itself is not committed to in the log */

/* The pre-update hook: notes each row of the main database that an
 * INSERT, UPDATE or DELETE touches (a REPLACE's and a cascade's deletions
 * too), the first time since the last audit row, with a copy of its
 * columns as they were (every table of the schema has a rowid). */
static void touch_row(struct sq *st, const char *table, sqlite3_int64 rowid, int with_old)
{
	struct touch *t;

	for (size_t i = 0; i < st->ntouched; i++)
		if (st->touched[i].rowid == rowid && strcmp(st->touched[i].table, table) == 0)
			return;
	if (strlen(table) >= sizeof(t->table)) {
		st->touch_oom = 1;
		return;
	}
	if (st->ntouched == st->cap) {
		size_t cap = st->cap ? 2 * st->cap : 16;
		t = realloc(st->touched, cap * sizeof(*t));
		if (!t) {
			st->touch_oom = 1;
			return;
		}
		st->touched = t;
		st->cap = cap;
	}
	t = &st->touched[st->ntouched++];
	snprintf(t->table, sizeof(t->table), "%s", table);
	t->rowid = rowid;
	t->old = NULL;
	t->nold = 0;
	if (!with_old)
		return;
	t->nold = sqlite3_preupdate_count(st->db);
	t->old = t->nold > 0 ? calloc((size_t)t->nold, sizeof(*t->old)) : NULL;
	for (int i = 0; t->old && i < t->nold; i++) {
		sqlite3_value *v = NULL;

		if (sqlite3_preupdate_old(st->db, i, &v) != SQLITE_OK ||
		    !(t->old[i] = sqlite3_value_dup(v)))
			st->touch_oom = 1;
	}
	if (!t->old)
		st->touch_oom = 1;
}

static void on_change(void *arg, sqlite3 *db, int op, const char *dbname, const char *table,
		      sqlite3_int64 oldrowid, sqlite3_int64 newrowid)
{
	struct sq *st = arg;

	(void)db;
	if (strcmp(dbname, "main") != 0 || strcmp(table, LOG_TABLE) == 0)
		return;
	if (op != SQLITE_INSERT)
		touch_row(st, table, oldrowid, 1);
	if (op == SQLITE_INSERT || (op == SQLITE_UPDATE && newrowid != oldrowid))
		touch_row(st, table, newrowid, 0);
}

static void touch_clear(struct sq *st)
{
	for (size_t i = 0; i < st->ntouched; i++) {
		for (int j = 0; j < st->touched[i].nold && st->touched[i].old; j++)
			sqlite3_value_free(st->touched[i].old[j]);
		free(st->touched[i].old);
	}
	st->ntouched = 0;
	st->touch_oom = 0;
}

/* Appends one column value to b: u8 type || lp(bytes) (docs/FORMAT.md
 * "row hash"). */
static void put_sqlvalue(cv_buf *b, sqlite3_value *val)
{
	int type = sqlite3_value_type(val);
	uint8_t tag = type == SQLITE_INTEGER ? 1
		      : type == SQLITE_FLOAT ? 2
		      : type == SQLITE_TEXT  ? 3
		      : type == SQLITE_BLOB  ? 4
					     : 0;
	uint8_t num[8];

	cv_buf_raw(b, &tag, 1);
	if (type == SQLITE_INTEGER || type == SQLITE_FLOAT) {
		uint64_t v;

		if (type == SQLITE_INTEGER) {
			v = (uint64_t)sqlite3_value_int64(val);
		} else {
			double d = sqlite3_value_double(val);
			memcpy(&v, &d, sizeof(v));
		}
		cv_store_u64be(num, v);
		cv_buf_u32(b, sizeof(num));
		cv_buf_raw(b, num, sizeof(num));
	} else if (type == SQLITE_TEXT || type == SQLITE_BLOB) {
		const void *p = type == SQLITE_TEXT ? (const void *)sqlite3_value_text(val)
						    : sqlite3_value_blob(val);
		int n = sqlite3_value_bytes(val);

		cv_buf_u32(b, (uint32_t)n);
		cv_buf_raw(b, p, (size_t)n);
	} else {
		cv_buf_u32(b, 0);
	}
}

static void put_value(cv_buf *b, sqlite3_stmt *s, int col)
{
	put_sqlvalue(b, sqlite3_column_value(s, col));
}

/* The hash of the current row of s: BLAKE2b-256("casevault-row-v1" ||
 * lp(table) || u64be(rowid) || for each column of the table, in its
 * order: lp(name) || value), the rowid in column rowid_col and the table's
 * columns in cols[0..n) (NULL: columns 1.. of "SELECT rowid, *"). */
static int row_hash_cols(sqlite3_stmt *s, const char *table, int rowid_col, const int *cols, int n,
			 uint8_t out[CV_HASH_LEN], cv_buf *b)
{
	cv_bytes part;

	/* b: the caller's scratch, emptied here and kept for the next row
	 * (an allocation that failed for an earlier row is tried again) */
	b->len = 0;
	b->oom = 0;
	cv_buf_lp(b, table);
	cv_buf_u64(b, (uint64_t)sqlite3_column_int64(s, rowid_col));
	for (int i = 0; i < n; i++) {
		int col = cols ? cols[i] : i + 1;

		cv_buf_lp(b, sqlite3_column_name(s, col));
		put_value(b, s, col);
	}
	if (b->oom)
		return -1;
	part = (cv_bytes){b->data, b->len};
	cv_hash(out, NULL, 0, "casevault-row-v1", &part, 1);
	return 0;
}

static int row_hash(sqlite3_stmt *s, const char *table, uint8_t out[CV_HASH_LEN], cv_buf *b)
{
	return row_hash_cols(s, table, 0, NULL, sqlite3_column_count(s) - 1, out, b);
}

/* The hash of t's row as it was before the change (t->old), the column
 * names those of s ("SELECT rowid, * FROM" the table); -1 when the
 * columns differ in number, or out of memory. */
static int old_row_hash(const struct touch *t, sqlite3_stmt *s, uint8_t out[CV_HASH_LEN], cv_buf *b)
{
	cv_bytes part;

	if (t->nold != sqlite3_column_count(s) - 1)
		return -1;
	b->len = 0;
	b->oom = 0;
	cv_buf_lp(b, t->table);
	cv_buf_u64(b, (uint64_t)t->rowid);
	for (int i = 0; i < t->nold; i++) {
		cv_buf_lp(b, sqlite3_column_name(s, i + 1));
		put_sqlvalue(b, t->old[i]);
	}
	if (b->oom)
		return -1;
	part = (cv_bytes){b->data, b->len};
	cv_hash(out, NULL, 0, "casevault-row-v1", &part, 1);
	return 0;
}

/* The column of s ("SELECT rowid, * FROM" a table) named signer_id, or -1. */
static int signer_col(sqlite3_stmt *s)
{
	for (int i = 1; i < sqlite3_column_count(s); i++)
		if (strcmp(sqlite3_column_name(s, i), "signer_id") == 0)
			return i;
	return -1;
}

/* The table's columns in S_CASE_PAGE ("SELECT CASE_COLS, rowid") and
 * S_RECORD_RANGE ("SELECT RECORD_COLS, rowid"), in the tables' order. */
static const int case_page_cols[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14};
static const int record_range_cols[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 16, 13, 14, 15};
#define NCASE_COLS ((int)(sizeof(case_page_cols) / sizeof(case_page_cols[0])))
#define NRECORD_COLS ((int)(sizeof(record_range_cols) / sizeof(record_range_cols[0])))

static int cmp_touch(const void *a, const void *b)
{
	const struct touch *x = a, *y = b;
	int c = strcmp(x->table, y->table);

	return c ? c : (x->rowid > y->rowid) - (x->rowid < y->rowid);
}

/* Whether the commitments to table's rows name the signer of the row as
 * it was (docs/FORMAT.md §7.6): the rows signed by whoever wrote them. */
static int signed_table(const char *table)
{
	return strcmp(table, "cases") == 0 || strcmp(table, "records") == 0;
}

/* Appends "TABLE:ROWID:NEW:OLD[:SIGNER]" for t to b (s: "SELECT rowid, *
 * FROM" its table, stepped to rc); 0, or 1 when the row neither is nor
 * was (inserted and removed again: nothing to commit to), or -1 out of
 * memory. */
static int commit_entry(cv_buf *b, const struct touch *t, sqlite3_stmt *q, int rc, cv_buf *scratch)
{
	char hex[2 * CV_HASH_LEN + 1], head[64];
	uint8_t h[CV_HASH_LEN];

	if (rc != SQLITE_ROW && !t->old)
		return 1;
	snprintf(head, sizeof(head), "%s%s:%lld:", b->len ? " " : "", t->table,
		 (long long)t->rowid);
	cv_buf_raw(b, head, strlen(head));
	if (rc == SQLITE_ROW) {
		if (row_hash(q, t->table, h, scratch) != 0)
			return -1;
		sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
		cv_buf_raw(b, hex, 2 * CV_HASH_LEN);
	} else {
		cv_buf_raw(b, "-", 1);
	}
	cv_buf_raw(b, ":", 1);
	if (t->old) {
		if (old_row_hash(t, q, h, scratch) != 0)
			return -1;
		sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
		cv_buf_raw(b, hex, 2 * CV_HASH_LEN);
	} else {
		cv_buf_raw(b, "-", 1);
	}
	if (signed_table(t->table)) {
		int col = signer_col(q);
		sqlite3_int64 signer = 0;

		/* the old row's signer_id; 0 when it was not an integer */
		if (t->old && col > 0 && sqlite3_value_type(t->old[col - 1]) == SQLITE_INTEGER)
			signer = sqlite3_value_int64(t->old[col - 1]);
		if (t->old)
			snprintf(head, sizeof(head), ":%lld", (long long)signer);
		else
			snprintf(head, sizeof(head), ":-");
		cv_buf_raw(b, head, strlen(head));
	}
	return b->oom ? -1 : 0;
}

static cv_status sq_row_commits(void *be, char **out, cv_err *err)
{
	struct sq *st = be;
	cv_buf b = CV_BUF_INIT, scratch = CV_BUF_INIT;
	cv_status res = CV_OK;

	*out = NULL;
	if (st->touch_oom)
		return cv_err_set(err, CV_ERROR, "out of memory while recording changed rows");
	if (st->ntouched)
		qsort(st->touched, st->ntouched, sizeof(*st->touched), cmp_touch);
	for (size_t i = 0; i < st->ntouched && res == CV_OK; i++) {
		const struct touch *t = &st->touched[i];
		char *sql =
		    sqlite3_mprintf("SELECT rowid, * FROM \"%w\" WHERE rowid = ?1", t->table);
		sqlite3_stmt *q = NULL;
		int rc;

		if (!sql || sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK) {
			sqlite3_free(sql);
			sqlite3_finalize(q);
			res = cv_fail(err, CV_ERROR, "error", "cannot read a changed row of '{1}'",
				      t->table);
			break;
		}
		sqlite3_free(sql);
		sqlite3_bind_int64(q, 1, t->rowid);
		rc = sqlite3_step(q);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			res = db_error(st, rc, CV_PHRASE("reading a changed row"), err);
		else if (commit_entry(&b, t, q, rc, &scratch) < 0)
			res = cv_err_set(err, CV_ERROR, "out of memory");
		sqlite3_finalize(q);
	}
	cv_buf_free(&scratch);
	cv_buf_raw(&b, "", 1); /* the NUL */
	if (res == CV_OK && b.oom)
		res = cv_err_set(err, CV_ERROR, "out of memory");
	if (res == CV_OK) {
		*out = (char *)b.data;
		touch_clear(st);
	} else {
		cv_buf_free(&b);
	}
	return res;
}

/* Whether table is one of skip (NULL-terminated; NULL: none). */
static int skipped(const char *table, const char *const *skip)
{
	for (; skip && *skip; skip++)
		if (strcmp(table, *skip) == 0)
			return 1;
	return 0;
}

/* The walk of cv_store_row_each on db, but for the tables in skip; st
 * names errors (NULL: SQLite's own words). */
static cv_status rows_walk(sqlite3 *db, struct sq *st, const char *const *skip, cv_store_row_cb cb,
			   void *arg, cv_err *err)
{
	sqlite3_stmt *tables = NULL;
	cv_buf scratch = CV_BUF_INIT;
	cv_status res = CV_OK;
	int rc, stop = 0;

	rc = sqlite3_prepare_v2(db,
				"SELECT name FROM sqlite_schema WHERE type = 'table' AND"
				" name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> ?1"
				" ORDER BY name",
				-1, &tables, NULL);
	if (rc != SQLITE_OK)
		return db_error(st, rc, CV_PHRASE("reading the schema"), err);
	sqlite3_bind_text(tables, 1, LOG_TABLE, -1, SQLITE_STATIC);
	while (!stop && res == CV_OK && (rc = sqlite3_step(tables)) == SQLITE_ROW) {
		char table[64];
		char *sql;
		sqlite3_stmt *q = NULL;
		int signer;

		if (col_text(tables, 0, table, sizeof(table)) != 0) {
			res =
			    cv_fail(err, CV_EINTEGRITY, "rows.table", "a table name is malformed");
			break;
		}
		if (skipped(table, skip))
			continue;
		sql = sqlite3_mprintf("SELECT rowid, * FROM \"%w\" ORDER BY rowid", table);
		if (!sql) {
			res = cv_err_set(err, CV_ERROR, "out of memory");
			break;
		}
		if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) {
			sqlite3_free(sql);
			sqlite3_finalize(q);
			/* every table of the vault's has a rowid: one read
			 * otherwise (WITHOUT ROWID, virtual) was planted */
			res = cv_fail(
			    err, CV_EINTEGRITY, "rows.table",
			    "table '{1}' is not one of the vault's: it was planted; restore "
			    "the vault from a backup",
			    table);
			break;
		}
		sqlite3_free(sql);
		signer = signer_col(q);
		while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW) {
			uint8_t h[CV_HASH_LEN];

			if (row_hash(q, table, h, &scratch) != 0) {
				res = cv_err_set(err, CV_ERROR, "out of memory");
				break;
			}
			stop = cb(table, sqlite3_column_int64(q, 0), h,
				  signer > 0 && sqlite3_column_type(q, signer) == SQLITE_INTEGER
				      ? sqlite3_column_int64(q, signer)
				      : 0,
				  arg);
		}
		if (res == CV_OK && !stop && rc != SQLITE_DONE)
			res = db_error(st, rc, CV_PHRASE("reading the vault's rows"), err);
		sqlite3_finalize(q);
	}
	if (res == CV_OK && !stop && rc != SQLITE_DONE)
		res = db_error(st, rc, CV_PHRASE("reading the schema"), err);
	sqlite3_finalize(tables);
	cv_buf_free(&scratch);
	return res;
}

static cv_status sq_row_each(void *be, cv_store_row_cb cb, void *arg, cv_err *err)
{
	struct sq *st = be;

	return rows_walk(st->db, st, NULL, cb, arg, err);
}

/* The first line of PRAGMA integrity_check(1) on db into first (printable
 * ASCII only: the report names tables and indexes, which a crafted file
 * chooses); an SQLite result code. */
static int integrity_first(sqlite3 *db, char first[STRUCTURE_REPORT_MAX])
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check(1)", -1, &s, NULL);

	first[0] = '\0';
	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *p = sqlite3_column_text(s, 0);
		size_t i = 0;

		for (; p && p[i] && i + 1 < STRUCTURE_REPORT_MAX; i++)
			first[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
		first[i] = '\0';
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	return rc;
}

/* What integrity_first found, as the store reports it. */
static cv_status structure_result(struct sq *st, int rc, const char *first, cv_err *err)
{
	if (rc != SQLITE_OK && rc != SQLITE_CORRUPT && rc != SQLITE_NOTADB)
		return db_error(st, rc, CV_PHRASE("checking the vault's structure"), err);
	if (rc != SQLITE_OK || strcmp(first, "ok") != 0)
		return cv_fail(err, CV_EINTEGRITY, "vault.structure",
			       "the vault file's structure does not check ({1}): an index or a "
			       "page was altered or damaged; restore it from a backup",
			       first[0] ? first : "damaged");
	return CV_OK;
}

/* SQLite's own check of the file: every page, every b-tree, and every
 * index against its table (an index whose pages were swapped or edited
 * could hide a row from a lookup that no walk in rowid order would miss).
 * The first fault it reports is named. */
static cv_status sq_structure_check(void *be, cv_err *err)
{
	struct sq *st = be;
	char first[STRUCTURE_REPORT_MAX];

	return structure_result(st, integrity_first(st->db, first), first, err);
}

/* The same check on a second connection, in a thread (store.h
 * cv_store_structure_start). */
struct sq_check {
	sqlite3 *db;
	pthread_t tid;
	int rc;
	char first[STRUCTURE_REPORT_MAX];
	/* The caller's work on a third connection, in a thread of its own
	 * (cv_store_beside) */
	sqlite3 *rows_db;
	pthread_t rows_tid;
	int rows_started;
	void (*fn)(void *arg);
	void *arg;
};

/* The regular files this process has open: descriptor, device, inode. */
#define OPEN_FILES_MAX 256
struct open_files {
	size_t n;
	int fd[OPEN_FILES_MAX];
	dev_t dev[OPEN_FILES_MAX];
	ino_t ino[OPEN_FILES_MAX];
};

/* 0, or -1 when they cannot all be listed. */
static int open_files(struct open_files *f)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int rc = 0;

	f->n = 0;
	if (!d)
		return -1;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);
		struct stat sb;

		if (*end || end == e->d_name || fd == dirfd(d) || fstat((int)fd, &sb) != 0 ||
		    !S_ISREG(sb.st_mode))
			continue;
		if (f->n == OPEN_FILES_MAX) {
			rc = -1;
			break;
		}
		f->fd[f->n] = (int)fd;
		f->dev[f->n] = sb.st_dev;
		f->ino[f->n++] = sb.st_ino;
	}
	closedir(d);
	return rc;
}

/* Whether every regular file open in after was open in before (the same
 * file, maybe under another descriptor). */
static int no_new_files(const struct open_files *before, const struct open_files *after)
{
	for (size_t i = 0; i < after->n; i++) {
		int known = 0;

		for (size_t j = 0; j < before->n && !known; j++)
			known = before->dev[j] == after->dev[i] && before->ino[j] == after->ino[i];
		if (!known)
			return 0;
	}
	return 1;
}

static void *structure_thread(void *arg)
{
	struct sq_check *k = arg;

	k->rc = integrity_first(k->db, k->first);
	return NULL;
}

static void *rows_thread(void *arg)
{
	struct sq_check *k = arg;

	k->fn(k->arg);
	return NULL;
}

static void reader_close(sqlite3 *db)
{
	if (db) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close(db);
	}
}

static void check_close(struct sq_check *k)
{
	reader_close(k->db);
	reader_close(k->rows_db);
	free(k);
}

/* A read-only connection to path, in a read transaction, defended as the
 * first is (configure); NULL when any of it fails. */
static sqlite3 *reader_open(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db,
			    SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK ||
	    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL) != SQLITE_OK ||
	    sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL) != SQLITE_OK ||
	    sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_VIEW, 0, NULL) != SQLITE_OK ||
	    sqlite3_exec(db,
			 "PRAGMA trusted_schema = OFF; BEGIN; SELECT count(*) FROM sqlite_schema;",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_txn_state(db, "main") != SQLITE_TXN_READ) {
		reader_close(db);
		return NULL;
	}
	return db;
}

/*
 * The second connection reads the files the first has open, and the same
 * rows: the first holds the write lock, so its snapshot is the last commit,
 * and the second's read transaction begins after that commit and before any
 * other.  That it opened the same files is checked on the descriptors
 * themselves (by device and inode, before and after it opened them), not on
 * the path, which one with the directory could have pointed elsewhere.
 * Anything short of that, and the check runs on the first connection.
 */
static cv_status sq_structure_start(void *be, void **out, cv_err *err)
{
	struct sq *st = be;
	const char *path = sqlite3_db_filename(st->db, "main");
	struct open_files before, after;
	struct sq_check *k;

	(void)err;
	*out = NULL;
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2 || !path || !*path ||
	    sqlite3_txn_state(st->db, "main") != SQLITE_TXN_WRITE || open_files(&before) != 0 ||
	    !(k = calloc(1, sizeof(*k))))
		return CV_OK;
	if (!(k->db = reader_open(path)) || !(k->rows_db = reader_open(path)) ||
	    open_files(&after) != 0 || !no_new_files(&before, &after) ||
	    pthread_create(&k->tid, NULL, structure_thread, k) != 0) {
		check_close(k);
		return CV_OK;
	}
	*out = k;
	return CV_OK;
}

/* fn(arg) in a thread of its own, which may read through the third
 * connection (sq_check_audit_each, sq_check_row_each); 0 when it started. */
static int sq_beside(void *check, void (*fn)(void *arg), void *arg)
{
	struct sq_check *k = check;

	if (k->rows_started || !k->rows_db)
		return -1;
	k->fn = fn;
	k->arg = arg;
	if (pthread_create(&k->rows_tid, NULL, rows_thread, k) != 0)
		return -1;
	k->rows_started = 1;
	return 0;
}

static cv_status sq_check_audit_each(void *check, cv_store_audit_cb cb, void *arg, cv_err *err)
{
	struct sq_check *k = check;
	sqlite3_stmt *s = NULL;
	cv_status res;
	int count, rc = sqlite3_prepare_v2(k->rows_db, stmt_sql[S_AUDIT_QUERY], -1, &s, NULL);

	if (rc != SQLITE_OK)
		return db_error(NULL, rc, CV_PHRASE("reading the audit log"), err);
	/* every filter NULL: the whole log, in seq order */
	res = audit_walk(NULL, s, cb, arg, &count, err);
	sqlite3_finalize(s);
	return res;
}

static cv_status sq_check_row_each(void *check, const char *const *skip, cv_store_row_cb cb,
				   void *arg, cv_err *err)
{
	struct sq_check *k = check;

	return rows_walk(k->rows_db, NULL, skip, cb, arg, err);
}

static void sq_beside_wait(void *check)
{
	struct sq_check *k = check;

	if (!k->rows_started)
		return;
	pthread_join(k->rows_tid, NULL);
	k->rows_started = 0;
}

static cv_status sq_structure_finish(void *check, cv_err *err)
{
	struct sq_check *k = check;
	char first[STRUCTURE_REPORT_MAX];
	int rc;

	sq_beside_wait(k);
	pthread_join(k->tid, NULL);
	rc = k->rc;
	memcpy(first, k->first, sizeof(first));
	check_close(k);
	return structure_result(NULL, rc, first, err);
}

/* SQLite's settings for the whole process, before its first connection:
 * no count of the memory it uses (nothing here reads it), which would
 * take a lock around every allocation.  When the process had already
 * used SQLite, the setting is refused and nothing changes. */
static void sq_global_config(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static cv_status open_db(const char *path, int flags, struct sq **out, cv_err *err)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct sq *st;
	int rc;

	*out = NULL;
	pthread_once(&once, sq_global_config);
	st = calloc(1, sizeof(*st));
	if (!st)
		return cv_err_set(err, CV_ERROR, "out of memory");
	/* One connection, used by one thread at a time (the verification's
	 * signature threads never touch it): no mutex on every call. */
	rc = sqlite3_open_v2(path, &st->db, flags | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		cv_status s = db_error(st, rc, CV_PHRASE("opening the vault"), err);
		sq_close(st);
		return s;
	}
	sqlite3_preupdate_hook(st->db, on_change, st);
	*out = st;
	return CV_OK;
}

static cv_status sq_create(const char *path, void **out, cv_err *err)
{
	struct sq *st = NULL;
	cv_status s;
	int fd;

	*out = NULL;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			return cv_fail(err, CV_EUSAGE, "vault.exists",
				       "'{1}' already exists; casevault never overwrites a file: "
				       "choose another path or remove it yourself",
				       path);
		return cv_fail(err, CV_ERROR, "error", "cannot create '{1}': {2}", path,
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
	if (s == CV_OK) {
		char pragmas[96];

		/* PRAGMA takes no bound parameters: the two numbers are ours. */
		snprintf(pragmas, sizeof(pragmas),
			 "PRAGMA application_id = %d; PRAGMA user_version = %d;", CV_APPLICATION_ID,
			 CV_SCHEMA_VERSION);
		s = exec(st, pragmas, err);
	}
	if (s == CV_OK)
		s = exec(st, "COMMIT", err);
	if (s != CV_OK)
		goto fail;
	*out = st;
	return CV_OK;
fail:
	sq_close(st);
	unlink(path);
	return s;
}

static cv_status pragma_int(struct sq *st, const char *sql, int64_t *v, cv_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		*v = sqlite3_column_int64(s, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_OK)
		return db_error(st, rc, CV_PHRASE("reading the vault header"), err);
	return CV_OK;
}

static cv_status sq_open(const char *path, void **out, cv_err *err)
{
	struct sq *st = NULL;
	struct stat sb;
	int64_t app = 0, ver = 0;
	char a[24], b[24];
	cv_status s;

	*out = NULL;
	if (lstat(path, &sb) != 0) {
		if (errno == ENOENT)
			return cv_fail(
			    err, CV_ENOTFOUND, "vault.not-found",
			    "no vault at '{1}'; create one with 'casevault init' or give "
			    "--vault PATH",
			    path);
		return cv_fail(err, CV_ERROR, "error", "cannot open '{1}': {2}", path,
			       strerror(errno));
	}
	if (!S_ISREG(sb.st_mode))
		return cv_fail(err, CV_EUSAGE,
			       S_ISLNK(sb.st_mode) ? "vault.symlink" : "vault.not-a-file",
			       "'{1}' is not a regular file (symbolic links are refused); give "
			       "the vault's real path",
			       path);
	s = open_db(path, SQLITE_OPEN_READWRITE, &st, err);
	if (s != CV_OK)
		return s;
	s = pragma_int(st, "PRAGMA application_id", &app, err);
	if (s == CV_OK && app != CV_APPLICATION_ID)
		s = cv_fail(err, CV_EINTEGRITY, "vault.not-a-vault",
			    "'{1}' is not a casevault vault", path);
	if (s == CV_OK)
		s = pragma_int(st, "PRAGMA user_version", &ver, err);
	if (s == CV_OK && ver != CV_SCHEMA_VERSION)
		s = cv_fail(
		    err, CV_EINTEGRITY, "vault.version",
		    "'{1}' has vault format {2}, which this casevault (format {3}) does not "
		    "know; use a matching casevault version",
		    path, cv_num(a, ver), cv_num(b, CV_SCHEMA_VERSION));
	if (s == CV_OK)
		s = check_schema(st, path, err);
	if (s == CV_OK)
		s = configure(st, err);
	if (s != CV_OK) {
		sq_close(st);
		return s;
	}
	*out = st;
	return CV_OK;
}

/* The statement of schema_sql that creates name (its text, without the
 * ';', into *sql, *n), or 0 when none does. */
static int schema_statement(const char *name, const char **sql, size_t *n)
{
	for (const char *p = schema_sql; *p;) {
		const char *end = strchr(p, ';'), *word;
		size_t len = strlen(name);

		if (!end)
			end = p + strlen(p);
		word = strncmp(p, "CREATE TABLE ", 13) == 0   ? p + 13
		       : strncmp(p, "CREATE INDEX ", 13) == 0 ? p + 13
							      : NULL;
		if (word && (size_t)(end - word) > len && strncmp(word, name, len) == 0 &&
		    word[len] == ' ') {
			*sql = p;
			*n = (size_t)(end - p);
			return 1;
		}
		p = *end ? end + 1 : end;
	}
	return 0;
}

/*
 * The file's schema for the vault's own tables is schema_sql's, statement
 * for statement (docs/FORMAT.md §3): an edited table (a column, a
 * constraint, a foreign key with a cascade that would make an honest
 * command delete other rows), an index or trigger added to one of them,
 * or one missing, is refused before anything is read.  Tables planted
 * beside them are left to the verification (§7.6), and SQLite's own
 * automatic indexes (no SQL) go with the tables that make them.
 */
static cv_status check_schema(struct sq *st, const char *path, cv_err *err)
{
	sqlite3_stmt *q = NULL;
	cv_status res = CV_OK;
	size_t found = 0, want = 0;
	int rc;

	for (const char *p = schema_sql; *p; p++)
		want += *p == ';';
	rc = sqlite3_prepare_v2(st->db, "SELECT type, name, tbl_name, sql FROM sqlite_schema", -1,
				&q, NULL);
	if (rc != SQLITE_OK)
		return db_error(st, rc, CV_PHRASE("reading the schema"), err);
	while (res == CV_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *type = (const char *)sqlite3_column_text(q, 0);
		const char *name = (const char *)sqlite3_column_text(q, 1);
		const char *table = (const char *)sqlite3_column_text(q, 2);
		const char *sql = (const char *)sqlite3_column_text(q, 3), *mine;
		size_t n = 0;
		int ok;

		if (!type || !name || !table) {
			ok = 0;
		} else if (schema_statement(name, &mine, &n)) {
			ok = sql && strlen(sql) == n && strncmp(sql, mine, n) == 0 &&
			     strcmp(type, strncmp(mine, "CREATE TABLE", 12) == 0 ? "table"
										 : "index") == 0;
			found += ok;
		} else if (schema_statement(table, &mine, &n)) {
			/* on a table of the vault's: only what its own
			 * constraints make */
			ok = !sql && strcmp(type, "index") == 0 &&
			     strncmp(name, "sqlite_autoindex_", 17) == 0;
		} else {
			ok = 1;
		}
		if (!ok)
			res = cv_fail(err, CV_EINTEGRITY, "vault.schema",
				      "the schema of '{1}' was changed ('{2}' is not the vault's "
				      "own): the vault was tampered with; restore it from a backup",
				      path, name ? name : "?");
	}
	if (res == CV_OK && rc != SQLITE_DONE)
		res = db_error(st, rc, CV_PHRASE("reading the schema"), err);
	sqlite3_finalize(q);
	if (res == CV_OK && found != want)
		res = cv_fail(err, CV_EINTEGRITY, "vault.schema",
			      "the schema of '{1}' was changed (a table or index of the vault's "
			      "is missing): the vault was tampered with; restore it from a backup",
			      path);
	return res;
}

/* Copies what the write-ahead log holds into the main file and truncates
 * the log to zero bytes, so that pages erased by secure_delete leave no
 * older copy there.  On failure (a reader holds the log) wal_dirty stays
 * set and the next commit or the close tries again. */
static void flush_wal(struct sq *st)
{
	if (sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL) ==
	    SQLITE_OK)
		st->wal_dirty = 0;
}

/* Notes that the statement just run erased content: flushed at the commit
 * of the open transaction, or at once outside of one. */
static void erased(struct sq *st)
{
	if (sqlite3_get_autocommit(st->db)) {
		st->wal_dirty = 1;
		flush_wal(st);
	} else {
		st->erasing = 1;
	}
}

static void sq_close(void *be)
{
	struct sq *st = be;

	if (!st)
		return;
	if (st->db && st->wal_dirty && sqlite3_get_autocommit(st->db))
		flush_wal(st);
	for (int i = 0; i < S__COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	touch_clear(st);
	sqlite3_close(st->db);
	free(st->touched);
	cv_buf_free(&st->scratch);
	free(st);
}

static cv_status sq_begin(void *be, cv_err *err)
{
	struct sq *st = be;

	st->erasing = 0;
	touch_clear(st);
	return exec(st, "BEGIN IMMEDIATE", err);
}

static cv_status sq_commit(void *be, cv_err *err)
{
	struct sq *st = be;
	int rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);

	if (rc != SQLITE_OK) {
		cv_status s = db_error(st, rc, CV_PHRASE("committing"), err);
		sq_rollback(st);
		return s;
	}
	/* The change is committed whatever the checkpoint does. */
	st->wal_dirty |= st->erasing;
	st->erasing = 0;
	if (st->wal_dirty)
		flush_wal(st);
	return CV_OK;
}

static void sq_rollback(void *be)
{
	struct sq *st = be;

	if (st) {
		st->erasing = 0;
		touch_clear(st);
	}
	if (st && st->db && !sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Runs a statement that returns no rows. */
static cv_status run(struct sq *st, sqlite3_stmt *s, const char *doing, cv_err *err)
{
	int rc = sqlite3_step(s);

	done(s);
	if (rc != SQLITE_DONE)
		return db_error(st, rc, doing, err);
	return CV_OK;
}

static cv_status sq_meta_put(void *be, const char *key, const void *val, size_t len, cv_err *err)
{
	struct sq *st = be;
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

	if (sqlite3_column_type(s, col) != SQLITE_TEXT || !p || n >= cap ||
	    strlen((const char *)p) != n)
		return -1;
	memcpy(out, p, n + 1);
	return 0;
}

static cv_status sq_meta_get(void *be, const char *key, void *val, size_t len, cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_META_GET, err);
	cv_status res = CV_OK;
	int rc;

	if (!s)
		return CV_ERROR;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		res = cv_fail(err, CV_ENOTFOUND, "vault.setting-missing",
			      "vault setting '{1}' is missing", key);
	else if (rc != SQLITE_ROW)
		res = db_error(st, rc, CV_PHRASE("reading vault settings"), err);
	else if (col_blob(s, 0, val, len) != 0)
		res = cv_fail(err, CV_EINTEGRITY, "vault.setting-malformed",
			      "vault setting '{1}' is malformed", key);
	done(s);
	return res;
}

static cv_status sq_setting_put(void *be, const cv_setting_rec *r, cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_SETTING_PUT, err);

	if (!s)
		return CV_ERROR;
	sqlite3_bind_text(s, 1, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, r->value, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, r->seq);
	sqlite3_bind_int64(s, 4, r->signer_id);
	sqlite3_bind_blob(s, 5, r->sig, sizeof(r->sig), SQLITE_STATIC);
	return run(st, s, "writing a setting", err);
}

static int read_setting(sqlite3_stmt *s, cv_setting_rec *r)
{
	memset(r, 0, sizeof(*r));
	if (col_text(s, 0, r->name, sizeof(r->name)) ||
	    col_text(s, 1, r->value, sizeof(r->value)) ||
	    sqlite3_column_type(s, 2) != SQLITE_INTEGER ||
	    sqlite3_column_type(s, 3) != SQLITE_INTEGER || col_blob(s, 4, r->sig, sizeof(r->sig)))
		return -1;
	r->seq = sqlite3_column_int64(s, 2);
	r->signer_id = sqlite3_column_int64(s, 3);
	return 0;
}

static cv_status sq_setting_get(void *be, const char *name, cv_setting_rec *r, cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_SETTING_GET, err);
	cv_status res = CV_OK;
	int rc;

	if (!s)
		return CV_ERROR;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		res = CV_ENOTFOUND;
	else if (rc != SQLITE_ROW)
		res = db_error(st, rc, CV_PHRASE("reading a setting"), err);
	else if (read_setting(s, r) != 0)
		res = cv_fail(err, CV_EINTEGRITY, "error", "the stored setting '{1}' is malformed",
			      name);
	done(s);
	return res;
}

static cv_status sq_setting_each(void *be, int (*cb)(const cv_setting_rec *r, void *arg), void *arg,
				 cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_SETTING_ALL, err);
	cv_setting_rec r;
	cv_status res = CV_OK;
	int rc;

	if (!s)
		return CV_ERROR;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (read_setting(s, &r) != 0) {
			res = cv_err_set(err, CV_EINTEGRITY, "a stored setting is malformed");
			break;
		}
		if (cb(&r, arg))
			break;
	}
	if (res == CV_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
		res = db_error(st, rc, CV_PHRASE("reading the settings"), err);
	done(s);
	return res;
}

/* The one integer statement `which` gives, into *n; what reading means
 * names an error. */
static cv_status int_scalar(struct sq *st, enum stmt_id which, const char *what, int64_t *n,
			    cv_err *err)
{
	sqlite3_stmt *s = stmt(st, which, err);
	int rc;

	if (!s)
		return CV_ERROR;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(s, 0);
	done(s);
	return rc == SQLITE_ROW ? CV_OK : db_error(st, rc, what, err);
}

static cv_status sq_user_next_id(void *be, int64_t *id, cv_err *err)
{
	return int_scalar(be, S_USER_NEXT_ID, CV_PHRASE("adding a user"), id, err);
}

static cv_status sq_user_insert(void *be, const cv_user_rec *r, cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_USER_INSERT, err);

	if (!s)
		return CV_ERROR;
	sqlite3_bind_int64(s, 1, r->id);
	sqlite3_bind_text(s, 2, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, r->role, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, r->status, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 5, r->box_pk, sizeof(r->box_pk), SQLITE_STATIC);
	sqlite3_bind_blob(s, 6, r->sign_pk, sizeof(r->sign_pk), SQLITE_STATIC);
	sqlite3_bind_int64(s, 7, r->cert_seq);
	sqlite3_bind_int64(s, 8, r->creator_id);
	sqlite3_bind_blob(s, 9, r->cert_sig, sizeof(r->cert_sig), SQLITE_STATIC);
	sqlite3_bind_int64(s, 10, r->status_seq);
	sqlite3_bind_int64(s, 11, r->status_signer_id);
	sqlite3_bind_blob(s, 12, r->status_sig, sizeof(r->status_sig), SQLITE_STATIC);
	sqlite3_bind_int64(s, 13, r->kdf_alg);
	sqlite3_bind_int64(s, 14, r->kdf.t_cost);
	sqlite3_bind_int64(s, 15, r->kdf.m_cost_kib);
	sqlite3_bind_int64(s, 16, r->kdf.parallelism);
	sqlite3_bind_blob(s, 17, r->salt, sizeof(r->salt), SQLITE_STATIC);
	sqlite3_bind_blob(s, 18, r->key_nonce, sizeof(r->key_nonce), SQLITE_STATIC);
	sqlite3_bind_blob(s, 19, r->key_box, sizeof(r->key_box), SQLITE_STATIC);
	sqlite3_bind_text(s, 20, r->created, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 21, r->keys_seq);
	sqlite3_bind_text(s, 22, r->expires, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 23, r->self_sig, r->has_self_sig ? sizeof(r->self_sig) : 0,
			  SQLITE_STATIC);
	return run(st, s, "adding a user", err);
}

static cv_status sq_user_update_status(void *be, const cv_user_rec *r, cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_USER_UPDATE_STATUS, err);

	if (!s)
		return CV_ERROR;
	sqlite3_bind_int64(s, 1, r->id);
	sqlite3_bind_text(s, 2, r->status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, r->status_seq);
	sqlite3_bind_int64(s, 4, r->status_signer_id);
	sqlite3_bind_blob(s, 5, r->status_sig, sizeof(r->status_sig), SQLITE_STATIC);
	return run(st, s, "updating a user", err);
}

static cv_status sq_user_update_keys(void *be, const cv_user_rec *r, cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_USER_UPDATE_KEYS, err);
	cv_status res;

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
	sqlite3_bind_int64(s, 9, r->keys_seq);
	res = run(st, s, "changing a passphrase", err);
	if (res == CV_OK)
		erased(st); /* the keys wrapped under the old passphrase */
	return res;
}

/* A self_sig column: a BLOB of 64 bytes (*has 1) or of none (*has 0). */
static int col_self_sig(sqlite3_stmt *s, int col, uint8_t out[crypto_sign_BYTES], int *has)
{
	*has = 0;
	if (sqlite3_column_type(s, col) == SQLITE_BLOB && sqlite3_column_bytes(s, col) == 0)
		return 0;
	if (col_blob(s, col, out, crypto_sign_BYTES) != 0)
		return -1;
	*has = 1;
	return 0;
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
	    col_blob(s, 8, r->cert_sig, sizeof(r->cert_sig)) ||
	    col_blob(s, 11, r->status_sig, sizeof(r->status_sig)) ||
	    col_blob(s, 16, r->salt, sizeof(r->salt)) ||
	    col_blob(s, 17, r->key_nonce, sizeof(r->key_nonce)) ||
	    col_blob(s, 18, r->key_box, sizeof(r->key_box)) ||
	    col_text(s, 19, r->created, sizeof(r->created)) ||
	    sqlite3_column_type(s, 20) != SQLITE_INTEGER ||
	    col_text(s, 21, r->expires, sizeof(r->expires)) ||
	    col_self_sig(s, 22, r->self_sig, &r->has_self_sig))
		return -1;
	r->keys_seq = sqlite3_column_int64(s, 20);
	r->cert_seq = sqlite3_column_int64(s, 6);
	r->creator_id = sqlite3_column_int64(s, 7);
	r->status_seq = sqlite3_column_int64(s, 9);
	r->status_signer_id = sqlite3_column_int64(s, 10);
	alg = sqlite3_column_int64(s, 12);
	t = sqlite3_column_int64(s, 13);
	m = sqlite3_column_int64(s, 14);
	p = sqlite3_column_int64(s, 15);
	if (alg < 0 || alg > UINT32_MAX || t < 0 || t > UINT32_MAX || m < 0 || m > UINT32_MAX ||
	    p < 0 || p > UINT32_MAX)
		return -1;
	r->kdf_alg = (uint32_t)alg;
	r->kdf.t_cost = (uint32_t)t;
	r->kdf.m_cost_kib = (uint32_t)m;
	r->kdf.parallelism = (uint32_t)p;
	return 0;
}

static cv_status user_one(struct sq *st, sqlite3_stmt *s, const char *what, cv_user_rec *r,
			  cv_err *err)
{
	cv_status res = CV_OK;
	int rc = sqlite3_step(s);

	if (rc == SQLITE_DONE)
		res = cv_fail(err, CV_ENOTFOUND, "user.not-found",
			      "no user '{1}' in this vault; see 'casevault user list'", what);
	else if (rc != SQLITE_ROW)
		res = db_error(st, rc, CV_PHRASE("reading a user"), err);
	else if (read_user(s, r) != 0)
		res = cv_fail(err, CV_EINTEGRITY, "user.malformed",
			      "the record of user '{1}' is malformed (tampered or damaged); run "
			      "'casevault audit verify'",
			      what);
	done(s);
	return res;
}

static cv_status sq_user_by_name(void *be, const char *name, cv_user_rec *r, cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_USER_BY_NAME, err);

	if (!s)
		return CV_ERROR;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	return user_one(st, s, name, r, err);
}

static cv_status sq_user_by_id(void *be, int64_t id, cv_user_rec *r, cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_USER_BY_ID, err);
	char what[32];

	if (!s)
		return CV_ERROR;
	snprintf(what, sizeof(what), "#%lld", (long long)id);
	sqlite3_bind_int64(s, 1, id);
	return user_one(st, s, what, r, err);
}

static cv_status sq_user_each(void *be, cv_store_user_cb cb, void *arg, cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_USER_ALL, err);
	cv_status res = CV_OK;
	char n[24];
	cv_user_rec r;
	int rc;

	if (!s)
		return CV_ERROR;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (read_user(s, &r) != 0) {
			res = cv_fail(err, CV_EINTEGRITY, "user.malformed",
				      "the record of user #{1} is malformed (tampered or damaged)",
				      cv_num(n, sqlite3_column_int64(s, 0)));
			break;
		}
		if (cb(&r, arg) != 0)
			break;
	}
	if (res == CV_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
		res = db_error(st, rc, CV_PHRASE("listing users"), err);
	done(s);
	return res;
}

static cv_status sq_audit_head(void *be, int64_t *seq, uint8_t hash[CV_HASH_LEN], cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_AUDIT_HEAD, err);
	cv_status res = CV_OK;
	char n[24];
	int rc;

	if (!s)
		return CV_ERROR;
	rc = sqlite3_step(s);
	*seq = 0;
	if (rc == SQLITE_ROW) {
		*seq = sqlite3_column_int64(s, 0);
		if (col_blob(s, 1, hash, CV_HASH_LEN) != 0)
			res = cv_fail(err, CV_EINTEGRITY, "log.row-malformed",
				      "audit row {1} has a malformed hash; run 'casevault audit "
				      "verify'",
				      cv_num(n, *seq));
	} else if (rc != SQLITE_DONE) {
		res = db_error(st, rc, CV_PHRASE("reading the audit log"), err);
	}
	done(s);
	return res;
}

static cv_status sq_audit_insert(void *be, const cv_audit_rec *r, cv_err *err)
{
	struct sq *st = be;
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
	sqlite3_bind_text(s, 11, r->rows ? r->rows : "", -1, SQLITE_STATIC);
	return run(st, s, "writing the audit log", err);
}

/* Reads an audit row.  A malformed row is still passed up with empty
 * strings and zero hashes, so that verification reports it by seq. */
static void read_audit(sqlite3_stmt *s, cv_audit_rec *r, int *malformed)
{
	static const char *const empty = "";
	const char **txt[] = {&r->time,	   &r->actor,  &r->action, &r->object,
			      &r->outcome, &r->detail, &r->rows};
	const int col[] = {1, 2, 3, 4, 5, 6, 10};

	memset(r, 0, sizeof(*r));
	*malformed = 0;
	r->seq = sqlite3_column_int64(s, 0);
	for (size_t i = 0; i < sizeof(col) / sizeof(col[0]); i++) {
		const char *p = (const char *)sqlite3_column_text(s, col[i]);
		if (sqlite3_column_type(s, col[i]) != SQLITE_TEXT || !p ||
		    strlen(p) != (size_t)sqlite3_column_bytes(s, col[i])) {
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

static cv_status audit_walk(struct sq *st, sqlite3_stmt *s, cv_store_audit_cb cb, void *arg,
			    int *count, cv_err *err)
{
	cv_status res = CV_OK;
	char n[24];
	cv_audit_rec r;
	int rc, malformed;

	*count = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		read_audit(s, &r, &malformed);
		(*count)++;
		if (malformed) {
			res = cv_fail(err, CV_EINTEGRITY, "log.row-malformed",
				      "audit row {1} is malformed (a column has the wrong type or "
				      "size): the log was tampered with or damaged",
				      cv_num(n, r.seq));
			break;
		}
		if (cb(&r, arg) != 0)
			break;
	}
	if (res == CV_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
		res = db_error(st, rc, CV_PHRASE("reading the audit log"), err);
	done(s);
	return res;
}

static cv_status sq_audit_get(void *be, int64_t seq, cv_store_audit_cb cb, void *arg, cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_AUDIT_GET, err);
	cv_status res;
	char n[24];
	int count;

	if (!s)
		return CV_ERROR;
	sqlite3_bind_int64(s, 1, seq);
	res = audit_walk(st, s, cb, arg, &count, err);
	if (res == CV_OK && count == 0)
		res = cv_fail(err, CV_ENOTFOUND, "log.row-not-found",
			      "audit row {1} does not exist", cv_num(n, seq));
	return res;
}

static cv_status sq_audit_each(void *be, const cv_store_audit_query *q, cv_store_audit_cb cb,
			       void *arg, cv_err *err)
{
	struct sq *st = be;
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
	/* An action ending in '.' is a prefix: ?6 instead of ?2. */
	if (q->action && *q->action && q->action[strlen(q->action) - 1] == '.') {
		sqlite3_bind_null(s, 2);
		sqlite3_bind_text(s, 6, q->action, -1, SQLITE_STATIC);
	} else {
		sqlite3_bind_null(s, 6);
	}
	if (q->outcome_not)
		sqlite3_bind_text(s, 5, q->outcome_not, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 5);
	if (q->outcome)
		sqlite3_bind_text(s, 7, q->outcome, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 7);
	if (q->object)
		sqlite3_bind_text(s, 8, q->object, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 8);
	return audit_walk(st, s, cb, arg, &count, err);
}

/* ---- identities ---------------------------------------------------------- */

static cv_status sq_user_update_identity(void *be, const cv_user_rec *r, cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_USER_UPDATE_IDENTITY, err);

	if (!s)
		return CV_ERROR;
	sqlite3_bind_int64(s, 1, r->id);
	sqlite3_bind_text(s, 2, r->role, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, r->box_pk, sizeof(r->box_pk), SQLITE_STATIC);
	sqlite3_bind_blob(s, 4, r->sign_pk, sizeof(r->sign_pk), SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, r->cert_seq);
	sqlite3_bind_int64(s, 6, r->creator_id);
	sqlite3_bind_blob(s, 7, r->cert_sig, sizeof(r->cert_sig), SQLITE_STATIC);
	sqlite3_bind_text(s, 8, r->expires, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 9, r->self_sig, r->has_self_sig ? sizeof(r->self_sig) : 0,
			  SQLITE_STATIC);
	return run(st, s, "replacing a user's keys", err);
}

static cv_status sq_history_insert(void *be, const cv_user_rec *r, int64_t retired_seq, cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_HISTORY_INSERT, err);

	if (!s)
		return CV_ERROR;
	sqlite3_bind_int64(s, 1, r->id);
	sqlite3_bind_int64(s, 2, r->cert_seq);
	sqlite3_bind_text(s, 3, r->role, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 4, r->box_pk, sizeof(r->box_pk), SQLITE_STATIC);
	sqlite3_bind_blob(s, 5, r->sign_pk, sizeof(r->sign_pk), SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, r->creator_id);
	sqlite3_bind_blob(s, 7, r->cert_sig, sizeof(r->cert_sig), SQLITE_STATIC);
	sqlite3_bind_int64(s, 8, retired_seq);
	sqlite3_bind_text(s, 9, r->expires, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 10, r->self_sig, r->has_self_sig ? sizeof(r->self_sig) : 0,
			  SQLITE_STATIC);
	return run(st, s, "keeping a retired key", err);
}

static cv_status sq_cert_at(void *be, int64_t id, int64_t at, cv_user_rec *r, cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_CERT_AT, err);
	cv_status res = CV_OK;
	char n[24], m[24];
	int rc;

	if (!s)
		return CV_ERROR;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, at);
	rc = sqlite3_step(s);
	memset(r, 0, sizeof(*r));
	if (rc == SQLITE_DONE) {
		res =
		    cv_fail(err, CV_ENOTFOUND, "user.cert-not-found",
			    "user #{1} had no key at audit row {2}", cv_num(n, id), cv_num(m, at));
	} else if (rc != SQLITE_ROW) {
		res = db_error(st, rc, CV_PHRASE("reading a user's keys"), err);
	} else {
		r->id = sqlite3_column_int64(s, 0);
		r->cert_seq = sqlite3_column_int64(s, 5);
		r->creator_id = sqlite3_column_int64(s, 6);
		if (col_text(s, 1, r->name, sizeof(r->name)) ||
		    col_text(s, 2, r->role, sizeof(r->role)) ||
		    col_blob(s, 3, r->box_pk, sizeof(r->box_pk)) ||
		    col_blob(s, 4, r->sign_pk, sizeof(r->sign_pk)) ||
		    col_blob(s, 7, r->cert_sig, sizeof(r->cert_sig)) ||
		    col_text(s, 8, r->expires, sizeof(r->expires)) ||
		    col_self_sig(s, 9, r->self_sig, &r->has_self_sig))
			res =
			    cv_fail(err, CV_EINTEGRITY, "user.cert-malformed",
				    "a key record of user #{1} is malformed (tampered or damaged)",
				    cv_num(n, id));
	}
	done(s);
	return res;
}

/* ---- vault keys ---------------------------------------------------------- */

/* Binds a key copy to ?2..?7 (?1 is its place: a key name or a case id). */
static void bind_copy(sqlite3_stmt *s, const cv_key_copy *c)
{
	sqlite3_bind_int64(s, 2, c->user_id);
	sqlite3_bind_int64(s, 3, c->sender_id);
	sqlite3_bind_text(s, 4, c->sent_at, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 5, c->nonce, CV_COPY_NONCE_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 6, c->box, CV_COPY_BOX_LEN, SQLITE_STATIC);
	if (c->has_sig)
		sqlite3_bind_blob(s, 7, c->sig, sizeof(c->sig), SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 7);
}

/* Fills c from the COPY_COLS of a row; -1 if malformed. */
static int read_copy(sqlite3_stmt *s, cv_key_copy *c)
{
	memset(c, 0, sizeof(*c));
	if (sqlite3_column_type(s, 0) != SQLITE_INTEGER ||
	    sqlite3_column_type(s, 1) != SQLITE_INTEGER ||
	    col_text(s, 2, c->sent_at, sizeof(c->sent_at)) ||
	    col_blob(s, 3, c->nonce, sizeof(c->nonce)) || col_blob(s, 4, c->box, sizeof(c->box)))
		return -1;
	c->user_id = sqlite3_column_int64(s, 0);
	c->sender_id = sqlite3_column_int64(s, 1);
	if (sqlite3_column_type(s, 5) != SQLITE_NULL) {
		if (col_blob(s, 5, c->sig, sizeof(c->sig)))
			return -1;
		c->has_sig = 1;
	}
	return 0;
}

static cv_status sq_vkey_put(void *be, const char *name, const cv_key_copy *c, cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_VKEY_PUT, err);

	if (!s)
		return CV_ERROR;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	bind_copy(s, c);
	return run(st, s, "storing a vault key", err);
}

static cv_status sq_vkey_get(void *be, const char *name, int64_t user_id, cv_key_copy *c,
			     cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_VKEY_GET, err);
	cv_status res = CV_OK;
	int rc;

	if (!s)
		return CV_ERROR;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, user_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		res =
		    cv_fail(err, CV_ENOTFOUND, "vkey.not-found", "no {1} key for this user", name);
	else if (rc != SQLITE_ROW)
		res = db_error(st, rc, CV_PHRASE("reading a vault key"), err);
	else if (read_copy(s, c) != 0)
		res = cv_fail(err, CV_EINTEGRITY, "vkey.malformed",
			      "a copy of the {1} key is malformed", name);
	done(s);
	return res;
}

/* Runs the statements of one erasing operation all or nothing (inside the
 * caller's transaction, or as one of its own), binding ?1 to key (text) or
 * num, and ?2 to word when it is not NULL; then notes the erasure. */
static cv_status erase_steps(struct sq *st, const enum stmt_id *ids, size_t n, const char *key,
			     int64_t num, const char *word, const char *doing, cv_err *err)
{
	cv_status res = CV_OK;
	int rc = sqlite3_exec(st->db, "SAVEPOINT erase", NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return db_error(st, rc, doing, err);
	for (size_t i = 0; i < n && res == CV_OK; i++) {
		sqlite3_stmt *s = stmt(st, ids[i], err);
		if (!s) {
			res = CV_ERROR;
			break;
		}
		if (key)
			sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
		else
			sqlite3_bind_int64(s, 1, num);
		if (word && sqlite3_bind_parameter_count(s) >= 2)
			sqlite3_bind_text(s, 2, word, -1, SQLITE_STATIC);
		res = run(st, s, doing, err);
	}
	if (res != CV_OK) {
		sqlite3_exec(st->db, "ROLLBACK TO erase; RELEASE erase", NULL, NULL, NULL);
		return res;
	}
	rc = sqlite3_exec(st->db, "RELEASE erase", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		res = db_error(st, rc, doing, err);
		sqlite3_exec(st->db, "ROLLBACK TO erase; RELEASE erase", NULL, NULL, NULL);
		return res;
	}
	erased(st);
	return CV_OK;
}

static cv_status sq_keys_delete_user(void *be, int64_t user_id, cv_err *err)
{
	static const enum stmt_id ids[] = {S_VKEY_DELETE_USER, S_GRANT_DELETE_USER};

	return erase_steps(be, ids, 2, NULL, user_id, NULL, "removing a user's keys", err);
}

/* ---- cases ----------------------------------------------------------------- */

/* A malloc'd copy of a blob column (at least one byte allocated). */
static int col_dup(sqlite3_stmt *s, int col, uint8_t **out, size_t *len)
{
	const void *p = sqlite3_column_blob(s, col);
	size_t n = (size_t)sqlite3_column_bytes(s, col);

	*out = NULL;
	*len = 0;
	if (sqlite3_column_type(s, col) != SQLITE_BLOB)
		return -1;
	*out = malloc(n ? n : 1);
	if (!*out)
		return -1;
	if (n)
		memcpy(*out, p, n);
	*len = n;
	return 0;
}

/* Binds every column of c, in CASE_COLS order (?1..?15). */
static void bind_case(sqlite3_stmt *s, const cv_case_rec *c)
{
	sqlite3_bind_text(s, 1, c->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, c->status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, c->opened_by);
	sqlite3_bind_text(s, 4, c->opened_at, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, c->closed_at, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, c->version);
	sqlite3_bind_blob(s, 7, c->index_tag, CV_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 8, c->key_commit, CV_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 9, c->recovery_key, CV_SEALED_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 10, c->data_nonce, CV_AEAD_NONCE_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 11, c->data_box, (int)c->data_len, SQLITE_STATIC);
	sqlite3_bind_blob(s, 12, c->stats_box, (int)c->stats_len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 13, c->signer_id);
	sqlite3_bind_blob(s, 14, c->mac, CV_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 15, c->sig, crypto_sign_BYTES, SQLITE_STATIC);
}

static cv_status sq_case_insert(void *be, const cv_case_rec *c, cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_CASE_INSERT, err);

	if (!s)
		return CV_ERROR;
	bind_case(s, c);
	return run(st, s, "opening a case", err);
}

/* Fills c from a cases row (its boxes malloc'd); -1 when malformed. */
static int read_case_row(sqlite3_stmt *s, cv_case_rec *c)
{
	memset(c, 0, sizeof(*c));
	c->opened_by = sqlite3_column_int64(s, 2);
	c->version = sqlite3_column_int64(s, 5);
	c->signer_id = sqlite3_column_int64(s, 12);
	/* A row blanked by case_shred has an empty recovery copy; its content
	 * columns are then empty too (the caller knows it by blank). */
	c->blank = sqlite3_column_type(s, 8) == SQLITE_BLOB && sqlite3_column_bytes(s, 8) == 0;
	if (col_text(s, 0, c->id, sizeof(c->id)) || col_text(s, 1, c->status, sizeof(c->status)) ||
	    col_text(s, 3, c->opened_at, sizeof(c->opened_at)) ||
	    col_text(s, 4, c->closed_at, sizeof(c->closed_at)) ||
	    sqlite3_column_type(s, 2) != SQLITE_INTEGER ||
	    sqlite3_column_type(s, 5) != SQLITE_INTEGER ||
	    sqlite3_column_type(s, 12) != SQLITE_INTEGER ||
	    col_blob(s, 6, c->index_tag, CV_HASH_LEN) ||
	    col_blob(s, 7, c->key_commit, CV_HASH_LEN) || col_blob(s, 13, c->mac, CV_HASH_LEN) ||
	    col_blob(s, 14, c->sig, crypto_sign_BYTES) ||
	    (c->blank ? sqlite3_column_bytes(s, 9) != 0 || sqlite3_column_bytes(s, 10) != 0 ||
			    sqlite3_column_bytes(s, 11) != 0
		      : col_blob(s, 8, c->recovery_key, CV_SEALED_KEY_LEN) ||
			    col_blob(s, 9, c->data_nonce, CV_AEAD_NONCE_LEN) ||
			    col_dup(s, 10, &c->data_box, &c->data_len) ||
			    col_dup(s, 11, &c->stats_box, &c->stats_len))) {
		cv_case_rec_clear(c);
		return -1;
	}
	/* the walks that need it select the rowid last */
	if (sqlite3_column_count(s) > 15)
		c->rowid = sqlite3_column_int64(s, 15);
	return 0;
}

static cv_status sq_case_get(void *be, const char *id, cv_case_rec *c, cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_CASE_GET, err);
	cv_status res = CV_OK;
	int rc;

	memset(c, 0, sizeof(*c));
	if (!s)
		return CV_ERROR;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		res = cv_fail(err, CV_ENOTFOUND, "case.not-found",
			      "no case '{1}'; see 'casevault case list' for your cases", id);
	else if (rc != SQLITE_ROW)
		res = db_error(st, rc, CV_PHRASE("reading a case"), err);
	else if (read_case_row(s, c) != 0)
		res = cv_fail(err, CV_EINTEGRITY, "case.malformed",
			      "case '{1}' is malformed (tampered or damaged)", id);
	done(s);
	if (res != CV_OK)
		cv_case_rec_clear(c);
	return res;
}

static cv_status sq_case_page(void *be, const char *after, size_t limit, cv_store_case_cb cb,
			      void *arg, cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_CASE_PAGE, err);
	cv_status res = CV_OK;
	cv_case_rec c;
	int rc;

	if (!s)
		return CV_ERROR;
	sqlite3_bind_text(s, 1, after, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int stop;

		if (read_case_row(s, &c) != 0) {
			res = cv_fail(err, CV_EINTEGRITY, "case.malformed",
				      "case '{1}' is malformed (tampered or damaged)",
				      (const char *)sqlite3_column_text(s, 0));
			break;
		}
		/* as step 7 hashes it: what is read is compared with the log's */
		c.hashed = row_hash_cols(s, "cases", NCASE_COLS, case_page_cols, NCASE_COLS,
					 c.row_hash, &st->scratch) == 0;
		if (!c.hashed) {
			cv_case_rec_clear(&c);
			res = cv_err_set(err, CV_ERROR, "out of memory");
			break;
		}
		stop = cb(&c, arg);
		cv_case_rec_clear(&c);
		if (stop)
			break;
	}
	if (res == CV_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
		res = db_error(st, rc, CV_PHRASE("reading cases"), err);
	done(s);
	return res;
}

static cv_status sq_case_update(void *be, const cv_case_rec *c, cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_CASE_UPDATE, err);

	if (!s)
		return CV_ERROR;
	bind_case(s, c);
	return run(st, s, "updating a case", err);
}

static cv_status ids_walk(struct sq *st, sqlite3_stmt *s, cv_store_id_cb cb, void *arg, cv_err *err)
{
	cv_status res = CV_OK;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(s, 0);
		if (!id) {
			res =
			    cv_fail(err, CV_EINTEGRITY, "case.malformed", "a case id is malformed");
			break;
		}
		if (sqlite3_column_count(s) > 1 && !sqlite3_column_int(s, 1)) {
			res = cv_fail(err, CV_EINTEGRITY, "case.index-malformed",
				      "the student index of case '{1}' is malformed, so a search "
				      "could miss cases (the vault is tampered or damaged; restore "
				      "it from a backup)",
				      id);
			break;
		}
		if (cb(id, arg) != 0)
			break;
	}
	if (res == CV_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
		res = db_error(st, rc, CV_PHRASE("listing cases"), err);
	done(s);
	return res;
}

static cv_status sq_case_find(void *be, const uint8_t tag[CV_HASH_LEN], cv_store_id_cb cb,
			      void *arg, cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_CASE_FIND, err);

	if (!s)
		return CV_ERROR;
	sqlite3_bind_blob(s, 1, tag, CV_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, "blob", -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, CV_HASH_LEN);
	return ids_walk(st, s, cb, arg, err);
}

static cv_status sq_case_granted(void *be, int64_t user_id, cv_store_id_cb cb, void *arg,
				 cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_CASE_GRANTED, err);

	if (!s)
		return CV_ERROR;
	sqlite3_bind_int64(s, 1, user_id);
	return ids_walk(st, s, cb, arg, err);
}

static cv_status sq_case_all(void *be, cv_store_id_cb cb, void *arg, cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_CASE_ALL, err);

	if (!s)
		return CV_ERROR;
	return ids_walk(st, s, cb, arg, err);
}

static cv_status sq_release_insert(void *be, const cv_release_rec *r, cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_RELEASE_INSERT, err);
	int rc;

	if (!s)
		return CV_ERROR;
	sqlite3_bind_text(s, 1, r->from, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, r->to, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, r->k);
	sqlite3_bind_int64(s, 4, r->epsilon);
	sqlite3_bind_blob(s, 5, r->cells_hash, CV_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, r->released_by);
	sqlite3_bind_text(s, 7, r->released_at, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 8, r->term_from, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 9, r->term_to, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	done(s);
	return rc == SQLITE_DONE ? CV_OK : db_error(st, rc, CV_PHRASE("recording a release"), err);
}

/* One integer over the releases whose months meet from..to. */
static cv_status release_scalar(struct sq *st, enum stmt_id id, const char *from, const char *to,
				int64_t *out, cv_err *err)
{
	sqlite3_stmt *s = stmt(st, id, err);
	int rc;

	if (!s)
		return CV_ERROR;
	sqlite3_bind_text(s, 1, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, to, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	done(s);
	return rc == SQLITE_ROW ? CV_OK : db_error(st, rc, CV_PHRASE("reading the releases"), err);
}

static cv_status sq_release_overlap(void *be, const char *from, const char *to, int64_t *n,
				    cv_err *err)
{
	return release_scalar(be, S_RELEASE_OVERLAP, from, to, n, err);
}

static cv_status sq_release_spent(void *be, const char *from, const char *to, int64_t *sum,
				  cv_err *err)
{
	return release_scalar(be, S_RELEASE_SPENT, from, to, sum, err);
}

static cv_status sq_case_shred(void *be, const cv_case_rec *tomb, cv_err *err)
{
	static const enum stmt_id steps[] = {S_SHRED_RECORDS, S_SHRED_GRANTS};
	struct sq *st = be;
	sqlite3_stmt *s;
	cv_status res;
	int rc = sqlite3_exec(st->db, "SAVEPOINT shred", NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return db_error(st, rc, CV_PHRASE("shredding a case"), err);
	res = erase_steps(st, steps, sizeof(steps) / sizeof(steps[0]), tomb->id, 0, NULL,
			  "shredding a case", err);
	if (res == CV_OK) {
		s = stmt(st, S_SHRED_CASE, err);
		if (!s) {
			res = CV_ERROR;
		} else {
			sqlite3_bind_text(s, 1, tomb->id, -1, SQLITE_STATIC);
			sqlite3_bind_text(s, 2, tomb->status, -1, SQLITE_STATIC);
			sqlite3_bind_int64(s, 3, tomb->version);
			sqlite3_bind_int64(s, 4, tomb->signer_id);
			sqlite3_bind_blob(s, 5, tomb->mac, CV_HASH_LEN, SQLITE_STATIC);
			sqlite3_bind_blob(s, 6, tomb->sig, crypto_sign_BYTES, SQLITE_STATIC);
			res = run(st, s, "shredding a case", err);
		}
	}
	if (res != CV_OK) {
		sqlite3_exec(st->db, "ROLLBACK TO shred; RELEASE shred", NULL, NULL, NULL);
		return res;
	}
	rc = sqlite3_exec(st->db, "RELEASE shred", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		res = db_error(st, rc, CV_PHRASE("shredding a case"), err);
		sqlite3_exec(st->db, "ROLLBACK TO shred; RELEASE shred", NULL, NULL, NULL);
		return res;
	}
	erased(st);
	return CV_OK;
}

/* ---- grants ---------------------------------------------------------------- */

static cv_status sq_grant_put(void *be, const char *case_id, const cv_key_copy *c, cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_GRANT_PUT, err);

	if (!s)
		return CV_ERROR;
	sqlite3_bind_text(s, 1, case_id, -1, SQLITE_STATIC);
	bind_copy(s, c);
	return run(st, s, "granting a case", err);
}

static cv_status sq_grant_get(void *be, const char *case_id, int64_t user_id, cv_key_copy *c,
			      cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_GRANT_GET, err);
	cv_status res = CV_OK;
	int rc;

	if (!s)
		return CV_ERROR;
	sqlite3_bind_text(s, 1, case_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, user_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		res = cv_fail(err, CV_ENOTFOUND, "grant.not-found", "no grant");
	else if (rc != SQLITE_ROW)
		res = db_error(st, rc, CV_PHRASE("reading a grant"), err);
	else if (read_copy(s, c) != 0)
		res = cv_fail(err, CV_EINTEGRITY, "grant.malformed",
			      "the grant on case '{1}' is malformed", case_id);
	done(s);
	return res;
}

static cv_status sq_grant_each_user(void *be, int64_t user_id, cv_store_grant_cb cb, void *arg,
				    cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_GRANT_EACH_USER, err);

	if (!s)
		return CV_ERROR;
	sqlite3_bind_int64(s, 1, user_id);
	return ids_walk(st, s, cb, arg, err);
}

/* ---- records ---------------------------------------------------------------- */

static void bind_record(sqlite3_stmt *s, const cv_record *r)
{
	sqlite3_bind_text(s, 1, r->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, r->case_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, r->type, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, r->parent, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, r->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, r->status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 7, r->version);
	sqlite3_bind_int64(s, 8, r->author_id);
	sqlite3_bind_text(s, 9, r->created_at, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 10, r->updated_at, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 11, r->due, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 12, r->nonce, CV_AEAD_NONCE_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 13, r->box, (int)r->box_len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 14, r->signer_id);
	sqlite3_bind_blob(s, 15, r->mac, sizeof(r->mac), SQLITE_STATIC);
	sqlite3_bind_blob(s, 16, r->sig, sizeof(r->sig), SQLITE_STATIC);
	sqlite3_bind_blob(s, 17, r->stats_box ? (const void *)r->stats_box : (const void *)"",
			  (int)r->stats_len, SQLITE_STATIC);
}

static cv_status sq_record_insert(void *be, const cv_record *r, cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_RECORD_INSERT, err);

	if (!s)
		return CV_ERROR;
	bind_record(s, r);
	return run(st, s, "writing a record", err);
}

static cv_status sq_record_update(void *be, const cv_record *r, cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_RECORD_UPDATE, err);

	if (!s)
		return CV_ERROR;
	bind_record(s, r);
	return run(st, s, "updating a record", err);
}

/* Fills r from a records row; the box points into the row.  -1 if malformed. */
static int read_record(sqlite3_stmt *s, cv_record *r)
{
	memset(r, 0, sizeof(*r));
	if (col_text(s, 0, r->id, sizeof(r->id)) ||
	    col_text(s, 1, r->case_id, sizeof(r->case_id)) ||
	    col_text(s, 2, r->type, sizeof(r->type)) ||
	    col_text(s, 3, r->parent, sizeof(r->parent)) ||
	    col_text(s, 4, r->kind, sizeof(r->kind)) ||
	    col_text(s, 5, r->status, sizeof(r->status)) ||
	    col_text(s, 8, r->created_at, sizeof(r->created_at)) ||
	    col_text(s, 9, r->updated_at, sizeof(r->updated_at)) ||
	    col_text(s, 10, r->due, sizeof(r->due)) ||
	    col_blob(s, 11, r->nonce, sizeof(r->nonce)) ||
	    sqlite3_column_type(s, 12) != SQLITE_BLOB ||
	    sqlite3_column_type(s, 6) != SQLITE_INTEGER ||
	    sqlite3_column_type(s, 7) != SQLITE_INTEGER ||
	    sqlite3_column_type(s, 13) != SQLITE_INTEGER ||
	    col_blob(s, 14, r->mac, sizeof(r->mac)) || col_blob(s, 15, r->sig, sizeof(r->sig)) ||
	    sqlite3_column_type(s, 16) != SQLITE_BLOB)
		return -1;
	r->version = sqlite3_column_int64(s, 6);
	r->author_id = sqlite3_column_int64(s, 7);
	r->signer_id = sqlite3_column_int64(s, 13);
	r->box = sqlite3_column_blob(s, 12);
	r->box_len = (size_t)sqlite3_column_bytes(s, 12);
	r->stats_box = sqlite3_column_blob(s, 16);
	r->stats_len = (size_t)sqlite3_column_bytes(s, 16);
	/* the walks that need it select the rowid last */
	if (sqlite3_column_count(s) > 17)
		r->rowid = sqlite3_column_int64(s, 17);
	return 0;
}

static cv_status sq_record_get(void *be, const char *id, cv_record *r, cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_RECORD_GET, err);
	cv_status res = CV_OK;
	uint8_t *copy;
	int rc;

	memset(r, 0, sizeof(*r));
	if (!s)
		return CV_ERROR;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		res = cv_fail(err, CV_ENOTFOUND, "record.not-found", "no record '{1}'", id);
	} else if (rc != SQLITE_ROW) {
		res = db_error(st, rc, CV_PHRASE("reading a record"), err);
	} else if (read_record(s, r) != 0) {
		res = cv_fail(err, CV_EINTEGRITY, "record.malformed",
			      "record '{1}' is malformed (tampered or damaged)", id);
	} else {
		copy = malloc(r->box_len + r->stats_len + 1);
		if (!copy) {
			res = cv_err_set(err, CV_ERROR, "out of memory");
		} else {
			/* One allocation: the box, then the stats box. */
			if (r->box_len)
				memcpy(copy, r->box, r->box_len);
			if (r->stats_len)
				memcpy(copy + r->box_len, r->stats_box, r->stats_len);
			r->box = copy;
			r->stats_box = copy + r->box_len;
		}
	}
	done(s);
	if (res != CV_OK)
		memset(r, 0, sizeof(*r));
	return res;
}

/* hashed: s is S_RECORD_RANGE, and each record gets its row hash */
static cv_status record_walk(struct sq *st, sqlite3_stmt *s, cv_store_record_cb cb, void *arg,
			     int hashed, cv_err *err)
{
	cv_status res = CV_OK;
	cv_record r;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (read_record(s, &r) != 0) {
			res = cv_fail(err, CV_EINTEGRITY, "record.malformed",
				      "record '{1}' is malformed (tampered or damaged)",
				      (const char *)sqlite3_column_text(s, 0));
			break;
		}
		r.hashed = hashed && row_hash_cols(s, "records", NRECORD_COLS, record_range_cols,
						   NRECORD_COLS, r.row_hash, &st->scratch) == 0;
		if (hashed && !r.hashed) {
			res = cv_err_set(err, CV_ERROR, "out of memory");
			break;
		}
		if (cb(&r, arg) != 0)
			break;
	}
	if (res == CV_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
		res = db_error(st, rc, CV_PHRASE("reading records"), err);
	done(s);
	return res;
}

static cv_status sq_record_each_case(void *be, const char *case_id, const char *type,
				     cv_store_record_cb cb, void *arg, cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_RECORD_EACH_CASE, err);

	if (!s)
		return CV_ERROR;
	sqlite3_bind_text(s, 1, case_id, -1, SQLITE_STATIC);
	if (type)
		sqlite3_bind_text(s, 2, type, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 2);
	return record_walk(st, s, cb, arg, 0, err);
}

static cv_status sq_record_range(void *be, const char *first, const char *last,
				 cv_store_record_cb cb, void *arg, cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_RECORD_RANGE, err);

	if (!s)
		return CV_ERROR;
	sqlite3_bind_text(s, 1, first, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, last, -1, SQLITE_STATIC);
	return record_walk(st, s, cb, arg, 1, err);
}

/* Whether table has exactly the columns the walk `which` hashes (cols:
 * its columns in the table's order), by name and in order: the walk
 * hashes those alone, where step 7 hashes every column (§7.6). */
static int table_shape(struct sq *st, const char *table, enum stmt_id which, const int *cols, int n,
		       cv_err *err)
{
	sqlite3_stmt *walk = stmt(st, which, err), *all = NULL;
	char *sql = sqlite3_mprintf("SELECT * FROM \"%w\" LIMIT 0", table);
	int ok = walk && sql && sqlite3_prepare_v2(st->db, sql, -1, &all, NULL) == SQLITE_OK &&
		 sqlite3_column_count(all) == n;

	for (int i = 0; ok && i < n; i++)
		ok = strcmp(sqlite3_column_name(all, i), sqlite3_column_name(walk, cols[i])) == 0;
	sqlite3_finalize(all);
	sqlite3_free(sql);
	return ok;
}

static cv_status sq_case_record_rows(void *be, int64_t *cases, int64_t *records, cv_err *err)
{
	struct sq *st = be;
	cv_status res;

	if (!table_shape(st, "cases", S_CASE_PAGE, case_page_cols, NCASE_COLS, err) ||
	    !table_shape(st, "records", S_RECORD_RANGE, record_range_cols, NRECORD_COLS, err))
		return cv_fail(
		    err, CV_EINTEGRITY, "rows.changed",
		    "the cases or records table does not have the vault's columns: the "
		    "vault was tampered with; run 'casevault audit verify' and restore it "
		    "from a backup");
	res = int_scalar(st, S_CASE_ROWS, CV_PHRASE("counting rows"), cases, err);
	return res == CV_OK
		   ? int_scalar(st, S_RECORD_ROWS, CV_PHRASE("counting rows"), records, err)
		   : res;
}

static cv_status sq_record_each_granted(void *be, int64_t user_id, const char *type,
					cv_store_record_cb cb, void *arg, cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_RECORD_EACH_GRANTED, err);

	if (!s)
		return CV_ERROR;
	sqlite3_bind_int64(s, 1, user_id);
	sqlite3_bind_text(s, 2, type, -1, SQLITE_STATIC);
	return record_walk(st, s, cb, arg, 0, err);
}

static cv_status sq_id_taken(void *be, const char *id, int *taken, cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_ID_TAKEN, err);
	int rc;

	if (!s)
		return CV_ERROR;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	done(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(st, rc, CV_PHRASE("choosing an id"), err);
	*taken = rc == SQLITE_ROW;
	return CV_OK;
}

/* The largest (S_AUDIT_LAST_SEQ) or the smallest after `after`
 * (S_AUDIT_NEXT_SEQ) seq of a row about object with outcome and one of the
 * actions; 0 when there is none. */
static cv_status audit_seq(struct sq *st, enum stmt_id which, const char *object,
			   const char *outcome, const char *const *actions, size_t n_actions,
			   int64_t after, int64_t *seq, cv_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if (n_actions < 1 || n_actions > CV_STORE_ACTIONS_MAX)
		return cv_err_set(err, CV_ERROR, "internal error: %zu actions in an audit query",
				  n_actions);
	s = stmt(st, which, err);
	if (!s)
		return CV_ERROR;
	if (which == S_AUDIT_NEXT_SEQ)
		sqlite3_bind_int64(s, 3 + CV_STORE_ACTIONS_MAX, after);
	sqlite3_bind_text(s, 1, object, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, outcome, -1, SQLITE_STATIC);
	for (size_t i = 0; i < CV_STORE_ACTIONS_MAX; i++) {
		if (i < n_actions)
			sqlite3_bind_text(s, (int)i + 3, actions[i], -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(s, (int)i + 3);
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*seq = sqlite3_column_int64(s, 0);
	done(s);
	if (rc != SQLITE_ROW)
		return db_error(st, rc, CV_PHRASE("reading the audit log"), err);
	return CV_OK;
}

static cv_status sq_audit_last_seq(void *be, const char *object, const char *outcome,
				   const char *const *actions, size_t n_actions, int64_t *seq,
				   cv_err *err)
{
	return audit_seq(be, S_AUDIT_LAST_SEQ, object, outcome, actions, n_actions, 0, seq, err);
}

static cv_status sq_audit_next_seq(void *be, const char *object, const char *outcome,
				   const char *const *actions, size_t n_actions, int64_t after,
				   int64_t *seq, cv_err *err)
{
	return audit_seq(be, S_AUDIT_NEXT_SEQ, object, outcome, actions, n_actions, after, seq,
			 err);
}

/* ---- reviews of break-glass events ----------------------------------------- */

static cv_status sq_review_insert(void *be, const cv_review_rec *r, cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_REVIEW_INSERT, err);

	if (!s)
		return CV_ERROR;
	sqlite3_bind_text(s, 1, r->event, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, r->case_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, r->reviewer_id);
	sqlite3_bind_text(s, 4, r->reviewed_at, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, r->seq);
	sqlite3_bind_blob(s, 6, r->box, (int)r->box_len, SQLITE_STATIC);
	sqlite3_bind_blob(s, 7, r->sig, sizeof(r->sig), SQLITE_STATIC);
	return run(st, s, "recording a review", err);
}

/* Fills r from a reviews row; the box points into the row.  -1 if malformed. */
static int read_review(sqlite3_stmt *s, cv_review_rec *r)
{
	int n = sqlite3_column_bytes(s, 5);

	memset(r, 0, sizeof(*r));
	if (col_text(s, 0, r->event, sizeof(r->event)) ||
	    col_text(s, 1, r->case_id, sizeof(r->case_id)) ||
	    sqlite3_column_type(s, 2) != SQLITE_INTEGER ||
	    col_text(s, 3, r->reviewed_at, sizeof(r->reviewed_at)) ||
	    sqlite3_column_type(s, 4) != SQLITE_INTEGER ||
	    sqlite3_column_type(s, 5) != SQLITE_BLOB || n < 1 || n > CV_REVIEW_BOX_MAX ||
	    col_blob(s, 6, r->sig, sizeof(r->sig)))
		return -1;
	r->reviewer_id = sqlite3_column_int64(s, 2);
	r->seq = sqlite3_column_int64(s, 4);
	r->box = sqlite3_column_blob(s, 5);
	r->box_len = (size_t)n;
	return 0;
}

static cv_status sq_review_get(void *be, const char *event, cv_review_rec *r, cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_REVIEW_GET, err);
	cv_status res = CV_OK;
	uint8_t *copy;
	int rc;

	memset(r, 0, sizeof(*r));
	if (!s)
		return CV_ERROR;
	sqlite3_bind_text(s, 1, event, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		res = CV_ENOTFOUND;
	} else if (rc != SQLITE_ROW) {
		res = db_error(st, rc, CV_PHRASE("reading a review"), err);
	} else if (read_review(s, r) != 0) {
		res =
		    cv_fail(err, CV_EINTEGRITY, "review.malformed",
			    "the review of event '{1}' is malformed (tampered or damaged)", event);
	} else if (!(copy = malloc(r->box_len))) {
		res = cv_err_set(err, CV_ERROR, "out of memory");
	} else {
		memcpy(copy, r->box, r->box_len);
		r->box = copy;
	}
	done(s);
	if (res != CV_OK)
		memset(r, 0, sizeof(*r));
	return res;
}

static cv_status sq_review_each(void *be, cv_store_review_cb cb, void *arg, cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_REVIEW_ALL, err);
	cv_status res = CV_OK;
	cv_review_rec r;
	int rc;

	if (!s)
		return CV_ERROR;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (read_review(s, &r) != 0) {
			res =
			    cv_fail(err, CV_EINTEGRITY, "review.malformed",
				    "the review of event '{1}' is malformed (tampered or damaged)",
				    (const char *)sqlite3_column_text(s, 0));
			break;
		}
		if (cb(&r, arg) != 0)
			break;
	}
	if (res == CV_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
		res = db_error(st, rc, CV_PHRASE("reading the reviews"), err);
	done(s);
	return res;
}

static cv_status sq_record_each_type(void *be, const char *type, cv_store_record_cb cb, void *arg,
				     cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_RECORD_EACH_TYPE, err);

	if (!s)
		return CV_ERROR;
	sqlite3_bind_text(s, 1, type, -1, SQLITE_STATIC);
	return record_walk(st, s, cb, arg, 0, err);
}

/* ---- the duty log ---------------------------------------------------------- */

static cv_status sq_duty_next_id(void *be, int64_t *id, cv_err *err)
{
	return int_scalar(be, S_DUTY_NEXT_ID, CV_PHRASE("choosing a shift id"), id, err);
}

static void bind_duty(sqlite3_stmt *s, const cv_duty_rec *r)
{
	sqlite3_bind_int64(s, 1, r->id);
	sqlite3_bind_int64(s, 2, r->counselor_id);
	sqlite3_bind_text(s, 3, r->room, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, r->status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, r->start_utc);
	sqlite3_bind_int64(s, 6, r->end_utc);
	sqlite3_bind_int64(s, 7, r->visits);
	sqlite3_bind_text(s, 8, r->created_at, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 9, r->seq);
	sqlite3_bind_int64(s, 10, r->signer_id);
	sqlite3_bind_blob(s, 11, r->sig, sizeof(r->sig), SQLITE_STATIC);
}

static cv_status sq_duty_insert(void *be, const cv_duty_rec *r, cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_DUTY_INSERT, err);

	if (!s)
		return CV_ERROR;
	bind_duty(s, r);
	return run(st, s, "writing a shift", err);
}

static cv_status sq_duty_update(void *be, const cv_duty_rec *r, cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_DUTY_UPDATE, err);
	cv_status res;

	if (!s)
		return CV_ERROR;
	bind_duty(s, r);
	res = run(st, s, "updating a shift", err);
	if (res == CV_OK && sqlite3_changes(st->db) != 1)
		res = cv_err_set(err, CV_ERROR, "internal error: shift %lld was not updated",
				 (long long)r->id);
	return res;
}

/* Fills r from a duty row; -1 when a column has another type or size. */
static int read_duty(sqlite3_stmt *s, cv_duty_rec *r)
{
	static const int ints[] = {0, 1, 4, 5, 6, 8, 9};

	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		if (sqlite3_column_type(s, ints[i]) != SQLITE_INTEGER)
			return -1;
	if (col_text(s, 2, r->room, sizeof(r->room)) ||
	    col_text(s, 3, r->status, sizeof(r->status)) ||
	    col_text(s, 7, r->created_at, sizeof(r->created_at)) ||
	    col_blob(s, 10, r->sig, sizeof(r->sig)))
		return -1;
	r->id = sqlite3_column_int64(s, 0);
	r->counselor_id = sqlite3_column_int64(s, 1);
	r->start_utc = sqlite3_column_int64(s, 4);
	r->end_utc = sqlite3_column_int64(s, 5);
	r->visits = sqlite3_column_int64(s, 6);
	r->seq = sqlite3_column_int64(s, 8);
	r->signer_id = sqlite3_column_int64(s, 9);
	return 0;
}

static cv_status sq_duty_each(void *be, const cv_store_duty_query *q, cv_store_duty_cb cb,
			      void *arg, cv_err *err)
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_DUTY_EACH, err);
	cv_status res = CV_OK;
	cv_duty_rec r;
	char id[24];
	int rc;

	if (!s)
		return CV_ERROR;
	sqlite3_bind_int64(s, 1, q->counselor);
	if (q->status)
		sqlite3_bind_text(s, 2, q->status, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 2);
	sqlite3_bind_int64(s, 3, q->from_utc);
	sqlite3_bind_int64(s, 4, q->to_utc);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (read_duty(s, &r) != 0) {
			res = cv_fail(err, CV_EINTEGRITY, "duty.malformed",
				      "shift {1} of the duty log is malformed (tampered or "
				      "damaged); run 'casevault audit verify' and restore from a "
				      "backup",
				      cv_num(id, sqlite3_column_int64(s, 0)));
			break;
		}
		if (cb(&r, arg) != 0)
			break;
	}
	if (res == CV_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
		res = db_error(st, rc, CV_PHRASE("reading the duty log"), err);
	done(s);
	return res;
}

/* PRAGMA data_version changes with every commit of another connection
 * (SQLite reads the file's change counter and WAL index for it, as it does
 * before trusting its page cache); total_changes with every row this
 * connection writes. */
static int sq_generation(void *be, uint64_t gen[2])
{
	struct sq *st = be;
	sqlite3_stmt *s = stmt(st, S_DATA_VERSION, NULL);
	int ok = s && sqlite3_step(s) == SQLITE_ROW;

	if (ok) {
		gen[0] = (uint64_t)sqlite3_column_int64(s, 0);
		gen[1] = (uint64_t)sqlite3_total_changes64(st->db);
	}
	done(s);
	return ok ? 0 : -1;
}

const struct cv_store_ops cv_store_sqlite_ops = {
    .name = "sqlite",
    .create = sq_create,
    .open = sq_open,
    .close = sq_close,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .meta_put = sq_meta_put,
    .meta_get = sq_meta_get,
    .setting_put = sq_setting_put,
    .setting_get = sq_setting_get,
    .setting_each = sq_setting_each,
    .user_next_id = sq_user_next_id,
    .user_insert = sq_user_insert,
    .user_update_status = sq_user_update_status,
    .user_update_keys = sq_user_update_keys,
    .user_update_identity = sq_user_update_identity,
    .history_insert = sq_history_insert,
    .cert_at = sq_cert_at,
    .user_by_name = sq_user_by_name,
    .user_by_id = sq_user_by_id,
    .user_each = sq_user_each,
    .audit_head = sq_audit_head,
    .audit_insert = sq_audit_insert,
    .row_commits = sq_row_commits,
    .row_each = sq_row_each,
    .structure_check = sq_structure_check,
    .structure_start = sq_structure_start,
    .structure_finish = sq_structure_finish,
    .beside = sq_beside,
    .check_audit_each = sq_check_audit_each,
    .check_row_each = sq_check_row_each,
    .beside_wait = sq_beside_wait,
    .audit_last_seq = sq_audit_last_seq,
    .audit_next_seq = sq_audit_next_seq,
    .audit_get = sq_audit_get,
    .audit_each = sq_audit_each,
    .vkey_put = sq_vkey_put,
    .vkey_get = sq_vkey_get,
    .keys_delete_user = sq_keys_delete_user,
    .case_insert = sq_case_insert,
    .case_get = sq_case_get,
    .case_update = sq_case_update,
    .case_find = sq_case_find,
    .case_granted = sq_case_granted,
    .case_shred = sq_case_shred,
    .grant_put = sq_grant_put,
    .grant_get = sq_grant_get,
    .grant_each_user = sq_grant_each_user,
    .record_insert = sq_record_insert,
    .record_update = sq_record_update,
    .record_get = sq_record_get,
    .record_each_case = sq_record_each_case,
    .record_each_granted = sq_record_each_granted,
    .id_taken = sq_id_taken,
    .case_all = sq_case_all,
    .case_page = sq_case_page,
    .record_range = sq_record_range,
    .case_record_rows = sq_case_record_rows,
    .release_insert = sq_release_insert,
    .release_overlap = sq_release_overlap,
    .release_spent = sq_release_spent,
    .review_insert = sq_review_insert,
    .review_get = sq_review_get,
    .review_each = sq_review_each,
    .record_each_type = sq_record_each_type,
    .duty_next_id = sq_duty_next_id,
    .duty_insert = sq_duty_insert,
    .duty_update = sq_duty_update,
    .duty_each = sq_duty_each,
    .generation = sq_generation,
};
