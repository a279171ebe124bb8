/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The fixed scenario set `make accuracy` measures the engine on. */
#ifndef SMMUTRACE_SIM_SCENARIOS_H
#define SMMUTRACE_SIM_SCENARIOS_H

#include "sim.h"

struct scenario {
	const char *name;
	const char *what;
	void (*build)(struct sim_config *cfg);
	bool single_issuer;	/* held to 1.000/1.000 even when unpatched */
};

extern const struct scenario scenarios[];
extern const int n_scenarios;

/* fill cfg for scenario i; seed 0 keeps the scenario's own seed */
void scenario_config(int i, uint64_t seed, struct sim_config *cfg);
/* a machine drawn at random from seed: for stress runs, not for the floors */
void scenario_random(uint64_t seed, struct sim_config *cfg);

#endif /* SMMUTRACE_SIM_SCENARIOS_H */
