/*
 * handles.h - the opaque HCN handles handed to callers.
 *
 * A handle is a number dressed as a pointer (slot index and generation), never
 * dereferenced: a stale, double-closed or foreign handle is recognised and
 * answered with E_HANDLE instead of crashing, and a handle of one kind passed
 * where another is expected is refused the same way. Each open handle names
 * one object by kind and id; closing it never deletes the object.
 */
#ifndef HNSM_HANDLES_H
#define HNSM_HANDLES_H

#include <hnsmock/hnsmock.h>

#include "guid.h"

/* Registers a handle for (kind, id); NULL when out of memory. */
void *hnsm__handle_new(hnsm_kind kind, const char *id);

/* Resolves handle h of the expected kind into id; false if h is unknown,
 * closed, or of another kind. */
bool hnsm__handle_get(void *h, hnsm_kind kind, char id[HNSM_GUID_TEXT]);

/* Releases h; false if it was not an open handle of kind. */
bool hnsm__handle_close(void *h, hnsm_kind kind);

#endif
