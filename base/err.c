/*
 * err.c - error codes, messages into caller buffers (see err.h).
 */
#include "err.h"

#include <stdio.h>
#include <string.h>

const char *base_strerror(int code)
{
    switch (code) {
#define BASE__ERR_CASE(name, value, msg)                                                           \
    case value:                                                                                    \
        return msg;
        BASE_ERRNO_MAP(BASE__ERR_CASE)
#undef BASE__ERR_CASE
    default:
        return "unknown error";
    }
}

int base_err_oom_or(const char *msg, int rc)
{
    static const char oom[] = "out of memory";
    if (msg == NULL)
        return rc;
    for (const char *p = strstr(msg, oom); p != NULL; p = strstr(p + 1, oom))
        if (p == msg || (p - msg >= 2 && p[-2] == ':' && p[-1] == ' '))
            return BASE_ENOMEM;
    return rc;
}

void base_verrf(char *err, size_t errlen, const char *fmt, va_list ap)
{
    if (err == NULL || errlen == 0)
        return;
    vsnprintf(err, errlen, fmt, ap);
}

void base_errf(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    base_verrf(err, errlen, fmt, ap);
    va_end(ap);
}
