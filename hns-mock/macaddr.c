/*
 * macaddr.c - MAC address parsing and formatting.
 */
#include "macaddr.h"

#include <stdio.h>
#include <string.h>

bool hnsm__mac_parse(const char *text, uint64_t *out)
{
    if (!text || strlen(text) != 17)
        return false;
    char sep = text[2];
    if (sep != '-' && sep != ':')
        return false;
    uint64_t v = 0;
    for (int i = 0; i < 17; i++) {
        char c = text[i];
        if (i % 3 == 2) {
            if (c != sep)
                return false;
            continue;
        }
        int h = (c >= '0' && c <= '9')   ? c - '0'
                : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                         : -1;
        if (h < 0)
            return false;
        v = (v << 4) | (uint64_t)h;
    }
    *out = v;
    return true;
}

void hnsm__mac_format(uint64_t mac, char out[HNSM_MAC_TEXT])
{
    snprintf(out, HNSM_MAC_TEXT, "%02X-%02X-%02X-%02X-%02X-%02X", (unsigned)(mac >> 40) & 0xFF,
             (unsigned)(mac >> 32) & 0xFF, (unsigned)(mac >> 24) & 0xFF,
             (unsigned)(mac >> 16) & 0xFF, (unsigned)(mac >> 8) & 0xFF, (unsigned)mac & 0xFF);
}
