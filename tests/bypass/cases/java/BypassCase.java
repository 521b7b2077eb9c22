// What every Java bypass case shares (the protocol is described in tests/bypass/run.py).
// A case is a handler: handleRequest(event, context), event = the BYPASS_* environment
// (lower-cased, without the prefix) plus "mode".
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

public abstract class BypassCase {
    public abstract Object handleRequest(Map<String, String> event, Object context) throws Exception;

    static void say(String s) { System.out.println(s); System.out.flush(); }
    static void attempt(String s) { say("ATTEMPT " + s); }
    static void got(String s) { say("GOT " + s); }

    static void main(BypassCase c, String[] args) throws Exception {
        Map<String, String> event = new HashMap<>();
        for (Map.Entry<String, String> e : System.getenv().entrySet())
            if (e.getKey().startsWith("BYPASS_"))
                event.put(e.getKey().substring(7).toLowerCase(), e.getValue());
        event.put("mode", args.length > 0 ? args[0] : "");
        try {
            say("DONE returned " + c.handleRequest(event, null));
        } catch (IOException e) {   // a refused call: SocketException, AccessDeniedException, ...
            say("DONE refused: " + e);
        }
    }
}
