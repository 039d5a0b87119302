/*
 * err.h - the error vocabulary of lbsim's libraries (prefix base_, BASE_).
 *
 * Conventions, as in libuv (negative UV_E* codes, uv_strerror) and HAProxy
 * (a caller-owned message buffer):
 *  - a function that can fail returns 0 on success or a negative BASE_E*
 *    code (modules may keep their own enum, e.g. pool.h's POOL_E*, with
 *    the same values);
 *  - when the caller wants words, it passes (char *err, size_t errlen): the
 *    callee writes one NUL-terminated line there with base_errf, truncated
 *    to errlen.  err may be NULL or errlen 0: nothing is written then.
 *
 * Two tiers of checks, as Lua's lua_assert (internal invariants) against
 * api_check (a caller's mistake):
 *  - BASE_ASSERT(cond): an invariant of the module itself.  Compiled out
 *    under NDEBUG (the release build), abort() with file:line otherwise.
 *    Never put side effects in cond.
 *  - BASE_CHECK(cond, rc): a precondition on what a caller passed; always
 *    compiled in; returns rc from the enclosing function when cond fails.
 */
#ifndef LBSIM_ERR_H
#define LBSIM_ERR_H

#include <assert.h>
#include <stdarg.h>
#include <stddef.h>

/* X(name, value, message).  Values are stable: append, never renumber. */
#define BASE_ERRNO_MAP(X)                                                                          \
    X(OK, 0, "success")                                                                            \
    X(EINVAL, -1, "invalid argument")                                                              \
    X(ENOMEM, -2, "out of memory")                                                                 \
    X(ETOOBIG, -3, "too big to ever fit")                                                          \
    X(ENOSPC, -4, "no room in the buffer given")                                                   \
    X(ENOENT, -5, "no such entry")                                                                 \
    X(ERANGE, -6, "value out of range")                                                            \
    X(EIO, -7, "input/output error")                                                               \
    X(EPARSE, -8, "malformed input")

enum base_err {
#define BASE__ERR_ENUM(name, value, msg) BASE_##name = (value),
    BASE_ERRNO_MAP(BASE__ERR_ENUM)
#undef BASE__ERR_ENUM
};

/* The message of a BASE_E* code; "unknown error" for any other value.
 * Static storage: never freed, never changes. */
const char *base_strerror(int code);

/* printf into (err, errlen) when err != NULL and errlen > 0. */
void base_errf(char *err, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
void base_verrf(char *err, size_t errlen, const char *fmt, va_list ap)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 0)))
#endif
    ;

/* The code of a failure known only by its message: BASE_ENOMEM when msg
 * reports an allocation failure, else rc.  Every library of lbsim words
 * one as "out of memory", at the start of the message or after a "<where>:
 * " prefix (a quoted user string never matches: it follows a quote).
 * Lets a caller tell an internal failure (the program's exit 3) from bad
 * input (exit 2) across layers whose functions return -1 for both. */
int base_err_oom_or(const char *msg, int rc);

/* libc's assert: it names the expression, file and line, then aborts (the
 * one way base/ stops a program: a broken invariant means the figures can
 * no longer be trusted); nothing under NDEBUG. */
#define BASE_ASSERT(cond) assert(cond)

#define BASE_CHECK(cond, rc)                                                                       \
    do {                                                                                           \
        if (!(cond))                                                                               \
            return (rc);                                                                           \
    } while (0)

#endif /* LBSIM_ERR_H */
