/* objbase.h - on non-Windows builds, the hnsim Windows-types shim stands in for the
 * SDK header of this name so that Windows-style sources compile unchanged. */
#include <hnsmock/wintypes.h>
