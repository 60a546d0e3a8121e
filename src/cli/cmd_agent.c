/*
 * cmd_agent.c - `casevault unlock | lock | status`: the unlock agent that
 * keeps a user's keys between commands (the library's cv_agent_*).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"
#include "opts.h"
#include "banned.h"

/* Parses a duration: a number and a unit, s, m or h ("90s", "15m",
 * "8h"), from 1 second to CV_AGENT_TIME_MAX; -1 when it is not one. */
static int parse_duration(const char *s, unsigned *out)
{
	unsigned long n = 0, unit;
	size_t i = 0;

	for (; s[i] >= '0' && s[i] <= '9' && n <= CV_AGENT_TIME_MAX; i++)
		n = n * 10 + (unsigned long)(s[i] - '0');
	if (i == 0 || s[i + 1] != '\0')
		return -1;
	unit = s[i] == 's' ? 1 : s[i] == 'm' ? 60 : s[i] == 'h' ? 3600 : 0;
	if (!unit || n == 0 || n > CV_AGENT_TIME_MAX / unit)
		return -1;
	*out = (unsigned)(n * unit);
	return 0;
}

/* "15m", "8h", "90s": the largest unit that divides it. */
static const char *duration(char buf[24], unsigned s)
{
	if (s % 3600 == 0)
		snprintf(buf, 24, "%uh", s / 3600);
	else if (s % 60 == 0)
		snprintf(buf, 24, "%um", s / 60);
	else
		snprintf(buf, 24, "%us", s);
	return buf;
}

/* Unix time in ms as local "YYYY-MM-DD HH:MM:SS". */
/* Unix time in ms as a local time in the vault's time zone (the signed
 * `timezone` setting), as every other time is shown; in the system's
 * zone, with seconds, when the setting cannot be read. */
static const char *local_time(struct cli *c, char buf[32], int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	char utc[24], zone[CV_ZONE_MAX], local[CV_LOCAL_TIME_LEN];
	cv_err e = {0};
	struct tm tm;

	if (c->v && gmtime_r(&t, &tm) && strftime(utc, sizeof(utc), "%Y-%m-%dT%H:%M:%SZ", &tm) &&
	    cv_vault_zone(c->v, zone, &e) == CV_OK &&
	    cv_time_local(zone, utc, local, &e) == CV_OK) {
		snprintf(buf, 32, "%s", local);
		return buf;
	}
	if (!localtime_r(&t, &tm) || !strftime(buf, 32, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, 32, "?");
	return buf;
}

/* Unix time in ms as "YYYY-MM-DDTHH:MM:SS.mmmZ", for --json. */
static json_t *json_time(int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	char buf[40], out[48];
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm))
		return json_null();
	snprintf(out, sizeof(out), "%s.%03dZ", buf, (int)(ms % 1000));
	return json_string(out);
}

static json_t *info_json(const cv_agent_info *a)
{
	return json_pack("{s:o, s:o, s:o, s:I, s:I, s:I, s:o, s:o, s:I}", "user",
			 cli_json_opt(a->user), "vault_id", cli_json_opt(a->vault_id), "vault",
			 cli_json_opt(a->vault_path), "pid", (json_int_t)a->pid, "idle_timeout",
			 (json_int_t)a->idle_s, "max", (json_int_t)a->cap_s, "idle_until",
			 json_time(a->idle_until), "max_until", json_time(a->cap_until), "uses",
			 (json_int_t)a->uses);
}

static void info_text(struct cli *c, const cv_agent_info *a)
{
	char idle[24], cap[24], t1[32], t2[32];

	cli_linef(stdout, "'%s' is unlocked for %s (agent pid %ld)", a->user, a->vault_path,
		  a->pid);
	cli_linef(stdout, "  until %s unless used again (it ends after %s without use)",
		  local_time(c, t1, a->idle_until), duration(idle, a->idle_s));
	cli_linef(stdout, "  and at the latest at %s (%s after the unlock)",
		  local_time(c, t2, a->cap_until), duration(cap, a->cap_s));
}

