/*
 * choices.h - the named, flippable decisions of choices.def.
 */
#ifndef HNSM_CHOICES_H
#define HNSM_CHOICES_H

typedef enum hnsm_choice {
#define HNSM_CHOICE(name, def, ref, text) HNSM_CHOICE_##name,
#include "choices.def"
#undef HNSM_CHOICE
    HNSM_CHOICE_COUNT
} hnsm_choice;

struct hnsm_instance;

/* The value of choice c on instance inst. */
int hnsm__choice(const struct hnsm_instance *inst, hnsm_choice c);

/* Fills values[] with every choice's default. */
void hnsm__choices_defaults(int values[HNSM_CHOICE_COUNT]);

#endif
