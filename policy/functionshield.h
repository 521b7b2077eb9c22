/*
 * functionshield.h — FunctionShield policies, translated (see functionshield.c).
 */
#ifndef FNSHIELD_FUNCTIONSHIELD_H
#define FNSHIELD_FUNCTIONSHIELD_H

#include "policy.h"

#include <stddef.h>

/* 0: not a FunctionShield policy (nothing done); 1: *out holds the fnshield policy text (heap,
 * the caller frees); -1: a FunctionShield policy with errors (errs filled). */
int fs_functionshield_translate(const char *text, size_t len, char **out, size_t *outlen,
				struct fs_errors *errs);

#endif
