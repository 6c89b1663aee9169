// SPDX-License-Identifier: MIT
/*
 * The runner behind harness.h: forks one child per test (and per variant),
 * enforces the timeout, prints TAP.  A test passes when its child exits 0.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool variant_wanted(const struct kt_variant *v)
{
	const char *list = getenv("KT_VARIANTS");
	const char *p;
	size_t n = strlen(v->name);

	if (!list || !*list)
		return true;
	for (p = strstr(list, v->name); p; p = strstr(p + 1, v->name))
		if ((p == list || p[-1] == ' ' || p[-1] == ',') &&
		    (p[n] == '\0' || p[n] == ' ' || p[n] == ','))
			return true;
	return false;
}

static bool name_wanted(const char *name, char **filters, int nfilters)
{
	int i;

	if (!nfilters)
		return true;
	for (i = 0; i < nfilters; i++)
		if (strstr(name, filters[i]))
			return true;
	return false;
}

/*
 * KT_SKIP="SUBSTR[,SUBSTR...]" with KT_SKIP_WHY="reason": tests whose name
 * contains one of them are reported "ok N - name # SKIP reason", never run.
 * For a run that must leave out a case it knows to trip a stock-kernel bug
 * (tests/check-debug), visibly, not by dropping it from the list.
 */
static bool name_skipped(const char *name)
{
	const char *list = getenv("KT_SKIP");
	char buf[512], *tok, *save;

	if (!list || !*list || strlen(list) >= sizeof(buf))
		return false;
	strcpy(buf, list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (*tok && strstr(name, tok))
			return true;
	return false;
}

/* Runs one test in a child of its own process group; returns its TAP verdict. */
static int run_one(const struct kt_test *t, const struct kt_variant *v,
		   const char *name, int n)
{
	double start = now_s(), deadline = start + t->timeout_s;
	int status = 0, verdict;
	pid_t pid, got;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		printf("not ok %d - %s # fork: %s\n", n, name, strerror(errno));
		return 1;
	}
	if (!pid) {
		setpgid(0, 0);
		signal(SIGPIPE, SIG_IGN);	/* a dead peer is an error return, not a kill */
		t->fn(v);
		fflush(stdout);
		_exit(0);
	}
	setpgid(pid, pid);
	for (;;) {
		got = waitpid(pid, &status, WNOHANG);
		if (got == pid)
			break;
		if (now_s() > deadline) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			printf("not ok %d - %s # TIMEOUT after %us\n", n, name, t->timeout_s);
			return 1;
		}
		usleep(20000);
	}
	/* Helpers the test forked must not outlive it. */
	kill(-pid, SIGKILL);

	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		printf("ok %d - %s # %.2fs\n", n, name, now_s() - start);
		verdict = 0;
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == KT_EXIT_SKIP) {
		printf("ok %d - %s # SKIP\n", n, name);
		verdict = 0;
	} else {
		if (WIFSIGNALED(status))
			printf("#   killed by signal %d\n", WTERMSIG(status));
		printf("not ok %d - %s\n", n, name);
		verdict = 1;
	}
	fflush(stdout);
	return verdict;
}

int main(int argc, char **argv)
{
	char *filters[32];
	int nfilters = 0, n = 0, failed = 0, opt;
	bool list = false;
	struct kt_test *t;
	char name[256];
	size_t i;

	while ((opt = getopt(argc, argv, "lt:")) != -1) {
		switch (opt) {
		case 'l':
			list = true;
			break;
		case 't':
			if (nfilters < 32)
				filters[nfilters++] = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s [-l] [-t SUBSTR]...\n", argv[0]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (t = kt_head; t; t = t->next) {
		for (i = 0; i < (t->per_variant ? kt_nvariants : 1); i++) {
			const struct kt_variant *v = t->per_variant ? &kt_variants[i] : NULL;

			if (v && !variant_wanted(v))
				continue;
			if (v)
				snprintf(name, sizeof(name), "%s/%s", t->name, v->name);
			else
				snprintf(name, sizeof(name), "%s", t->name);
			if (!name_wanted(name, filters, nfilters))
				continue;
			if (list) {
				printf("%s\n", name);
				continue;
			}
			if (name_skipped(name)) {
				const char *why = getenv("KT_SKIP_WHY");

				printf("ok %d - %s # SKIP %s\n", ++n, name, why && *why ? why : "KT_SKIP");
				continue;
			}
			failed += run_one(t, v, name, ++n);
		}
	}
	if (!list)
		printf("1..%d\n", n);
	return failed ? 1 : 0;
}

