/*
 * daemon.h - the hnsd daemon, callable from `hnsd` and `hnsim serve`.
 */
#ifndef HNSIM_DAEMON_H
#define HNSIM_DAEMON_H

/* Runs the daemon with its command line (argv[0] is the program name);
 * returns the exit status once it is stopped by SIGTERM/SIGINT. */
int hnsd_main(int argc, char **argv);

#endif
