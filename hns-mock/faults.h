/*
 * faults.h - fault injection and virtual latency, applied to every call.
 *
 * Each operation has the name of its Windows entry point (HcnCreateNetwork,
 * HcnQueryEndpointProperties, HNSCall...). Before an operation runs, its
 * name's call counter is bumped, the fault rules are checked (the first
 * matching rule decides), and when latency is on the virtual clock advances
 * by a seeded draw from the profile's latency model.
 */
#ifndef HNSM_FAULTS_H
#define HNSM_FAULTS_H

#include <hnsmock/hnsmock.h>

/* The Windows entry point of (kind, op): "HcnCreateLoadBalancer". */
const char *hnsm__api_name(hnsm_kind kind, hnsm_op op);

/* Counts the call and returns the injected HRESULT, or S_OK to proceed.
 * Call with the instance lock held. */
HRESULT hnsm__fault_check(hnsm_instance *inst, const char *api);

/* Advances the virtual clock by the call's latency, when enabled. */
void hnsm__latency_charge(hnsm_instance *inst, const char *api);

/* Frees the fault state; called by hnsm_close. */
void hnsm__faults_free(hnsm_instance *inst);

#endif
