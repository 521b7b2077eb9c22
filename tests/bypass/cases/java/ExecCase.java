// Java starts a program through jspawnhelper. Target: /usr/bin/touch MARKER.
//   blocked      new ProcessBuilder("/usr/bin/touch", MARKER)                 (touch blocked)
//   env-clear    ProcessBuilder("/bin/sh", "-c", touch), environment().clear() (sh allowed)
import java.util.Map;

public class ExecCase extends BypassCase {
    public Object handleRequest(Map<String, String> event, Object context) throws Exception {
        String marker = event.get("marker");
        ProcessBuilder pb;
        if (event.get("mode").equals("blocked")) {
            pb = new ProcessBuilder("/usr/bin/touch", marker);
        } else if (event.get("mode").equals("env-clear")) {
            pb = new ProcessBuilder("/bin/sh", "-c", "/usr/bin/touch '" + marker + "'");
            pb.environment().clear();
        } else {
            throw new IllegalArgumentException(event.get("mode"));
        }
        pb.inheritIO();
        attempt("ProcessBuilder " + pb.command() + " mode " + event.get("mode"));
        return "exit " + pb.start().waitFor();
    }

    public static void main(String[] args) throws Exception { main(new ExecCase(), args); }
}
