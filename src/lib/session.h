/*
 * session.h - ground layer (shared shapes): the internal shape of an open vault and of an
 * authenticated session, shared by the library modules.
 */
#ifndef CV_SESSION_H
#define CV_SESSION_H

#include "msum.h"
#include "casevault.h"
#include "keyholder.h"
#include "sigmemo.h"
#include "store.h"

/* What a verification in the open transaction found of the cases and
 * records rows (verify.c cv_vouch_begin), for a walk that reads them all
 * (access.c cv_access_all_stats): the key of the verification's sums
 * (docs/FORMAT.md §7.6), what the rows of each table ([0] cases, [1]
 * records) must sum to with their signers (want) and how many the log
 * keeps (live); what the walk read so far (got, seen); and each user's
 * role (-1 when their identities do not all hold one verified role). */
struct cv_vouch {
	int wanted; /* the next verification fills the rest */
	int filled; /* key and users: rows may be taken as signed */
	int summed; /* want and live too: the walk of the log is done */
	uint8_t key[CV_MSUM_KEY_LEN];
	cv_msum want[2], got[2];
	int64_t live[2], seen[2];
	struct cv_vouch_user {
		int64_t id;
		int role; /* cv_role, or -1 */
	} * users;
	size_t nusers;
	/* a walk read every row of both tables, and each was the log's
	 * (access.c cv_access_all_stats): the verification may say so */
	int counted;
};

struct cv_vault {
	cv_store *st;
	uint8_t vault_id[CV_VAULT_ID_LEN];
	/* The recovery public key as the first log row committed it: every
	 * checkpoint signs it, and meta recovery_pk must equal it. */
	uint8_t recovery_pk[crypto_box_PUBLICKEYBYTES];
	/* The stats public key and the index key's commitment as the first
	 * log row committed them: meta stats_pk and index_commit must equal
	 * them (an admin who holds the first identity could sign others). */
	uint8_t stats_pk[crypto_box_PUBLICKEYBYTES];
	uint8_t index_commit[CV_HASH_LEN];
	/* While a read-only walk checks many rows (cert.c
	 * cv_ident_cache_on), the identities it looked up and whether they
	 * verified; NULL otherwise. */
	struct cv_ident_cache *idcache;
	/* Between cv_vouch_begin and cv_vouch_end (the statistics export's
	 * transaction): the rows its verification vouched for; NULL
	 * otherwise. */
	struct cv_vouch *vouch;
	/* Identities and users that verified while the store stood at one
	 * generation (cert.c); NULL until one did. */
	struct cv_verified *verified;
	/* Signatures known to verify, from an unlock agent (sigmemo.h), and
	 * the connection to it (agent.c cv_agent_attach); NULL without. */
	struct cv_sigmemo *sigs;
	struct cv_vault_agent *agent;
};

/* The state of the audit chain inside one write transaction. */
struct cv_audit_head {
	int64_t seq;
	uint8_t hash[CV_HASH_LEN];
};

/* The last signed checkpoint a session wrote. */
struct cv_checkpoint {
	int64_t seq;
	uint8_t hash[CV_HASH_LEN];
	uint8_t sig[crypto_sign_BYTES];
};

struct cv_session {
	cv_vault *v;
	cv_user_rec me;
	cv_role role;
	cv_keyholder *kh;
	struct cv_audit_head head; /* valid between cv_op_begin and commit */
	struct cv_checkpoint last;
};

#endif
