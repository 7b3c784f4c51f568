// SPDX-License-Identifier: GPL-2.0
/*
 * kpm_dlopen - a process that loads a library after its first samples:
 * spins in its own binary for SECONDS/4, dlopen()s LIBRARY, spends
 * SECONDS in its dl_spin(), dlclose()s it and spins SECONDS/4 more
 * (selftests/vm/70-maps.sh). Dynamically linked, unlike the others.
 *
 *   kpm_dlopen LIBRARY SECONDS
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include "kpm_spin.h"

__attribute__((noinline)) static void own_spin(double secs)
{
	spin_cpu(secs);
}

int main(int argc, char **argv)
{
	void (*spin)(unsigned long);
	double secs, end;
	void *lib;

	if (argc != 3) {
		fprintf(stderr, "usage: kpm_dlopen LIBRARY SECONDS\n");
		return 2;
	}
	secs = atof(argv[2]);
	own_spin(secs / 4);
	lib = dlopen(argv[1], RTLD_NOW);
	if (!lib) {
		fprintf(stderr, "kpm_dlopen: %s\n", dlerror());
		return 1;
	}
	spin = (void (*)(unsigned long))dlsym(lib, "dl_spin");
	if (!spin) {
		fprintf(stderr, "kpm_dlopen: %s\n", dlerror());
		return 1;
	}
	end = cpu_seconds() + secs;
	do
		spin(100000);
	while (cpu_seconds() < end);
	dlclose(lib);
	own_spin(secs / 4);
	return 0;
}
