/*
 * bench_stats.c - the benchmark behind `make bench`: how long `stats
 * export` takes on vaults of many cases, against a baseline measured in
 * the same process, and how its peak memory grows with the vault.
 *
 *     bench_stats [-r REPS] DIR N...
 *
 * For each N (ascending) a vault of N cases is generated through the
 * public library API and cached in DIR as vault-N-STAMP.db, STAMP naming
 * the format version, a hash of the schema the library creates and the
 * generator's version, so that a rerun skips the generation and a changed
 * format or generator regenerates.  A larger vault is built from a copy
 * of the next smaller one (the generator makes case i the same way
 * whatever the size).  Then, for each N, in a child process of its own,
 * REPS times on a fresh copy of the vault, after one audit verify by the
 * supervisor (its anchor is what the export verifies from, as in use):
 *   - baseline: a plain sqlite3 scan of every column of every row of the
 *     cases and records tables (the bytes the export reads), no checks;
 *   - export: cv_stats_export by the supervisor over the period of the
 *     cases, with the peak RSS (getrusage) reset before it (Linux
 *     /proc/self/clear_refs) so that its growth is the export's own;
 * then once on a fresh copy: cv_audit_verify_full (every signature), then
 * cv_audit_verify from the anchor the full one wrote (rows per second).
 *
 * The cost split of the export is measured inside one more export, after
 * the timed ones (counting reads the clock on every call): the program is
 * linked with -Wl,--wrap for the library's calls of
 * crypto_sign_verify_detached, crypto_box_open_easy_afternm,
 * crypto_box_beforenm, sodium_malloc, sodium_free, sqlite3_step,
 * cv_statsbox_case_get and cv_statsbox_record_get (the statistics
 * plaintexts' decoder), cv_verify_in_op_begin and cv_verify_in_op_end (see the
 * Makefile), and while that export runs each wrapper counts its calls and
 * the time spent in them (what runs inside the export's own log
 * verification is charged to that verification alone).  The per-call
 * cost of the first three is also timed in isolation, as a cross-check.
 *
 * The table goes to stdout and to DIR/results.txt.  Speed is reported as
 * ratios to the baseline and ms per case, never asserted: this is no test.
 *
 * Layer: tests.  Uses casevault.h, libsodium and sqlite3; includes
 * helpers.h for the cheap KDF parameters and the enrolment helper.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "statsbox.h"

/* Bump when the generator makes different vaults. */
#define GEN_VERSION 2
#define SEED 20261129u
#define REPS_DEFAULT 3
#define REPS_MAX 9
#define SIZES_MAX 8
#define PATH_MAX_BENCH 512
#define K_BENCH 5
/* Calls timed per primitive (scaled up to the vault's rows). */
#define PRIM_CALLS 5000
/* Every RECORDS_EVERY-th case has records; see gen_records. */
#define RECORDS_EVERY 10
#define CLOSE_EVERY 100
/* SPEC.md section 6: stats export over 100k cases in under 2 s; audit
 * verify reading 1M rows/s; memory flat in vault size (here: the export's
 * peak growth at the largest size at most FLAT_FACTOR times the smallest's,
 * the smallest's taken as at least FLAT_FLOOR_KIB: the resolution of a
 * peak read from /proc, below which a growth is none). */
#define EXPORT_GOAL_CASES 100000
#define EXPORT_GOAL_S 2.0
#define AUDIT_GOAL_ROWS_S 1e6
#define FLAT_FACTOR 2.0
#define FLAT_FLOOR_KIB 1024.0

#define PW_ALICE "alice correct horse battery"
#define PW_CAROL "carol correct horse battery"
#define PW_SAM "sam correct horse battery"

static const char *const genders[] = {"F", "M", "X"};
static const char *const categories[] = {"academic",	"emotion",  "relationships",  "family",
					 "adolescence", "behavior", "self-harm-risk", "other"};
static const char *const urgencies[] = {"routine", "urgent", "emergency"};
static const char *const destinations[] = {"mental-health", "hospital", "counseling",
					   "social-services", "other"};
static const char *const tags[] = {"single-parent", "left-behind", "family-change", "other"};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static char stamp[64];
static FILE *results;

/* ---- output ---------------------------------------------------------------- */

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
	if (results) {
		va_start(ap, fmt);
		vfprintf(results, fmt, ap);
		va_end(ap);
	}
}

