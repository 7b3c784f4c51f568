// SPDX-License-Identifier: GPL-2.0
/*
 * kpt_lib.c - a shared library for kprof2pprof's symbolization tests.
 * Never run: run.sh only reads its symbols (nm) and segments (readelf).
 * Built -O0 -falign-functions=1 so that functions sit back to back.
 */
int kpt_lib_counter;

__attribute__((noinline)) int kpt_lib_alpha(int x)
{
	kpt_lib_counter += x;
	return x * 3 + 1;
}

__attribute__((noinline)) int kpt_lib_beta(int x)
{
	return kpt_lib_alpha(x) + 7;
}

/* Local: in .symtab only, so a stripped copy cannot name it. */
static __attribute__((noinline)) int kpt_lib_hidden(int x)
{
	return kpt_lib_beta(x) ^ 5;
}

int kpt_lib_entry(int x)
{
	return kpt_lib_hidden(x) * 2;
}
