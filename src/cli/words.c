/*
 * words.c - the fixed words in Chinese: the aliases a user may type for
 * them (accepted in every locale, turned into the vault's own word before
 * the library sees it, so that stored data and the log keep the English
 * word), and the word as shown, translated by the message catalog (the
 * "value" context of po/zh_CN.po).
 */
#include <string.h>

#include "cli.h"
#include "banned.h"

/* Set 0: a word only the vault writes (shown, never typed). */
static const struct {
	cv_wordset set;
	const char *word;
	const char *alias;
} aliases[] = {
    {CV_WORDS_CATEGORY, NC_("value", "academic"), "学业"},
    {CV_WORDS_CATEGORY, NC_("value", "emotion"), "情绪"},
    {CV_WORDS_CATEGORY, NC_("value", "relationships"), "人际"},
    {CV_WORDS_CATEGORY, NC_("value", "family"), "家庭"},
    {CV_WORDS_CATEGORY, NC_("value", "adolescence"), "青春期"},
    {CV_WORDS_CATEGORY, NC_("value", "behavior"), "行为"},
    {CV_WORDS_CATEGORY, NC_("value", "self-harm-risk"), "自伤风险"},
    {CV_WORDS_CATEGORY, NC_("value", "other"), "其他"},
    {CV_WORDS_TAG, NC_("value", "single-parent"), "单亲"},
    {CV_WORDS_TAG, NC_("value", "left-behind"), "留守"},
    {CV_WORDS_TAG, NC_("value", "family-change"), "家庭变故"},
    {CV_WORDS_TAG, "other", "其他"},
    {CV_WORDS_METHOD, NC_("value", "written"), "书面"},
    {CV_WORDS_METHOD, NC_("value", "oral"), "口头"},
    {CV_WORDS_PARTY, NC_("value", "student"), "学生"},
    {CV_WORDS_PARTY, NC_("value", "guardian"), "监护人"},
    {CV_WORDS_SCOPE, NC_("value", "individual"), "个体辅导"},
    {CV_WORDS_SCOPE, "individual", "个体"},
    {CV_WORDS_SCOPE, NC_("value", "group"), "团体辅导"},
    {CV_WORDS_SCOPE, "group", "团体"},
    {CV_WORDS_SCOPE, NC_("value", "testing"), "心理测评"},
    {CV_WORDS_SCOPE, "testing", "测评"},
    {CV_WORDS_SCOPE, NC_("value", "guardian-contact"), "联系监护人"},
    {CV_WORDS_SCOPE, NC_("value", "referral-disclosure"), "转介披露"},
    {CV_WORDS_URGENCY, NC_("value", "routine"), "常规"},
    {CV_WORDS_URGENCY, NC_("value", "urgent"), "紧急"},
    {CV_WORDS_URGENCY, NC_("value", "emergency"), "危急"},
    {CV_WORDS_FOLLOWUP, NC_("value", "contacted"), "已联系"},
    {CV_WORDS_FOLLOWUP, NC_("value", "accepted"), "已接收"},
    {CV_WORDS_FOLLOWUP, NC_("value", "declined"), "已拒绝"},
    {CV_WORDS_FOLLOWUP, NC_("value", "completed"), "已完成"},
    {CV_WORDS_NOTE_KIND, NC_("value", "session"), "会谈"},
    {CV_WORDS_NOTE_KIND, NC_("value", "analysis"), "分析"},
    {CV_WORDS_NOTE_KIND, NC_("value", "outcome"), "结果"},
    {CV_WORDS_NOTE_KIND, NC_("value", "contact"), "联系"},
    {CV_WORDS_GENDER, NC_("value", "F"), "女"},
    {CV_WORDS_GENDER, NC_("value", "M"), "男"},
    {CV_WORDS_GENDER, NC_("value", "X"), "未说明"},
    {CV_WORDS_DESTINATION, NC_("value", "mental-health"), "精神卫生机构"},
    {CV_WORDS_DESTINATION, NC_("value", "hospital"), "医院"},
    {CV_WORDS_DESTINATION, NC_("value", "counseling"), "心理咨询机构"},
    {CV_WORDS_DESTINATION, NC_("value", "social-services"), "社会服务机构"},
    {CV_WORDS_DESTINATION, "other", "其他"},
    {CV_WORDS_ROLE, NC_("value", "counselor"), "心理辅导老师"},
    {CV_WORDS_ROLE, NC_("value", "supervisor"), "督导"},
    {CV_WORDS_ROLE, NC_("value", "admin"), "管理员"},
    {CV_WORDS_OUTCOME, NC_("value", "ok"), "成功"},
    {CV_WORDS_OUTCOME, NC_("value", "denied"), "拒绝"},
    {CV_WORDS_OUTCOME, NC_("value", "failed"), "失败"},
    {0, NC_("value", "addendum"), NULL},
    {0, NC_("value", "referred"), NULL},
    {0, NC_("value", "draft"), NULL},
    {0, NC_("value", "final"), NULL},
    {0, NC_("value", "open"), NULL},
    {0, NC_("value", "closed"), NULL},
    {0, NC_("value", "shredded"), NULL},
    {0, NC_("value", "active"), NULL},
    {0, NC_("value", "ended"), NULL},
    {0, NC_("value", "record"), NULL},
    {0, NC_("value", "withdraw"), NULL},
    /* Consent withdrawn by both parties at once (no --by). */
    {0, NC_("value", "both"), NULL},
};

