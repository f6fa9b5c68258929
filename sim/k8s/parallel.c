/*
 * parallel.c - one reconcile step of every node, on worker threads, with
 * the output of a sequential run.
 *
 * Each node's kube-proxy, policy agent and VFP sync touch only that node's
 * state and its own HNS (each thread selects the node's instance with
 * hcnc_use), and read cluster objects nobody changes during the step. So
 * the steps of different nodes can run at once; what they write to the
 * cluster log is kept per node (a thread-local sink that k8s_log honours)
 * and appended in node order afterwards, and HNS ids, MACs and every other
 * seeded choice are per instance. The same script and seed therefore give
 * the same bytes whatever the thread count. HNSIM_THREADS sets the count
 * (1 = everything on the calling thread); the default is the number of
 * online processors, at most 8.
 */
#include "k8s_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static _Thread_local k8s_log_buffer *log_sink;

k8s_log_buffer *k8s__log_sink(void)
{
    return log_sink;
}

typedef struct job {
    k8s_cluster *c;
    k8s__node_step step;
    void *arg;
    atomic_size_t next;      /* the next node index to take */
    k8s_log_buffer *logs;    /* per node */
    int *rcs;                /* per node */
} job;

/* Runs the step of node i with its log lines going to logs[i]. */
static void run_one(job *j, size_t i)
{
    log_sink = &j->logs[i];
    j->rcs[i] = j->step(j->c, &j->c->nodes[i], j->arg);
    log_sink = NULL;
    hcnc_use(NULL);
}

static void *worker(void *arg)
{
    job *j = arg;
    for (size_t i; (i = atomic_fetch_add(&j->next, 1)) < j->c->n_nodes;)
        run_one(j, i);
    return NULL;
}

static size_t thread_count(size_t nodes)
{
    const char *env = getenv("HNSIM_THREADS");
    long n = env && *env ? strtol(env, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    if (n > 8)
        n = 8;
    return (size_t)n < nodes ? (size_t)n : nodes;
}

int k8s__for_each_node(k8s_cluster *c, k8s__node_step step, void *arg, bool may_thread)
{
    size_t n = c->n_nodes, threads = may_thread ? thread_count(n) : 1;
    int rc = 0;
    job j = {.c = c, .step = step, .arg = arg};
    pthread_t *ids = NULL;
    if (threads > 1) {
        j.logs = calloc(n, sizeof *j.logs);
        j.rcs = calloc(n, sizeof *j.rcs);
        ids = calloc(threads, sizeof *ids);
    }
    if (!j.logs || !j.rcs || !ids) { /* one thread, or no memory for more */
        free(j.logs);
        free(j.rcs);
        free(ids);
        for (size_t i = 0; i < n; i++)
            rc |= step(c, &c->nodes[i], arg);
        return rc;
    }
    atomic_init(&j.next, 0);
    size_t started = 0;
    while (started < threads && pthread_create(&ids[started], NULL, worker, &j) == 0)
        started++;
    if (!started) /* no thread could start: the calling thread does it all */
        worker(&j);
    for (size_t t = 0; t < started; t++)
        pthread_join(ids[t], NULL);
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < j.logs[i].n; k++)
            k8s__log_append(c, j.logs[i].lines[k]);
        free(j.logs[i].lines);
        rc |= j.rcs[i];
    }
    free(ids);
    free(j.logs);
    free(j.rcs);
    return rc;
}
