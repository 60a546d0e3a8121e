/*
 * suggest.c - "did you mean ...?" for a misspelled command, sub-command
 * or option: the candidates nearest to what was typed by edit distance
 * (insertions, deletions, substitutions and swaps of two neighbours each
 * cost one, so 'caes' is one step from 'case').
 */
#include <string.h>

#include "cli.h"
#include "banned.h"

/* Longer words are not compared (nothing in the command table is near). */
#define WORD_MAX 40
/* More candidates than any group or option table holds. */
#define BEST_MAX 8

/* The optimal string alignment distance of a and b (both <= WORD_MAX). */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t d[WORD_MAX + 1][WORD_MAX + 1];

	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t v = d[i - 1][j - 1] + cost;

			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

void cli_did_you_mean(char *out, size_t cap, const char *word, const char *const *cands, size_t n)
{
	const char *best[BEST_MAX];
	size_t nbest = 0, min = (size_t)-1, wl = word ? strlen(word) : 0;
	/* One slip in a short word, two in a longer one: further than that,
	 * a suggestion is more likely wrong than helpful. */
	size_t limit = wl <= 3 ? 1 : 2;
	size_t o = 0;

	if (!cap)
		return;
	out[0] = '\0';
	if (!wl || wl > WORD_MAX)
		return;
	for (size_t i = 0; i < n; i++) {
		size_t d;
		int seen = 0;

		if (!cands[i] || strlen(cands[i]) > WORD_MAX)
			continue;
		for (size_t k = 0; k < nbest; k++)
			seen |= strcmp(best[k], cands[i]) == 0;
		if (seen)
			continue;
		d = distance(word, cands[i]);
		if (d > limit || d >= strlen(cands[i]) || d > min)
			continue;
		if (d < min) {
			min = d;
			nbest = 0;
		}
		if (nbest < BEST_MAX)
			best[nbest++] = cands[i];
	}
	for (size_t k = 0; k < nbest; k++) {
		const char *sep = k == 0 ? _("; did you mean ") : k + 1 == nbest ? _(" or ") : ", ";
		int r = snprintf(out + o, cap - o, "%s'%s'%s", sep, best[k],
				 k + 1 == nbest ? _("?") : "");

		if (r < 0 || (size_t)r >= cap - o)
			return;
		o += (size_t)r;
	}
}
