/*
 * faults.h - fault injection and virtual latency, applied to every call.
 *
 * Each operation has the name of its Windows entry point (HcnCreateNetwork,
 * HcnQueryEndpointProperties, HNSCall...). Before an operation runs, its
 * name's call counter is bumped and the fault rules are checked; when the
 * call goes ahead and latency is on, the virtual clock advances by a seeded
 * draw from the profile's latency model (the table in faults.c).
 *
 * How rules decide (the SQLite "fail the Nth call, once or from then on"
 * model, see STYLE.md): every rule whose api is the call's name, or "*",
 * counts the call as one more matching call since the rule was added. A rule
 * fires when
 *   NTH          its count equals nth (once);
 *   FROM_NTH     its count is nth or more;
 *   PROBABILITY  a seeded draw is below probability. The draw mixes the
 *                instance seed, the rule's position in the list and the
 *                rule's count, so the same seed and the same calls give the
 *                same failures (no wall time, no global random state).
 * Rules are checked in the order they were added and the first one that
 * fires decides the HRESULT; a call no rule fires on runs normally. A failed
 * call changes nothing: exec.c returns before opening a transaction, with the
 * real ErrorRecord of the HRESULT (hnsm_last_detail names the rule).
 *
 * Fault rules, call counters and the clock live in the instance (memory), not
 * in the store: they belong to the process driving the model.
 */
#ifndef HNSM_FAULTS_H
#define HNSM_FAULTS_H

#include <hnsmock/hnsmock.h>
#include <stdbool.h>

/* The Windows entry point of (kind, op): "HcnCreateLoadBalancer". */
const char *hnsm__api_name(hnsm_kind kind, hnsm_op op);

/* Counts the call and returns the injected HRESULT (with detail naming the
 * rule), or S_OK to proceed. Call with the instance lock held. */
HRESULT hnsm__fault_check(hnsm_instance *inst, const char *api);

/* The same for a call with a JSON document (rules with a match text see
 * it); *partial tells whether the rule that failed it leaves a partial
 * object behind. */
HRESULT hnsm__fault_check_call(hnsm_instance *inst, const char *api, const char *json,
                               bool *partial);

/* Advances the virtual clock by the call's latency, when enabled. Call with
 * the instance lock held. */
void hnsm__latency_charge(hnsm_instance *inst, const char *api);

/* The latency model's range for api on inst's profile, before the scale:
 * each charged call draws uniformly from [*low_ms, *high_ms]. Always
 * answers (unknown names get the model's default row). */
void hnsm__latency_range(const hnsm_instance *inst, const char *api, unsigned *low_ms,
                         unsigned *high_ms);

/* Frees the fault state; called by hnsm_close. */
void hnsm__faults_free(hnsm_instance *inst);

#endif
