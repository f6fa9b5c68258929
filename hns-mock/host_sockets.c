/*
 * host_sockets.c - the sockets host processes listen on, as far as HNS
 * sees them: a load balancer frontend on a port one of them holds fails
 * (consumers.md 7). They live in memory only - a process's socket is gone
 * when the process is, and every process is gone after a reboot.
 *
 * A host socket is taken to listen on every host address (as kube-proxy's
 * healthz server on 0.0.0.0:10256 does): it collides with a frontend of
 * that protocol and port on the host's addresses - without FrontendVIPs,
 * or on the host address. Whether it also holds other VIPs, as the
 * reference's field report of a health-check LB refused on :10256 says, is
 * the choice HOST_SOCKET_HOLDS_EVERY_VIP (choices.def, off by default).
 */
#include "instance.h"

#include "hresult.h"

#include <string.h>

int hnsm_host_socket(hnsm_instance *inst, int protocol, uint16_t port, int listen)
{
    if (!inst || (protocol != 6 && protocol != 17) || !port)
        return HNSM_EINVAL;
    pthread_mutex_lock(&inst->lock);
    size_t i = 0;
    while (i < inst->n_host_sockets &&
           (inst->host_sockets[i].protocol != protocol || inst->host_sockets[i].port != port))
        i++;
    int rc = 0;
    if (listen && i == inst->n_host_sockets) {
        if (i < sizeof inst->host_sockets / sizeof inst->host_sockets[0]) {
            inst->host_sockets[i].protocol = protocol;
            inst->host_sockets[i].port = port;
            inst->n_host_sockets++;
        } else {
            rc = HNSM_EINVAL;
        }
    } else if (!listen && i < inst->n_host_sockets) {
        inst->host_sockets[i] = inst->host_sockets[--inst->n_host_sockets];
    }
    pthread_mutex_unlock(&inst->lock);
    return rc;
}

bool hnsm__host_port_held(const hnsm_instance *inst, int protocol, int port)
{
    for (size_t i = 0; i < inst->n_host_sockets; i++)
        if (inst->host_sockets[i].protocol == protocol && inst->host_sockets[i].port == port)
            return true;
    return false;
}

void hnsm__host_sockets_close_all(hnsm_instance *inst)
{
    inst->n_host_sockets = 0;
}
