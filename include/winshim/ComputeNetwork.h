/* ComputeNetwork.h - the SDK spelling of computenetwork.h, for sources written
 * on Windows (case-sensitive file systems need both names). */
#include <computenetwork.h>
