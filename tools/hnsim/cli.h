/*
 * cli.h - the hnsim command's subcommands and their shared helpers.
 *
 * Each subcommand is a function taking its own argv (argv[0] is the
 * subcommand name) and returning the process exit status: 0 success,
 * 1 the operation failed, 2 bad usage.
 */
#ifndef HNSIM_CLI_H
#define HNSIM_CLI_H

#include <hnsmock/hnsmock.h>
#include <stdio.h>

int cmd_diag(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_vfp(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_reach(int argc, char **argv);
int cmd_trace_scenario(int argc, char **argv);

/* Opens the instance a tool reads: --store PATH if given, else $HNSIM_STORE.
 * A store file must already exist unless create is set. Prints the reason
 * and returns NULL on failure. */
hnsm_instance *cli_open_store(const char *store, int create, const char *profile);

#endif
