// fnshield integration probe for Java.
//
// Usage: java -cp DIR Probe CASE [ARGS...]
//
// Performs exactly one action, prints one JSON result line ({"ok":true,...} or
// {"ok":false,"error":"java.io.IOException","message":"..."}) and then {"after":true}; exits 0
// whatever happened to the action. Argument conventions are those of probe.py: exec cases take
// none (the program is `id`), read/write cases take DIR NAME, connect/listen cases take PORT.

import java.io.*;
import java.net.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;

public class Probe {
    static String q(String s) {
        if (s == null) return "null";
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                default:
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
            }
        }
        return b.append('"').toString();
    }

    static String ok() { return "{\"ok\":true"; }

    static String rc(int rc, String childStderr) {
        return "{\"ok\":" + (rc == 0) + ",\"rc\":" + rc + ",\"child_stderr\":" + q(childStderr);
    }

    static String err(Throwable e) {
        return "{\"ok\":false,\"error\":" + q(e.getClass().getName())
            + ",\"ioexception\":" + (e instanceof IOException)
            + ",\"message\":" + q(String.valueOf(e.getMessage()));
    }

    static String readAll(InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }

    // Start, drain both pipes (ProcessBuilder default: stdout and stderr are pipes), wait.
    static String runProcess(ProcessBuilder pb) throws Exception {
        Process p = pb.start();
        p.getOutputStream().close();
        readAll(p.getInputStream());
        String e = readAll(p.getErrorStream());
        return rc(p.waitFor(), e);
    }

    static String run(String c, String[] a) throws Exception {
        switch (c) {
            // ---- exec ---------------------------------------------------------------
            case "pb_start":
                return runProcess(new ProcessBuilder("id"));
            case "pb_envclear_sh": {
                ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", "/usr/bin/id");
                pb.environment().clear();
                return runProcess(pb);
            }
            case "pb_envclear_child_read": {
                // a JVM child with a cleared environment reads DIR/NAME; relay its result line
                String java = System.getProperty("java.home") + "/bin/java";
                ProcessBuilder pb = new ProcessBuilder(java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-XX:-UsePerfData", "-cp", System.getProperty("java.class.path"), "Probe", "fis_read", a[0], a[1]);
                pb.environment().clear();
                Process p = pb.start();
                p.getOutputStream().close();
                String out = readAll(p.getInputStream());
                String err = readAll(p.getErrorStream());
                int rc = p.waitFor();
                for (String line : out.split("\n")) {
                    if (line.startsWith("{\"ok\"")) {
                        return "RAW:" + line.substring(0, line.length() - 1) + ",\"child_rc\":" + rc
                            + ",\"child_stderr\":" + q(err) + "}";
                    }
                }
                return "{\"ok\":false,\"error\":\"NoChildResult\",\"child_rc\":" + rc + ",\"child_stdout\":" + q(out);
            }
            case "runtime_exec": {
                Process p = Runtime.getRuntime().exec(new String[] {"id"});
                p.getOutputStream().close();
                readAll(p.getInputStream());
                String e = readAll(p.getErrorStream());
                return rc(p.waitFor(), e);
            }
            // ---- read (DIR NAME) ----------------------------------------------------
            case "fis_read":
                try (FileInputStream in = new FileInputStream(new File(a[0], a[1]))) { in.read(); }
                return ok();
            case "nio_readAllBytes":
                Files.readAllBytes(Paths.get(a[0], a[1]));
                return ok();
            case "nio_newBufferedReader":
                try (BufferedReader r = Files.newBufferedReader(Paths.get(a[0], a[1]))) { r.readLine(); }
                return ok();
            case "raf_read":
                try (RandomAccessFile f = new RandomAccessFile(new File(a[0], a[1]), "r")) { f.read(); }
                return ok();
            // ---- write (DIR NAME) ---------------------------------------------------
            case "raf_rw":
                try (RandomAccessFile f = new RandomAccessFile(new File(a[0], a[1]), "rw")) { f.read(); }
                return ok();
            case "fos_write":
                try (FileOutputStream o = new FileOutputStream(new File(a[0], a[1]))) { o.write('x'); }
                return ok();
            case "fos_append":
                try (FileOutputStream o = new FileOutputStream(new File(a[0], a[1]), true)) { o.write('x'); }
                return ok();
            case "nio_write":
                Files.write(Paths.get(a[0], a[1]), new byte[] {'x'});
                return ok();
            // ---- connect (PORT) -----------------------------------------------------
            case "socket_connect":
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), Integer.parseInt(a[0])), 10000);
                    s.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
                    s.getInputStream().read();
                }
                return ok();
            case "socket_connect6":
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(InetAddress.getByName("::1"), Integer.parseInt(a[0])), 10000);
                    s.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
                    s.getInputStream().read();
                }
                return ok();
            case "socketchannel_connect":
                try (java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open(
                        new InetSocketAddress(InetAddress.getByName("127.0.0.1"), Integer.parseInt(a[0])))) {
                    ch.write(java.nio.ByteBuffer.wrap("ping".getBytes(StandardCharsets.US_ASCII)));
                }
                return ok();
            case "httpclient_get": {
                // HttpClient retries a failed connect once by default: one attempt, one line
                System.setProperty("jdk.httpclient.disableRetryConnect", "true");
                java.net.http.HttpClient hc = java.net.http.HttpClient.newBuilder()
                    .proxy(ProxySelector.of(null)).connectTimeout(java.time.Duration.ofSeconds(10)).build();
                java.net.http.HttpResponse<String> resp = hc.send(
                    java.net.http.HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a[0] + "/")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
                return "{\"ok\":" + (resp.statusCode() == 200) + ",\"status\":" + resp.statusCode();
            }
            case "http_url": {
                HttpURLConnection h = (HttpURLConnection) new URL("http://127.0.0.1:" + a[0] + "/").openConnection(Proxy.NO_PROXY);
                h.setConnectTimeout(10000);
                h.setReadTimeout(10000);
                int code = h.getResponseCode();
                readAll(h.getInputStream());
                h.disconnect();
                return "{\"ok\":" + (code == 200) + ",\"status\":" + code;
            }
            case "datagram_send":
                try (DatagramSocket s = new DatagramSocket()) {
                    byte[] b = "ping".getBytes(StandardCharsets.US_ASCII);
                    s.send(new DatagramPacket(b, b.length, InetAddress.getByName("127.0.0.1"), Integer.parseInt(a[0])));
                }
                return ok();
            // ---- listen (PORT) ------------------------------------------------------
            case "server_socket":
                try (ServerSocket s = new ServerSocket()) {
                    s.setReuseAddress(true);
                    s.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), Integer.parseInt(a[0])), 5);
                }
                return ok();
            default:
                return "{\"ok\":false,\"error\":\"UnknownCase\",\"case\":" + q(c);
        }
    }

    public static void main(String[] argv) {
        String c = argv.length > 0 ? argv[0] : "";
        String[] a = Arrays.copyOfRange(argv, Math.min(1, argv.length), argv.length);
        String r;
        try {
            r = run(c, a);
        } catch (Throwable e) {
            r = err(e);
        }
        if (r.startsWith("RAW:"))
            System.out.println(r.substring(4));
        else
            System.out.println(r + ",\"pid\":" + ProcessHandle.current().pid() + "}");
        System.out.println("{\"after\":true}");
        System.out.flush();
        System.exit(0);
    }
}