static void die(const char *what, const cv_err *err)
{
	fprintf(stderr, "bench_stats: %s: %s\n", what, err ? err->msg : strerror(errno));
	exit(1);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Peak RSS of this process so far, KiB. */
static long maxrss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* Current RSS, KiB, from /proc/self/statm. */
static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long size = 0, res = 0;

	if (!f)
		return -1;
	if (fscanf(f, "%ld %ld", &size, &res) != 2)
		res = -1;
	fclose(f);
	return res < 0 ? -1 : res * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Resets the peak RSS to the current RSS (Linux 4.0+); 0 when done. */
static int reset_peak(void)
{
	int fd = open("/proc/self/clear_refs", O_WRONLY);
	int ok;

	if (fd < 0)
		return -1;
	ok = write(fd, "5", 1) == 1;
	close(fd);
	return ok ? 0 : -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- the export's cost split (-Wl,--wrap) ------------------------------------ */

enum { W_SIG, W_SEAL, W_BEFORENM, W_SMALLOC, W_SFREE, W_STEP, W_DECODE, W_AUDIT, W_N };
static const char *const wrap_names[W_N] = {"sign_verify",   "box_open",    "box_beforenm",
					    "sodium_malloc", "sodium_free", "sqlite3_step",
					    "stats_decode",  "audit_verify"};
static int counting; /* an export is running */
static int in_audit; /* inside its verification */
/* Only the export's own thread is charged: the verification's threads
 * beside it (the walk of the log, the structure check) are its wait. */
static pthread_t main_thread;
static int64_t wrap_calls[W_N];
static double wrap_s[W_N];

/* Whether a call is charged to its own bucket; t0 set when it is. */
#define WRAP_BEGIN(t0)                                                                             \
	((counting && !in_audit && pthread_equal(pthread_self(), main_thread))                     \
	     ? ((t0) = now_s(), 1)                                                                 \
	     : 0)
#define WRAP_END(w, t0)                                                                            \
	do {                                                                                       \
		wrap_s[w] += now_s() - (t0);                                                       \
		wrap_calls[w]++;                                                                   \
	} while (0)

int __real_crypto_sign_verify_detached(const unsigned char *sig, const unsigned char *m,
				       unsigned long long mlen, const unsigned char *pk);
int __wrap_crypto_sign_verify_detached(const unsigned char *sig, const unsigned char *m,
				       unsigned long long mlen, const unsigned char *pk);
int __wrap_crypto_sign_verify_detached(const unsigned char *sig, const unsigned char *m,
				       unsigned long long mlen, const unsigned char *pk)
{
	double t0 = 0;
	int on = WRAP_BEGIN(t0);
	int rc = __real_crypto_sign_verify_detached(sig, m, mlen, pk);

	if (on)
		WRAP_END(W_SIG, t0);
	return rc;
}

int __real_crypto_box_open_easy_afternm(unsigned char *m, const unsigned char *c,
					unsigned long long clen, const unsigned char *n,
					const unsigned char *k);
int __wrap_crypto_box_open_easy_afternm(unsigned char *m, const unsigned char *c,
					unsigned long long clen, const unsigned char *n,
					const unsigned char *k);
int __wrap_crypto_box_open_easy_afternm(unsigned char *m, const unsigned char *c,
					unsigned long long clen, const unsigned char *n,
					const unsigned char *k)
{
	double t0 = 0;
	int on = WRAP_BEGIN(t0);
	int rc = __real_crypto_box_open_easy_afternm(m, c, clen, n, k);

	if (on)
		WRAP_END(W_SEAL, t0);
	return rc;
}

int __real_crypto_box_beforenm(unsigned char *k, const unsigned char *pk, const unsigned char *sk);
int __wrap_crypto_box_beforenm(unsigned char *k, const unsigned char *pk, const unsigned char *sk);
int __wrap_crypto_box_beforenm(unsigned char *k, const unsigned char *pk, const unsigned char *sk)
{
	double t0 = 0;
	int on = WRAP_BEGIN(t0);
	int rc = __real_crypto_box_beforenm(k, pk, sk);

	if (on)
		WRAP_END(W_BEFORENM, t0);
	return rc;
}

void *__real_sodium_malloc(size_t size);
void *__wrap_sodium_malloc(size_t size);
void *__wrap_sodium_malloc(size_t size)
{
	double t0 = 0;
	int on = WRAP_BEGIN(t0);
	void *p = __real_sodium_malloc(size);

	if (on)
		WRAP_END(W_SMALLOC, t0);
	return p;
}

void __real_sodium_free(void *p);
void __wrap_sodium_free(void *p);
void __wrap_sodium_free(void *p)
{
	double t0 = 0;
	int on = WRAP_BEGIN(t0);

	__real_sodium_free(p);
	if (on)
		WRAP_END(W_SFREE, t0);
}

int __real_sqlite3_step(sqlite3_stmt *s);
int __wrap_sqlite3_step(sqlite3_stmt *s);
int __wrap_sqlite3_step(sqlite3_stmt *s)
{
	double t0 = 0;
	int on = WRAP_BEGIN(t0);
	int rc = __real_sqlite3_step(s);

	if (on)
		WRAP_END(W_STEP, t0);
	return rc;
}

const char *__real_cv_statsbox_case_get(const uint8_t *p, size_t n, cv_statsbox_case *c);
const char *__wrap_cv_statsbox_case_get(const uint8_t *p, size_t n, cv_statsbox_case *c);
const char *__wrap_cv_statsbox_case_get(const uint8_t *p, size_t n, cv_statsbox_case *c)
{
	double t0 = 0;
	int on = WRAP_BEGIN(t0);
	const char *why = __real_cv_statsbox_case_get(p, n, c);

	if (on)
		WRAP_END(W_DECODE, t0);
	return why;
}

const char *__real_cv_statsbox_record_get(const uint8_t *p, size_t n, cv_statsbox_record *r);
const char *__wrap_cv_statsbox_record_get(const uint8_t *p, size_t n, cv_statsbox_record *r);
const char *__wrap_cv_statsbox_record_get(const uint8_t *p, size_t n, cv_statsbox_record *r)
{
	double t0 = 0;
	int on = WRAP_BEGIN(t0);
	const char *why = __real_cv_statsbox_record_get(p, n, r);

	if (on)
		WRAP_END(W_DECODE, t0);
	return why;
}

/* The export's verification is in two halves (verify.h): the walk of the
 * log, then, after the count, the wait for the checks that ran beside it.
 * Both are charged to audit_verify. */
struct cv_verify_pending;
cv_status __real_cv_verify_in_op_begin(cv_session *s, struct cv_verify_pending **pending,
				       cv_audit_report *rep, cv_err *err);
cv_status __wrap_cv_verify_in_op_begin(cv_session *s, struct cv_verify_pending **pending,
				       cv_audit_report *rep, cv_err *err);
cv_status __wrap_cv_verify_in_op_begin(cv_session *s, struct cv_verify_pending **pending,
				       cv_audit_report *rep, cv_err *err)
{
	double t0 = 0;
	int on = WRAP_BEGIN(t0);
	cv_status st;

	in_audit += on;
	st = __real_cv_verify_in_op_begin(s, pending, rep, err);
	in_audit -= on;
	if (on)
		WRAP_END(W_AUDIT, t0);
	return st;
}

cv_status __real_cv_verify_in_op_end(cv_session *s, struct cv_verify_pending *pending,
				     cv_status counted, cv_audit_report *rep, cv_err *err);
cv_status __wrap_cv_verify_in_op_end(cv_session *s, struct cv_verify_pending *pending,
				     cv_status counted, cv_audit_report *rep, cv_err *err);
cv_status __wrap_cv_verify_in_op_end(cv_session *s, struct cv_verify_pending *pending,
				     cv_status counted, cv_audit_report *rep, cv_err *err)
{
	double t0 = 0;
	int on = WRAP_BEGIN(t0);
	cv_status st;

	in_audit += on;
	st = __real_cv_verify_in_op_end(s, pending, counted, rep, err);
	in_audit -= on;
	if (on)
		WRAP_END(W_AUDIT, t0);
	return st;
}

/* The walks of the log inside an audit verify (the store's, each row
 * checked by the verification as it is read: its chain, its hash, its
 * segment and its commitments), timed while walk_timing is set. */
static int walk_timing;
static double walk_s;

cv_status __real_cv_store_audit_each(cv_store *st, const cv_store_audit_query *q,
				     cv_store_audit_cb cb, void *arg, cv_err *err);
cv_status __wrap_cv_store_audit_each(cv_store *st, const cv_store_audit_query *q,
				     cv_store_audit_cb cb, void *arg, cv_err *err);
cv_status __wrap_cv_store_audit_each(cv_store *st, const cv_store_audit_query *q,
				     cv_store_audit_cb cb, void *arg, cv_err *err)
{
	double t0 = walk_timing ? now_s() : 0;
	cv_status res = __real_cv_store_audit_each(st, q, cb, arg, err);

	if (walk_timing)
		walk_s += now_s() - t0;
	return res;
}

/* ---- files ------------------------------------------------------------------ */

static void path_of(char *p, size_t cap, const char *dir, const char *name)
{
	int n = snprintf(p, cap, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= cap) {
		fprintf(stderr, "bench_stats: path '%s/%s' is too long\n", dir, name);
		exit(2);
	}
}

/* Removes a vault file and its -wal, -shm and -journal files. */
static void remove_db(const char *path)
{
	static const char *const ext[] = {"", "-wal", "-shm", "-journal"};
	char p[PATH_MAX_BENCH + 16];

	for (size_t i = 0; i < COUNT(ext); i++) {
		int n = snprintf(p, sizeof(p), "%s%s", path, ext[i]);

		if (n > 0 && (size_t)n < sizeof(p))
			unlink(p);
	}
}

/* Copies a closed vault with the SQLite backup API. */
static void copy_vault(const char *from, const char *to)
{
	sqlite3 *src = NULL, *dst = NULL;
	sqlite3_backup *bk = NULL;
	int rc;

	remove_db(to);
	if (sqlite3_open_v2(from, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_open_v2(to, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
		SQLITE_OK ||
	    !(bk = sqlite3_backup_init(dst, "main", src, "main"))) {
		fprintf(stderr, "bench_stats: cannot copy '%s': %s\n", from,
			sqlite3_errmsg(dst ? dst : src));
		exit(1);
	}
	rc = sqlite3_backup_step(bk, -1);
	sqlite3_backup_finish(bk);
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "bench_stats: copying '%s' failed (%d)\n", from, rc);
		exit(1);
	}
	sqlite3_close(dst);
	sqlite3_close(src);
	chmod(to, 0600);
}

/* One integer or text of a closed vault, by a plain query. */
static int64_t sql_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int64_t v = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static void sql_text(const char *path, const char *sql, char *outp, size_t cap)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;

	outp[0] = '\0';
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		snprintf(outp, cap, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
}

/*
 * make_stamp - the format version and a hash of the schema a new vault
 * gets (from a probe vault made and removed here), and GEN_VERSION.
 */
static void make_stamp(const char *dir)
{
	char probe[PATH_MAX_BENCH], sql[64];
	char *code = sodium_malloc(CV_RECOVERY_CODE_LEN + 1);
	uint8_t h[8];
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	crypto_generichash_state hs;
	int64_t ver;
	cv_err err = {0};

	path_of(probe, sizeof(probe), dir, "probe.db");
	remove_db(probe);
	if (!code || cv_vault_create(probe, "alice", PW_ALICE, strlen(PW_ALICE), &cheap_kdf, code,
				     &err) != CV_OK)
		die("probe vault", &err);
	sodium_free(code);
	snprintf(sql, sizeof(sql), "PRAGMA user_version");
	ver = sql_int(probe, sql);
	crypto_generichash_init(&hs, NULL, 0, sizeof(h));
	if (sqlite3_open_v2(probe, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT sql FROM sqlite_master WHERE sql NOT NULL ORDER BY name",
			       -1, &s, NULL) != SQLITE_OK)
		die("probe schema", NULL);
	while (sqlite3_step(s) == SQLITE_ROW)
		crypto_generichash_update(&hs, sqlite3_column_text(s, 0),
					  (size_t)sqlite3_column_bytes(s, 0) + 1);
	sqlite3_finalize(s);
	sqlite3_close(db);
	crypto_generichash_final(&hs, h, sizeof(h));
	remove_db(probe);
	snprintf(stamp, sizeof(stamp), "f%lld-s%02x%02x%02x%02x-g%d", (long long)ver, h[0], h[1],
		 h[2], h[3], GEN_VERSION);
}

/* ---- generation ------------------------------------------------------------ */

/* A small hash of (SEED, i, salt): case i comes out the same in every run. */
static uint32_t rnd(uint32_t i, uint32_t salt)
{
	uint32_t x = SEED ^ (i * 0x9e3779b9u) ^ (salt * 0x85ebca6bu);

	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	x *= 0x846ca68bu;
	x ^= x >> 16;
	return x;
}

static void note_final(cv_session *c, const char *id, const char *kind)
{
	char n[CV_CASE_ID_MAX];
	cv_err err = {0};

	if (cv_note_add(c, id, kind, kind, strlen(kind), NULL, n, &err) != CV_OK ||
	    cv_note_finalize(c, n, &err) != CV_OK)
		die("note", &err);
}

/*
 * gen_records - every RECORDS_EVERY-th case: the consent of student and
 * guardian, two final session notes, a referral on a third of them (half
 * of those updated), a register entry on another third; every
 * CLOSE_EVERY-th case is closed (final analysis and outcome notes).
 */
static void gen_records(cv_session *c, const char *id, uint32_t i)
{
	static const char all[] = "individual,group,testing,guardian-contact,referral-disclosure";
	cv_consent_input stu = {"student", "written", "2026-09-01", all, NULL};
	cv_consent_input gua = {"guardian", "written", "2026-09-01", all, NULL};
	cv_err err = {0};

	if (i % RECORDS_EVERY)
		return;
	if (cv_consent_record(c, id, &stu, &err) != CV_OK ||
	    cv_consent_record(c, id, &gua, &err) != CV_OK)
		die("consent", &err);
	note_final(c, id, "session");
	note_final(c, id, "session");
	if (i % (3 * RECORDS_EVERY) == 0) {
		cv_referral_input ri = {"Clinic",
					destinations[rnd(i, 10) % COUNT(destinations)],
					categories[rnd(i, 11) % COUNT(categories)],
					urgencies[rnd(i, 12) % COUNT(urgencies)],
					"summary",
					NULL};
		char rid[CV_CASE_ID_MAX];

		if (cv_referral_add(c, id, &ri, NULL, rid, &err) != CV_OK)
			die("referral", &err);
		if (rnd(i, 13) % 2 &&
		    cv_referral_update(c, rid, "contacted", NULL, NULL, &err) != CV_OK)
			die("referral update", &err);
	} else if (i % (3 * RECORDS_EVERY) == RECORDS_EVERY) {
		if (cv_watch_add(c, id, tags[rnd(i, 14) % COUNT(tags)], 30, &err) != CV_OK)
			die("register", &err);
	}
	if (i % CLOSE_EVERY == 0) {
		note_final(c, id, "analysis");
		note_final(c, id, "outcome");
		if (cv_case_close(c, id, &err) != CV_OK)
			die("close", &err);
	}
}

/* A new vault: alice admin, carol counselor, sam supervisor, keys delivered. */
static void gen_base(const char *path)
{
	char *code = sodium_malloc(CV_RECOVERY_CODE_LEN + 1);
	cv_vault *v = NULL;
	cv_session *a = NULL;
	cv_err err = {0};
	int delivered = 0;

	if (!code)
		die("guarded memory", NULL);
	if (cv_vault_create(path, "alice", PW_ALICE, strlen(PW_ALICE), &cheap_kdf, code, &err) !=
		CV_OK ||
	    cv_vault_open(path, &v, &err) != CV_OK ||
	    cv_login(v, "alice", PW_ALICE, strlen(PW_ALICE), &a, &err) != CV_OK ||
	    add_user(v, a, "carol", CV_ROLE_COUNSELOR, PW_CAROL, &err) != CV_OK ||
	    add_user(v, a, "sam", CV_ROLE_SUPERVISOR, PW_SAM, &err) != CV_OK ||
	    cv_vault_keys_deliver(a, code, &delivered, &err) != CV_OK)
		die("base vault", &err);
	sodium_memzero(code, CV_RECOVERY_CODE_LEN + 1);
	sodium_free(code);
	cv_session_close(a);
	cv_vault_close(v);
}

/* Cases from..to-1 into the vault at path, by carol in one session. */
static void gen_cases(const char *path, uint32_t from, uint32_t to)
{
	cv_vault *v = NULL;
	cv_session *c = NULL;
	cv_err err = {0};
	double t0 = now_s();

	if (cv_vault_open(path, &v, &err) != CV_OK ||
	    cv_login(v, "carol", PW_CAROL, strlen(PW_CAROL), &c, &err) != CV_OK)
		die("generator login", &err);
	for (uint32_t i = from; i < to; i++) {
		char sid[16], name[32], id[CV_CASE_ID_MAX];
		unsigned grade = 1 + rnd(i, 1) % 12;
		int adult = grade >= 10 && rnd(i, 2) % 2 == 0;
		cv_case_input in = {sid,
				    name,
				    genders[rnd(i, 3) % COUNT(genders)],
				    grade,
				    "1-1",
				    categories[rnd(i, 4) % COUNT(categories)],
				    adult ? "2000-01-01" : NULL,
				    "Guardian",
				    "13800001111"};
		int dup = 0;

		snprintf(sid, sizeof(sid), "S%07u", (unsigned)i);
		snprintf(name, sizeof(name), "Student %u", (unsigned)i);
		if (cv_case_open(c, &in, id, &dup, &err) != CV_OK)
			die("case open", &err);
		gen_records(c, id, i);
		if ((i + 1) % 10000 == 0)
			fprintf(stderr, "  generated %u cases (%.0f s)\n", (unsigned)(i + 1),
				now_s() - t0);
	}
	cv_session_close(c);
	cv_vault_close(v);
}

/* Removes cached vaults of n cases made with another stamp. */
static void drop_stale(const char *dir, unsigned n, const char *keep)
{
	char pat[PATH_MAX_BENCH], name[64];
	glob_t g;

	snprintf(name, sizeof(name), "vault-%u-*.db", n);
	path_of(pat, sizeof(pat), dir, name);
	if (glob(pat, 0, NULL, &g) != 0)
		return;
	for (size_t i = 0; i < g.gl_pathc; i++)
		if (strcmp(g.gl_pathv[i], keep) != 0) {
			fprintf(stderr, "  removing stale '%s'\n", g.gl_pathv[i]);
			remove_db(g.gl_pathv[i]);
		}
	globfree(&g);
}

/*
 * ensure_vault - the cached vault of n cases in path, generated (from a
 * copy of the cached vault of prev_n cases, prev, when there is one)
 * into a .part file renamed when complete.
 */
static void ensure_vault(const char *dir, unsigned n, char *path, size_t cap, const char *prev,
			 unsigned prev_n)
{
	char name[96], part[PATH_MAX_BENCH + 8];
	struct stat sb;
	double t0;

	snprintf(name, sizeof(name), "vault-%u-%s.db", n, stamp);
	path_of(path, cap, dir, name);
	drop_stale(dir, n, path);
	if (stat(path, &sb) == 0 && sql_int(path, "SELECT count(*) FROM cases") == (int64_t)n)
		return;
	remove_db(path);
	if ((size_t)snprintf(part, sizeof(part), "%s.part", path) >= sizeof(part))
		die("path too long", NULL);
	remove_db(part);
	t0 = now_s();
	if (prev) {
		fprintf(stderr, "generating %u cases from the vault of %u\n", n, prev_n);
		copy_vault(prev, part);
	} else {
		fprintf(stderr, "generating %u cases\n", n);
		gen_base(part);
	}
	gen_cases(part, prev ? prev_n : 0, n);
	if (rename(part, path) != 0)
		die("rename", NULL);
	fprintf(stderr, "generated '%s' in %.0f s\n", path, now_s() - t0);
}

/* ---- measurements ------------------------------------------------------------ */

/* What one child measures for one size, sent back through a pipe. */
struct meas {
	int reps;
	double base_s[REPS_MAX], export_s[REPS_MAX];
	long rss_before_kib[REPS_MAX], peak_kib[REPS_MAX];
	int peak_reset; /* the peak was reset before the export */
	int64_t base_bytes, base_rows;
	int64_t audit_rows;
	double audit_s;	     /* from the anchor the full verification wrote */
	double audit_full_s; /* every signature */
	double walk_s;	     /* in audit_s: its walks of the log */
	int64_t cases, records, stats_boxes;
	double sig_s, seal_s, smalloc_s; /* per call, in isolation */
	double split_s;			 /* the export that measured the split */
	int64_t wcalls[W_N];		 /* in the last export */
	double ws[W_N];
	int64_t mean_box, mean_row;
	char error[CV_ERRMSG_MAX + 32];
};

/* The baseline: every column of every cases and records row, read. */
static void baseline_scan(const char *path, int64_t *bytes, int64_t *rows)
{
	static const char *const q[] = {"SELECT * FROM cases", "SELECT * FROM records"};
	sqlite3 *db = NULL;
	uint64_t sum = 0;

	*bytes = *rows = 0;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		die("baseline open", NULL);
	for (size_t k = 0; k < COUNT(q); k++) {
		sqlite3_stmt *s = NULL;

		if (sqlite3_prepare_v2(db, q[k], -1, &s, NULL) != SQLITE_OK)
			die("baseline prepare", NULL);
		while (sqlite3_step(s) == SQLITE_ROW) {
			int nc = sqlite3_column_count(s);

			for (int c = 0; c < nc; c++) {
				const uint8_t *b = sqlite3_column_blob(s, c);
				int n = sqlite3_column_bytes(s, c);

				/* touch the bytes, as a check would */
				for (int j = 0; j < n; j += 16)
					sum += b[j];
				*bytes += n;
			}
			(*rows)++;
		}
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	if (sum == 1)
		fprintf(stderr, " ");
}

static void period_of(const char *path, char from[CV_STATS_MONTH_LEN], char to[CV_STATS_MONTH_LEN])
{
	sql_text(path, "SELECT substr(min(opened_at), 1, 7) FROM cases", from, CV_STATS_MONTH_LEN);
	sql_text(path,
		 "SELECT substr(max(t), 1, 7) FROM (SELECT max(opened_at) AS t FROM cases"
		 " UNION ALL SELECT max(created_at) FROM records)",
		 to, CV_STATS_MONTH_LEN);
}

/* The primitives of the walk, timed in isolation (seconds per call). */
static void time_primitives(struct meas *m, size_t box_len, size_t row_len)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	uint8_t bpk[crypto_box_PUBLICKEYBYTES], bsk[crypto_box_SECRETKEYBYTES];
	uint8_t sig[crypto_sign_BYTES];
	/* a statistics box: writer_pk (32) || nonce (24) || box (len + 16) */
	size_t pt_len = box_len > 72 ? box_len - 72 : 1;
	uint8_t *msg = calloc(1, row_len + 1), *pt = calloc(1, pt_len), *box;
	uint8_t nonce[crypto_box_NONCEBYTES], k[crypto_box_BEFORENMBYTES];
	int bad = 0;
	double t0;

	box = calloc(1, pt_len + crypto_box_MACBYTES);
	if (!msg || !pt || !box)
		die("memory", NULL);
	randombytes_buf(msg, row_len);
	randombytes_buf(nonce, sizeof(nonce));
	crypto_sign_keypair(pk, sk);
	crypto_sign_detached(sig, NULL, msg, row_len, sk);
	crypto_box_keypair(bpk, bsk);
	bad += crypto_box_beforenm(k, bpk, bsk) != 0;
	crypto_box_easy_afternm(box, pt, pt_len, nonce, k);
	t0 = now_s();
	for (int i = 0; i < PRIM_CALLS; i++)
		bad += crypto_sign_verify_detached(sig, msg, row_len, pk) != 0;
	m->sig_s = (now_s() - t0) / PRIM_CALLS;
	t0 = now_s();
	for (int i = 0; i < PRIM_CALLS; i++)
		bad += crypto_box_open_easy_afternm(pt, box, pt_len + crypto_box_MACBYTES, nonce,
						    k) != 0;
	m->seal_s = (now_s() - t0) / PRIM_CALLS;
	t0 = now_s();
	for (int i = 0; i < PRIM_CALLS; i++) {
		uint8_t *p = sodium_malloc(pt_len + 1);

		bad += !p;
		sodium_free(p);
	}
	m->smalloc_s = (now_s() - t0) / PRIM_CALLS;
	if (bad)
		die("a primitive failed", NULL);
	free(msg);
	free(pt);
	free(box);
}

/* Opens a fresh copy of the vault and logs sam in. */
static void open_copy(const char *vault, const char *work, cv_vault **v, cv_session **s)
{
	cv_err err = {0};

	copy_vault(vault, work);
	if (cv_vault_open(work, v, &err) != CV_OK ||
	    cv_login(*v, "sam", PW_SAM, strlen(PW_SAM), s, &err) != CV_OK)
		die("supervisor login", &err);
}

/* Everything measured for one vault; runs in a child process. */
static void measure(const char *vault, const char *work, int reps, struct meas *m)
{
	char from[CV_STATS_MONTH_LEN], to[CV_STATS_MONTH_LEN];
	cv_err err = {0};

	memset(m, 0, sizeof(*m));
	m->reps = reps;
	m->peak_reset = 1;
	period_of(vault, from, to);
	m->cases = sql_int(vault, "SELECT count(*) FROM cases");
	m->records = sql_int(vault, "SELECT count(*) FROM records");
	m->stats_boxes = sql_int(vault, "SELECT count(*) FROM records WHERE length(stats_box) > 0");
	m->mean_box = sql_int(vault, "SELECT CAST(avg(length(stats_box)) AS INTEGER) FROM cases");
	m->mean_row =
	    sql_int(vault, "SELECT CAST(avg(length(id) + length(opened_at) + length(closed_at)"
			   " + length(index_tag) + length(key_commit) + length(recovery_key)"
			   " + length(data_nonce) + length(data_box) + length(stats_box)"
			   " + length(mac)) AS INTEGER) FROM cases");
	/* reps timed exports, then one more that measures the split (its
	 * wrappers read the clock on every call they count, which the
	 * timed ones must not pay) */
	for (int r = 0; r <= reps; r++) {
		int split = r == reps;
		cv_vault *v = NULL;
		cv_session *s = NULL;
		cv_stats_result *res = NULL;
		cv_status st;
		double t0, took;

		open_copy(vault, work, &v, &s);
		/* A supervisor verified the log earlier (each export and each
		 * audit verify leaves an anchor, docs/FORMAT.md §7.7): the
		 * export verifies from there, as it does in use. */
		{
			cv_audit_report rep = {0};

			if (cv_audit_verify(s, NULL, &rep, &err) != CV_OK) {
				snprintf(m->error, sizeof(m->error), "audit verify: %s", err.msg);
				return;
			}
			/* What it freed goes back to the system, so that the
			 * export's own verification counts in its growth. */
			malloc_trim(0);
		}
		/* the same bytes, read plainly, in the same process */
		baseline_scan(work, &m->base_bytes, &m->base_rows);
		t0 = now_s();
		baseline_scan(work, &m->base_bytes, &m->base_rows);
		if (!split)
			m->base_s[r] = now_s() - t0;
		if (!split && reset_peak() != 0)
			m->peak_reset = 0;
		if (!split)
			m->rss_before_kib[r] = rss_kib();
		memset(wrap_calls, 0, sizeof(wrap_calls));
		memset(wrap_s, 0, sizeof(wrap_s));
		counting = split;
		t0 = now_s();
		st = cv_stats_export(s, from, to, K_BENCH, NULL, &res, &err);
		took = now_s() - t0;
		counting = 0;
		if (!split) {
			m->export_s[r] = took;
			m->peak_kib[r] = maxrss_kib();
		} else {
			m->split_s = took;
		}
		if (st != CV_OK) {
			snprintf(m->error, sizeof(m->error), "stats export: %s", err.msg);
			return;
		}
		memcpy(m->wcalls, wrap_calls, sizeof(wrap_calls));
		memcpy(m->ws, wrap_s, sizeof(wrap_s));
		cv_stats_free(res);
		cv_session_close(s);
		cv_vault_close(v);
	}
	{
		cv_vault *v = NULL;
		cv_session *s = NULL;
		cv_audit_report rep = {0};
		double t0;

		open_copy(vault, work, &v, &s);
		t0 = now_s();
		if (cv_audit_verify_full(s, NULL, &rep, &err) != CV_OK) {
			snprintf(m->error, sizeof(m->error), "audit verify --full: %s", err.msg);
			return;
		}
		m->audit_full_s = now_s() - t0;
		/* then again, from the anchor the full one wrote */
		walk_s = 0;
		walk_timing = 1;
		t0 = now_s();
		if (cv_audit_verify(s, NULL, &rep, &err) != CV_OK) {
			snprintf(m->error, sizeof(m->error), "audit verify: %s", err.msg);
			return;
		}
		m->audit_s = now_s() - t0;
		walk_timing = 0;
		m->walk_s = walk_s;
		m->audit_rows = rep.rows;
		cv_session_close(s);
		cv_vault_close(v);
	}
	remove_db(work);
	time_primitives(m, (size_t)m->mean_box, (size_t)m->mean_row);
}

/* measure in a child (its own peak RSS, nothing left of the parent's). */
static void measure_child(const char *vault, const char *work, int reps, struct meas *m)
{
	int fd[2], status = 0;
	pid_t pid;
	size_t got = 0;

	if (pipe(fd) != 0)
		die("pipe", NULL);
	pid = fork();
	if (pid < 0)
		die("fork", NULL);
	if (pid == 0) {
		struct meas mm;
		size_t put = 0;

		close(fd[0]);
		measure(vault, work, reps, &mm);
		while (put < sizeof(mm)) {
			ssize_t w = write(fd[1], (char *)&mm + put, sizeof(mm) - put);

			if (w <= 0)
				_exit(1);
			put += (size_t)w;
		}
		_exit(0);
	}
	close(fd[1]);
	while (got < sizeof(*m)) {
		ssize_t r = read(fd[0], (char *)m + got, sizeof(*m) - got);

		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd[0]);
	waitpid(pid, &status, 0);
	if (got != sizeof(*m) || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench_stats: the measurement of '%s' failed\n", vault);
		exit(1);
	}
}

/* The goals of SPEC.md section 6 this benchmark measures, read off the
 * numbers above: met or not, never assumed. */
static void goals(const struct meas *m, int nsizes)
{
	const struct meas *lo = &m[0], *hi = &m[nsizes - 1];
	double g_lo[REPS_MAX], g_hi[REPS_MAX], e[REPS_MAX];

	out("\ngoals\n");
	for (int i = 0; i < nsizes; i++) {
		if (m[i].cases != EXPORT_GOAL_CASES)
			continue;
		memcpy(e, m[i].export_s, sizeof(e));
		double t = median(e, m[i].reps);
		out("  stats export of %d cases under %.0f s: %s (%.3f s)\n", EXPORT_GOAL_CASES,
		    EXPORT_GOAL_S, t < EXPORT_GOAL_S ? "met" : "NOT met", t);
	}
	for (int i = 0; i < nsizes; i++) {
		double rate = (double)m[i].audit_rows / m[i].audit_s;

		out("  audit verify (from an anchor) at %.0f rows/s or more, %lld cases: %s (%.0f "
		    "rows/s)\n",
		    AUDIT_GOAL_ROWS_S, (long long)m[i].cases,
		    rate >= AUDIT_GOAL_ROWS_S ? "met" : "NOT met", rate);
	}
	if (nsizes > 1) {
		for (int r = 0; r < lo->reps; r++)
			g_lo[r] = (double)(lo->peak_kib[r] - lo->rss_before_kib[r]);
		for (int r = 0; r < hi->reps; r++)
			g_hi[r] = (double)(hi->peak_kib[r] - hi->rss_before_kib[r]);
		double a = median(g_lo, lo->reps), b = median(g_hi, hi->reps);
		double base = a > FLAT_FLOOR_KIB ? a : FLAT_FLOOR_KIB;

		out("  export memory flat from %lld to %lld cases (growth at most %.1fx that of"
		    " the smaller, taken as at least %.0f MiB): %s (%.1f MiB, then %.1f MiB)\n",
		    (long long)lo->cases, (long long)hi->cases, FLAT_FACTOR,
		    FLAT_FLOOR_KIB / 1024.0, b <= FLAT_FACTOR * base ? "met" : "NOT met",
		    a / 1024.0, b / 1024.0);
	}
}

/* ---- main -------------------------------------------------------------------- */

static int cmp_unsigned(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_stats [-r REPS] DIR N...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned sizes[SIZES_MAX];
	char vaults[SIZES_MAX][PATH_MAX_BENCH], work[PATH_MAX_BENCH], rpath[PATH_MAX_BENCH];
	struct meas m[SIZES_MAX];
	int nsizes = 0, reps = REPS_DEFAULT, a = 1;

	main_thread = pthread_self();
	cv_err err = {0};
	time_t t = time(NULL);
	char when[32];

	if (a + 1 < argc && strcmp(argv[a], "-r") == 0) {
		reps = atoi(argv[a + 1]);
		a += 2;
	}
	if (reps < 1 || reps > REPS_MAX || a >= argc)
		usage();
	const char *dir = argv[a++];
	for (; a < argc; a++) {
		char *end = NULL;
		unsigned long n = strtoul(argv[a], &end, 10);

		if (nsizes == SIZES_MAX || !end || *end || n < 100 || n > 10000000)
			usage();
		sizes[nsizes++] = (unsigned)n;
	}
	if (!nsizes)
		usage();
	qsort(sizes, (size_t)nsizes, sizeof(sizes[0]), cmp_unsigned);
	if (cv_init(&err) != CV_OK)
		die("init", &err);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		die(dir, NULL);
	make_stamp(dir);
	for (int i = 0; i < nsizes; i++)
		ensure_vault(dir, sizes[i], vaults[i], sizeof(vaults[i]), i ? vaults[i - 1] : NULL,
			     i ? sizes[i - 1] : 0);
	path_of(work, sizeof(work), dir, "work.db");
	for (int i = 0; i < nsizes; i++) {
		fprintf(stderr, "measuring %u cases (%d runs)\n", sizes[i], reps);
		measure_child(vaults[i], work, reps, &m[i]);
		if (m[i].error[0]) {
			fprintf(stderr, "bench_stats: %u cases: %s\n", sizes[i], m[i].error);
			return 1;
		}
	}

	path_of(rpath, sizeof(rpath), dir, "results.txt");
	results = fopen(rpath, "w");
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	out("casevault bench: stats export (%s, vaults %s, %d runs each, medians;"
	    " %ld CPUs online)\n",
	    when, stamp, reps, sysconf(_SC_NPROCESSORS_ONLN));
	out("%9s %8s %9s %9s %8s %8s %10s %10s %10s\n", "cases", "records", "export_s", "base_s",
	    "ratio", "ms/case", "rss0_MiB", "growth_MiB", "growth/case");
	for (int i = 0; i < nsizes; i++) {
		double e = median(m[i].export_s, m[i].reps), b = median(m[i].base_s, m[i].reps);
		double g[REPS_MAX], r0[REPS_MAX];

		for (int r = 0; r < m[i].reps; r++) {
			g[r] = (double)(m[i].peak_kib[r] - m[i].rss_before_kib[r]) / 1024.0;
			r0[r] = (double)m[i].rss_before_kib[r] / 1024.0;
		}
		double gm = median(g, m[i].reps);
		out("%9lld %8lld %9.3f %9.3f %8.1f %8.4f %10.1f %10.1f %9.0fB\n",
		    (long long)m[i].cases, (long long)m[i].records, e, b, e / b,
		    1000.0 * e / (double)m[i].cases, median(r0, m[i].reps), gm,
		    gm * 1048576.0 / (double)m[i].cases);
	}
	if (!m[0].peak_reset)
		out("note: the peak RSS could not be reset before the export; growth includes "
		    "the login\n");
	out("\naudit verify: --full (every signature), then from the anchor the full one "
	    "wrote; walk_s: in the latter,\nits walk of the log (reading every row, its chain, "
	    "hash, segment and commitments), the rest being\nthe users, the comparison of the "
	    "stored rows with the commitments and the structure check\n"
	    "%9s %9s %9s %12s %9s %12s %9s %12s\n",
	    "cases", "rows", "full_s", "full_rows/s", "anchor_s", "rows/s", "walk_s",
	    "walk_rows/s");
	for (int i = 0; i < nsizes; i++)
		out("%9lld %9lld %9.3f %12.0f %9.3f %12.0f %9.3f %12.0f\n", (long long)m[i].cases,
		    (long long)m[i].audit_rows, m[i].audit_full_s,
		    (double)m[i].audit_rows / m[i].audit_full_s, m[i].audit_s,
		    (double)m[i].audit_rows / m[i].audit_s, m[i].walk_s,
		    (double)m[i].audit_rows / m[i].walk_s);
	out("\nexport cost split of the export's own thread, measured inside one more export"
	    " after the timed ones\n(its clock reads slow it); audit_verify is its verification"
	    " of the log: the checks before the walk,\nand the wait for the walk and the checks"
	    " that ran beside the count, everything inside it charged\nto it alone; rest = the"
	    " remainder\n");
	out("%14s", "");
	for (int i = 0; i < nsizes; i++)
		out(" %10lld cases %9s", (long long)m[i].cases, "");
	out("\n%14s", "");
	for (int i = 0; i < nsizes; i++)
		out(" %9s %9s %6s", "calls", "seconds", "share");
	out("\n");
	for (int w = 0; w <= W_N + 1; w++) {
		out("%-14s", w < W_N ? wrap_names[w] : w == W_N ? "rest" : "export");
		for (int i = 0; i < nsizes; i++) {
			double e = m[i].split_s, x = e;

			if (w < W_N) {
				x = m[i].ws[w];
			} else if (w == W_N) {
				for (int k = 0; k < W_N; k++)
					x -= m[i].ws[k];
			}
			if (w < W_N)
				out(" %9lld", (long long)m[i].wcalls[w]);
			else
				out(" %9s", "");
			out(" %9.3f %5.1f%%", x, 100.0 * x / e);
		}
		out("\n");
	}
	out("in isolation, per call: sign_verify %.1f us (%lld-byte message), box_open %.1f us"
	    " (%lld-byte box),\nsodium_malloc+sodium_free %.1f us\n",
	    m[0].sig_s * 1e6, (long long)m[0].mean_row, m[0].seal_s * 1e6, (long long)m[0].mean_box,
	    m[0].smalloc_s * 1e6);
	goals(m, nsizes);
	out("timings are wall clock on a shared machine: compare ratios, not seconds\n");
	if (results && fclose(results) != 0)
		die(rpath, NULL);
	fprintf(stderr, "written to '%s'\n", rpath);
	return 0;
}
