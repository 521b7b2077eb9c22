"""A dependency in the task root (package "acme_dep"): each call is on a line marked CALL:<name>."""
import ctypes
import os
import socket
import subprocess


def read_secret(path):
    try:
        with open(path, "rb") as f:  # CALL:read_secret
            return f.read()
    except OSError as e:
        return e.errno


def run_shell():
    try:
        subprocess.run(["/bin/sh", "-c", "true"])  # CALL:run_shell
    except OSError as e:
        return e.errno


def os_system():
    return os.system("true")  # CALL:os_system


def phone_home(port):
    s = socket.socket()
    try:
        s.connect(("127.0.0.1", port))  # CALL:phone_home
    except OSError as e:
        return e.errno
    finally:
        s.close()


def through_ctypes(path):
    libc = ctypes.CDLL(None)
    libc.open.restype = ctypes.c_int
    return libc.open(path.encode(), 0)  # CALL:through_ctypes
