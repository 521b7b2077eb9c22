/*
 * sha256.h — SHA-256 (FIPS 180-4), for the policy digest.
 *
 * The digest names the policy in the start line, and lets a child process verify that the
 * policy file it re-reads is the one its parent loaded (an attacker who can rewrite the file
 * must not be able to relax the policy of the children). glibc exports no hash function and
 * pulling in a crypto library for 60 lines is not worth a dependency.
 */
#ifndef FNSHIELD_SHA256_H
#define FNSHIELD_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* out: 64 lowercase hex digits and a NUL. */
void fs_sha256_hex(const void *data, size_t len, char out[65]);

#endif