int cmd_unlock(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"timeout", required_argument, NULL, 't'},
	    {"max", required_argument, NULL, 'm'},
	    {NULL, 0, NULL, 0},
	};
	unsigned idle = CV_AGENT_IDLE_DEFAULT, cap = CV_AGENT_CAP_DEFAULT;
	cv_agent_info a;
	cv_status st;
	int ch, idle_given = 0;

	while ((ch = cli_getopt(argc, argv, "", longopts)) != -1) {
		if (ch == -2)
			return CV_EUSAGE;
		if (parse_duration(optarg, ch == 't' ? &idle : &cap) != 0)
			return cli_usage_code(cli_current, "usage.value",
					      "--%s '%.40s' is not a duration from 1s to 24h; give "
					      "a number and s, m or h (90s, 15m, 8h)",
					      ch == 't' ? "timeout" : "max", optarg);
		idle_given |= ch == 't';
	}
	if (optind != argc)
		return cli_usage(cli_current, "'unlock' takes no operands");
	/* The cap ends the agent whatever the idle time: a longer timeout
	 * given would be a promise not kept; the default one shrinks to it. */
	if (idle > cap && idle_given)
		return cli_usage_code(cli_current, "usage.value",
				      "--timeout is longer than --max, which ends the agent "
				      "whatever the timeout; give a shorter --timeout or a longer "
				      "--max");
	if (idle > cap)
		idle = cap;
	if (!c->user || !*c->user)
		return cli_usage(cli_current, "no user given; use --user NAME (or set "
					      "CASEVAULT_USER)");
	/* Already unlocked: said before any passphrase is asked. */
	if (cv_vault_open(c->vault_path, &c->v, &c->err) != CV_OK)
		return cli_fail(c);
	st = cv_agent_query(c->v, c->user, &a, &c->err);
	if (st != CV_OK && st != CV_ENOTFOUND)
		return cli_fail(c); /* a directory or socket that is not private */
	c->err = (cv_err){0};
	if (st == CV_OK) {
		if (c->json) {
			json_t *o =
			    json_pack("{s:b, s:o}", "already_unlocked", 1, "agent", info_json(&a));

			cli_json_result(o);
		} else {
			info_text(c, &a);
			puts(_("  ('casevault lock' ends it; unlock again after that to change the "
			       "times)"));
		}
		return CV_OK;
	}
	if (cli_session(c) != CV_OK ||
	    cv_agent_start(c->s, c->vault_path, idle, cap, &a, &c->err) != CV_OK)
		return cli_fail(c);
	if (c->json) {
		cli_json_result(
		    json_pack("{s:b, s:o}", "already_unlocked", 0, "agent", info_json(&a)));
		return CV_OK;
	}
	info_text(c, &a);
	puts(_("  commands of this user on this vault ask no passphrase until then; "
	       "'casevault lock' ends it now"));
	return CV_OK;
}

static int no_options(int argc, char **argv, const char *name)
{
	static const struct option none[] = {{NULL, 0, NULL, 0}};
	int ch;

	while ((ch = cli_getopt(argc, argv, "", none)) != -1)
		if (ch == -2)
			return -1;
	if (optind != argc) {
		cli_usage(cli_current, "'%s' takes no operands", name);
		return -1;
	}
	return 0;
}

int cmd_lock(struct cli *c, int argc, char **argv)
{
	cv_status st;

	if (no_options(argc, argv, "lock") != 0)
		return CV_EUSAGE;
	if (!c->user || !*c->user)
		return cli_usage(cli_current, "no user given; use --user NAME (or set "
					      "CASEVAULT_USER)");
	if (cv_vault_open(c->vault_path, &c->v, &c->err) != CV_OK)
		return cli_fail(c);
	st = cv_agent_lock(c->v, c->user, &c->err);
	if (st != CV_OK && st != CV_ENOTFOUND)
		return cli_fail(c);
	/* Not unlocked is what lock wants: it is not an error. */
	if (c->json)
		cli_json_result(
		    json_pack("{s:o, s:b}", "user", cli_json_str(c->user), "locked", st == CV_OK));
	else if (st == CV_OK)
		cli_linef(stdout, "locked '%s': the agent ended and its keys were wiped", c->user);
	else
		cli_linef(stdout, "'%s' was not unlocked for this vault; nothing to lock", c->user);
	return CV_OK;
}

struct shown {
	struct cli *c;
	json_t *list;
	int n;
};

static int show_agent(const cv_agent_info *a, void *arg)
{
	struct shown *x = arg;

	if (x->c->user && *x->c->user && strcmp(x->c->user, a->user) != 0)
		return 0;
	x->n++;
	if (x->list)
		json_array_append_new(x->list, info_json(a));
	else
		info_text(x->c, a);
	return 0;
}

int cmd_status(struct cli *c, int argc, char **argv)
{
	struct shown x = {c, NULL, 0};

	if (no_options(argc, argv, "status") != 0)
		return CV_EUSAGE;
	if (cv_vault_open(c->vault_path, &c->v, &c->err) != CV_OK)
		return cli_fail(c);
	x.list = c->json ? json_array() : NULL;
	if (cv_agent_list(c->v, show_agent, &x, &c->err) != CV_OK) {
		json_decref(x.list);
		return cli_fail(c);
	}
	if (x.list)
		cli_json_line(x.list);
	else if (x.n == 0 && c->user && *c->user)
		cli_linef(stdout, "'%s' is not unlocked for this vault", c->user);
	else if (x.n == 0)
		puts(_("nobody is unlocked for this vault"));
	return CV_OK;
}
