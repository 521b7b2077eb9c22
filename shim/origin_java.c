/*
 * origin_java.c — the Java code behind a call (being written: see origin.h for the contract).
 */
#include "origin.h"

int origin_java_setup(const char *exe)
{
	(void)exe;
	return 0;
}

int origin_java_walk(struct origin_out *o)
{
	(void)o;
	return 0;
}
