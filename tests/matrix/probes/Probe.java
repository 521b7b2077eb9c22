// The runtime matrix's probe for Java (compiled with --release 11, so it runs on 11 and every
// later JVM); see probe.py for the protocol: `java Probe checks|workload|start PORT`.
import java.io.*;
import java.net.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.security.MessageDigest;
import java.util.*;

public class Probe {
    interface Call { String run() throws Exception; }

    static void marker(String name) {
        System.err.println("{\"matrix\":\"check\",\"name\":\"" + name + "\"}");
        System.err.flush();
    }

    static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", " ") + "\"";
    }

    static void report(String check, String outcome, String detail) {
        System.out.println("{\"check\":" + quote(check) + ",\"outcome\":" + quote(outcome)
                + ",\"detail\":" + quote(detail) + "}");
        System.out.flush();
    }

    // The JVM's own error, named: process start failures carry "error=N" in their message,
    // java.nio says AccessDeniedException/NoSuchFileException, java.io "(Permission denied)",
    // a refused connect "Operation not permitted".
    static String classify(Exception e, String refusedText) {
        String m = String.valueOf(e.getMessage());
        if (e instanceof AccessDeniedException || m.contains(refusedText)) return "refused";
        if (e instanceof NoSuchFileException || m.matches("(?s).*error(=|: )2\\b.*")) return "not_found";
        return "other";
    }

    static void check(String name, String refusedText, Call call) {
        marker(name);
        try {
            report(name, "ok", String.valueOf(call.run()));
        } catch (Exception e) {
            report(name, classify(e, refusedText), e.getClass().getName() + ": " + e.getMessage());
        }
    }

    static String ran(String... argv) throws Exception {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        int rc = p.waitFor();
        if (rc != 0) throw new RuntimeException("exit " + rc);
        return out;
    }

    static void checks(int port) {
        String eacces = "Permission denied";
        check("exec_shell:ProcessBuilder", eacces, () -> ran("/bin/sh", "-c", "exit 0"));
        check("exec_shell:bare name", eacces, () -> ran("sh", "-c", "exit 0"));
        check("exec_shell:Runtime.exec", eacces,
              () -> String.valueOf(Runtime.getRuntime().exec(new String[] {"/bin/sh", "-c", "exit 0"}).waitFor()));
        check("exec_path_search:ProcessBuilder", eacces, () -> ran("uname"));
        check("exec_missing:ProcessBuilder", eacces, () -> ran("fnshield-no-such-program"));
        check("read_environ:Files.readAllBytes", eacces,
              () -> { Files.readAllBytes(Paths.get("/proc/self/environ")); return ""; });
        check("read_environ:FileInputStream", eacces,
              () -> { try (FileInputStream in = new FileInputStream("/proc/self/environ")) { in.read(); } return ""; });
        check("connect_loopback:Socket", "Operation not permitted",
              () -> { try (Socket s = new Socket("127.0.0.1", port)) { } return ""; });
        check("connect_loopback:SocketChannel", "Operation not permitted",
              () -> { try (java.nio.channels.SocketChannel c = java.nio.channels.SocketChannel.open(
                          new InetSocketAddress("127.0.0.1", port))) { } return ""; });
        check("connect_loopback:HttpURLConnection", "Operation not permitted",
              () -> new String(new URL("http://127.0.0.1:" + port + "/").openStream().readAllBytes()));
        check("write_outside_tmp:Files.write", eacces,
              () -> { Files.write(Paths.get("/var/tmp/fnshield-matrix-probe"), new byte[] {'x'}); return ""; });
        check("write_outside_tmp:FileOutputStream", eacces,
              () -> { try (FileOutputStream out = new FileOutputStream("/var/tmp/fnshield-matrix-probe")) { out.write('x'); } return ""; });
    }

    static void workload(int port) throws Exception {
        TreeMap<String, String> result = new TreeMap<>();
        result.put("os_release_lines", String.valueOf(Files.readAllLines(Paths.get("/etc/os-release")).size()));
        Path tmp = Paths.get("/tmp/fnshield-matrix-java-" + ProcessHandle.current().pid());
        Files.write(tmp, "payload\n".repeat(100).getBytes(StandardCharsets.UTF_8));
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(tmp));
        result.put("tmp_sha256", String.format("%064x", new java.math.BigInteger(1, digest)));
        Files.delete(tmp);
        result.put("shell", ran("/bin/sh", "-c", "echo hi | tr a-z A-Z"));
        result.put("uname", ran("uname", "-s"));
        HttpURLConnection c = (HttpURLConnection) new URL("http://127.0.0.1:" + port + "/workload").openConnection();
        result.put("http", new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        long[] sums = new long[4];
        Thread[] threads = new Thread[4];
        for (int i = 0; i < 4; i++) {
            final int k = i;
            threads[i] = new Thread(() -> {
                try {
                    MessageDigest md = MessageDigest.getInstance("SHA-256");
                    for (int n = 0; n < 2000; n++) sums[k] += md.digest((k + "-" + n).getBytes())[0] & 0xff;
                } catch (Exception e) { sums[k] = -1; }
            });
            threads[i].start();
        }
        for (Thread t : threads) t.join();
        result.put("threads", Arrays.toString(sums));
        System.out.println(result);
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[1]);
        if (args[0].equals("checks")) checks(port);
        else if (args[0].equals("workload")) workload(port);
    }
}
