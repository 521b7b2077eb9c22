/*
 * policy_share.h — one compiled policy per protected tree.
 *
 * The root of a tree loads its policy (compiles the JSON, or maps a compiled file). The first
 * time it starts a child, it copies the policy's image into a sealed memfd that it keeps for
 * the tree (treefd.h): children map that copy and use it as it lies — no parsing, no
 * compiling, no checksum to compute — instead of loading the policy again.
 *
 * Why a child cannot be handed a weaker policy:
 *  - the entry that names the copy (_FNSHIELD_POLICY_IMAGE=PID:FD:DEV:INO) is written by the
 *    exec hooks from the root's own record, whatever environment the program passes, like
 *    every fnshield variable (envprop.h);
 *  - the child checks that the file it fetched is that very file (device and inode: a memfd's
 *    inode is unique while the root holds it), so a program that puts another file on that
 *    number, or a reused pid, gets nothing;
 *  - the copy is sealed (no write, no resize, no new seal) before it is published, so its
 *    content is the image the root checked, for good;
 *  - whenever any of this fails, the child loads the policy itself from the variables the
 *    exec hooks passed as before (FNSHIELD_POLICY, or FNSHIELD_POLICY_FILE with its digest).
 */
#ifndef FNSHIELD_POLICY_SHARE_H
#define FNSHIELD_POLICY_SHARE_H

#include "policy.h"

#define POLICY_SHARE_ENV "_FNSHIELD_POLICY_IMAGE"

/* At load: the policy the parent shared (entry: the variable's value, or NULL), mapped, with
 * FNSHIELD_MODE's override (-1 none); NULL when there is none to be had. */
struct fs_policy *policy_share_inherit(const char *entry, int mode_override);

/* At load: the policy in force, for this tree (its image must live as long as the process).
 * restricts: whether it restricts anything at all. A policy that does not is not shared: a
 * child compiles nothing worth saving, and the root keeps no descriptor it would not keep
 * anyway (SPEC: under an allow-all policy, a program cannot tell fnshield is there). */
void policy_share_init(const struct fs_policy *p, int restricts);

/* In a parent, before it starts a child (posix_spawn, system, popen, vfork, fork): make the
 * copy if it is not made yet. Cheap after the first time; raw system calls, no allocation. */
void policy_share_publish(void);

/* "_FNSHIELD_POLICY_IMAGE=…" for children's environments, or "" (not published). */
const char *policy_share_env_entry(void);

#endif
