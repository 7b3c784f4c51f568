/* SPDX-License-Identifier: GPL-2.0 */
/* The ELF types and constants of the kernel's <linux/elf.h>: glibc's. */
#include <elf.h>
