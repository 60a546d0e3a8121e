/*
 * values.c - the values a command's options take, checked as the options
 * are parsed, before the vault is opened or a passphrase asked: the fixed
 * words (note kinds, consent parties, methods and scopes, urgencies,
 * referral states, register tags, problem categories, genders, log
 * outcomes), dates, the grade and the follow-up interval.
 *
 * The words, bounds and date rule are the library's (cv_words,
 * cv_time_valid, CV_GRADE_*, CV_EVERY_*): this file only says which option
 * takes which; the library checks every value again.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "banned.h"

/* Bounds the library enforces. */

enum rule_type {
	R_WORD,	 /* one of words */
	R_WORDS, /* a comma-separated list of words */
	R_DATE,	 /* YYYY-MM-DD */
	R_TIME,	 /* YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC) */
	R_GRADE, /* CV_GRADE_MIN..CV_GRADE_MAX */
	R_DAYS,	 /* CV_EVERY_MIN..CV_EVERY_MAX days, "14" or "14d" */
	R_PARTY, /* one of words, or both of them as "a,b" (consent --by) */
	/* Offered by completion only: the command (R_OFFER) or the library
	 * (R_TERM, "YYYY-autumn") checks the value. */
	R_OFFER, /* one of words */
	R_TERM,	 /* YYYY- and one of words */
};

/* A rule for a long option; group limits it to one command group
 * (NULL: every command that has the option). */
static const struct rule {
	const char *option;
	const char *group;
	enum rule_type type;
	cv_wordset words;
	const char *what;
} rules[] = {
    {"kind", "note", R_WORD, CV_WORDS_NOTE_KIND, N_("note kind")},
    {"by", "consent", R_PARTY, CV_WORDS_PARTY, N_("consenting party")},
    {"method", "consent", R_WORD, CV_WORDS_METHOD, N_("consent method")},
    {"scope", "consent", R_WORDS, CV_WORDS_SCOPE, N_("consent scope")},
    {"urgency", "referral", R_WORD, CV_WORDS_URGENCY, N_("referral urgency")},
    {"to-type", "referral", R_WORD, CV_WORDS_DESTINATION, N_("kind of institution")},
    {"status", "referral", R_WORD, CV_WORDS_FOLLOWUP, N_("referral follow-up status")},
    {"reason", "referral", R_WORD, CV_WORDS_CATEGORY, N_("problem category")},
    {"tag", "watch", R_WORD, CV_WORDS_TAG, N_("register tag")},
    {"category", "case", R_WORD, CV_WORDS_CATEGORY, N_("problem category")},
    {"gender", "case", R_WORD, CV_WORDS_GENDER, N_("gender")},
    {"grade", "case", R_GRADE, 0, NULL},
    {"every", "watch", R_DAYS, 0, NULL},
    {"date", NULL, R_DATE, 0, NULL},
    {"as-of", NULL, R_DATE, 0, NULL},
    {"born", NULL, R_DATE, 0, NULL},
    {"since", NULL, R_TIME, 0, NULL},
    {"until", NULL, R_TIME, 0, NULL},
    {"role", "user", R_WORD, CV_WORDS_ROLE, N_("role")},
    {"outcome", "audit", R_WORD, CV_WORDS_OUTCOME, N_("log outcome")},
    {"action", "audit", R_OFFER, CV_WORDS_ACTION, NULL},
    {"term", NULL, R_TERM, CV_WORDS_SEASON, NULL},
};

static int in_list(const char *const *words, const char *s, size_t n)
{
	for (; *words; words++)
		if (strlen(*words) == n && strncmp(*words, s, n) == 0)
			return 1;
	return 0;
}

int cli_parse_days(const char *s, unsigned *out)
{
	char num[16];
	size_t n = s ? strlen(s) : 0;

	if (n && s[n - 1] == 'd')
		n--;
	if (n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, s, n);
	num[n] = '\0';
	if (cli_parse_u32(num, out) != 0 || *out < CV_EVERY_MIN || *out > CV_EVERY_MAX)
		return -1;
	return 0;
}

/* The first word of a comma-separated list that is not in words (its
 * length in *len), or NULL when every one is; an empty list or an empty
 * word between commas is bad too. */
