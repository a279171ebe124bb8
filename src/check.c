// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>

#include "main.h"

int cmd_check(void)
{
	fprintf(stderr, "smmutrace: check is not in this build yet\n");
	return EXIT_RUNTIME;
}
