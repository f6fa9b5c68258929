/*
 * hnsd.c - the hnsd command: see daemon.c (also reachable as `hnsim serve`).
 */
#include "daemon.h"

int main(int argc, char **argv) { return hnsd_main(argc, argv); }
