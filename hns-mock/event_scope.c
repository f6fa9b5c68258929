/*
 * event_scope.c - which notifications a service callback or a guest network
 * service callback hears (backend.h), shared by libhnsmock and the Windows
 * DLLs; the JSON reading is left to each.
 */
#include "backend.h"

#include <computenetwork.h>
#include <string.h>

bool hnsm__scope_hears(bool on_gns, const char *gns_id, uint32_t type, const char *data,
                       bool (*event_id)(const char *data, char out[HNSM_BACKEND_GUID_TEXT]))
{
    bool gns_type = type == HcnNotificationGuestNetworkServiceStateChanged ||
                    type == HcnNotificationGuestNetworkServiceInterfaceStateChanged;
    if (type == HcnNotificationServiceDisconnect)
        return true;
    if (!on_gns)
        return !gns_type;
    char id[HNSM_BACKEND_GUID_TEXT];
    return gns_type && data && event_id(data, id) && strcmp(id, gns_id) == 0;
}
