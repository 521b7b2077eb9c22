/*
 * The Java test function (handler: Handler::handleRequest), the same actions as the Python one
 * (functions/python/handler.py): echo, whoami, exec (/usr/bin/id -u), read {path},
 * connect {port}, child_read {path} (/usr/bin/cat PATH), init_result, fail. A blocked call
 * shows as {"ok":false,"code":"EACCES"|"EPERM","errno":N,...}. The class's static initialiser
 * runs the actions in E2E_INIT_ACTIONS (JSON): the runtime loop initialises the class during
 * init, before the first invocation.
 */
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

public class Handler {
    static final List<Object> INIT_RESULTS = new ArrayList<>();

    static {
        String actions = System.getenv("E2E_INIT_ACTIONS");
        if (actions != null && !actions.isEmpty())
            for (Object a : (List<?>) new Json(actions).value())
                INIT_RESULTS.add(perform((Map<?, ?>) a, null));
    }

    public String handleRequest(String event, Map<String, String> context) {
        Map<?, ?> ev = (Map<?, ?>) new Json(event).value();
        if ("echo".equals(ev.get("action")))
            return event; // the event as it came
        return Json.write(perform(ev, context));
    }

    static Object perform(Map<?, ?> ev, Map<String, String> context) {
        String action = String.valueOf(ev.get("action"));
        switch (action) {
            case "echo":
                return ev;
            case "whoami": {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("requestId", context == null ? null : context.get("awsRequestId"));
                r.put("traceEnv", System.getProperty("com.amazonaws.xray.traceId"));
                r.put("function", context == null ? null : context.get("functionName"));
                return r;
            }
            case "exec":
                return doExec();
            case "read":
                return doRead(String.valueOf(ev.get("path")));
            case "connect":
                return doConnect(((Number) ev.get("port")).intValue());
            case "child_read":
                return doChildRead(String.valueOf(ev.get("path")));
            case "init_result":
                return INIT_RESULTS;
            case "fail":
                throw new IllegalStateException(ev.get("message") != null ? String.valueOf(ev.get("message")) : "failed on purpose");
            default: {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("ok", false);
                r.put("error", "unknown action " + action);
                return r;
            }
        }
    }

    static Map<String, Object> ok() {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("ok", true);
        return r;
    }

    /** The errno a refusal became in Java: AccessDeniedException / "error=13" / "Permission
     * denied" are EACCES, "Operation not permitted" is EPERM. */
    static Map<String, Object> error(Exception e) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("ok", false);
        r.put("error", e.getClass().getName());
        String m = String.valueOf(e.getMessage());
        r.put("message", m);
        if (e instanceof AccessDeniedException || m.contains("error=13") || m.contains("Permission denied")) {
            r.put("code", "EACCES");
            r.put("errno", 13);
        } else if (m.contains("Operation not permitted") || m.contains("error=1,")) {
            r.put("code", "EPERM");
            r.put("errno", 1);
        } else if (e instanceof NoSuchFileException || m.contains("error=2,")) {
            r.put("code", "ENOENT");
            r.put("errno", 2);
        }
        r.put("ioexception", e instanceof IOException);
        return r;
    }

    static Object doExec() {
        try {
            Process p = new ProcessBuilder("/usr/bin/id", "-u").redirectErrorStream(true).start();
            try (InputStream in = p.getInputStream()) {
                in.readAllBytes();
            }
            Map<String, Object> r = ok();
            r.put("rc", p.waitFor());
            return r;
        } catch (IOException | InterruptedException e) {
            return error(e);
        }
    }

    static Object doChildRead(String path) {
        try {
            Process p = new ProcessBuilder("/usr/bin/cat", path).redirectErrorStream(true).start();
            try (InputStream in = p.getInputStream()) {
                in.readAllBytes();
            }
            int rc = p.waitFor();
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("ok", rc == 0);
            r.put("rc", rc);
            return r;
        } catch (IOException | InterruptedException e) {
            return error(e);
        }
    }

    static Object doRead(String path) {
        try {
            Map<String, Object> r = ok();
            r.put("bytes", Files.readAllBytes(Path.of(path)).length);
            return r;
        } catch (IOException e) {
            return error(e);
        }
    }

    static Object doConnect(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            return ok();
        } catch (IOException e) {
            return error(e);
        }
    }

    /** Just enough JSON for the test events: objects, arrays, strings, numbers, literals. */
    static final class Json {
        private final String s;
        private int i;

        Json(String s) {
            this.s = s;
        }

        Object value() {
            ws();
            char c = s.charAt(i);
            if (c == '{') {
                Map<String, Object> m = new LinkedHashMap<>();
                i++;
                ws();
                if (s.charAt(i) == '}') { i++; return m; }
                while (true) {
                    ws();
                    String k = string();
                    ws();
                    i++; // ':'
                    m.put(k, value());
                    ws();
                    if (s.charAt(i++) == '}') return m;
                }
            }
            if (c == '[') {
                List<Object> l = new ArrayList<>();
                i++;
                ws();
                if (s.charAt(i) == ']') { i++; return l; }
                while (true) {
                    l.add(value());
                    ws();
                    if (s.charAt(i++) == ']') return l;
                }
            }
            if (c == '"') return string();
            if (s.startsWith("true", i)) { i += 4; return Boolean.TRUE; }
            if (s.startsWith("false", i)) { i += 5; return Boolean.FALSE; }
            if (s.startsWith("null", i)) { i += 4; return null; }
            int st = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) i++;
            String num = s.substring(st, i);
            if (num.matches("-?\\d+")) return Long.parseLong(num);
            return Double.parseDouble(num);
        }

        private void ws() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        }

        private String string() {
            StringBuilder b = new StringBuilder();
            i++; // '"'
            while (true) {
                char c = s.charAt(i++);
                if (c == '"') return b.toString();
                if (c != '\\') { b.append(c); continue; }
                char e = s.charAt(i++);
                switch (e) {
                    case 'n': b.append('\n'); break;
                    case 't': b.append('\t'); break;
                    case 'r': b.append('\r'); break;
                    case 'b': b.append('\b'); break;
                    case 'f': b.append('\f'); break;
                    case 'u': b.append((char) Integer.parseInt(s.substring(i, i + 4), 16)); i += 4; break;
                    default: b.append(e);
                }
            }
        }

        static String write(Object o) {
            if (o == null) return "null";
            if (o instanceof String) return quote((String) o);
            if (o instanceof Boolean || o instanceof Long || o instanceof Integer) return o.toString();
            if (o instanceof Number) return o.toString();
            StringBuilder b = new StringBuilder();
            if (o instanceof Map) {
                b.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : ((Map<?, ?>) o).entrySet()) {
                    if (!first) b.append(',');
                    first = false;
                    b.append(quote(String.valueOf(e.getKey()))).append(':').append(write(e.getValue()));
                }
                return b.append('}').toString();
            }
            if (o instanceof List) {
                b.append('[');
                boolean first = true;
                for (Object e : (List<?>) o) {
                    if (!first) b.append(',');
                    first = false;
                    b.append(write(e));
                }
                return b.append(']').toString();
            }
            return quote(o.toString());
        }

        static String quote(String s) {
            StringBuilder b = new StringBuilder("\"");
            for (char ch : s.toCharArray()) {
                if (ch == '"' || ch == '\\') b.append('\\').append(ch);
                else if (ch == '\n') b.append("\\n");
                else if (ch < 0x20) b.append(String.format("\\u%04x", (int) ch));
                else b.append(ch);
            }
            return b.append('"').toString();
        }
    }
}
