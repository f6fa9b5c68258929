/* notify.c - PLACEHOLDER being replaced by its implementation (issue 3). */
#include "notify.h"

#include "instance.h"

void hnsm__event(struct hnsm_instance *inst, uint32_t type, const char *id, const cJSON *data_extra)
{
    (void)inst, (void)type, (void)id, (void)data_extra;
}
void hnsm__events_commit(struct hnsm_instance *inst) { (void)inst; }
void hnsm__events_discard(struct hnsm_instance *inst) { (void)inst; }
void hnsm__events_shutdown(struct hnsm_instance *inst) { (void)inst; }
