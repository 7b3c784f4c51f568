// SPDX-License-Identifier: GPL-2.0
/*
 * kpt_main.c - an executable for kprof2pprof's symbolization tests, built
 * as a PIE and as a non-PIE (ET_EXEC) binary. Never run.
 */
int kpt_lib_entry(int x);

static __attribute__((noinline)) int kpt_main_leaf(int x)
{
	return x * x;
}

__attribute__((noinline)) int kpt_main_work(int x)
{
	return kpt_main_leaf(x) + kpt_lib_entry(x);
}

int main(int argc, char **argv)
{
	(void)argv;
	return kpt_main_work(argc) & 1;
}