const char *cli_alias(cv_wordset set, const char *s, size_t n)
{
	for (size_t i = 0; i < ARRAY_SIZE(aliases); i++)
		if (aliases[i].set && aliases[i].set == set && strlen(aliases[i].alias) == n &&
		    strncmp(aliases[i].alias, s, n) == 0)
			return aliases[i].word;
	return NULL;
}

const char *cli_alias_at(cv_wordset set, size_t i)
{
	for (size_t k = 0; k < ARRAY_SIZE(aliases); k++)
		if (aliases[k].set && aliases[k].set == set && i-- == 0)
			return aliases[k].alias;
	return NULL;
}

const char *cli_pgettext(const char *ctx, const char *msgid)
{
	char key[128];
	size_t lc = strlen(ctx), lm = msgid ? strlen(msgid) : 0;
	const char *t;

	/* The context, EOT, the message; the message itself when the
	 * catalog has no translation. */
	if (!lm || lc + lm + 2 > sizeof(key))
		return msgid;
	memcpy(key, ctx, lc);
	key[lc] = '\004';
	memcpy(key + lc + 1, msgid, lm + 1);
	t = _(key);
	return t == key ? msgid : t;
}

const char *cli_word(const char *word)
{
	return cli_pgettext("value", word);
}

void cli_word_choices(const char *const *words, char *out, size_t cap)
{
	size_t o = 0;

	if (!cap)
		return;
	out[0] = '\0';
	for (size_t i = 0; words && words[i]; i++) {
		/* TRANSLATORS: the separators of a list of the words an
		 * option takes ("session, analysis or contact"). */
		const char *sep = i == 0	 ? ""
				  : words[i + 1] ? cli_pgettext("choices", NC_("choices", ", "))
						 : cli_pgettext("choices", NC_("choices", " or "));
		const char *shown = cli_word(words[i]);
		char one[160];
		int k;

		if (strcmp(shown, words[i]) == 0)
			snprintf(one, sizeof(one), "%s", words[i]);
		else
			/* TRANSLATORS: one word of such a list: the word to
			 * type, then how it is shown in this language (which
			 * may be typed too): "session（会谈）". */
			snprintf(one, sizeof(one),
				 cli_pgettext("choices", NC_("choices", "%s (%s)")), words[i],
				 shown);
		k = snprintf(out + o, cap - o, "%s%s", sep, one);
		if (k < 0 || (size_t)k >= cap - o) {
			out[o] = '\0';
			return;
		}
		o += (size_t)k;
	}
}

void cli_word_list(char *out, size_t cap, const char *list)
{
	const char *p = list ? list : "";
	size_t o = 0;

	out[0] = '\0';
	while (*p && o + 1 < cap) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char word[64];
		int k;

		snprintf(word, sizeof(word), "%.*s", (int)n, p);
		/* TRANSLATORS: between the words of a list of fixed words
		 * (individual,testing); the vault's own is a bare comma. */
		k = snprintf(out + o, cap - o, "%s%s", o ? _(",") : "", cli_word(word));
		if (k < 0 || (size_t)k >= cap - o) {
			out[o] = '\0';
			break;
		}
		o += (size_t)k;
		p = end ? end + 1 : p + n;
	}
}
