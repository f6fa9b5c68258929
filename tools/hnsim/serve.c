/*
 * serve.c - `hnsim serve`: the hnsd daemon under the hnsim command, with the
 * same options (see tools/hnsd/daemon.c).
 */
#include "cli.h"
#include "daemon.h"

int cmd_serve(int argc, char **argv) { return hnsd_main(argc, argv); }
