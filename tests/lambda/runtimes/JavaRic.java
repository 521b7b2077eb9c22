/*
 * A small Lambda runtime interface client for Java, written for the end-to-end tests (the
 * official aws-lambda-java-runtime-interface-client is not in the registries reachable here).
 * It speaks the Runtime API the way the official client does, as far as fnshield can tell:
 *
 *   init   the handler class ("pkg.Class" or "pkg.Class::method", from the first argument or
 *          _HANDLER) is loaded by name from LAMBDA_TASK_ROOT (its classes, and lib/*.jar) through
 *          a class loader of its own, initialised and instantiated BEFORE the first request to
 *          the Runtime API; a failure is posted to /init/error and the process exits 1.
 *   loop   GET /next (java.net.HttpURLConnection, which keeps the connection alive between
 *          requests); the system property com.amazonaws.xray.traceId is set from
 *          Lambda-Runtime-Trace-Id per invocation, as the Java 17+ clients do; the handler's
 *          String result goes to /response, an exception to /error.
 *
 * The handler method: public String METHOD(String eventJson, java.util.Map<String,String> context)
 * (context keys: awsRequestId, invokedFunctionArn, deadlineMs, functionName, functionVersion,
 * memoryLimitInMB, clientContext, cognitoIdentity). Static or instance (public no-arg constructor).
 */
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

public final class JavaRic {
    private static final String PREFIX = "/2018-06-01/runtime";
    private static String base;

    public static void main(String[] args) throws Exception {
        base = "http://" + System.getenv("AWS_LAMBDA_RUNTIME_API") + PREFIX;
        String spec = args.length > 0 ? args[0] : System.getenv("_HANDLER");

        Object target = null;
        Method method;
        try {
            if (spec == null || spec.isEmpty())
                throw new IllegalArgumentException("no handler (argument or _HANDLER)");
            String className = spec, methodName = "handleRequest";
            int sep = spec.indexOf("::");
            if (sep >= 0) {
                className = spec.substring(0, sep);
                methodName = spec.substring(sep + 2);
            }
            Class<?> cls = Class.forName(className, true, taskClassLoader());
            method = cls.getMethod(methodName, String.class, Map.class);
            if (!Modifier.isStatic(method.getModifiers()))
                target = cls.getDeclaredConstructor().newInstance();
        } catch (Throwable t) {
            Throwable cause = t instanceof InvocationTargetException || t instanceof ExceptionInInitializerError
                    ? (t.getCause() != null ? t.getCause() : t) : t;
            String type = t instanceof ClassNotFoundException ? "Runtime.ClassNotFound" : "Runtime.HandlerInitError";
            System.err.println("[ERROR] " + type + ": " + cause);
            post("/init/error", errorDocument(cause, type), type);
            System.exit(1);
            return;
        }

        while (true) {
            HttpURLConnection next = open("/invocation/next", "GET");
            int status = next.getResponseCode();
            byte[] body = readAll(status < 400 ? next.getInputStream() : next.getErrorStream());
            if (status != 200)
                throw new IOException("GET /next: HTTP " + status + " " + new String(body, StandardCharsets.UTF_8));
            String requestId = next.getHeaderField("Lambda-Runtime-Aws-Request-Id");
            String traceId = next.getHeaderField("Lambda-Runtime-Trace-Id");
            if (traceId != null)
                System.setProperty("com.amazonaws.xray.traceId", traceId);
            else
                System.clearProperty("com.amazonaws.xray.traceId");

            Map<String, String> context = new HashMap<>();
            context.put("awsRequestId", requestId);
            context.put("invokedFunctionArn", next.getHeaderField("Lambda-Runtime-Invoked-Function-Arn"));
            context.put("deadlineMs", next.getHeaderField("Lambda-Runtime-Deadline-Ms"));
            context.put("clientContext", next.getHeaderField("Lambda-Runtime-Client-Context"));
            context.put("cognitoIdentity", next.getHeaderField("Lambda-Runtime-Cognito-Identity"));
            context.put("functionName", System.getenv("AWS_LAMBDA_FUNCTION_NAME"));
            context.put("functionVersion", System.getenv("AWS_LAMBDA_FUNCTION_VERSION"));
            context.put("memoryLimitInMB", System.getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"));

            String result;
            try {
                result = (String) method.invoke(target, new String(body, StandardCharsets.UTF_8), context);
            } catch (InvocationTargetException e) {
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                post("/invocation/" + requestId + "/error", errorDocument(cause, null), "Unhandled");
                continue;
            }
            post("/invocation/" + requestId + "/response", result == null ? "null" : result, null);
        }
    }

    /** LAMBDA_TASK_ROOT's classes and lib/*.jar, as the official client loads a function. */
    private static ClassLoader taskClassLoader() throws IOException {
        String root = System.getenv("LAMBDA_TASK_ROOT");
        if (root == null)
            root = System.getProperty("user.dir");
        List<URL> urls = new ArrayList<>();
        urls.add(new File(root).toURI().toURL());
        File[] jars = new File(root, "lib").listFiles((d, n) -> n.endsWith(".jar"));
        if (jars != null)
            for (File j : jars)
                urls.add(j.toURI().toURL());
        return new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getSystemClassLoader());
    }

    private static HttpURLConnection open(String path, String method) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL(base + path).openConnection(Proxy.NO_PROXY);
        c.setRequestMethod(method);
        c.setConnectTimeout(10000);
        c.setReadTimeout(0); // /next waits as long as there is no invocation
        c.setUseCaches(false);
        return c;
    }

    private static void post(String path, String payload, String errorType) throws IOException {
        byte[] bytes = payload.getBytes(StandardCharsets.UTF_8);
        HttpURLConnection c = open(path, "POST");
        c.setDoOutput(true);
        c.setFixedLengthStreamingMode(bytes.length);
        c.setRequestProperty("Content-Type", "application/json");
        if (errorType != null)
            c.setRequestProperty("Lambda-Runtime-Function-Error-Type", errorType);
        try (OutputStream out = c.getOutputStream()) {
            out.write(bytes);
        }
        int status = c.getResponseCode();
        byte[] reply = readAll(status < 400 ? c.getInputStream() : c.getErrorStream());
        if (status != 202)
            throw new IOException("POST " + path + ": HTTP " + status + " " + new String(reply, StandardCharsets.UTF_8));
    }

    /** Read a response body to the end and close it, so the connection goes back to the keep-alive cache. */
    private static byte[] readAll(InputStream in) throws IOException {
        if (in == null)
            return new byte[0];
        try (InputStream i = in) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            for (int n; (n = i.read(buf)) > 0;)
                out.write(buf, 0, n);
            return out.toByteArray();
        }
    }

    private static String errorDocument(Throwable t, String type) {
        StringWriter sw = new StringWriter();
        t.printStackTrace(new PrintWriter(sw));
        StringBuilder trace = new StringBuilder("[");
        String[] lines = sw.toString().split("\n");
        for (int i = 0; i < lines.length; i++)
            trace.append(i > 0 ? "," : "").append(quote(lines[i].trim()));
        trace.append("]");
        return "{\"errorMessage\":" + quote(String.valueOf(t.getMessage())) + ",\"errorType\":"
                + quote(type != null ? type : t.getClass().getName()) + ",\"stackTrace\":" + trace + "}";
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                default:
                    if (ch < 0x20) b.append(String.format("\\u%04x", (int) ch));
                    else b.append(ch);
            }
        }
        return b.append('"').toString();
    }
}
