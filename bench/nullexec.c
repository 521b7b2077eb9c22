/*
 * nullexec.c — the cheapest exec wrapper there is: exec argv[1] with the rest, nothing else.
 * Built static like build/fnshield-exec, it is the floor of any AWS_LAMBDA_EXEC_WRAPPER: the
 * cost of one more exec. bench/policyload.py subtracts it to show what fnshield itself adds.
 */
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2)
		return 64;
	execv(argv[1], argv + 1);
	return 127;
}
