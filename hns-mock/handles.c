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

/*
 * A handle value: bit 31 marks hnsim handles, bits 0..23 hold slot + 1, and
 * the slot's generation sits above: bits 32..62 on 64-bit builds (2^31
 * reuses before a value repeats), bits 24..30 on 32-bit ones. A value with
 * any other bit set is not a handle.
 */
#define SLOT_BITS 24u
#define HANDLE_MARK ((uintptr_t)1 << 31)
#if UINTPTR_MAX > 0xFFFFFFFFu
#define GENERATION_SHIFT 32u
#define GENERATION_MASK 0x7FFFFFFFu
#else
#define GENERATION_SHIFT 24u
#define GENERATION_MASK 0x7Fu
#endif

static void *encode(uint32_t index, uint32_t generation)
{
    uintptr_t v = ((uintptr_t)(generation & GENERATION_MASK) << GENERATION_SHIFT) |
                  (uintptr_t)(index + 1) | HANDLE_MARK;
    return (void *)v;
}

static bool decode(void *h, uint32_t *index, uint32_t *generation)
{
    uintptr_t v = (uintptr_t)h;
    uintptr_t known = HANDLE_MARK | (((uintptr_t)1 << SLOT_BITS) - 1) |
                      ((uintptr_t)GENERATION_MASK << GENERATION_SHIFT);
    if (!(v & HANDLE_MARK) || (v & ~known))
        return false;
    uint32_t i = (uint32_t)(v & ((1u << SLOT_BITS) - 1));
    if (i == 0)
        return false;
    *index = i - 1;
    *generation = (uint32_t)(v >> GENERATION_SHIFT) & GENERATION_MASK;
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
    if (!s->used || (s->generation & GENERATION_MASK) != generation || s->kind != kind)
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
