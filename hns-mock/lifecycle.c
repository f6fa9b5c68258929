/* lifecycle.c - PLACEHOLDER being replaced by its implementation (issue 3). */
#include <hnsmock/hnsmock.h>

#include "instance.h"

int hnsm_restart(hnsm_instance *inst, hnsm_restart_mode mode)
{
    (void)inst, (void)mode;
    return HNSM_EINVAL;
}
int hnsm_reboot(hnsm_instance *inst)
{
    (void)inst;
    return HNSM_EINVAL;
}
