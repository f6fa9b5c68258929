/*
 * windows_client.c - a C program written for Windows against the HCN API,
 * compiled here unchanged: <windows.h>, <ComputeNetwork.h>, L"..." JSON,
 * CoTaskMemFree on every returned string. It creates a NAT network, an
 * endpoint with a port mapping, a namespace, attaches the endpoint, reads
 * everything back, then deletes it all, and exits 0 only if each step did
 * what Windows would do. The test suite builds and runs it.
 */
#include <windows.h>
#include <ComputeNetwork.h>
#include <stdio.h>
#include <wchar.h>

static int failures;

#define CHECK(cond, what)                                                    \
    do {                                                                     \
        if (!(cond)) {                                                       \
            printf("FAIL: %s (line %d)\n", what, __LINE__);                  \
            failures++;                                                      \
        }                                                                    \
    } while (0)

static void print_and_free(const char *label, PWSTR text)
{
    if (text) {
        printf("%s: %ls\n", label, text);
        CoTaskMemFree(text);
    }
}

int main(void)
{
    PWSTR result = NULL, error = NULL;
    HCN_NETWORK network = NULL;
    HCN_ENDPOINT endpoint = NULL;
    HCN_NAMESPACE ns = NULL;
    GUID network_id = {0x11111111, 0x2222, 0x3333, {0x44, 0x44, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55}};

    HRESULT hr = HcnCreateNetwork(
        &network_id,
        L"{\"Name\":\"nat\",\"Type\":\"NAT\",\"Ipams\":[{\"Type\":\"Static\",\"Subnets\":[{"
        L"\"IpAddressPrefix\":\"172.20.0.0/16\",\"Routes\":[{\"NextHop\":\"172.20.0.1\","
        L"\"DestinationPrefix\":\"0.0.0.0/0\"}]}]}],\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}",
        &network, &error);
    CHECK(SUCCEEDED(hr), "HcnCreateNetwork");
    CHECK(error == NULL, "no ErrorRecord on success");
    print_and_free("create network error", error);
    error = NULL;

    hr = HcnCreateEndpoint(network, &GUID_NULL,
                           L"{\"Name\":\"ep1\",\"IpConfigurations\":[{\"IpAddress\":\"172.20.0.10\"}],"
                           L"\"Policies\":[{\"Type\":\"PortMapping\",\"Settings\":{\"Protocol\":6,"
                           L"\"InternalPort\":80,\"ExternalPort\":8080}}],"
                           L"\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}",
                           &endpoint, &error);
    CHECK(SUCCEEDED(hr), "HcnCreateEndpoint");
    print_and_free("create endpoint error", error);
    error = NULL;

    /* A second endpoint with the same host port is refused, as on Windows. */
    HCN_ENDPOINT second = NULL;
    hr = HcnCreateEndpoint(network, &GUID_NULL,
                           L"{\"Name\":\"ep2\",\"Policies\":[{\"Type\":\"PortMapping\",\"Settings\":"
                           L"{\"Protocol\":6,\"InternalPort\":81,\"ExternalPort\":8080}}]}",
                           &second, &error);
    CHECK(hr == (HRESULT)0x803B0013L, "duplicate port mapping gives HCN_E_PORT_ALREADY_EXISTS");
    CHECK(error != NULL && wcsstr(error, L"\"ErrorCode\":2151350291") != NULL,
          "the ErrorRecord carries the code");
    print_and_free("duplicate port error", error);
    error = NULL;

    hr = HcnQueryEndpointProperties(endpoint, L"{\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}",
                                    &result, &error);
    CHECK(SUCCEEDED(hr) && result && wcsstr(result, L"\"IpAddress\":\"172.20.0.10\""),
          "endpoint properties show the address");
    print_and_free("endpoint", result);
    result = NULL;

    hr = HcnCreateNamespace(&GUID_NULL, L"{\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}", &ns, &error);
    CHECK(SUCCEEDED(hr), "HcnCreateNamespace");
    hr = HcnQueryNamespaceProperties(ns, L"{\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}", &result,
                                     &error);
    CHECK(SUCCEEDED(hr), "HcnQueryNamespaceProperties");
    print_and_free("namespace", result);
    result = NULL;

    /* Attach the endpoint to the namespace by id. */
    hr = HcnQueryEndpointProperties(endpoint, L"{\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}",
                                    &result, NULL);
    WCHAR request[256];
    const WCHAR *id = wcsstr(result, L"\"ID\":\"") + 6;
    swprintf(request, 256,
             L"{\"ResourceType\":\"Endpoint\",\"RequestType\":\"Add\",\"Settings\":{\"EndpointId\":\"%.36ls\"}}",
             id);
    CoTaskMemFree(result);
    result = NULL;
    hr = HcnModifyNamespace(ns, request, &error);
    CHECK(SUCCEEDED(hr), "HcnModifyNamespace attach");
    print_and_free("attach error", error);
    error = NULL;

    hr = HcnEnumerateEndpoints(
        L"{\"SchemaVersion\":{\"Major\":2,\"Minor\":0},\"Filter\":\"{\\\"Name\\\":\\\"ep1\\\"}\"}",
        &result, &error);
    CHECK(SUCCEEDED(hr) && result && wcslen(result) == 40, "enumerate by name finds one GUID");
    print_and_free("endpoints named ep1", result);
    result = NULL;

    /* Unknown namespace: ERROR_NOT_FOUND (hcsshim expects 1168). */
    HCN_NAMESPACE missing = NULL;
    GUID nowhere = {0xDEADBEEF, 1, 2, {3, 4, 5, 6, 7, 8, 9, 10}};
    hr = HcnOpenNamespace(&nowhere, &missing, &error);
    CHECK(hr == HRESULT_FROM_WIN32(ERROR_NOT_FOUND), "open of a missing namespace");
    print_and_free("missing namespace", error);
    error = NULL;

    CHECK(SUCCEEDED(HcnCloseNamespace(ns)), "close namespace");
    CHECK(SUCCEEDED(HcnCloseEndpoint(endpoint)), "close endpoint");
    CHECK(HcnCloseEndpoint(endpoint) == E_HANDLE, "a second close is refused, not a crash");
    CHECK(SUCCEEDED(HcnCloseNetwork(network)), "close network");
    CHECK(SUCCEEDED(HcnDeleteNetwork(&network_id, &error)), "delete network");
    hr = HcnEnumerateEndpoints(L"{\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}", &result, NULL);
    CHECK(SUCCEEDED(hr) && result && wcscmp(result, L"[]") == 0,
          "deleting the network deleted its endpoint");
    print_and_free("endpoints after delete", result);

    printf("%s\n", failures ? "windows_client: FAILED" : "windows_client: ok");
    return failures ? 1 : 0;
}
