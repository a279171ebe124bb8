// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>

#include "main.h"

int cmd_live(void)
{
	fprintf(stderr, "smmutrace: live tracing is not in this build yet\n");
	return EXIT_RUNTIME;
}
