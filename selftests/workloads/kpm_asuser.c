// SPDX-License-Identifier: GPL-2.0
/*
 * kpm_asuser UID PROG [ARG...]: run PROG as user and group UID, with no
 * supplementary groups (the VM has no su with a password file). Exits 2
 * on bad usage, 1 if the ids cannot be set, 127 if PROG cannot run.
 */
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char *end;
	unsigned long id;

	if (argc < 3) {
		fprintf(stderr, "usage: kpm_asuser UID PROG [ARG...]\n");
		return 2;
	}
	id = strtoul(argv[1], &end, 10);
	if (*argv[1] == '\0' || *end || id > 65535) {
		fprintf(stderr, "kpm_asuser: bad uid '%s'\n", argv[1]);
		return 2;
	}
	if (setgroups(0, NULL) || setgid(id) || setuid(id)) {
		perror("kpm_asuser");
		return 1;
	}
	execv(argv[2], argv + 2);
	perror(argv[2]);
	return 127;
}
