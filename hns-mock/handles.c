/*
 * handles.c - the process-wide handle table (slot + generation encoding).
 */
#include "handles.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct handle_slot {
    uint32_t generation; /* bumped at every release, so old values stop matching */
    bool used;
    hnsm_kind kind;
    char id[HNSM_GUID_TEXT];
} handle_slot;

static pthread_mutex_t handle_lock = PTHREAD_MUTEX_INITIALIZER;
static handle_slot *slots;
static uint32_t slot_count;
static uint32_t free_hint;

#define SLOT_BITS 24u

static void *encode(uint32_t index, uint32_t generation)
{
    uintptr_t v = ((uintptr_t)(generation & 0x7F) << SLOT_BITS) | (uintptr_t)(index + 1);
    /* Keep the pattern away from real heap addresses: the top bit of the low
     * word marks hnsim handles. */
    return (void *)(v | ((uintptr_t)1 << 31));
}

static bool decode(void *h, uint32_t *index, uint32_t *generation)
{
    uintptr_t v = (uintptr_t)h;
    if (!(v & ((uintptr_t)1 << 31)))
        return false;
    v &= ~((uintptr_t)1 << 31);
    uint32_t i = (uint32_t)(v & ((1u << SLOT_BITS) - 1));
    if (i == 0)
        return false;
    *index = i - 1;
    *generation = (uint32_t)(v >> SLOT_BITS) & 0x7F;
    return true;
}

void *hnsm__handle_new(hnsm_kind kind, const char *id)
{
    pthread_mutex_lock(&handle_lock);
    uint32_t i;
    for (i = free_hint; i < slot_count && slots[i].used; i++)
        ;
    if (i == slot_count) {
        uint32_t grown = slot_count ? slot_count * 2 : 64;
        if (grown >= (1u << SLOT_BITS) - 1) {
            pthread_mutex_unlock(&handle_lock);
            return NULL;
        }
        handle_slot *bigger = realloc(slots, grown * sizeof *slots);
        if (!bigger) {
            pthread_mutex_unlock(&handle_lock);
            return NULL;
        }
        memset(bigger + slot_count, 0, (grown - slot_count) * sizeof *slots);
        slots = bigger;
        i = slot_count;
        slot_count = grown;
    }
    slots[i].used = true;
    slots[i].kind = kind;
    memcpy(slots[i].id, id, HNSM_GUID_TEXT);
    free_hint = i + 1;
    void *h = encode(i, slots[i].generation);
    pthread_mutex_unlock(&handle_lock);
    return h;
}

/* Finds the live slot of h; call with the lock held. */
static handle_slot *lookup(void *h, hnsm_kind kind)
{
    uint32_t index, generation;
    if (!decode(h, &index, &generation) || index >= slot_count)
        return NULL;
    handle_slot *s = &slots[index];
    if (!s->used || (s->generation & 0x7F) != generation || s->kind != kind)
        return NULL;
    return s;
}

bool hnsm__handle_get(void *h, hnsm_kind kind, char id[HNSM_GUID_TEXT])
{
    pthread_mutex_lock(&handle_lock);
    handle_slot *s = lookup(h, kind);
    if (s)
        memcpy(id, s->id, HNSM_GUID_TEXT);
    pthread_mutex_unlock(&handle_lock);
    return s != NULL;
}

bool hnsm__handle_close(void *h, hnsm_kind kind)
{
    pthread_mutex_lock(&handle_lock);
    handle_slot *s = lookup(h, kind);
    if (s) {
        s->used = false;
        s->generation++;
        uint32_t index = (uint32_t)(s - slots);
        if (index < free_hint)
            free_hint = index;
    }
    pthread_mutex_unlock(&handle_lock);
    return s != NULL;
}
