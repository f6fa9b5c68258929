package hcnclient

import (
	"testing"

	"github.com/Microsoft/hcsshim"
	"github.com/Microsoft/hcsshim/hcn"
)

// The cost of one call through the bridge: hcsshim -> hnsim's DLL under Wine
// -> TCP loopback -> hnsd -> the model, and back (the driver prints these).

func BenchmarkHNSCallGlobalsVersion(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := hcsshim.GetHNSGlobals(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHcnListNetworks(b *testing.B) {
	network, err := (&hcn.HostComputeNetwork{Name: "bench", Type: hcn.NAT,
		Ipams: []hcn.Ipam{{Type: "Static", Subnets: []hcn.Subnet{{IpAddressPrefix: "172.31.0.0/16",
			Routes: []hcn.Route{{NextHop: "172.31.0.1", DestinationPrefix: "0.0.0.0/0"}}}}}},
		SchemaVersion: schema}).Create()
	if err != nil {
		b.Fatal(err)
	}
	defer network.Delete()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// One HcnEnumerateNetworks, then HcnOpen + HcnQuery + HcnClose per network.
		if _, err := hcn.ListNetworks(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHcnEndpointCreateDelete(b *testing.B) {
	network, err := (&hcn.HostComputeNetwork{Name: "bench-ep", Type: hcn.NAT,
		Ipams: []hcn.Ipam{{Type: "Static", Subnets: []hcn.Subnet{{IpAddressPrefix: "172.29.0.0/16",
			Routes: []hcn.Route{{NextHop: "172.29.0.1", DestinationPrefix: "0.0.0.0/0"}}}}}},
		SchemaVersion: schema}).Create()
	if err != nil {
		b.Fatal(err)
	}
	defer network.Delete()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		endpoint, err := network.CreateEndpoint(&hcn.HostComputeEndpoint{SchemaVersion: schema})
		if err != nil {
			b.Fatal(err)
		}
		if err := endpoint.Delete(); err != nil {
			b.Fatal(err)
		}
	}
}
