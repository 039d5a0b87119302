/*
 * err.c - error codes, messages into caller buffers (see err.h).
 */
#include "err.h"

#include <stdio.h>

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
