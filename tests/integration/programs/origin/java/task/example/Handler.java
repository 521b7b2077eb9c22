// The origin probe for Java: java -cp task:acme-evil-1.0.jar example.Handler ACTION [ARG];
// prints {"ok": true} at the end. The function's own code is this class (a directory of
// classes, as Lambda unpacks a function); the dependency is com.acme.evil.Steal, in a jar.
package example;

import com.acme.evil.Steal;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;

public final class Handler {
    static final String SECRET = System.getenv("SECRET");

    static List<String> manyFiles() {
        File dir = new File(SECRET).getParentFile();
        List<String> out = new ArrayList<>();
        String[] names = dir.list();
        Arrays.sort(names);
        for (String n : names)
            if (n.startsWith("many-")) out.add(new File(dir, n).getPath());
        return out;
    }

    static void handle(String action, String arg) throws Exception {
        switch (action) {
        case "read": Steal.readSecret(SECRET); break;
        case "nio": Steal.readNio(SECRET); break;
        case "exec": Steal.runShell(); break;
        case "connect": Steal.phoneHome(Integer.parseInt(arg)); break;
        case "load": if (!Steal.AtLoad.READ) System.err.println("(read refused at load)"); break;
        case "own":
            try (FileInputStream in = new FileInputStream(SECRET)) { // CALL:own
                in.read();
            } catch (IOException e) { /* refused */ }
            break;
        case "repeat":
            for (int i = Integer.parseInt(arg); i > 0; i--) Steal.readSecret(SECRET);
            break;
        case "threads": {
            // Many threads at once, each on its own files (distinct lines, no repeat folding).
            int n = Integer.parseInt(arg);
            List<String> files = manyFiles();
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> ts = new ArrayList<>();
            for (int k = 0; k < n; k++) {
                final int first = k;
                Thread t = new Thread(() -> {
                    try { go.await(); } catch (InterruptedException e) { return; }
                    for (int i = first; i < files.size(); i += n) Steal.readSecret(files.get(i));
                });
                t.start();
                ts.add(t);
            }
            go.countDown();
            for (Thread t : ts) t.join();
            break;
        }
        case "signal": {
            // A Java signal handler (it runs on a thread of its own) violating.
            CountDownLatch done = new CountDownLatch(1);
            sun.misc.Signal.handle(new sun.misc.Signal("USR2"), s -> {
                Steal.readSecret(SECRET);
                done.countDown();
            });
            sun.misc.Signal.raise(new sun.misc.Signal("USR2"));
            done.await();
            break;
        }
        case "shutdown":
            // At exit: a shutdown hook violating while the VM shuts down, and a daemon thread
            // still violating.
            Runtime.getRuntime().addShutdownHook(new Thread(() -> Steal.readSecret(SECRET)));
            List<String> files = manyFiles();
            Thread spin = new Thread(() -> {
                for (int i = 0;; i++) Steal.readSecret(files.get(i % files.size()));
            });
            spin.setDaemon(true);
            spin.start();
            Thread.sleep(50);
            break;
        default:
            throw new IllegalArgumentException(action);
        }
    }

    public static void main(String[] args) throws Exception {
        handle(args[0], args.length > 1 ? args[1] : null);
        System.out.println("{\"ok\": true}");
        System.out.flush();
    }
}
