// File tricks from Java.
//   read-dotdot    new FileInputStream(RUN/public/../secret/token)
//   write-symlink  Files.createSymbolicLink(scratch/link -> VICTIM), FileOutputStream(link)
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Map;

public class FileCase extends BypassCase {
    public Object handleRequest(Map<String, String> event, Object context) throws Exception {
        String mode = event.get("mode");
        if (mode.equals("read-dotdot")) {
            String p = event.get("run") + "/public/../secret/token";
            attempt("FileInputStream(" + p + ")");
            try (FileInputStream in = new FileInputStream(p)) {
                got(new String(in.readAllBytes()));
            }
            return "read";
        }
        if (mode.equals("write-symlink")) {
            String link = event.get("scratch") + "/innocent-link";
            Files.createSymbolicLink(Paths.get(link), Paths.get(event.get("victim")));
            attempt("FileOutputStream(" + link + ") -> victim");
            try (FileOutputStream out = new FileOutputStream(link)) {
                out.write("PWNED\n".getBytes());
            }
            return "written";
        }
        throw new IllegalArgumentException(mode);
    }

    public static void main(String[] args) throws Exception { main(new FileCase(), args); }
}