static const char *bad_word(const char *const *words, const char *list, size_t *len)
{
	const char *p = list;

	*len = 0;
	if (!*p)
		return p;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (!in_list(words, p, n)) {
			*len = n;
			return p;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return NULL;
}

/* A rule for option of cmd, or NULL. */
static const struct rule *rule_for(const struct cmd *cmd, const char *option)
{
	for (size_t i = 0; i < ARRAY_SIZE(rules); i++)
		if (strcmp(rules[i].option, option) == 0 &&
		    (!rules[i].group || (cmd && strcmp(rules[i].group, cmd->group) == 0)))
			return &rules[i];
	return NULL;
}

/* The length of the list separator at p: ',' (1), U+FF0C '，' or U+3001
 * '、' (3), else 0. */
static size_t list_sep(const char *p)
{
	if (*p == ',')
		return 1;
	if (strncmp(p, "\xef\xbc\x8c", 3) == 0 || strncmp(p, "\xe3\x80\x81", 3) == 0)
		return 3;
	return 0;
}

const char *cli_canon(const struct cmd *cmd, const char *option, const char *value)
{
	/* Room for the values of one command's options (a handful). */
	static char pool[8][256];
	static size_t used;
	const struct rule *r = rule_for(cmd, option);
	const char *w, *p;
	size_t o = 0, changed = 0;
	char *out;

	if (!r || (r->type != R_WORD && r->type != R_WORDS && r->type != R_PARTY))
		return value;
	if (r->type == R_WORD) {
		w = cli_alias(r->words, value, strlen(value));
		return w ? w : value;
	}
	if (used == ARRAY_SIZE(pool))
		return value;
	/* A list: every alias between commas (ASCII, full-width or the
	 * ideographic enumeration comma) replaced. */
	out = pool[used];
	for (p = value; *p;) {
		size_t n = 0, sep = 0;
		const char *word;

		while (p[n] && !(sep = list_sep(p + n)))
			n++;
		word = cli_alias(r->words, p, n);
		if (word || sep > 1)
			changed = 1;
		if (o + (word ? strlen(word) : n) + 2 > sizeof(pool[0]))
			return value;
		memcpy(out + o, word ? word : p, word ? strlen(word) : n);
		o += word ? strlen(word) : n;
		if (sep)
			out[o++] = ',';
		p += n + sep;
	}
	out[o] = '\0';
	if (!changed)
		return value;
	used++;
	return out;
}

const char *const *cli_value_words(const struct cmd *cmd, const char *option, cv_wordset *set,
				   enum cli_value_kind *kind)
{
	const struct rule *r = rule_for(cmd, option);

	if (!r || !r->words)
		return NULL;
	*set = r->words;
	*kind = r->type == R_WORDS   ? CLI_VALUE_LIST
		: r->type == R_PARTY ? CLI_VALUE_PARTY
		: r->type == R_TERM  ? CLI_VALUE_TERM
				     : CLI_VALUE_WORD;
	return cv_words(r->words, NULL);
}

int cli_check_value(const struct cmd *cmd, const char *option, const char *value)
{
	char list[512];
	unsigned n;

	for (size_t i = 0; i < ARRAY_SIZE(rules); i++) {
		const struct rule *r = &rules[i];
		const char *bad;
		size_t len;

		if (strcmp(r->option, option) != 0 ||
		    (r->group && (!cmd || strcmp(r->group, cmd->group) != 0)))
			continue;
		switch (r->type) {
		case R_WORD:
			if (in_list(cv_words(r->words, NULL), value, strlen(value)))
				return 0;
			cli_word_choices(cv_words(r->words, NULL), list, sizeof(list));
			cli_usage_code(cmd, "usage.value", "--%s '%.40s' is not a %s; use %s",
				       option, value, _(r->what), list);
			return -1;
		case R_PARTY: {
			const char *const *w = cv_words(r->words, NULL);
			const char *comma = strchr(value, ',');

			/* Both parties, once each, in either order. */
			if (!comma ? in_list(w, value, strlen(value))
				   : in_list(w, value, (size_t)(comma - value)) &&
					 in_list(w, comma + 1, strlen(comma + 1)) &&
					 !strchr(comma + 1, ',') &&
					 strncmp(value, comma + 1, (size_t)(comma - value)) != 0)
				return 0;
			cli_word_choices(w, list, sizeof(list));
			cli_usage_code(cmd, "usage.value",
				       "--%s '%.40s' is not a %s; use %s, or both as "
				       "student,guardian",
				       option, value, _(r->what), list);
			return -1;
		}
		case R_WORDS:
			bad = bad_word(cv_words(r->words, NULL), value, &len);
			if (!bad)
				return 0;
			cli_word_choices(cv_words(r->words, NULL), list, sizeof(list));
			if (len == 0)
				cli_usage_code(cmd, "usage.value",
					       "--%s '%.40s' names no %s; use one or more of %s, "
					       "separated by commas",
					       option, value, _(r->what), list);
			else
				cli_usage_code(cmd, "usage.value",
					       "--%s: '%.*s' is not a %s; use one or more of %s, "
					       "separated by commas",
					       option, (int)(len > 40 ? 40 : len), bad, _(r->what),
					       list);
			return -1;
		case R_DATE:
		case R_TIME:
			if (cv_time_valid(value, r->type == R_TIME))
				return 0;
			if (r->type == R_TIME)
				cli_usage_code(
				    cmd, "usage.date",
				    "--%s '%.40s' is not a date or time; use YYYY-MM-DD or "
				    "YYYY-MM-DDTHH:MM:SSZ (UTC)",
				    option, value);
			else
				cli_usage_code(cmd, "usage.date",
					       "--%s '%.40s' is not a date; use YYYY-MM-DD", option,
					       value);
			return -1;
		case R_GRADE:
			if (cli_parse_u32(value, &n) == 0 && n >= CV_GRADE_MIN && n <= CV_GRADE_MAX)
				return 0;
			cli_usage_code(cmd, "usage.value",
				       "--%s takes a number from %u to %u, not '%.40s'", option,
				       CV_GRADE_MIN, CV_GRADE_MAX, value);
			return -1;
		case R_OFFER:
		case R_TERM:
			return 0;
		case R_DAYS:
			if (cli_parse_days(value, &n) == 0)
				return 0;
			cli_usage_code(
			    cmd, "usage.value",
			    "--%s takes a number of days from %u to %u, like 14d, not '%.40s'",
			    option, CV_EVERY_MIN, CV_EVERY_MAX, value);
			return -1;
		}
	}
	return 0;
}
