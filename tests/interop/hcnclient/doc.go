// Package hcnclient is a conformance client of hnsim written against the real
// github.com/Microsoft/hcsshim packages (hcn for the v2 API, the root package
// for the v1 HNS functions), the way kube-proxy, the Windows CNI plugins and
// Calico call them (reference consumers.md).
//
// Its tests are Windows-only: they are compiled with
// `GOOS=windows go test -c` and run under Wine, where hcsshim loads hnsim's
// computenetwork.dll and vmcompute.dll from system32 and reaches a real hnsd
// (tests/interop/driver starts one per profile, with a fresh store).
// HNSIM_INTEROP_PROFILE names the profile hnsd serves (ws2019, ws2022,
// ws2025); the expectations that depend on it come from the version table of
// hcn-api.md section 3.
package hcnclient
