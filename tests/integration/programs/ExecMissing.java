import java.io.IOException;

/**
 * ExecMissing: ProcessBuilder(args).start() on a program that may not exist
 * (test_exec_missing.py). With --env first, the child gets a modified environment: the JDK then
 * searches PATH itself (an execve per candidate) instead of calling execvp. Prints {"ok":true,"rc":N} (the program ran and exited N) or
 * {"ok":false,"ioexception":true,"error":CLASS,"message":MESSAGE}, then {"after":true}.
 */
public class ExecMissing {
    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : (s == null ? "" : s).toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }

    public static void main(String[] args) throws Exception {
        boolean env = args.length > 0 && args[0].equals("--env");
        String[] cmd = env ? java.util.Arrays.copyOfRange(args, 1, args.length) : args;
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD);
            if (env) {
                pb.environment().put("FNSHIELD_TEST_ENV", "1");
            }
            Process p = pb.start();
            System.out.println("{\"ok\":true,\"rc\":" + p.waitFor() + "}");
        } catch (IOException e) {
            System.out.println("{\"ok\":false,\"ioexception\":true,\"error\":" + quote(e.getClass().getName())
                    + ",\"message\":" + quote(e.getMessage()) + "}");
        }
        System.out.println("{\"after\":true}");
    }
}
