"""A helper shipped with the function: a static program (nothing is preloaded into it) that the
handler runs with subprocess, the way a function runs a bundled Go binary. The helper is one
of the C programs linked -static (cases.py: kind "static"); it prints its own ATTEMPT and DONE.

usage: helper.py PROGRAM ARGS...
"""
import subprocess
import sys

p = subprocess.run(sys.argv[1:])
sys.exit(p.returncode)
