// SPDX-License-Identifier: GPL-2.0
/*
 * uw_signal - time spent in a signal handler, no frame pointers (gcc -O2
 * -fomit-frame-pointer, static glibc): main -> sig_loop -> raise(SIGUSR1),
 * whose handler sig_handler -> sig_leaf spins, for SECONDS of wall time
 * (default 1). A user stack through the handler crosses the signal frame
 * (libc's rt_sigreturn trampoline) back into raise() and its callers:
 * sig_leaf <- sig_handler <- (trampoline) <- (libc) <- sig_loop <- main.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

volatile unsigned long sig_sink;

__attribute__((noinline)) void sig_leaf(void)
{
	for (unsigned long i = 0; i < 200000; i++)
		sig_sink += i ^ (sig_sink >> 3);
}

__attribute__((noinline)) void sig_handler(int sig)
{
	volatile int pad[8];

	pad[0] = sig;
	sig_leaf();
	sig_sink += pad[0];
}

__attribute__((noinline)) void sig_loop(time_t until)
{
	volatile unsigned long pad[8];

	pad[1] = 0;
	while (time(NULL) < until) {
		raise(SIGUSR1);
		pad[1]++;
	}
	sig_sink += pad[1];
}

int main(int argc, char **argv)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sig_handler;
	if (sigaction(SIGUSR1, &sa, NULL))
		return 1;
	sig_loop(time(NULL) + (argc > 1 ? atoi(argv[1]) : 1));
	return 0;
}
