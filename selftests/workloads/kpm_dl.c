// SPDX-License-Identifier: GPL-2.0
/*
 * kpm_dl.c - libkpm_dl.so, the library kpm_dlopen loads, spins in and
 * unloads (selftests/vm/70-maps.sh).
 */
volatile unsigned long dl_sink;

__attribute__((noinline)) void dl_spin(unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		dl_sink += i;
}
