/*
 * values.c - the values a command's options take, checked as the options
 * are parsed, before the vault is opened or a passphrase asked: the fixed
 * words (note kinds, consent parties, methods and scopes, urgencies,
 * referral states, register tags, problem categories, genders), dates,
 * the grade and the follow-up interval.
 *
 * The words and bounds repeat the library's vocabulary and rules, which
 * its public API does not export; the library checks every value again,
 * so this table can only make a refusal come sooner, never let one
 * through.  Keep it in step with the library's vocabulary.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "banned.h"

/* Bounds the library enforces. */
#define GRADE_MIN 1u
#define GRADE_MAX 12u
#define EVERY_MIN 1u
#define EVERY_MAX 366u
#define YEAR_MIN 1970
#define DATE_LEN 10 /* YYYY-MM-DD */
#define TIME_LEN 20 /* YYYY-MM-DDTHH:MM:SSZ */

static const char *const kinds[] = {"session", "analysis", "outcome", "contact", NULL};
static const char *const parties[] = {"student", "guardian", NULL};
static const char *const methods[] = {"written", "oral", NULL};
static const char *const scopes[] = {"individual",	    "group", "testing", "guardian-contact",
				     "referral-disclosure", NULL};
static const char *const urgencies[] = {"routine", "urgent", "emergency", NULL};
/* "referred" is where a referral starts, not a follow-up status. */
static const char *const followups[] = {"contacted", "accepted", "declined", "completed", NULL};
static const char *const tags[] = {"single-parent", "left-behind", "family-change", "other", NULL};
static const char *const categories[] = {"academic",	   "emotion",	  "relationships",
					 "family",	   "adolescence", "behavior",
					 "self-harm-risk", "other",	  NULL};
static const char *const genders[] = {"F", "M", "X", NULL};

enum rule_type {
	R_WORD,	 /* one of words */
	R_WORDS, /* a comma-separated list of words */
	R_DATE,	 /* YYYY-MM-DD */
	R_TIME,	 /* YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC) */
	R_GRADE, /* GRADE_MIN..GRADE_MAX */
	R_DAYS,	 /* EVERY_MIN..EVERY_MAX days, "14" or "14d" */
};

/* A rule for a long option; group limits it to one command group
 * (NULL: every command that has the option). */
static const struct rule {
	const char *option;
	const char *group;
	enum rule_type type;
	const char *const *words;
	const char *what;
} rules[] = {
    {"kind", "note", R_WORD, kinds, "note kind"},
    {"by", "consent", R_WORD, parties, "consenting party"},
    {"method", "consent", R_WORD, methods, "consent method"},
    {"scope", "consent", R_WORDS, scopes, "consent scope"},
    {"urgency", "referral", R_WORD, urgencies, "referral urgency"},
    {"status", "referral", R_WORD, followups, "referral follow-up status"},
    {"reason", "referral", R_WORD, categories, "problem category"},
    {"tag", "watch", R_WORD, tags, "register tag"},
    {"category", "case", R_WORD, categories, "problem category"},
    {"gender", "case", R_WORD, genders, "gender"},
    {"grade", "case", R_GRADE, NULL, NULL},
    {"every", "watch", R_DAYS, NULL, NULL},
    {"date", NULL, R_DATE, NULL, NULL},
    {"as-of", NULL, R_DATE, NULL, NULL},
    {"born", NULL, R_DATE, NULL, NULL},
    {"since", NULL, R_TIME, NULL, NULL},
    {"until", NULL, R_TIME, NULL, NULL},
};

static int in_list(const char *const *words, const char *s, size_t n)
{
	for (; *words; words++)
		if (strlen(*words) == n && strncmp(*words, s, n) == 0)
			return 1;
	return 0;
}

/* "a, b or c" */
static void choices(const char *const *words, char *out, size_t cap)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; words[i]; i++) {
		const char *sep = i == 0 ? "" : words[i + 1] ? ", " : " or ";
		int r = snprintf(out + o, cap - o, "%s%s", sep, words[i]);

		if (r < 0 || (size_t)r >= cap - o)
			return;
		o += (size_t)r;
	}
}

static int digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* The library's rule: the exact form, a year from YEAR_MIN, and a real
 * calendar day and time (timegm must give back what was written). */
static int valid_time(const char *s, int time_too)
{
	size_t n = strlen(s);
	int y, mo, d, h = 0, mi = 0, sec = 0;
	struct tm tm = {0};

	if (n != DATE_LEN && !(time_too && n == TIME_LEN))
		return 0;
	if (!digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' || !digits(s + 8, 2))
		return 0;
	if (n == TIME_LEN &&
	    (s[10] != 'T' || !digits(s + 11, 2) || s[13] != ':' || !digits(s + 14, 2) ||
	     s[16] != ':' || !digits(s + 17, 2) || s[19] != 'Z'))
		return 0;
	y = (int)strtol(s, NULL, 10);
	mo = (int)strtol(s + 5, NULL, 10);
	d = (int)strtol(s + 8, NULL, 10);
	if (n == TIME_LEN) {
		h = (int)strtol(s + 11, NULL, 10);
		mi = (int)strtol(s + 14, NULL, 10);
		sec = (int)strtol(s + 17, NULL, 10);
	}
	if (y < YEAR_MIN)
		return 0;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if (timegm(&tm) == (time_t)-1)
		return 0;
	return tm.tm_year == y - 1900 && tm.tm_mon == mo - 1 && tm.tm_mday == d &&
	       tm.tm_hour == h && tm.tm_min == mi && tm.tm_sec == sec;
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
	if (cli_parse_u32(num, out) != 0 || *out < EVERY_MIN || *out > EVERY_MAX)
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

int cli_check_value(const struct cmd *cmd, const char *option, const char *value)
{
	char list[160];
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
			if (in_list(r->words, value, strlen(value)))
				return 0;
			choices(r->words, list, sizeof(list));
			cli_usage_code(cmd, "usage.value", "--%s '%.40s' is not a %s; use %s",
				       option, value, r->what, list);
			return -1;
		case R_WORDS:
			bad = bad_word(r->words, value, &len);
			if (!bad)
				return 0;
			choices(r->words, list, sizeof(list));
			if (len == 0)
				cli_usage_code(cmd, "usage.value",
					       "--%s '%.40s' names no %s; use one or more of %s, "
					       "separated by commas",
					       option, value, r->what, list);
			else
				cli_usage_code(cmd, "usage.value",
					       "--%s: '%.*s' is not a %s; use one or more of %s, "
					       "separated by commas",
					       option, (int)(len > 40 ? 40 : len), bad, r->what,
					       list);
			return -1;
		case R_DATE:
		case R_TIME:
			if (valid_time(value, r->type == R_TIME))
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
			if (cli_parse_u32(value, &n) == 0 && n >= GRADE_MIN && n <= GRADE_MAX)
				return 0;
			cli_usage_code(cmd, "usage.value",
				       "--%s takes a number from %u to %u, not '%.40s'", option,
				       GRADE_MIN, GRADE_MAX, value);
			return -1;
		case R_DAYS:
			if (cli_parse_days(value, &n) == 0)
				return 0;
			cli_usage_code(
			    cmd, "usage.value",
			    "--%s takes a number of days from %u to %u, like 14d, not '%.40s'",
			    option, EVERY_MIN, EVERY_MAX, value);
			return -1;
		}
	}
	return 0;
}
