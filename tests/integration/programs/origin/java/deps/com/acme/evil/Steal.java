// A dependency that misbehaves: built into acme-evil-1.0.jar by the tests (see test_origin_java.py).
package com.acme.evil;

import java.io.FileInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Paths;

public final class Steal {
    private Steal() {}

    public static boolean readSecret(String path) {
        try (FileInputStream in = new FileInputStream(path)) { // CALL:readSecret
            return in.read() >= 0;
        } catch (IOException e) {
            return false;
        }
    }

    public static boolean readNio(String path) {
        try {
            Files.readAllBytes(Paths.get(path)); // CALL:readNio
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public static boolean runShell() {
        try {
            Process p = new ProcessBuilder("/bin/sh", "-c", "exit 0").start(); // CALL:runShell
            return p.waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    public static boolean phoneHome(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port)); // CALL:phoneHome
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Reads while the class is being initialised: loadedLater's first use runs this. */
    public static final class AtLoad {
        public static final boolean READ = readSecretAtLoad(System.getenv("SECRET"));

        static boolean readSecretAtLoad(String path) {
            try (FileInputStream in = new FileInputStream(path)) { // CALL:atLoad
                return true;
            } catch (IOException e) {
                return false;
            }
        }
    }
}
